package dev.iptv.common;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;

/** Builds the Redis client every service uses: a pooled standalone client on IPTV_REDIS_URL. */
public final class RedisSupport {

  private RedisSupport() {
  }

  public static RedisOptions options(String url) {
    return new RedisOptions()
      .setType(RedisClientType.STANDALONE)
      .setConnectionString(url)
      .setMaxPoolSize(16)
      .setMaxPoolWaiting(4096)
      .setMaxWaitingHandlers(65536)
      .setPoolRecycleTimeout(15_000);
  }

  public static Redis client(Vertx vertx, String url) {
    return Redis.createClient(vertx, options(url));
  }

  public static RedisAPI api(Vertx vertx, String url) {
    return RedisAPI.api(client(vertx, url));
  }
}
