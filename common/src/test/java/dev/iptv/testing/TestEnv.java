package dev.iptv.testing;

import dev.iptv.common.Config;
import dev.iptv.common.RedisSupport;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * What tests share: free loopback ports, a Redis database of their own (never FLUSHALL: each
 * test suite owns one database number), temp folders, player tokens, and a base config for
 * deploying services. The rest of the kit: {@link Await}, {@link Eventually}, {@link AdminClient},
 * {@link M3u}, {@link RawHttp}, {@link TcpGate}, {@link TestPg}.
 *
 * <p>Database numbers: 1 auth, 2 playlist, 3 stream, 4 server/e2e, 5 monitor, 6 cluster,
 * 7 bench, 8 stream-service crash (system-tests), 9 mirror, 10 bench/run.sh and bench/viewers, 11 EPG (playlist-service), 12 placement, 13 Xtream client (system-tests),
 * 14 openapi.yaml against the running suite (server), 15 the generated client (api-client-test). Redis itself must already run on 127.0.0.1:6379 (bin/iptv test makes sure).
 */
public final class TestEnv {

  public static final String ADMIN_TOKEN = "test-admin-token-0123456789abcdef";
  public static final String REDIS_BASE = System.getProperty("iptv.test.redis", "redis://127.0.0.1:6379");
  public static final String PG_URL = System.getProperty("iptv.test.pg", "postgresql://postgres@127.0.0.1:5432/test");

  private static final SecureRandom RANDOM = new SecureRandom();
  /**
   * Every port {@link #freePort()} and {@link #freePortRun} handed out in this JVM: a port is handed
   * out once, so a test's services (and Hazelcast counting up from its first port) never meet on one.
   */
  private static final java.util.Set<Integer> HANDED_OUT = new java.util.HashSet<>();
  private static final int[] QUIET_RANGE = quietRange();

  private TestEnv() {
  }

  public static String redisUrl(int db) {
    return REDIS_BASE + "/" + db;
  }

  /**
   * The start of a redis-cli command line for database {@code db} of the tests' Redis
   * ({@code -Diptv.test.redis}, not always the default port).
   */
  public static List<String> redisCli(int db) {
    java.net.URI uri = java.net.URI.create(REDIS_BASE);
    return new ArrayList<>(List.of("redis-cli", "-h", uri.getHost(), "-p", String.valueOf(uri.getPort() < 0 ? 6379 : uri.getPort()),
      "-n", String.valueOf(db)));
  }

  /** A client of Redis database {@code db}, as the services build theirs. */
  public static RedisAPI redis(Vertx vertx, int db) {
    return RedisSupport.api(vertx, redisUrl(db));
  }

  /** A client of Redis database {@code db}, emptied first (FLUSHDB: only that database). */
  public static RedisAPI flushedRedis(Vertx vertx, int db) {
    RedisAPI redis = redis(vertx, db);
    Await.await(redis.flushdb(List.of()));
    return redis;
  }

  /**
   * A picture of the database: every key with its value (strings), its sorted members (sets) or
   * its type (others), sorted. Equal pictures before and after a refused call: nothing written.
   */
  public static List<String> snapshot(RedisAPI redis) {
    List<String> out = new ArrayList<>();
    for (Response k : Await.await(redis.keys("*"))) {
      String key = k.toString();
      String type = Await.await(redis.type(key)).toString();
      String value = switch (type) {
        case "string" -> String.valueOf(Await.await(redis.get(key)));
        case "set" -> {
          List<String> members = new ArrayList<>();
          Await.await(redis.smembers(key)).forEach(m -> members.add(m.toString()));
          members.sort(null);
          yield members.toString();
        }
        default -> type;
      };
      out.add(key + "=" + value);
    }
    out.sort(null);
    return out;
  }

  /**
   * A loopback port nothing listens on now: for a service to serve on, or a dependency that is down.
   *
   * <p>Taken below the kernel's ephemeral range ({@code ip_local_port_range}) and handed out once per
   * JVM. A port from inside that range (what {@code bind(0)} gives) is free only until the kernel gives
   * it away again: between this call and the service's own bind, a JVM starting beside it (an event
   * bus left at port 0 binds one; Hazelcast binds its outgoing sockets to kernel-chosen ports) can take
   * it, and the test then talks to the wrong listener.
   */
  public static int freePort() {
    synchronized (HANDED_OUT) {
      int[] range = QUIET_RANGE;
      for (int tries = 0; tries < 500; tries++) {
        int port = range[0] + RANDOM.nextInt(range[1] - range[0] + 1);
        if (!HANDED_OUT.contains(port) && bindable(port)) {
          HANDED_OUT.add(port);
          return port;
        }
      }
      throw new IllegalStateException("no free port in " + range[0] + "-" + range[1]);
    }
  }

  /** Ports no kernel hands out by itself: the 12,000 below the ephemeral range (20768-32767 by default). */
  private static int[] quietRange() {
    int low = 32768;
    try {
      String text = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      low = Integer.parseInt(text.split("\\s+")[0]);
    } catch (IOException | RuntimeException e) {
      // not Linux: the default range's floor
    }
    int top = Math.max(low - 1, 11_023);
    return new int[] {Math.max(1024, top - 12_000), top};
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new java.net.InetSocketAddress(port));
      return true;
    } catch (IOException busy) {
      return false;
    }
  }

  /**
   * The first of {@code length} consecutive loopback ports that nothing listens on now and that no
   * other call of this JVM handed out (Hazelcast's members count up from the first): none of them is
   * ever another service's {@link #freePort()}.
   */
  public static int freePortRun(int length) {
    synchronized (HANDED_OUT) {
      for (int tries = 0; tries < 200; tries++) {
        int base = freePort();
        boolean ok = base + length - 1 <= QUIET_RANGE[1];
        for (int i = 1; ok && i < length; i++) {
          ok = !HANDED_OUT.contains(base + i) && bindable(base + i);
        }
        if (ok) {
          for (int i = 1; i < length; i++) {
            HANDED_OUT.add(base + i);
          }
          return base;
        }
      }
      throw new IllegalStateException("no run of " + length + " free ports found");
    }
  }

  public static Path tempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Deletes a folder and everything in it, as far as it can (test clean-up). */
  public static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | java.io.UncheckedIOException e) {
      // best effort: a temp folder left behind (or a file its process removed while we walked)
    }
  }

  /**
   * Lets time pass: only where time itself is what a test is about (a window or a timeout that
   * must elapse, nothing that may happen meanwhile), said in a comment where it is called. A wait
   * for something to happen is {@link Eventually}.
   */
  public static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /**
   * Runs {@code action} on a thread of its own every {@code everyMs} until stopped: a player that
   * keeps polling in the background of a story. {@link Repeating#stop()} ends it after the current
   * run; {@link Repeating#close()} also waits for its thread.
   */
  public static Repeating repeat(String name, long everyMs, Runnable action) {
    Repeating r = new Repeating(name, everyMs, action);
    r.thread.start();
    return r;
  }

  /** A background repetition started by {@link #repeat}. */
  public static final class Repeating implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    private Repeating(String name, long everyMs, Runnable action) {
      thread = new Thread(() -> {
        while (running.get()) {
          action.run();
          pause(everyMs);
        }
      }, name);
    }

    /** No run starts after this one. */
    public void stop() {
      running.set(false);
    }

    @Override
    public void close() throws InterruptedException {
      stop();
      thread.join(10_000);
    }
  }

  /** A random player token: 64 hex digits. */
  public static String hexToken() {
    byte[] raw = new byte[32];
    RANDOM.nextBytes(raw);
    return HexFormat.of().formatHex(raw);
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

  /**
   * The config of an all-in-one server ({@code Launch.embedded}) on Redis database {@code redisDb}:
   * its front on a free port ({@link Config#HTTP_PORT}), {@code eventLoops} front event loops, its own
   * HLS folder and segment-log port, node {@code name}. Nothing is flushed.
   */
  public static JsonObject allInOne(int redisDb, String name, int eventLoops) {
    return config(redisDb, 0)
      .put(Config.key(Config.HTTP_PORT), String.valueOf(freePort()))
      .put(Config.key(Config.HTTP_EVENT_LOOPS), String.valueOf(eventLoops))
      .put(Config.key(Config.HLS_DIR), tempDir("iptv-" + name + "-hls").toString())
      .put(Config.key(Config.SEGMENT_LOG_PORT), String.valueOf(freePort()))
      .put(Config.key(Config.NODE_NAME), name);
  }
}
