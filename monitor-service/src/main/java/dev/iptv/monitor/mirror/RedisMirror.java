package dev.iptv.monitor.mirror;

import dev.iptv.common.Epoch;
import dev.iptv.common.Keys;
import dev.iptv.common.MonitorKeys;
import dev.iptv.monitor.Rx;
import dev.iptv.monitor.pg.Db;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Row;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Nothing lost when Redis loses its data: a durable copy of what the panel synced, in PostgreSQL
 * ({@code synced_keys}), put back into Redis when Redis comes back empty.
 *
 * <p><b>Feed.</b> On {@code USERS_CHANGED} and {@code CHANNELS_CHANGED} the named keys are read
 * from Redis and their rows upserted, or deleted when the key is gone (a deleted user also drops its
 * tokens' rows). A full reconciliation (SCAN of {@code user:*}, {@code token:*}, {@code channel:*})
 * every {@code IPTV_MIRROR_RECONCILE_S} catches edits made with redis-cli.
 *
 * <p><b>Detection.</b> {@code iptv:sentinel} is set when the mirror is in step with Redis and read
 * every second: gone (FLUSHALL, a restart without persistence, a new empty Redis) means Redis lost
 * its data. A reconnect after Redis was away is noticed by the same read.
 *
 * <p><b>Recovery.</b> Every live row is written back ({@code SET ... NX}, so nothing written since
 * is overwritten; tokens with {@code PX} to the same end of life), {@code users:all} and
 * {@code channels:all} rebuilt from the user and channel rows, then the sentinel is set again, an
 * event published and a warning logged. One instance restores at a time ({@code iptv:restore:lock}).
 *
 * <p><b>Safety.</b> The mirror never deletes a row because a key is missing unless the sentinel was
 * present, and the same, before and after the read: a Redis that lost its data must not empty the
 * copy that restores it. Runs on the verticle's event loop.
 */
public final class RedisMirror {

  private static final Logger log = LoggerFactory.getLogger(RedisMirror.class);

  static final Pattern USER_KEY = Pattern.compile("user:[A-Za-z0-9_.@-]{1,64}");
  static final Pattern TOKEN_KEY = Pattern.compile("token:[0-9A-Fa-f]{32,128}");
  static final Pattern CHANNEL_KEY = Pattern.compile("channel:\\d{1,20}");
  static final String RESTORE_LOCK = "iptv:restore:lock";
  private static final int CHUNK = 500;

  private final Redis redis;
  private Db db;
  private final String node;
  private final Consumer<JsonObject> publish;
  private final SecureRandom random = new SecureRandom();

  private String generation;
  private boolean everSeen;
  private boolean recovering;
  private boolean reconciling;
  private boolean redisDown;
  private long rows = -1;
  private long restores;
  private JsonObject lastRestore;
  private BigDecimal lastReconcile;
  private long lastRecoverError;
  private boolean closed;

  /**
   * @param db      the mirror's database, or null: then Redis loss is only detected and logged
   * @param publish where restore events go (the event bus)
   */
  public RedisMirror(Redis redis, Db db, String node, Consumer<JsonObject> publish) {
    this.redis = redis;
    this.db = db;
    this.node = node;
    this.publish = publish;
  }

  /** PostgreSQL became reachable after start: from now on the mirror is fed and can restore. */
  public void attach(Db db) {
    this.db = db;
  }

  // --- detection -------------------------------------------------------------------------------

  /** Reads the sentinel; restores when it is gone. Called every second, and once at start. */
  public Future<Void> check() {
    if (recovering) {
      return Future.succeededFuture();
    }
    return redis.send(Request.cmd(Command.GET).arg(MonitorKeys.SENTINEL))
      .transform(ar -> {
        if (ar.failed()) {
          if (!redisDown) {
            log.warn("mirror: Redis unreachable ({}); watching for its return", ar.cause().getMessage());
            redisDown = true;
          }
          generation = null;
          return Future.succeededFuture();
        }
        if (redisDown) {
          log.info("mirror: Redis reachable again");
          redisDown = false;
        }
        String value = Rx.str(ar.result());
        if (value != null) {
          generation = value;
          everSeen = true;
          return Future.succeededFuture();
        }
        generation = null;
        return recover();
      });
  }

  private Future<Void> recover() {
    recovering = true;
    long started = System.currentTimeMillis();
    return redis.send(Request.cmd(Command.SET).arg(RESTORE_LOCK).arg(node).arg("NX").arg("PX").arg(120_000))
      .compose(locked -> {
        if (locked == null) {
          return Future.succeededFuture(); // another monitor restores; its sentinel will show
        }
        Future<Long> restored = db == null ? Future.succeededFuture(0L) : restoreAll();
        return restored.compose(n -> setSentinel().compose(v -> redis.send(Request.cmd(Command.DEL).arg(RESTORE_LOCK)))
          .map(r -> {
            report(n, System.currentTimeMillis() - started);
            return (Void) null;
          }))
          .onFailure(err -> redis.send(Request.cmd(Command.DEL).arg(RESTORE_LOCK)));
      })
      .recover(err -> {
        long now = System.currentTimeMillis();
        if (now - lastRecoverError > 60_000) {
          lastRecoverError = now;
          log.error("mirror: Redis lost its data and restoring it failed (retried every second): {}", err.toString());
        }
        return Future.succeededFuture();
      })
      .onComplete(ar -> recovering = false);
  }

  private void report(long restored, long ms) {
    boolean lost = everSeen || restored > 0;
    if (db == null) {
      if (everSeen) {
        log.warn("mirror: Redis lost its data and nothing can restore it: IPTV_PG_URL is unset");
      }
    } else if (lost) {
      restores++;
      log.warn("mirror: Redis had lost its data: restored {} keys from PostgreSQL in {} ms", restored, ms);
    } else {
      log.info("mirror: Redis sentinel set; nothing to restore");
    }
    everSeen = true;
    if (lost) {
      JsonObject event = new JsonObject().put("event", "redis_restored").put("node", node).put("keys", restored)
        .put("duration_ms", ms).put("ts", Epoch.now());
      lastRestore = event;
      publish.accept(event);
    }
  }

  private Future<Void> setSentinel() {
    byte[] raw = new byte[8];
    random.nextBytes(raw);
    String value = node + ":" + HexFormat.of().formatHex(raw) + ":" + System.currentTimeMillis() / 1000;
    return redis.send(Request.cmd(Command.SET).arg(MonitorKeys.SENTINEL).arg(value)).map(r -> {
      generation = value;
      return null;
    });
  }

  private Future<Long> restoreAll() {
    return restorePage("", 0L);
  }

  private Future<Long> restorePage(String after, long done) {
    return db.pool().preparedQuery(MirrorSql.PAGE).execute(Tuple.of(after, CHUNK)).compose(page -> {
      if (page.size() == 0) {
        return Future.succeededFuture(done);
      }
      long now = System.currentTimeMillis();
      List<Request> writes = new ArrayList<>();
      String last = after;
      for (Row row : page) {
        String key = row.getString("key");
        last = key;
        Request set = Request.cmd(Command.SET).arg(key).arg(row.getString("value")).arg("NX");
        OffsetDateTime expires = row.getOffsetDateTime("expires_at");
        if (expires != null) {
          long ms = expires.toInstant().toEpochMilli() - now;
          if (ms <= 0) {
            continue;
          }
          set.arg("PX").arg(ms);
        }
        writes.add(set);
        if (key.startsWith("user:")) {
          writes.add(Request.cmd(Command.SADD).arg(Keys.USERS_ALL).arg(key.substring(5)));
        } else if (key.startsWith("channel:")) {
          writes.add(Request.cmd(Command.SADD).arg(Keys.CHANNELS_ALL).arg(key.substring(8)));
        }
      }
      String next = last;
      int size = page.size();
      Future<List<Response>> sent = writes.isEmpty() ? Future.succeededFuture(List.of()) : redis.batch(writes);
      return sent.compose(replies -> {
        long n = done;
        for (int i = 0; i < replies.size(); i++) {
          if (writes.get(i).command() == Command.SET && replies.get(i) != null) {
            n++;
          }
        }
        return size < CHUNK ? Future.succeededFuture(n) : restorePage(next, n);
      });
    });
  }

  // --- feed ------------------------------------------------------------------------------------

  /** {@code USERS_CHANGED}: {@code {"username","token","old_token",...}}. */
  public Future<Void> usersChanged(JsonObject m) {
    List<String> keys = new ArrayList<>();
    String username = m.getValue("username") instanceof String s ? s : null;
    if (username != null) {
      keys.add(Keys.user(username));
    }
    for (String field : List.of("token", "old_token")) {
      if (m.getValue(field) instanceof String t && !t.isEmpty()) {
        keys.add(Keys.token(t));
      }
    }
    return sync(keys, username);
  }

  /** {@code CHANNELS_CHANGED}: {@code {"channel_id","action","is_active"}}. */
  public Future<Void> channelsChanged(JsonObject m) {
    Object id = m.getValue("channel_id");
    return id == null ? Future.succeededFuture() : sync(List.of(Keys.channel(id.toString())), null);
  }

  private Future<Void> sync(List<String> candidates, String username) {
    if (db == null) {
      return Future.succeededFuture();
    }
    List<String> keys = candidates.stream().filter(RedisMirror::mirrored).distinct().toList();
    if (keys.isEmpty()) {
      return Future.succeededFuture();
    }
    return sentinel().compose(before -> read(keys).compose(values -> sentinel().compose(after -> {
      boolean stable = before != null && before.equals(after);
      List<Tuple> upserts = new ArrayList<>();
      List<Tuple> deletes = new ArrayList<>();
      boolean userGone = false;
      for (int i = 0; i < keys.size(); i++) {
        Stored v = values.get(i);
        if (v != null) {
          upserts.add(Tuple.of(keys.get(i), v.value(), v.expiresAt(), owner(keys.get(i), v.value())));
        } else if (stable) {
          deletes.add(Tuple.of(keys.get(i)));
          userGone |= username != null && keys.get(i).equals(Keys.user(username));
        }
      }
      if (!stable && before == null) {
        check(); // the sentinel is gone: restore first; the reconciliation after it catches up
      }
      boolean dropTokens = userGone;
      return db.pool().withTransaction(conn -> {
        Future<?> f = upserts.isEmpty() ? Future.succeededFuture()
          : conn.preparedQuery(MirrorSql.UPSERT).executeBatch(upserts);
        if (!deletes.isEmpty()) {
          f = f.compose(r -> conn.preparedQuery(MirrorSql.DELETE).executeBatch(deletes));
        }
        if (dropTokens) {
          f = f.compose(r -> conn.preparedQuery(MirrorSql.DELETE_TOKENS_OF).execute(Tuple.of(username)));
        }
        // The count health shows stays true between reconciliations (panel writes are rare).
        return f.compose(r -> conn.query(MirrorSql.COUNT).execute());
      }).map(count -> {
        rows = count.iterator().next().getLong("n");
        return null;
      });
    })));
  }

  // --- reconciliation --------------------------------------------------------------------------

  /** Brings the mirror in line with Redis; returns {upserted, deleted}, or null when skipped. */
  public Future<long[]> reconcile() {
    if (db == null || recovering || reconciling) {
      return Future.succeededFuture(null);
    }
    reconciling = true;
    long t0 = System.currentTimeMillis();
    return sentinel().compose(before -> {
      if (before == null) {
        return Future.<long[]>succeededFuture(null);
      }
      return db.pool().query(MirrorSql.NOW).execute().compose(nowRows -> {
        OffsetDateTime scanStart = nowRows.iterator().next().getOffsetDateTime("now");
        return index().compose(mirror -> scanMirrored().compose(keys -> compare(keys, mirror))
          .compose(changed -> sentinel().compose(after -> {
            List<Tuple> deletes = new ArrayList<>();
            if (before.equals(after)) {
              for (String key : mirror.keySet()) {
                if (!changed.seen.contains(key)) {
                  deletes.add(Tuple.of(key, scanStart));
                }
              }
            }
            return db.pool().withTransaction(conn -> {
              Future<?> f = changed.upserts.isEmpty() ? Future.succeededFuture()
                : conn.preparedQuery(MirrorSql.UPSERT).executeBatch(changed.upserts);
              if (!deletes.isEmpty()) {
                f = f.compose(r -> conn.preparedQuery(MirrorSql.DELETE_UNSEEN).executeBatch(deletes));
              }
              return f.compose(r -> conn.query(MirrorSql.DELETE_EXPIRED).execute())
                .compose(r -> conn.query(MirrorSql.COUNT).execute());
            }).map(count -> {
              rows = count.iterator().next().getLong("n");
              lastReconcile = Epoch.now();
              long ms = System.currentTimeMillis() - t0;
              if (!changed.upserts.isEmpty() || !deletes.isEmpty()) {
                log.info("mirror: reconciled {} keys with Redis in {} ms: {} written, {} deleted", changed.seen.size(), ms,
                  changed.upserts.size(), deletes.size());
              } else {
                log.debug("mirror: {} keys in step with Redis ({} ms)", changed.seen.size(), ms);
              }
              return new long[] {changed.upserts.size(), deletes.size()};
            });
          })));
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
    return scanStrings("user:*", USER_KEY, keys)
      .compose(v -> scanStrings("token:*", TOKEN_KEY, keys))
      .compose(v -> scanStrings("channel:*", CHANNEL_KEY, keys))
      .map(v -> keys);
  }

  private Future<Void> scanStrings(String pattern, Pattern exact, List<String> out) {
    return scanFrom("0", pattern, exact, new HashSet<>(), out);
  }

  private Future<Void> scanFrom(String cursor, String pattern, Pattern exact, Set<String> dedupe, List<String> out) {
    return redis.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(Rx.SCAN_COUNT)
        .arg("TYPE").arg("string"))
      .compose(reply -> {
        for (Response k : reply.get(1)) {
          String key = k.toString();
          if (exact.matcher(key).matches() && dedupe.add(key)) {
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
            continue; // gone between SCAN and GET: the next round decides
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
    return redis.send(Request.cmd(Command.GET).arg(MonitorKeys.SENTINEL)).map(Rx::str);
  }

  // --- helpers ---------------------------------------------------------------------------------

  static boolean mirrored(String key) {
    return USER_KEY.matcher(key).matches() || TOKEN_KEY.matcher(key).matches() || CHANNEL_KEY.matcher(key).matches();
  }

  /** The username a user or token row belongs to. */
  static String owner(String key, String value) {
    if (key.startsWith("user:")) {
      return key.substring(5);
    }
    if (key.startsWith("token:")) {
      try {
        Object u = new JsonObject(value).getValue("username");
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

  /** The service stops: work in flight may fail quietly. */
  public void close() {
    closed = true;
  }

  /** For health and the dashboard. */
  public JsonObject status() {
    JsonObject o = new JsonObject().put("enabled", db != null).put("sentinel", generation != null)
      .put("restores", restores);
    if (rows >= 0) {
      o.put("keys", rows);
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
