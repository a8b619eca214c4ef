package dev.iptv.mirror;

import dev.iptv.pg.Db;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.Map;

/**
 * The copy in PostgreSQL ({@code synced_keys}, {@code mirror_state}; SQL in {@link MirrorSql}): its
 * generation and row count as last read, what it holds (for the reconciliation), and the step that
 * ends every transaction that changed it: one more generation. Runs on the mirror's event loop.
 */
final class SyncedKeys {

  /** What the copy holds for a key, compared with Redis without moving the value. */
  record Mirrored(String hash, Long expiresMillis) {
  }

  private final Db db;
  private long generation = -1;
  private long rows = -1;

  SyncedKeys(Db db) {
    this.db = db;
  }

  Db db() {
    return db;
  }

  Pool pool() {
    return db.pool();
  }

  /** The generation the copy has synced up to, read now. */
  Future<Long> generation() {
    return db.pool().query(MirrorSql.GENERATION).execute().map(rs -> {
      generation = rs.iterator().next().getLong("generation");
      return generation;
    });
  }

  /** The generation last read or written, or -1. */
  long lastGeneration() {
    return generation;
  }

  /** Rows in the copy as last counted, or -1. */
  long rows() {
    return rows;
  }

  /**
   * One more generation (never below {@code redisGeneration}, what Redis's sentinel carries), and
   * the row count health shows; inside the transaction that changed the copy.
   */
  Future<Long> advance(SqlConnection conn, long redisGeneration) {
    return conn.preparedQuery(MirrorSql.ADVANCE).execute(Tuple.of(redisGeneration)).compose(g -> {
      long next = g.iterator().next().getLong("generation");
      return count(conn).map(n -> {
        generation = next;
        return next;
      });
    });
  }

  /** Counts the rows (inside a transaction). */
  Future<Long> count(SqlConnection conn) {
    return conn.query(MirrorSql.COUNT).execute().map(count -> {
      rows = count.iterator().next().getLong("n");
      return rows;
    });
  }

  /** Every row's key with the MD5 of its value and the end of its TTL. */
  Future<Map<String, Mirrored>> index() {
    return db.pool().query(MirrorSql.INDEX).execute().map(rowsSet -> {
      Map<String, Mirrored> out = new HashMap<>(Math.max(16, rowsSet.size() * 2));
      for (Row r : rowsSet) {
        OffsetDateTime e = r.getOffsetDateTime("expires_at");
        out.put(r.getString("key"), new Mirrored(r.getString("hash"), e == null ? null : e.toInstant().toEpochMilli()));
      }
      return out;
    });
  }
}
