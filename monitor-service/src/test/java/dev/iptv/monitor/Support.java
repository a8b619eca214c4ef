package dev.iptv.monitor;

import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.mirror.MirrorVerticle;
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
 * What monitor-service tests share: the service config on Redis database 5 (never another), a
 * PostgreSQL schema of the test class's own, blocking waits for futures and conditions.
 */
public final class Support {

  public static final int REDIS_DB = 5;
  public static final String NODE = "test-node";

  private Support() {
  }

  /** The monitor's config: Redis db 5, its own port, segment log off unless a test turns it on. */
  public static JsonObject config(int port) {
    return TestEnv.config(REDIS_DB, port)
      .put(Config.key(Config.NODE_NAME), NODE)
      .put(Config.key(Config.SEGMENT_LOG_PORT), "0");
  }

  public static JsonObject withPg(JsonObject config, String schema) {
    return config.put(Config.key(Config.PG_URL), TestEnv.PG_URL).put(Config.key(Config.PG_SCHEMA), schema);
  }

  public static String deploy(Vertx vertx, JsonObject config) {
    return await(vertx.deployVerticle(new MonitorVerticle(), new DeploymentOptions().setConfig(config)));
  }

  /** mirror-service next to the monitor, on the same config but no port (as both run modes deploy them). */
  public static String deployMirror(Vertx vertx, JsonObject config) {
    JsonObject own = config.copy();
    own.remove(ServiceVerticle.SERVE_PORT);
    return await(vertx.deployVerticle(new MirrorVerticle(), new DeploymentOptions().setConfig(own)));
  }

  public static RedisAPI redis(Vertx vertx) {
    return RedisAPI.api(Redis.createClient(vertx, TestEnv.redisUrl(REDIS_DB)));
  }

  public static void flushTestDb(RedisAPI redis) {
    await(redis.flushdb(List.of()));
  }

  /** A pool on the test PostgreSQL, in the given schema. */
  public static Pool pg(Vertx vertx, String schema) {
    PgConnectOptions o = PgConnectOptions.fromUri(TestEnv.PG_URL);
    if (schema != null) {
      o.addProperty("search_path", schema);
    }
    return PgBuilder.pool().with(new PoolOptions().setMaxSize(2)).connectingTo(o).using(vertx).build();
  }

  public static void dropSchema(Vertx vertx, String schema) {
    Pool p = pg(vertx, null);
    try {
      await(p.query("DROP SCHEMA IF EXISTS " + schema + " CASCADE").execute());
    } finally {
      await(p.close());
    }
  }

  public static <T> T await(Future<T> f) {
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
  public static void eventually(Duration timeout, String what, Supplier<Boolean> condition) {
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
