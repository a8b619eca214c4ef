package dev.iptv.monitor.dashboard;

import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.monitor.Support;
import dev.iptv.stream.StreamVerticle;
import dev.iptv.stream.testing.LoopbackSshd;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.RedisAPI;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 10 item 7: {@code /api/stats} and the dashboard show every server and node with its load,
 * streams and status. A real stream-service runs next to the monitor (its own node report,
 * {@code node:{name}:stream}) with a real SSH server registered through its API (OpenSSH and nginx
 * on loopback, health read over SSH); the monitor asks stream-service for the rows of
 * {@code /api/servers}. In headless Chromium the Servers table follows live: the SSH server whose
 * sshd stops goes offline, a disabled one shows disabled. Without any stream-service the stats say
 * the servers are unavailable instead of failing.
 */
@ExtendWith(VertxExtension.class)
class ServersDashboardTest {

  static final String STREAM_NODE = "stream-a";
  private static LoopbackSshd sshd;
  private static Path remoteHls;
  private RedisAPI redis;

  @BeforeAll
  static void sshd() throws Exception {
    sshd = new LoopbackSshd();
    sshd.startNginx();
    remoteHls = TestEnv.tempDir("iptv-remote-hls");
  }

  @AfterAll
  static void down() throws Exception {
    if (sshd != null) {
      sshd.close();
    }
    TestEnv.deleteTree(remoteHls);
  }

  @BeforeEach
  void clean(Vertx vertx) {
    redis = Support.redis(vertx);
    Support.flushTestDb(redis);
  }

  /** stream-service on the monitor's Redis database, under its own node name, serving its API. */
  private static int deployStreamService(Vertx vertx) {
    int port = TestEnv.freePort();
    JsonObject config = Support.config(port)
      .put(Config.key(Config.NODE_NAME), STREAM_NODE)
      .put(Config.key(Config.HLS_DIR), TestEnv.tempDir("iptv-hls").toString())
      .put(Config.key(Config.FFMPEG_LOG_DIR), TestEnv.tempDir("iptv-ffmpeg-logs").toString())
      .put(Config.key(Config.MAX_STREAMS), "7")
      .put(Config.key(Config.SSH_HEALTH_S), "1")
      .put(Config.key(Config.SSH_TIMEOUT_S), "15"); // generous: the machine is shared and loaded
    assertEquals(port, config.getInteger(ServiceVerticle.SERVE_PORT));
    await(vertx.deployVerticle(new StreamVerticle(), new DeploymentOptions().setConfig(config)));
    return port;
  }

  private static JsonObject sshServer(String name) throws Exception {
    return new JsonObject().put("name", name).put("public_url", "http://127.0.0.1:" + sshd.nginxPort)
      .put("ssh_host", "127.0.0.1").put("ssh_port", sshd.port).put("ssh_user", sshd.user())
      .put("ssh_private_key", sshd.userPrivateKey()).put("hls_dir", remoteHls.toString()).put("max_streams", 4)
      .put("nginx_site", sshd.sites.resolve("iptv-" + name + ".conf").toString())
      .put("nginx_conf", sshd.nginxConf.toString());
  }

  private static JsonObject stats(int port) {
    HttpResponse<String> r = AdminClient.plain(port).call("GET", "/api/stats", null);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static JsonObject row(JsonObject stats, String name) {
    for (Object o : stats.getJsonArray("servers")) {
      if (name.equals(((JsonObject) o).getString("name"))) {
        return (JsonObject) o;
      }
    }
    return null;
  }

  @Test
  @DisplayName("stats and the dashboard list the SSH server and the stream node with status, load, disk, streams of max and last seen, live")
  void serversListedLive(Vertx vertx) throws Exception {
    int streamPort = deployStreamService(vertx);
    HttpResponse<String> created = AdminClient.plain(streamPort).call("POST", "/api/servers", sshServer("edge1"));
    assertEquals(201, created.statusCode(), created.body());
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));

    // /api/stats: both, with their figures (the node's from its own report, the server's read over SSH).
    JsonObject stats = eventually(Duration.ofSeconds(20), "edge1 and " + STREAM_NODE + " online in /api/stats",
      () -> stats(port), s -> row(s, "edge1") != null && "online".equals(row(s, "edge1").getString("status"))
        && row(s, STREAM_NODE) != null && "online".equals(row(s, STREAM_NODE).getString("status")));
    assertTrue(stats.getJsonArray("servers") instanceof JsonArray && !stats.containsKey("servers_error"), stats.encode());
    JsonObject edge = row(stats, "edge1");
    assertEquals("ssh", edge.getString("kind"));
    assertEquals(4, edge.getInteger("max_streams"));
    assertEquals(0, edge.getInteger("streams"));
    for (String figure : new String[] {"cpu_percent", "memory_percent", "load_1m", "disk_percent", "last_seen"}) {
      assertTrue(edge.getValue(figure) instanceof Number, figure + ": " + edge.encode());
    }
    assertTrue(edge.getDouble("memory_percent") > 0 && edge.getDouble("disk_percent") > 0, edge.encode());
    assertTrue(Math.abs(edge.getDouble("last_seen") - System.currentTimeMillis() / 1000.0) < 30, edge.encode());
    assertTrue(!edge.containsKey("ssh_private_key") && !stats.encode().contains("PRIVATE KEY"), "no secret in the stats");
    JsonObject node = row(stats, STREAM_NODE);
    assertEquals("node", node.getString("kind"));
    assertEquals(7, node.getInteger("max_streams"));
    assertEquals("http://127.0.0.1:" + streamPort, node.getString("public_url"));
    for (String figure : new String[] {"cpu_percent", "memory_percent", "load_1m", "disk_percent"}) {
      assertTrue(node.getValue(figure) instanceof Number, figure + " of the node's own report: " + node.encode());
    }
    assertNotNull(node.getValue("last_seen"), node.encode());

    try (Chromium chrome = Chromium.start(1400, 1100)) {
      chrome.navigate("http://127.0.0.1:" + port + "/dashboard#token=" + TestEnv.ADMIN_TOKEN);
      String edgeRow = "document.querySelector('#servers tr[data-server=\"edge1\"]')";
      String nodeRow = "document.querySelector('#servers tr[data-server=\"" + STREAM_NODE + "\"]')";
      chrome.await(Duration.ofSeconds(20), edgeRow + "?.querySelector('.status')?.textContent === 'online'");
      chrome.await(Duration.ofSeconds(10), nodeRow + "?.querySelector('.status')?.textContent === 'online'");
      assertEquals("SSH", chrome.eval(edgeRow + ".querySelector('.server-kind').textContent"));
      assertEquals("0 / 4", chrome.eval(edgeRow + ".querySelector('.streams').textContent"));
      assertEquals("node", chrome.eval(nodeRow + ".querySelector('.server-kind').textContent"));
      assertEquals("0 / 7", chrome.eval(nodeRow + ".querySelector('.streams').textContent"));
      for (String cell : new String[] {"cpu", "memory", "disk"}) {
        String text = (String) chrome.eval(edgeRow + ".querySelector('." + cell + "').textContent");
        assertTrue(text.matches("[0-9]+\\.[0-9]%"), cell + ": " + text);
      }
      for (String row : new String[] {edgeRow, nodeRow}) {
        assertTrue(((String) chrome.eval(row + ".querySelector('.load').textContent")).matches("[0-9]+\\.[0-9]{2}"), row);
        assertTrue(((String) chrome.eval(row + ".querySelector('.disk').textContent")).matches("[0-9]+\\.[0-9]%"), row);
      }
      assertTrue(((String) chrome.eval(edgeRow + ".querySelector('.seen').textContent")).matches("[0-9]{2}:[0-9]{2}:[0-9]{2}"));
      assertEquals("", chrome.eval("document.getElementById('servers-error').textContent"));

      // Live: the server's sshd goes away, then it is disabled; the open page follows without a reload.
      sshd.stop();
      chrome.await(Duration.ofSeconds(30), edgeRow + "?.querySelector('.status')?.textContent === 'offline'");
      assertEquals("offline", row(stats(port), "edge1").getString("status"));
      HttpResponse<String> off = AdminClient.plain(streamPort).call("PUT", "/api/servers/edge1", new JsonObject().put("enabled", false));
      assertEquals(200, off.statusCode(), off.body());
      chrome.await(Duration.ofSeconds(15), edgeRow + "?.querySelector('.status')?.textContent === 'disabled'");
      assertEquals("online", chrome.eval(nodeRow + ".querySelector('.status').textContent"));
      chrome.screenshot(Path.of("target", "dashboard-servers.png"), 1400, 1100);
    } finally {
      sshd.start(sshd.hostKey);
    }
  }

  @Test
  @DisplayName("without a stream-service the stats and the dashboard say the servers are unavailable")
  void noStreamService(Vertx vertx) throws Exception {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    JsonObject stats = stats(port);
    assertEquals(new JsonArray(), stats.getJsonArray("servers"));
    assertTrue(stats.getString("servers_error").contains("iptv.servers.list"), stats.encode());
    try (Chromium chrome = Chromium.start(1200, 800)) {
      chrome.navigate("http://127.0.0.1:" + port + "/dashboard#token=" + TestEnv.ADMIN_TOKEN);
      chrome.await(Duration.ofSeconds(20), "document.getElementById('servers-error').textContent.startsWith('unavailable: ')");
      assertEquals("No stream-service answered.", chrome.eval("document.querySelector('#servers td.empty').textContent"));
    }
  }
}
