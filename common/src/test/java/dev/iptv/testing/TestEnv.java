package dev.iptv.testing;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What tests share: free loopback ports, a Redis database of their own (never FLUSHALL: each
 * test suite owns one database number), and a base config for deploying services.
 *
 * <p>Database numbers: 1 auth, 2 playlist, 3 stream, 4 server/e2e, 5 monitor, 6 cluster,
 * 7 bench, 8 stream-service crash (system-tests), 9 mirror, 10 bench/run.sh and bench/viewers, 11 EPG (playlist-service). Redis itself must already run on 127.0.0.1:6379 (bin/iptv test makes sure).
 */
public final class TestEnv {

  public static final String ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
  public static final String REDIS_BASE = System.getProperty("iptv.test.redis", "redis://127.0.0.1:6379");
  public static final String PG_URL = System.getProperty("iptv.test.pg", "postgresql://postgres@127.0.0.1:5432/test");

  private TestEnv() {
  }

  public static String redisUrl(int db) {
    return REDIS_BASE + "/" + db;
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A service config on its own Redis database, serving on {@code port} (0: not served). */
  public static JsonObject config(int redisDb, int port) {
    JsonObject c = Config.load(java.util.Map.of());
    c.put(Config.key(Config.ADMIN_TOKEN), ADMIN_TOKEN);
    c.put(Config.key(Config.REDIS_URL), redisUrl(redisDb));
    c.put(Config.key(Config.BIND_HOST), "127.0.0.1");
    c.put(Config.key(Config.PASSWORD_HASH_ITERATIONS), "1000");
    if (port > 0) {
      c.put(dev.iptv.common.ServiceVerticle.SERVE_PORT, port);
      c.put(Config.key(Config.PUBLIC_URL), "http://127.0.0.1:" + port);
    }
    return c;
  }
}
