package dev.iptv.mirror;

import dev.iptv.common.Config;
import dev.iptv.common.RedisSupport;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MirrorContract;
import dev.iptv.pg.Db;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.redis.client.Redis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * mirror-service: the durability of the panel's data. Users, tokens and channels are copied into
 * PostgreSQL as the panel syncs them, and put back into Redis when Redis loses them or comes back
 * from an older snapshot ({@link RedisMirror}); {@code iptv:sentinel} tells auth-service and
 * playlist-service whether Redis holds the panel's data ({@link MirrorContract}).
 *
 * <p>No HTTP routes: it follows {@code iptv.users.changed} and {@code iptv.channels.changed},
 * publishes {@code iptv.mirror.events} and answers {@code iptv.mirror.status} (shown by
 * monitor-service's health and dashboard). Periodic work: the sentinel checked every second (a
 * restore when needed, then the queued changes synced), the reconciliation every
 * {@code IPTV_MIRROR_RECONCILE_S}; PostgreSQL away at start is retried every
 * {@value #PG_RETRY_PENDING_MS} ms until reached (every {@value #PG_RETRY_MS} ms once running with no
 * restore waiting for it). Everything runs on this verticle's event loop.
 */
public class MirrorVerticle extends ServiceVerticle {

  private static final Logger log = LoggerFactory.getLogger(MirrorVerticle.class);

  /** The PostgreSQL schema migrations of the copy ({@code db/migrations/mirror/}). */
  public static final String MIGRATIONS = "mirror";
  static final long CHECK_MS = 1000;
  static final long PG_RETRY_MS = 10_000;
  /** PostgreSQL retried this often while a restore of Redis waits for it. */
  static final long PG_RETRY_PENDING_MS = 2_000;
  /** An orderly stop syncs the queued changes for at most this long. */
  static final long STOP_DEADLINE_MS = 10_000;

  private MirrorSettings settings;
  private Redis redis;
  private Db db;
  private RedisMirror mirror;
  private final List<Long> timers = new ArrayList<>();
  private boolean started;
  private long lastPgLog;

  @Override
  public String name() {
    return "mirror-service";
  }

  @Override
  protected Future<?> setUp() {
    try {
      settings = MirrorSettings.from(config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    redis = RedisSupport.client(vertx, settings.redisUrl());
    return vertx.executeBlocking(() -> Config.effective(config(), Config.NODE_NAME), false).compose(node -> {
      mirror = new RedisMirror(redis, null, settings.pgUrl() != null, node,
        event -> vertx.eventBus().publish(MirrorContract.EVENTS, event));
      return Future.join(connect(), consumers()).map(node);
    }).compose(node -> mirror.check().onComplete(ar -> mirror.reconcile()).map(node)).map(node -> {
      started = true;
      timers.add(vertx.setPeriodic(CHECK_MS, id -> mirror.check()));
      timers.add(vertx.setPeriodic(settings.reconcileMs(), id -> mirror.reconcile()));
      log.info("mirror-service ready on node {} (copy {})", node,
        db == null ? "off: " + Config.PG_URL + " is not set" : mirror.status().enabled() ? "on: " + db.where()
          : "waiting for PostgreSQL " + db.where());
      return null;
    });
  }

  /** No routes: the event bus is its interface. */
  @Override
  protected void routes(Router router) {
  }

  /** The copy on when IPTV_PG_URL is set: migrations at start, retried while PostgreSQL is away. */
  private Future<Void> connect() {
    if (settings.pgUrl() == null) {
      log.warn("{} is not set: restoring Redis after it loses its data is off", Config.PG_URL);
      return Future.succeededFuture();
    }
    db = Db.create(vertx, settings.pgUrl(), settings.pgSchema(), "iptv-mirror");
    return migrate();
  }

  private Future<Void> migrate() {
    return db.migrate(MIGRATIONS)
      .<Void>map(version -> {
        log.info("mirror: the copy is on: PostgreSQL {} at schema version {}", db.where(), version);
        mirror.attach(db);
        if (started) { // PostgreSQL came after start: a restore may wait for it
          mirror.check().onComplete(ar -> mirror.reconcile());
        }
        return null;
      })
      .recover(err -> {
        // Quick while a restore of Redis may wait for it (at start, before the first check: maybe).
        long retry = mirror.pending() || !started ? PG_RETRY_PENDING_MS : PG_RETRY_MS;
        long now = System.currentTimeMillis();
        if (now - lastPgLog > 60_000) {
          lastPgLog = now;
          log.warn("mirror: PostgreSQL {} not reached yet: {}; retrying every {} s", db.where(), err.getMessage(),
            retry / 1000);
        }
        timers.add(vertx.setTimer(retry, id -> migrate()));
        return Future.succeededFuture();
      });
  }

  private Future<Void> consumers() {
    return Future.join(List.of(
      vertx.eventBus().<JsonObject>consumer(AuthContract.USERS_CHANGED, m -> follow(m, true)).completion(),
      vertx.eventBus().<JsonObject>consumer(ChannelContract.CHANNELS_CHANGED, m -> follow(m, false)).completion(),
      vertx.eventBus().consumer(MirrorContract.STATUS, m -> m.reply(mirror.status().toJson())).completion()
    )).mapEmpty();
  }

  private void follow(Message<JsonObject> m, boolean users) {
    if (m.body() == null) {
      return;
    }
    (users ? mirror.usersChanged(m.body()) : mirror.channelsChanged(m.body()))
      .onFailure(err -> log.warn("mirror: could not follow a {} change: {}", users ? "user" : "channel", err.toString()));
  }

  @Override
  protected Future<?> tearDown() {
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    Future<Void> flushed = mirror == null ? Future.succeededFuture() : mirror.flush()
      .timeout(STOP_DEADLINE_MS, TimeUnit.MILLISECONDS).recover(err -> Future.succeededFuture());
    return flushed.eventually(() -> {
      if (mirror != null) {
        mirror.close();
      }
      return db == null ? Future.succeededFuture() : db.close();
    }).eventually(() -> {
      redis.close();
      return Future.succeededFuture();
    });
  }
}
