package dev.iptv.monitor;

import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.mirror.MirrorVerticle;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;

import java.util.List;

import static dev.iptv.testing.Await.await;

/**
 * What monitor-service tests share: the service config on Redis database 5 (never another) and a
 * PostgreSQL schema of the test class's own.
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
    return TestEnv.redis(vertx, REDIS_DB);
  }

  public static void flushTestDb(RedisAPI redis) {
    await(redis.flushdb(List.of()));
  }
}
