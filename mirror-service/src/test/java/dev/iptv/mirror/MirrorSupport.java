package dev.iptv.mirror;

import dev.iptv.common.Config;
import dev.iptv.contract.MirrorContract;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What mirror-service tests share: the service config on Redis database 9 (never another), a
 * PostgreSQL schema of the test class's own, the mirror's status over the event bus, blocking
 * waits for futures and conditions.
 */
final class MirrorSupport {

  static final int REDIS_DB = 9;
  static final String NODE = "test-node";

  private MirrorSupport() {
  }

  /** The mirror's config: Redis db 9, PostgreSQL in {@code schema}. */
  static JsonObject config(String schema) {
    return TestEnv.config(REDIS_DB, 0)
      .put(Config.key(Config.NODE_NAME), NODE)
      .put(Config.key(Config.PG_URL), TestEnv.PG_URL)
      .put(Config.key(Config.PG_SCHEMA), schema);
  }

  static String deploy(Vertx vertx, JsonObject config) {
    return await(vertx.deployVerticle(new MirrorVerticle(), new DeploymentOptions().setConfig(config)));
  }

  /** The mirror's status, as monitor-service asks for it ({@link MirrorContract#STATUS}). */
  static JsonObject status(Vertx vertx) {
    return await(vertx.eventBus().<JsonObject>request(MirrorContract.STATUS, new JsonObject())).body();
  }

  static RedisAPI redis(Vertx vertx) {
    return RedisAPI.api(Redis.createClient(vertx, TestEnv.redisUrl(REDIS_DB)));
  }

  static void flushTestDb(RedisAPI redis) {
    await(redis.flushdb(List.of()));
  }

  /** A pool on the test PostgreSQL, in the given schema. */
  static Pool pg(Vertx vertx, String schema) {
    PgConnectOptions o = PgConnectOptions.fromUri(TestEnv.PG_URL);
    if (schema != null) {
      o.addProperty("search_path", schema);
    }
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(o).using(vertx).build();
  }

  static void dropSchema(Vertx vertx, String schema) {
    Pool p = pg(vertx, null);
    try {
      await(p.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute());
    } finally {
      await(p.close());
    }
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(cause);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Polls until the condition holds; fails with the description after the timeout. */
  static void eventually(Duration timeout, String what, Supplier<Boolean> condition) {
    long end = System.nanoTime() + timeout.toNanos();
    Throwable last = null;
    while (System.nanoTime() < end) {
      try {
        if (Boolean.TRUE.equals(condition.get())) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("timed out after " + timeout + " waiting for: " + what, last);
  }
}
