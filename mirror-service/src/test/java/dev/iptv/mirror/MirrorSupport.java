package dev.iptv.mirror;

import dev.iptv.common.Config;
import dev.iptv.contract.MirrorContract;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;

import java.util.List;

import static dev.iptv.testing.Await.await;

/**
 * What mirror-service tests share: the service config on Redis database 9 (never another), a
 * PostgreSQL schema of the test class's own, the mirror's status over the event bus.
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
    return TestEnv.redis(vertx, REDIS_DB);
  }

  static void flushTestDb(RedisAPI redis) {
    await(redis.flushdb(List.of()));
  }
}
