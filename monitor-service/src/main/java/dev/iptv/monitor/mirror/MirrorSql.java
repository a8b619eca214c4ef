package dev.iptv.monitor.mirror;

/** The SQL of the durable mirror ({@code synced_keys}). */
final class MirrorSql {

  private MirrorSql() {
  }

  static final String NOW = "SELECT now() AS now";

  static final String UPSERT =
    "INSERT INTO synced_keys (key, value, expires_at, owner, updated_at) VALUES ($1, $2, $3, $4, now()) "
      + "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, "
      + "owner = EXCLUDED.owner, updated_at = now()";

  static final String DELETE = "DELETE FROM synced_keys WHERE key = $1";

  /** Deletes a row the reconciliation did not see, unless the event feed touched it meanwhile. */
  static final String DELETE_UNSEEN = "DELETE FROM synced_keys WHERE key = $1 AND updated_at < $2";

  static final String DELETE_TOKENS_OF = "DELETE FROM synced_keys WHERE owner = $1 AND key LIKE 'token:%'";

  static final String DELETE_EXPIRED = "DELETE FROM synced_keys WHERE expires_at < now()";

  /** What the mirror holds, compared with Redis without moving the values. */
  static final String INDEX = "SELECT key, md5(value) AS hash, expires_at FROM synced_keys";

  static final String COUNT = "SELECT count(*) AS n FROM synced_keys";

  /** A page of rows still alive, in key order, after the given key. */
  static final String PAGE =
    "SELECT key, value, expires_at FROM synced_keys WHERE key > $1 "
      + "AND (expires_at IS NULL OR expires_at > now() + interval '1 second') ORDER BY key LIMIT $2";
}
