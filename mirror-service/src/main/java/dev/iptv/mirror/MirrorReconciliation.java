package dev.iptv.mirror;

import dev.iptv.common.Epoch;
import dev.iptv.contract.MirrorContract;
import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The copy brought in line with an in-step Redis, every {@code IPTV_MIRROR_RECONCILE_S}: a SCAN
 * upserts what differs (edits made with redis-cli) and rows whose TTL has passed are dropped. It
 * never deletes a row because a key is missing (a Redis that lost its data, or is older, must not
 * empty the copy that restores it), and runs only while Redis's sentinel is not behind PostgreSQL's
 * generation, before and after the scan. Runs on the mirror's event loop.
 */
final class MirrorReconciliation {

  private static final Logger log = LoggerFactory.getLogger(MirrorReconciliation.class);

  private final PanelKeys redisKeys;
  private final Sentinel sentinel;
  private BigDecimal last;

  MirrorReconciliation(PanelKeys redisKeys, Sentinel sentinel) {
    this.redisKeys = redisKeys;
    this.sentinel = sentinel;
  }

  /** When the last reconciliation finished (epoch seconds), or null. */
  BigDecimal last() {
    return last;
  }

  private static final class Changes {
    final Set<String> seen = new HashSet<>();
    final List<Tuple> upserts = new ArrayList<>();
  }

  /**
   * Upserts what differs, drops rows whose TTL has passed; returns {upserted, expired rows dropped},
   * or null when skipped (Redis lost its data, is older than the copy, or changed under the scan).
   */
  Future<long[]> run(SyncedKeys copy) {
    long t0 = System.currentTimeMillis();
    return sentinel.read().compose(before -> {
      if (!MirrorContract.inStep(before)) {
        return Future.<long[]>succeededFuture(null);
      }
      long gr = MirrorContract.generation(before);
      return copy.generation().compose(gp -> {
        if (gr < gp) {
          return Future.<long[]>succeededFuture(null); // older Redis: detection restores it first
        }
        return copy.index().compose(mirror -> redisKeys.scan().compose(keys -> compare(keys, mirror)))
          .compose(changed -> sentinel.read().compose(after -> {
            if (!MirrorContract.inStep(after) || MirrorContract.generation(after) < gr) {
              return Future.<long[]>succeededFuture(null); // emptied or replaced under the scan
            }
            return write(copy, changed, MirrorContract.generation(after), t0);
          }));
      });
    });
  }

  private Future<long[]> write(SyncedKeys copy, Changes changed, long redisGeneration, long t0) {
    return copy.pool().withTransaction(conn -> {
      Future<?> f = changed.upserts.isEmpty() ? Future.succeededFuture()
        : conn.preparedQuery(MirrorSql.UPSERT).executeBatch(changed.upserts);
      return f.compose(r -> conn.query(MirrorSql.DELETE_EXPIRED).execute()).compose(expired -> {
        Future<Long> advanced = changed.upserts.isEmpty() ? Future.succeededFuture(-1L)
          : copy.advance(conn, redisGeneration);
        return advanced.compose(g -> copy.count(conn).map(n -> new long[] {changed.upserts.size(), expired.rowCount(), g}));
      });
    }).compose(r -> (r[2] >= 0 ? sentinel.advance(r[2]) : Future.<Void>succeededFuture()).map(v -> {
      last = Epoch.now();
      long ms = System.currentTimeMillis() - t0;
      if (r[0] > 0 || r[1] > 0) {
        log.info("mirror: reconciled {} keys with Redis in {} ms: {} written, {} expired rows dropped",
          changed.seen.size(), ms, r[0], r[1]);
      } else {
        log.debug("mirror: {} keys in step with Redis ({} ms)", changed.seen.size(), ms);
      }
      return new long[] {r[0], r[1]};
    }));
  }

  private Future<Changes> compare(List<String> keys, Map<String, SyncedKeys.Mirrored> mirror) {
    Changes changes = new Changes();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < keys.size(); i += MirrorFeed.CHUNK) {
      List<String> chunk = keys.subList(i, Math.min(keys.size(), i + MirrorFeed.CHUNK));
      chain = chain.compose(v -> redisKeys.read(chunk).map(values -> {
        for (int j = 0; j < chunk.size(); j++) {
          PanelKeys.Stored s = values.get(j);
          if (s == null) {
            continue; // gone between SCAN and GET
          }
          String key = chunk.get(j);
          changes.seen.add(key);
          SyncedKeys.Mirrored m = mirror.get(key);
          Long exp = s.expiresAt() == null ? null : s.expiresAt().toInstant().toEpochMilli();
          boolean same = m != null && m.hash().equals(PanelKeys.md5(s.value()))
            && (m.expiresMillis() == null ? exp == null : exp != null && Math.abs(m.expiresMillis() - exp) <= 2000);
          if (!same) {
            changes.upserts.add(Tuple.of(key, s.value(), s.expiresAt(), PanelKeys.owner(key, s.value())));
          }
        }
        return null;
      }));
    }
    return chain.map(v -> changes);
  }
}
