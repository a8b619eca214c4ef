package dev.iptv.mirror;

import dev.iptv.common.Epoch;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.MirrorContract.MirrorStatus;
import dev.iptv.contract.MirrorContract.RedisRestored;
import dev.iptv.pg.Db;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * Nothing lost when Redis loses its data: a durable copy of what the panel synced, in PostgreSQL
 * ({@code synced_keys}), put back into Redis when Redis comes back empty or older.
 *
 * <p><b>Feed</b> ({@link MirrorFeed}): {@link AuthContract#USERS_CHANGED} and
 * {@link ChannelContract#CHANNELS_CHANGED} are synced in order; each synced batch advances the
 * <i>generation</i> (kept in {@code mirror_state} and carried by the {@link Sentinel}).
 * <b>Reconciliation</b> ({@link MirrorReconciliation}) every {@code IPTV_MIRROR_RECONCILE_S}.
 *
 * <p><b>Detection</b>, every second: the sentinel absent (FLUSHALL, a restart without persistence,
 * a new empty Redis) means Redis lost its data; a generation behind PostgreSQL's, seen twice in a
 * row with the same value, means Redis restarted from an older snapshot; a {@code restoring} value
 * means a restore was interrupted.
 *
 * <p><b>Recovery</b> ({@link MirrorRestore}): lost data is filled back with {@code SET NX}; an older
 * Redis is first marked {@code restoring} (so the panel API answers 503 meanwhile), then brought to
 * the copy's state. Then the sentinel is set to the copy's generation, an event published and a
 * warning logged. While a mirror is configured ({@code IPTV_PG_URL}) but PostgreSQL does not answer,
 * no sentinel is ever set: the restore stays pending and is retried every second. One instance
 * restores at a time ({@code iptv:restore:lock}). Keys, sentinel values and the restore event:
 * {@link MirrorContract}. Runs on the mirror's event loop.
 */
public final class RedisMirror {

  private static final Logger log = LoggerFactory.getLogger(RedisMirror.class);

  private static final long LOG_EVERY_MS = 60_000;

  private final Redis redis;
  private final boolean configured;
  private final String node;
  private final Consumer<JsonObject> publish;
  private final Sentinel sentinel;
  private final MirrorFeed feed;
  private final MirrorReconciliation reconciliation;
  private SyncedKeys copy;

  /** A value seen once behind PostgreSQL's generation: a second sighting restores. */
  private String suspect;
  /** Why a restore waits, or null. */
  private String pending;
  private boolean everSeen;
  private boolean recovering;
  private boolean reconciling;
  private boolean redisDown;
  private boolean closed;
  private long restores;
  private long skippedTokens;
  private RedisRestored lastRestore;
  private long lastPendingLog;

  /**
   * @param db         the mirror's database once reached, or null (then {@link #attach} later)
   * @param configured a mirror is configured ({@code IPTV_PG_URL} set): Redis is never marked
   *                   complete without it; false: Redis loss is only detected and logged
   * @param publish    where restore events go (the event bus)
   */
  public RedisMirror(Redis redis, Db db, boolean configured, String node, Consumer<JsonObject> publish) {
    this.redis = redis;
    this.copy = db == null ? null : new SyncedKeys(db);
    this.configured = configured || db != null;
    this.node = node;
    this.publish = publish;
    this.sentinel = new Sentinel(redis, node);
    PanelKeys keys = new PanelKeys(redis);
    this.feed = new MirrorFeed(keys, sentinel);
    this.reconciliation = new MirrorReconciliation(keys, sentinel);
  }

  /** PostgreSQL became reachable after start: from now on the mirror is fed and can restore. */
  public void attach(Db db) {
    this.copy = new SyncedKeys(db);
    this.suspect = null;
  }

  // --- detection -------------------------------------------------------------------------------

  /** Reads the sentinel and restores when needed, then syncs queued changes. Every second, and at start. */
  public Future<Void> check() {
    return detect().transform(ar -> drain());
  }

  private Future<Void> detect() {
    if (recovering) {
      return Future.succeededFuture();
    }
    return sentinel.read().transform(ar -> {
      if (ar.failed()) {
        if (!redisDown) {
          log.warn("mirror: Redis unreachable ({}); watching for its return", ar.cause().getMessage());
          redisDown = true;
        }
        sentinel.seen(null);
        return Future.succeededFuture();
      }
      if (redisDown) {
        log.info("mirror: Redis reachable again");
        redisDown = false;
      }
      String value = ar.result();
      sentinel.seen(value);
      if (value == null) {
        return recover(false, null);
      }
      if (!MirrorContract.inStep(value)) {
        return recover(configured, value); // an interrupted replace: again
      }
      everSeen = true;
      if (sentinel.isKnown(value) || copy == null) {
        // no copy: no generation to compare with yet; verified once PostgreSQL answers.
        pending = null;
        return Future.succeededFuture();
      }
      return copy.generation().compose(gp -> {
        long gr = MirrorContract.generation(value);
        if (gr >= gp) {
          sentinel.trust(value, gr);
          suspect = null;
          pending = null;
          return Future.succeededFuture();
        }
        if (value.equals(suspect)) {
          log.warn("mirror: Redis carries generation {} but PostgreSQL has synced {}: Redis restarted from an older"
            + " snapshot; bringing it to PostgreSQL's state", gr, gp);
          return recover(true, value);
        }
        suspect = value; // another mirror may be between its commit and its sentinel update: look again
        return Future.succeededFuture();
      }, err -> {
        logPending("cannot read the mirror's generation from PostgreSQL: " + err.getMessage());
        return Future.succeededFuture();
      });
    });
  }

  /**
   * Puts the copy back: {@code replace} brings an older Redis to the copy's state ({@code stale}:
   * its sentinel value, swapped for a restoring one first), otherwise lost keys are filled in.
   */
  private Future<Void> recover(boolean replace, String stale) {
    if (copy == null) {
      if (configured) {
        logPending("Redis holds no in-step sentinel and PostgreSQL (IPTV_PG_URL) has not answered yet: restore"
          + " pending, retried every second; the panel API answers 503 meanwhile");
        return Future.succeededFuture();
      }
      recovering = true;
      return setSentinel(0).map(v -> {
        if (everSeen) {
          log.warn("mirror: Redis lost its data and nothing can restore it: IPTV_PG_URL is unset");
        }
        everSeen = true;
        return (Void) null;
      }).recover(err -> Future.succeededFuture()).onComplete(ar -> recovering = false);
    }
    recovering = true;
    SyncedKeys from = copy;
    long started = System.currentTimeMillis();
    return redis.send(Request.cmd(Command.SET).arg(MirrorContract.RESTORE_LOCK).arg(node).arg("NX").arg("PX").arg(120_000))
      .compose(locked -> {
        if (locked == null) {
          return Future.succeededFuture(); // another mirror restores; its sentinel will show
        }
        Future<Boolean> marked = replace && MirrorContract.inStep(stale)
          ? sentinel.markRestoring(stale) : Future.succeededFuture(true);
        return marked.compose(ok -> {
          if (!ok) {
            return Future.<Void>succeededFuture(); // the sentinel changed meanwhile: look again
          }
          return from.generation().compose(gp -> new MirrorRestore(redis, from.db(), replace).run()
            .compose(result -> setSentinel(gp).map(v -> {
              report(result, replace, gp, System.currentTimeMillis() - started);
              return (Void) null;
            })));
        }).eventually(() -> redis.send(Request.cmd(Command.DEL).arg(MirrorContract.RESTORE_LOCK)));
      })
      .recover(err -> {
        logPending("Redis needs a restore and it failed (retried every second): " + err.getMessage());
        return Future.succeededFuture();
      })
      .onComplete(ar -> recovering = false);
  }

  private Future<Void> setSentinel(long generation) {
    return sentinel.set(generation).map(v -> {
      suspect = null;
      pending = null;
      return null;
    });
  }

  private void report(MirrorRestore.Result r, boolean replace, long generation, long ms) {
    boolean lost = everSeen || r.written() > 0 || replace;
    everSeen = true;
    skippedTokens += r.skippedTokens();
    if (r.skippedTokens() > 0) {
      log.warn("mirror: restore skipped {} token rows that no user names (a token is valid only while its user"
        + " names it)", r.skippedTokens());
    }
    if (!lost) {
      log.info("mirror: Redis sentinel set at generation {}; nothing to restore", generation);
      return;
    }
    restores++;
    if (replace) {
      log.warn("mirror: Redis was older than PostgreSQL: brought to its state (generation {}) in {} ms: {} keys"
        + " written, {} removed", generation, ms, r.written(), r.removed());
    } else {
      log.warn("mirror: Redis had lost its data: restored {} keys from PostgreSQL in {} ms", r.written(), ms);
    }
    lastRestore = new RedisRestored(node, r.written(), r.removed(), replace ? RedisRestored.REPLACE : RedisRestored.FILL,
      generation, ms, Epoch.now());
    publish.accept(lastRestore.toJson());
  }

  private void logPending(String why) {
    pending = why;
    long now = System.currentTimeMillis();
    if (now - lastPendingLog > LOG_EVERY_MS) {
      lastPendingLog = now;
      log.error("mirror: {}", why);
    }
  }

  // --- feed and reconciliation -----------------------------------------------------------------

  /** {@link AuthContract#USERS_CHANGED}: queued (with a mirror configured) and synced. */
  public Future<Void> usersChanged(JsonObject m) {
    if (configured) {
      feed.userChanged(m);
    }
    return drain();
  }

  /** {@link ChannelContract#CHANNELS_CHANGED}: queued (with a mirror configured) and synced. */
  public Future<Void> channelsChanged(JsonObject m) {
    if (configured) {
      feed.channelChanged(m);
    }
    return drain();
  }

  private Future<Void> drain() {
    if (recovering || copy == null) {
      return Future.succeededFuture();
    }
    return feed.drain(copy, closed);
  }

  /**
   * Brings the copy in line with an in-step Redis; returns {upserted, expired rows dropped}, or null
   * when skipped (no PostgreSQL yet, a restore or another reconciliation running, Redis not in step).
   */
  public Future<long[]> reconcile() {
    if (copy == null || recovering || reconciling) {
      return Future.succeededFuture(null);
    }
    reconciling = true;
    return reconciliation.run(copy).onComplete(ar -> {
      reconciling = false;
      if (ar.failed() && !closed) {
        log.warn("mirror: reconciliation failed: {}", ar.cause().toString());
      }
    });
  }

  /** Syncs what is queued now (an orderly stop); never fails. */
  public Future<Void> flush() {
    return drain();
  }

  /** The service stops: work in flight may fail quietly. */
  public void close() {
    closed = true;
  }

  /** A restore waits (a mirror is configured, Redis is not in step and cannot be restored yet). */
  public boolean pending() {
    return pending != null;
  }

  /** For health and the dashboard ({@link MirrorContract#STATUS}). */
  public MirrorStatus status() {
    long known = sentinel.knownGeneration();
    long pg = copy == null ? -1 : copy.lastGeneration();
    long rows = copy == null ? -1 : copy.rows();
    return new MirrorStatus(copy != null, configured, sentinel.inStep(), restores, known >= 0 ? known : null,
      pg >= 0 ? pg : null, pending, rows >= 0 ? rows : null, feed.size() > 0 ? feed.size() : null,
      skippedTokens > 0 ? skippedTokens : null, reconciliation.last(), lastRestore);
  }
}
