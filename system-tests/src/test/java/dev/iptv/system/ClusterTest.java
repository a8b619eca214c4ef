package dev.iptv.system;

import dev.iptv.testing.Eventually;
import dev.iptv.testing.M3u;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * auth-service and two playlist-services, each in its own JVM, joined over Hazelcast on loopback:
 * token checks cross the cluster, and a channel change made through one JVM is in the playlist
 * another JVM serves at once (not after its cache ages).
 */
class ClusterTest {

  static final int REDIS_DB = 6;
  static final List<Proc> procs = new ArrayList<>();
  static int authPort;
  static int playlistA;
  static int playlistB;

  @BeforeAll
  static void startCluster() throws Exception {
    flushDb();
    Path logs = TestEnv.tempDir("iptv-cluster-test");
    authPort = TestEnv.freePort();
    playlistA = TestEnv.freePort();
    playlistB = TestEnv.freePort();
    int hz = TestEnv.freePortRun(3);
    String members = "127.0.0.1:" + hz + ",127.0.0.1:" + (hz + 1) + ",127.0.0.1:" + (hz + 2);
    Map<String, String> env = new HashMap<>();
    env.put("IPTV_ADMIN_TOKEN", TestEnv.ADMIN_TOKEN);
    env.put("IPTV_REDIS_URL", TestEnv.redisUrl(REDIS_DB));
    env.put("IPTV_BIND_HOST", "127.0.0.1");
    env.put("IPTV_CLUSTER_PORT", String.valueOf(hz));
    env.put("IPTV_CLUSTER_MEMBERS", members);
    env.put("IPTV_CLUSTER_NAME", "test-" + UUID.randomUUID());
    env.put("IPTV_AUTH_PORT", String.valueOf(authPort));
    env.put("IPTV_PASSWORD_HASH_ITERATIONS", "1000");
    // Far longer than the test: a change can only show through the cluster-wide invalidation.
    env.put("IPTV_PLAYLIST_CACHE_S", "3600");
    env.put("IPTV_PUBLIC_URL", "http://tv.example.com");
    procs.add(Proc.start("auth", Proc.javaService("auth"), Proc.ownBusPort(env), logs));
    Map<String, String> a = new HashMap<>(env);
    a.put("IPTV_PLAYLIST_PORT", String.valueOf(playlistA));
    procs.add(Proc.start("playlist-a", Proc.javaService("playlist"), Proc.ownBusPort(a), logs));
    Map<String, String> b = new HashMap<>(env);
    b.put("IPTV_PLAYLIST_PORT", String.valueOf(playlistB));
    procs.add(Proc.start("playlist-b", Proc.javaService("playlist"), Proc.ownBusPort(b), logs));
    procs.get(0).awaitHttp(authPort, Duration.ofSeconds(90));
    procs.get(1).awaitHttp(playlistA, Duration.ofSeconds(90));
    procs.get(2).awaitHttp(playlistB, Duration.ofSeconds(90));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (Proc p : procs) {
      p.close();
    }
    flushDb();
  }

  static void flushDb() throws Exception {
    List<String> flush = TestEnv.redisCli(REDIS_DB);
    flush.add("FLUSHDB");
    Process p = new ProcessBuilder(flush).redirectErrorStream(true).start();
    p.waitFor();
  }

  @Test
  @DisplayName("a playlist served by one JVM validates its token in another, and shows a channel change made through a third")
  void playlistAcrossTheCluster() throws Exception {
    String token = "ab".repeat(32);
    Client auth = new Client(authPort, TestEnv.ADMIN_TOKEN);
    Client a = new Client(playlistA, TestEnv.ADMIN_TOKEN);
    Client b = new Client(playlistB, TestEnv.ADMIN_TOKEN);
    assertEquals(201, auth.admin("POST", "/api/users", Client.user("cluster_user", token, 2)).statusCode());
    assertEquals(201, a.admin("POST", "/api/channels",
      Client.channel("48681", "MBC Pro aflam", "http://upstream.example/48681.ts", 1)).statusCode());

    // The cluster may still be joining: the first answers can be 5xx until auth-service is known.
    HttpResponse<String> first = awaitPlaylist(b, token);
    List<M3u.Entry> entries = M3u.parse(first.body());
    assertEquals(1, entries.size());
    assertEquals("MBC Pro aflam", entries.get(0).title());
    assertEquals("http://tv.example.com/live/stream_48681.m3u8?token=" + token, entries.get(0).url());

    // Change through JVM a, read through JVM b: at once.
    JsonObject rename = new JsonObject().put("name", "MBC Pro Aflam HD");
    assertEquals(200, a.admin("PUT", "/api/channels/48681", rename).statusCode());
    assertEquals(201, a.admin("POST", "/api/channels",
      Client.channel("87827", "beIN SPORT 1", "http://upstream.example/87827.ts", 2)).statusCode());
    List<M3u.Entry> after = awaitEntries(b, token, 2);
    assertEquals("MBC Pro Aflam HD", after.get(0).title());
    assertEquals("beIN SPORT 1", after.get(1).title());

    // A token retired through auth-service stops working in playlist-service's JVM.
    assertEquals(200, auth.admin("DELETE", "/api/users/cluster_user", null).statusCode());
    HttpResponse<String> gone = b.get("/get_playlist.php?token=" + token);
    assertEquals(403, gone.statusCode());
    assertEquals("ERROR: Invalid token", gone.body().trim());
  }

  private static HttpResponse<String> awaitPlaylist(Client c, String token) {
    return eventually(Duration.ofSeconds(60), "a playlist across the cluster", () -> c.get("/get_playlist.php?token=" + token),
      r -> r.statusCode() == 200);
  }

  private static List<M3u.Entry> awaitEntries(Client c, String token, int count) {
    // The invalidation is a cluster publish: allow it a moment to arrive, no more.
    return eventually(Duration.ofSeconds(5), "the change reaching the other JVM", () -> {
      HttpResponse<String> r = c.get("/playlist/" + token + ".m3u8");
      if (r.statusCode() != 200) {
        throw Eventually.stop("the playlist answered " + r.statusCode() + " " + r.body());
      }
      return M3u.parse(r.body());
    }, entries -> entries.size() == count && !entries.get(0).title().equals("MBC Pro aflam"));
  }
}
