package dev.iptv.mirror;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;

/** The SQL of the durable mirror ({@code synced_keys}, {@code mirror_state}). */
final class MirrorSql {

  private MirrorSql() {
  }

  static final String UPSERT =
    "INSERT INTO synced_keys (key, value, expires_at, owner, updated_at) VALUES ($1, $2, $3, $4, now()) "
      + "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, "
      + "owner = EXCLUDED.owner, updated_at = now()";

  /** An observed deletion (through the API): the only way a row goes, besides its TTL. */
  static final String DELETE = "DELETE FROM synced_keys WHERE key = $1";

  /** A user deleted through the API takes its tokens' rows along. */
  static final String DELETE_TOKENS_OF = "DELETE FROM synced_keys WHERE owner = $1 AND key LIKE " + prefix(AuthContract.TOKEN_PREFIX);

  static final String DELETE_EXPIRED = "DELETE FROM synced_keys WHERE expires_at < now()";

  /** What the mirror holds, compared with Redis without moving the values. */
  static final String INDEX = "SELECT key, md5(value) AS hash, expires_at FROM synced_keys";

  static final String COUNT = "SELECT count(*) AS n FROM synced_keys";

  /** The generation this copy has synced up to. */
  static final String GENERATION = "SELECT generation FROM mirror_state WHERE id = 1";

  /**
   * One more synced change; never below what Redis's sentinel already carries ({@code $1}), so a
   * copy that starts over (a new database) does not make an up-to-date Redis look older.
   */
  static final String ADVANCE =
    "UPDATE mirror_state SET generation = greatest(generation, $1) + 1, updated_at = now() WHERE id = 1 "
      + "RETURNING generation";

  private static final String LIVE = "(expires_at IS NULL OR expires_at > now() + interval '1 second')";

  /** A page of user rows in key order, after the given key. */
  static final String USERS_PAGE =
    "SELECT key, value FROM synced_keys WHERE key > $1 AND key LIKE " + prefix(AuthContract.USER_PREFIX) + " ORDER BY key LIMIT $2";

  /** The live token rows among the given keys. */
  static final String TOKENS_BY_KEY =
    "SELECT key, value, expires_at FROM synced_keys WHERE key = ANY($1) AND " + LIVE;

  /** A page of channel rows in key order, after the given key. */
  static final String CHANNELS_PAGE =
    "SELECT key, value FROM synced_keys WHERE key > $1 AND key LIKE " + prefix(ChannelContract.CHANNEL_PREFIX) + " AND " + LIVE
      + " ORDER BY key LIMIT $2";

  /** Live token rows, to count those no user names (skipped by a restore). */
  static final String LIVE_TOKENS = "SELECT count(*) AS n FROM synced_keys WHERE key LIKE " + prefix(AuthContract.TOKEN_PREFIX)
    + " AND " + LIVE;

  /** A LIKE pattern for the keys of a contract's prefix (letters and ':' only: nothing to escape). */
  private static String prefix(String keyPrefix) {
    return "'" + keyPrefix + "%'";
  }
}
