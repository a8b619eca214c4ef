package dev.iptv.system;

import dev.iptv.testing.M3u;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonObject;
import dev.iptv.stream.testing.LiveSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The two ways an operator runs the suite, exactly as documented: {@code bin/iptv run} and
 * {@code bin/iptv cluster} (four JVMs behind a real nginx). A panel syncs a user and channels with
 * HTTP, a player reads its playlist, the {@link LiveStory} plays out on a live source, and SIGTERM
 * leaves no process behind: no JVM, no nginx, no FFmpeg.
 */
class BinIptvTest {

  static final int REDIS_DB = 4;
  static final int SESSION_WINDOW_S = 8;
  static final int IDLE_TIMEOUT_S = 10;
  static final int START_TIMEOUT_S = 8;
  static LiveSource source;
  private Proc proc;
  private LiveStory story;
  private String schema;

  @BeforeAll
  static void startSource() {
    source = LiveSource.start();
  }

  @AfterAll
  static void stopSource() {
    if (source != null) {
      source.close();
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (proc != null) {
      proc.close();
    }
    LiveStory.assertNoFfmpeg(story);
    List<String> flush = TestEnv.redisCli(REDIS_DB);
    flush.add("FLUSHDB");
    new ProcessBuilder(flush).start().waitFor();
    if (schema != null) {
      new ProcessBuilder("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c",
        "DROP SCHEMA IF EXISTS " + schema + " CASCADE").start().waitFor();
    }
  }

  private Map<String, String> baseEnv(int httpPort) {
    Map<String, String> env = new HashMap<>();
    env.put("IPTV_ADMIN_TOKEN", TestEnv.ADMIN_TOKEN);
    env.put("IPTV_REDIS_URL", TestEnv.redisUrl(REDIS_DB));
    env.put("IPTV_HTTP_PORT", String.valueOf(httpPort));
    env.put("IPTV_BIND_HOST", "127.0.0.1");
    env.put("IPTV_STATE_DIR", TestEnv.tempDir("iptv-state").toString());
    env.put("IPTV_HLS_DIR", TestEnv.tempDir("iptv-hls").toString());
    env.put("IPTV_NO_BUILD", "1");
    env.put("IPTV_PASSWORD_HASH_ITERATIONS", "1000");
    env.put("IPTV_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    // History and the Redis mirror in a schema of this test's own; short windows for the stories.
    schema = "systest_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    env.put("IPTV_PG_URL", TestEnv.PG_URL);
    env.put("IPTV_PG_SCHEMA", schema);
    env.put("IPTV_SEGMENT_LOG_PORT", String.valueOf(TestEnv.freePort()));
    env.put("IPTV_SESSION_WINDOW_S", String.valueOf(SESSION_WINDOW_S));
    env.put("IPTV_IDLE_TIMEOUT_S", String.valueOf(IDLE_TIMEOUT_S));
    env.put("IPTV_START_TIMEOUT_S", String.valueOf(START_TIMEOUT_S));
    return env;
  }

  @Test
  @DisplayName("bin/iptv run: panel API, playlists and live channels on one port, the player stories, and a clean SIGTERM")
  void runMode() throws Exception {
    int port = TestEnv.freePort();
    Map<String, String> env = baseEnv(port);
    proc = Proc.start("iptv-run", List.of("bin/iptv", "run"), env, Path.of(env.get("IPTV_STATE_DIR")));
    proc.awaitHttp(port, Duration.ofSeconds(90));
    Client c = new Client(port, TestEnv.ADMIN_TOKEN);
    panelAndPlayerStory(c, "http://localhost:" + port);
    new FieldStory(c, REDIS_DB, "field_run").run(source.url(), SESSION_WINDOW_S);
    story = new LiveStory(c, REDIS_DB, Path.of(env.get("IPTV_HLS_DIR")), "viewer_run");
    story.run(source.url(), SESSION_WINDOW_S, IDLE_TIMEOUT_S);
    new StreamStory(c, story, "crowd_run").run(source.url(), LiveSource.refusedUrl(), START_TIMEOUT_S);
    assertNoneLeft();
  }

  @Test
  @DisplayName("bin/iptv cluster: four JVMs behind nginx serve the panel API, playlists and live channels, the player stories, and SIGTERM stops every part")
  void clusterMode() throws Exception {
    int port = TestEnv.freePort();
    Map<String, String> env = baseEnv(port);
    env.put("IPTV_NGINX_LISTEN", "127.0.0.1:" + port);
    env.put("IPTV_AUTH_PORT", String.valueOf(TestEnv.freePort()));
    env.put("IPTV_PLAYLIST_PORT", String.valueOf(TestEnv.freePort()));
    env.put("IPTV_STREAM_PORT", String.valueOf(TestEnv.freePort()));
    env.put("IPTV_MONITOR_PORT", String.valueOf(TestEnv.freePort()));
    env.put("IPTV_CLUSTER_PORT", String.valueOf(TestEnv.freePortRun(4)));
    // Pinned, as an operator with a firewall does: the JVMs' buses then take no random port.
    int bus = TestEnv.freePortRun(4);
    env.put("IPTV_CLUSTER_BUS_PORT", String.valueOf(bus));
    env.put("IPTV_CLUSTER_NAME", "test-" + UUID.randomUUID());
    proc = Proc.start("iptv-cluster", List.of("bin/iptv", "cluster"), env, Path.of(env.get("IPTV_STATE_DIR")));
    proc.awaitHttp(port, Duration.ofSeconds(150));
    Client c = new Client(port, TestEnv.ADMIN_TOKEN);
    HttpResponse<String> health = c.get("/api/health");
    assertEquals(200, health.statusCode(), health.body());
    assertEquals("ok", new JsonObject(health.body()).getString("status"));
    for (int i = 0; i < 4; i++) {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", bus + i)) {
        assertTrue(s.isConnected(), "JVM " + i + "'s event bus on " + (bus + i));
      }
    }
    panelAndPlayerStory(c, "http://localhost:" + port);
    new FieldStory(c, REDIS_DB, "field_cluster").run(source.url(), SESSION_WINDOW_S);
    story = new LiveStory(c, REDIS_DB, Path.of(env.get("IPTV_HLS_DIR")), "viewer_cluster");
    story.run(source.url(), SESSION_WINDOW_S, IDLE_TIMEOUT_S);
    new StreamStory(c, story, "crowd_cluster").run(source.url(), LiveSource.refusedUrl(), START_TIMEOUT_S);
    assertNoneLeft();
  }

  private void panelAndPlayerStory(Client c, String publicUrl) throws Exception {
    String token = "87f3b8f5238f1bbd478c870f02a4977a074c860db1ff47c2bebce276d3624651";
    HttpResponse<String> created = c.admin("POST", "/api/users", Client.user("john123", token, 2));
    assertEquals(201, created.statusCode(), created.body());
    assertTrue(!created.body().contains("secret"), "the password is never returned");
    assertEquals(401, c.withBearer("wrong-token-wrong-token").admin("GET", "/api/users", null).statusCode());
    assertEquals(201, c.admin("POST", "/api/channels",
      Client.channel("87827", "beIN SPORT Very Low 1", "http://upstream.example/87827.ts", 2)).statusCode());
    assertEquals(201, c.admin("POST", "/api/channels",
      Client.channel("48681", "MBC Pro aflam", "http://upstream.example/48681.ts", 1)).statusCode());

    HttpResponse<String> playlist = awaitOk(c, "/get_playlist.php?token=" + token);
    assertTrue(playlist.headers().firstValue("Content-Type").orElse("").startsWith("audio/x-mpegurl"));
    List<M3u.Entry> entries = M3u.parse(playlist.body());
    assertEquals(2, entries.size());
    assertEquals("#EXTINF:-1 tvg-id=\"48681\" tvg-name=\"MBC Pro aflam\" tvg-logo=\"images/no_logo.jpg\" group-title=\"Favorite\",MBC Pro aflam",
      entries.get(0).extinf());
    assertEquals(publicUrl + "/live/stream_48681.m3u8?token=" + token, entries.get(0).url());
    assertEquals(playlist.body(), c.get("/playlist/" + token + ".m3u8").body());

    HttpResponse<String> bad = c.get("/get_playlist.php?token=" + "0".repeat(64));
    assertEquals(403, bad.statusCode());
    assertEquals("ERROR: Invalid token", bad.body().trim());
  }

  private static HttpResponse<String> awaitOk(Client c, String path) {
    return eventually(Duration.ofSeconds(30), "200 for " + path, () -> c.get(path), r -> r.statusCode() == 200);
  }

  private void assertNoneLeft() throws Exception {
    List<ProcessHandle> left = proc.stop();
    assertTrue(left.isEmpty(), "processes left after SIGTERM: " + left.stream().map(h -> h.pid() + " "
      + h.info().commandLine().orElse("?")).toList() + "\n" + proc.tail());
  }
}
