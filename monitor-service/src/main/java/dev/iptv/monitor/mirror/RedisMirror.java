package dev.iptv.monitor.mirror;

import dev.iptv.common.Epoch;
import dev.iptv.common.LuaScript;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.UserChanged;
import dev.iptv.contract.BadMessage;
import dev.iptv.contract.ChangeAction;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ChannelContract.ChannelChanged;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.MirrorContract.RedisRestored;
import dev.iptv.contract.UserSchema;
import dev.iptv.monitor.Rx;
import dev.iptv.monitor.pg.Db;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Nothing lost when Redis loses its data: a durable copy of what the panel synced, in PostgreSQL
 * ({@code synced_keys}), put back into Redis when Redis comes back empty or older.
 *
 * <p><b>Feed.</b> {@code USERS_CHANGED} and {@code CHANNELS_CHANGED} are queued and synced in
 * order, in batches: the named keys are read from Redis and their rows upserted. A row is deleted
 * only for an <i>observed deletion</i>: a user or channel deleted through the API (action
 * {@code deleted}; a user takes its tokens' rows along) or a token retired by a user update
 * ({@code old_token}), and only while the key is indeed gone from Redis. A batch PostgreSQL refuses
 * or misses stays queued and is retried. Each synced batch advances the <i>generation</i> (kept in
 * {@code mirror_state} and carried by the sentinel, {@link MirrorContract.Probe}).
 *
 * <p><b>Reconciliation</b> every {@code IPTV_MIRROR_RECONCILE_S} upserts what differs (edits made
 * with redis-cli) and drops rows whose TTL has passed; it never deletes a row because a key is
 * missing (a Redis that lost its data, or is older, must not empty the copy that restores it). It
 * runs only while Redis is in step (its sentinel's generation is not behind PostgreSQL's).
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
 * {@link MirrorContract}. Runs on the verticle's event loop.
 */
public final class RedisMirror {

  private static final Logger log = LoggerFactory.getLogger(RedisMirror.class);

  private static final int CHUNK = 500;
  /** Changes waiting for PostgreSQL at most; past this the oldest go (the reconciliation catches their upserts). */
  static final int FEED_MAX = 100_000;
  private static final long LOG_EVERY_MS = 60_000;

  private static final LuaScript ADVANCE = LuaScript.resource(RedisMirror.class, "sentinel_advance.lua");
  private static final LuaScript SWAP = LuaScript.resource(RedisMirror.class, "sentinel_swap.lua");

  private final Redis redis;
  private final RedisAPI api;
  private Db db;
  private final boolean configured;
  private final String node;
  private final Consumer<JsonObject> publish;
  private final SecureRandom random = new SecureRandom();

  /** The sentinel value last read (null: absent or unreadable). */
  private String current;
  /** The sentinel value known to be in step: verified against PostgreSQL, or set here. */
  private String known;
  private long knownGeneration = -1;
  /** A value seen once behind PostgreSQL's generation: a second sighting restores. */
  private String suspect;
  private long pgGeneration = -1;
  /** Why a restore waits, or null. */
  private String pending;

  private final Deque<Change> feed = new ArrayDeque<>();
  private long feedDropped;
  private boolean everSeen;
  private boolean recovering;
  private boolean reconciling;
  private boolean draining;
  private boolean redisDown;
  private boolean closed;
  private long rows = -1;
  private long restores;
  private long skippedTokens;
  private JsonObject lastRestore;
  private BigDecimal lastReconcile;
  private long lastPendingLog;
  private long lastFeedLog;
  private long lastDropLog;

  /**
   * @param db         the mirror's database once reached, or null (then {@link #attach} later)
   * @param configured a mirror is configured ({@code IPTV_PG_URL} set): Redis is never marked
   *                   complete without it; false: Redis loss is only detected and logged
   * @param publish    where restore events go (the event bus)
   */
  public RedisMirror(Redis redis, Db db, boolean configured, String node, Consumer<JsonObject> publish) {
    this.redis = redis;
    this.api = RedisAPI.api(redis);
    this.db = db;
    this.configured = configured || db != null;
    this.node = node;
    this.publish = publish;
  }

  /** PostgreSQL became reachable after start: from now on the mirror is fed and can restore. */
  public void attach(Db db) {
    this.db = db;
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
    return sentinel().transform(ar -> {
      if (ar.failed()) {
        if (!redisDown) {
          log.warn("mirror: Redis unreachable ({}); watching for its return", ar.cause().getMessage());
          redisDown = true;
        }
        current = null;
        return Future.succeededFuture();
      }
      if (redisDown) {
        log.info("mirror: Redis reachable again");
        redisDown = false;
      }
      String value = ar.result();
      current = value;
      if (value == null) {
        return recover(false, null);
      }
      if (!MirrorContract.inStep(value)) {
        return recover(configured, value); // an interrupted replace: again
      }
      everSeen = true;
      if (value.equals(known) || db == null) {
        // db null: no generation to compare with yet; verified once PostgreSQL answers.
        pending = null;
        return Future.succeededFuture();
      }
      return generation().compose(gp -> {
        long gr = MirrorContract.generation(value);
        if (gr >= gp) {
          known = value;
          knownGeneration = gr;
          suspect = null;
          pending = null;
          return Future.succeededFuture();
        }
        if (value.equals(suspect)) {
          log.warn("mirror: Redis carries generation {} but PostgreSQL has synced {}: Redis restarted from an older"
            + " snapshot; bringing it to PostgreSQL's state", gr, gp);
          return recover(true, value);
        }
        suspect = value; // another monitor may be between its commit and its sentinel update: look again
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
    if (db == null) {
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
    long started = System.currentTimeMillis();
    return redis.send(Request.cmd(Command.SET).arg(MirrorContract.RESTORE_LOCK).arg(node).arg("NX").arg("PX").arg(120_000))
      .compose(locked -> {
        if (locked == null) {
          return Future.succeededFuture(); // another monitor restores; its sentinel will show
        }
        Future<Boolean> marked = replace && MirrorContract.inStep(stale)
          ? SWAP.run(api, List.of(MirrorContract.SENTINEL), List.of(stale, MirrorContract.restoring(node, nonce())))
            .map(r -> Rx.longOr(r, 0) == 1)
          : Future.succeededFuture(true);
        return marked.compose(ok -> {
          if (!ok) {
            return Future.<Void>succeededFuture(); // the sentinel changed meanwhile: look again
          }
          return generation().compose(gp -> new MirrorRestore(redis, db, replace).run()
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
    JsonObject event = new RedisRestored(node, r.written(), r.removed(), replace ? RedisRestored.REPLACE : RedisRestored.FILL,
      generation, ms, Epoch.now()).toJson();
    lastRestore = event;
    publish.accept(event);
  }

  private Future<Void> setSentinel(long generation) {
    String value = MirrorContract.value(generation, node, nonce());
    return redis.send(Request.cmd(Command.SET).arg(MirrorContract.SENTINEL).arg(value)).map(r -> {
      current = value;
      known = value;
      knownGeneration = generation;
      suspect = null;
      pending = null;
      return null;
    });
  }

  /** Moves the sentinel to {@code generation} after a synced change, only while Redis is in step. */
  private Future<Void> advanceSentinel(long generation) {
    String value = MirrorContract.value(generation, node, nonce());
    return ADVANCE.run(api, List.of(MirrorContract.SENTINEL),
        List.of(Long.toString(generation - 1), value, Long.toString(generation)))
      .map(r -> {
        if (Rx.longOr(r, 0) == 1) {
          current = value;
          known = value;
          knownGeneration = generation;
        }
        return null;
      });
  }

  private Future<Long> generation() {
    return db.pool().query(MirrorSql.GENERATION).execute().map(rs -> {
      pgGeneration = rs.iterator().next().getLong("generation");
      return pgGeneration;
    });
  }

  private String nonce() {
    byte[] raw = new byte[6];
    random.nextBytes(raw);
    return HexFormat.of().formatHex(raw);
  }

  private void logPending(String why) {
    pending = why;
    long now = System.currentTimeMillis();
    if (now - lastPendingLog > LOG_EVERY_MS) {
      lastPendingLog = now;
      log.error("mirror: {}", why);
    }
  }

  // --- feed ------------------------------------------------------------------------------------

  /** One change event: the keys it names, those it saw deleted, and a deleted user. */
  private record Change(List<String> keys, Set<String> deleted, String deletedUser) {
  }

  /** {@link AuthContract#USERS_CHANGED} ({@link UserChanged}); a message that is not one is ignored. */
  public Future<Void> usersChanged(JsonObject m) {
    UserChanged change;
    try {
      change = UserChanged.fromJson(m);
    } catch (BadMessage e) {
      return Future.succeededFuture();
    }
    boolean deleted = change.action() == ChangeAction.DELETED;
    String user = change.username() == null ? null : AuthContract.userKey(change.username());
    String username = AuthContract.isUserKey(user) ? change.username() : null;
    List<String> keys = new ArrayList<>();
    Set<String> gone = new HashSet<>();
    if (username != null) {
      keys.add(user);
      if (deleted) {
        gone.add(user);
      }
    }
    String token = change.token() == null ? null : AuthContract.tokenKey(change.token());
    if (AuthContract.isTokenKey(token)) {
      keys.add(token);
      if (deleted) {
        gone.add(token);
      }
    }
    String retired = change.oldToken() == null ? null : AuthContract.tokenKey(change.oldToken());
    if (AuthContract.isTokenKey(retired)) {
      keys.add(retired); // retired by this update
      gone.add(retired);
    }
    return enqueue(new Change(keys, gone, deleted ? username : null));
  }

  /** {@link ChannelContract#CHANNELS_CHANGED} ({@link ChannelChanged}); a message that is not one is ignored. */
  public Future<Void> channelsChanged(JsonObject m) {
    ChannelChanged change;
    try {
      change = ChannelChanged.fromJson(m);
    } catch (BadMessage e) {
      return Future.succeededFuture();
    }
    String key = ChannelContract.channelKey(change.channelId());
    return enqueue(new Change(List.of(key), change.action() == ChangeAction.DELETED ? Set.of(key) : Set.of(), null));
  }

  private Future<Void> enqueue(Change c) {
    if (!configured || c.keys().isEmpty()) {
      return Future.succeededFuture();
    }
    feed.addLast(c);
    while (feed.size() > FEED_MAX) {
      feed.pollFirst();
      feedDropped++;
      long now = System.currentTimeMillis();
      if (now - lastDropLog > LOG_EVERY_MS) {
        lastDropLog = now;
        log.error("mirror: {} changes wait for PostgreSQL: the oldest are dropped ({} so far; the reconciliation"
          + " catches their writes, not their deletions)", FEED_MAX, feedDropped);
      }
    }
    return drain();
  }

  /**
   * Syncs queued changes in order, a batch at a time; a failed batch goes back to the front (and is
   * logged here). Never fails.
   */
  private Future<Void> drain() {
    if (draining || recovering || db == null || feed.isEmpty()) {
      return Future.succeededFuture();
    }
    draining = true;
    List<Change> batch = new ArrayList<>();
    while (!feed.isEmpty() && batch.size() < CHUNK) {
      batch.add(feed.pollFirst());
    }
    return sync(batch).transform(ar -> {
      draining = false;
      if (ar.failed()) {
        for (int i = batch.size() - 1; i >= 0; i--) {
          feed.addFirst(batch.get(i));
        }
        long now = System.currentTimeMillis();
        if (now - lastFeedLog > LOG_EVERY_MS && !closed) {
          lastFeedLog = now;
          log.warn("mirror: cannot sync {} changes into PostgreSQL (kept, retried every second): {}", feed.size(),
            ar.cause().toString());
        }
        return Future.succeededFuture();
      }
      return drain();
    });
  }

  private Future<Void> sync(List<Change> batch) {
    Set<String> ordered = new LinkedHashSet<>();
    Set<String> deleted = new HashSet<>();
    Set<String> deletedUsers = new LinkedHashSet<>();
    for (Change c : batch) {
      ordered.addAll(c.keys());
      deleted.addAll(c.deleted());
      if (c.deletedUser() != null) {
        deletedUsers.add(c.deletedUser());
      }
    }
    List<String> keys = new ArrayList<>(ordered);
    return read(keys).compose(values -> {
      List<Tuple> upserts = new ArrayList<>();
      List<Tuple> deletes = new ArrayList<>();
      List<String> dropTokensOf = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        String key = keys.get(i);
        Stored v = values.get(i);
        if (v != null) {
          upserts.add(Tuple.of(key, v.value(), v.expiresAt(), owner(key, v.value())));
        } else if (deleted.contains(key)) {
          deletes.add(Tuple.of(key));
        }
      }
      for (String u : deletedUsers) {
        if (values.get(keys.indexOf(AuthContract.userKey(u))) == null) {
          dropTokensOf.add(u);
        }
      }
      if (upserts.isEmpty() && deletes.isEmpty() && dropTokensOf.isEmpty()) {
        return Future.succeededFuture();
      }
      long redisGeneration = Math.max(0, knownGeneration);
      return db.pool().withTransaction(conn -> {
        Future<?> f = upserts.isEmpty() ? Future.succeededFuture()
          : conn.preparedQuery(MirrorSql.UPSERT).executeBatch(upserts);
        if (!deletes.isEmpty()) {
          f = f.compose(r -> conn.preparedQuery(MirrorSql.DELETE).executeBatch(deletes));
        }
        for (String u : dropTokensOf) {
          f = f.compose(r -> conn.preparedQuery(MirrorSql.DELETE_TOKENS_OF).execute(Tuple.of(u)));
        }
        return f.compose(r -> advance(conn, redisGeneration));
      }).compose(this::advanceSentinel);
    });
  }

  /** One more generation, and the row count health shows (true between reconciliations). */
  private Future<Long> advance(SqlConnection conn, long redisGeneration) {
    return conn.preparedQuery(MirrorSql.ADVANCE).execute(Tuple.of(redisGeneration)).compose(g -> {
      long generation = g.iterator().next().getLong("generation");
      return conn.query(MirrorSql.COUNT).execute().map(count -> {
        rows = count.iterator().next().getLong("n");
        pgGeneration = generation;
        return generation;
      });
    });
  }

  // --- reconciliation --------------------------------------------------------------------------

  /**
   * Brings the copy in line with an in-step Redis: upserts what differs, drops rows whose TTL has
   * passed; returns {upserted, expired rows dropped}, or null when skipped (Redis lost its data, is
   * older than the copy, or changed under the scan).
   */
  public Future<long[]> reconcile() {
    if (db == null || recovering || reconciling) {
      return Future.succeededFuture(null);
    }
    reconciling = true;
    long t0 = System.currentTimeMillis();
    return sentinel().compose(before -> {
      if (!MirrorContract.inStep(before)) {
        return Future.<long[]>succeededFuture(null);
      }
      long gr = MirrorContract.generation(before);
      return generation().compose(gp -> {
        if (gr < gp) {
          return Future.<long[]>succeededFuture(null); // older Redis: detection restores it first
        }
        return index().compose(mirror -> scanMirrored().compose(keys -> compare(keys, mirror)))
          .compose(changed -> sentinel().compose(after -> {
            if (!MirrorContract.inStep(after) || MirrorContract.generation(after) < gr) {
              return Future.<long[]>succeededFuture(null); // emptied or replaced under the scan
            }
            long redisGeneration = MirrorContract.generation(after);
            return db.pool().withTransaction(conn -> {
              Future<?> f = changed.upserts.isEmpty() ? Future.succeededFuture()
                : conn.preparedQuery(MirrorSql.UPSERT).executeBatch(changed.upserts);
              return f.compose(r -> conn.query(MirrorSql.DELETE_EXPIRED).execute()).compose(expired -> {
                Future<Long> advanced = changed.upserts.isEmpty() ? Future.succeededFuture(-1L)
                  : advance(conn, redisGeneration);
                return advanced.compose(g -> conn.query(MirrorSql.COUNT).execute().map(count -> {
                  rows = count.iterator().next().getLong("n");
                  return new long[] {changed.upserts.size(), expired.rowCount(), g};
                }));
              });
            }).compose(r -> (r[2] >= 0 ? advanceSentinel(r[2]) : Future.<Void>succeededFuture()).map(v -> {
              lastReconcile = Epoch.now();
              long ms = System.currentTimeMillis() - t0;
              if (r[0] > 0 || r[1] > 0) {
                log.info("mirror: reconciled {} keys with Redis in {} ms: {} written, {} expired rows dropped",
                  changed.seen.size(), ms, r[0], r[1]);
              } else {
                log.debug("mirror: {} keys in step with Redis ({} ms)", changed.seen.size(), ms);
              }
              return new long[] {r[0], r[1]};
            }));
          }));
      });
    }).onComplete(ar -> {
      reconciling = false;
      if (ar.failed() && !closed) {
        log.warn("mirror: reconciliation failed: {}", ar.cause().toString());
      }
    });
  }

  private record Mirrored(String hash, Long expiresMillis) {
  }

  private static final class Changes {
    final Set<String> seen = new HashSet<>();
    final List<Tuple> upserts = new ArrayList<>();
  }

  private Future<Map<String, Mirrored>> index() {
    return db.pool().query(MirrorSql.INDEX).execute().map(rowsSet -> {
      Map<String, Mirrored> out = new HashMap<>(Math.max(16, rowsSet.size() * 2));
      for (Row r : rowsSet) {
        OffsetDateTime e = r.getOffsetDateTime("expires_at");
        out.put(r.getString("key"), new Mirrored(r.getString("hash"), e == null ? null : e.toInstant().toEpochMilli()));
      }
      return out;
    });
  }

  private Future<List<String>> scanMirrored() {
    List<String> keys = new ArrayList<>();
    return scanStrings(AuthContract.USER_SCAN, AuthContract::isUserKey, keys)
      .compose(v -> scanStrings(AuthContract.TOKEN_SCAN, AuthContract::isTokenKey, keys))
      .compose(v -> scanStrings(ChannelContract.CHANNEL_SCAN, ChannelContract::isChannelKey, keys))
      .map(v -> keys);
  }

  private Future<Void> scanStrings(String pattern, Predicate<String> exact, List<String> out) {
    return scanFrom("0", pattern, exact, new HashSet<>(), out);
  }

  private Future<Void> scanFrom(String cursor, String pattern, Predicate<String> exact, Set<String> dedupe,
                                List<String> out) {
    return redis.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(Rx.SCAN_COUNT)
        .arg("TYPE").arg("string"))
      .compose(reply -> {
        for (Response k : reply.get(1)) {
          String key = k.toString();
          if (exact.test(key) && dedupe.add(key)) {
            out.add(key);
          }
        }
        String next = reply.get(0).toString();
        return "0".equals(next) ? Future.succeededFuture() : scanFrom(next, pattern, exact, dedupe, out);
      });
  }

  private Future<Changes> compare(List<String> keys, Map<String, Mirrored> mirror) {
    Changes changes = new Changes();
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < keys.size(); i += CHUNK) {
      List<String> chunk = keys.subList(i, Math.min(keys.size(), i + CHUNK));
      chain = chain.compose(v -> read(chunk).map(values -> {
        for (int j = 0; j < chunk.size(); j++) {
          Stored s = values.get(j);
          if (s == null) {
            continue; // gone between SCAN and GET
          }
          String key = chunk.get(j);
          changes.seen.add(key);
          Mirrored m = mirror.get(key);
          Long exp = s.expiresAt() == null ? null : s.expiresAt().toInstant().toEpochMilli();
          boolean same = m != null && m.hash().equals(md5(s.value()))
            && (m.expiresMillis() == null ? exp == null : exp != null && Math.abs(m.expiresMillis() - exp) <= 2000);
          if (!same) {
            changes.upserts.add(Tuple.of(key, s.value(), s.expiresAt(), owner(key, s.value())));
          }
        }
        return null;
      }));
    }
    return chain.map(v -> changes);
  }

  // --- Redis reads -----------------------------------------------------------------------------

  /** A key's value and the end of its TTL (null: none). */
  record Stored(String value, OffsetDateTime expiresAt) {
  }

  /** GET and PTTL of each key, in one pipeline; null where the key is missing. */
  private Future<List<Stored>> read(List<String> keys) {
    List<Request> requests = new ArrayList<>(keys.size() * 2);
    for (String k : keys) {
      requests.add(Request.cmd(Command.GET).arg(k));
      requests.add(Request.cmd(Command.PTTL).arg(k));
    }
    long now = System.currentTimeMillis();
    return redis.batch(requests).map(replies -> {
      List<Stored> out = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        String value = Rx.str(replies.get(2 * i));
        long pttl = Rx.longOr(replies.get(2 * i + 1), -1);
        out.add(value == null ? null
          : new Stored(value, pttl > 0 ? Instant.ofEpochMilli(now + pttl).atOffset(ZoneOffset.UTC) : null));
      }
      return out;
    });
  }

  private Future<String> sentinel() {
    return redis.send(Request.cmd(Command.GET).arg(MirrorContract.SENTINEL)).map(Rx::str);
  }

  // --- helpers ---------------------------------------------------------------------------------

  /** A key the mirror copies: a user, a token or a channel ({@link AuthContract}, {@link ChannelContract}). */
  static boolean mirrored(String key) {
    return AuthContract.isUserKey(key) || AuthContract.isTokenKey(key) || ChannelContract.isChannelKey(key);
  }

  /** The username a user or token row belongs to. */
  static String owner(String key, String value) {
    if (key.startsWith(AuthContract.USER_PREFIX)) {
      return key.substring(AuthContract.USER_PREFIX.length());
    }
    if (key.startsWith(AuthContract.TOKEN_PREFIX)) {
      try {
        Object u = new JsonObject(value).getValue(UserSchema.USERNAME);
        return u instanceof String s ? s : null;
      } catch (DecodeException | ClassCastException e) {
        return null;
      }
    }
    return null;
  }

  static String md5(String value) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
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

  /** For health and the dashboard. */
  public JsonObject status() {
    JsonObject o = new JsonObject().put("enabled", db != null).put("configured", configured)
      .put("sentinel", MirrorContract.inStep(current)).put("restores", restores);
    if (knownGeneration >= 0) {
      o.put("generation", knownGeneration);
    }
    if (pgGeneration >= 0) {
      o.put("postgresql_generation", pgGeneration);
    }
    if (pending != null) {
      o.put("pending", pending);
    }
    if (rows >= 0) {
      o.put("keys", rows);
    }
    if (!feed.isEmpty()) {
      o.put("queued_changes", feed.size());
    }
    if (skippedTokens > 0) {
      o.put("skipped_tokens", skippedTokens);
    }
    if (lastReconcile != null) {
      o.put("last_reconcile", lastReconcile);
    }
    if (lastRestore != null) {
      o.put("last_restore", lastRestore.copy());
    }
    return o;
  }

  public long restores() {
    return restores;
  }

  public long rows() {
    return Math.max(rows, 0);
  }
}
