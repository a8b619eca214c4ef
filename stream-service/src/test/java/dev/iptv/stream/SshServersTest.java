package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.common.SegmentProof;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.ServerContract;
import dev.iptv.stream.servers.RemoteFfmpeg;
import dev.iptv.stream.testing.LoopbackSshd;
import dev.iptv.testing.Eventually;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SSH servers (SPEC section 9) against a real OpenSSH server on loopback with a real nginx of the
 * "server": registration with a key, provisioning refused when something is missing, host keys
 * pinned, FFmpeg started with a hostile source URL that stays one argument, stops that kill only
 * our PID, and health that turns offline when sshd goes away.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SshServersTest {

  private static LoopbackSshd sshd;
  private static StreamFixture f;
  private static Path remoteHls;

  private static final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> LOGS =
    new ch.qos.logback.core.read.ListAppender<>();

  @BeforeAll
  static void up() throws Exception {
    ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
      org.slf4j.Logger.ROOT_LOGGER_NAME);
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.iptv.stream.servers"))
      .setLevel(ch.qos.logback.classic.Level.DEBUG);
    LOGS.start();
    root.addAppender(LOGS);
    sshd = new LoopbackSshd();
    sshd.startNginx();
    remoteHls = TestEnv.tempDir("iptv-remote-hls");
    f = new StreamFixture(Map.of(Config.SSH_HEALTH_S, "1", Config.SSH_TIMEOUT_S, "5"));
  }

  @AfterAll
  static void down() throws Exception {
    if (f != null) {
      f.close();
    }
    if (sshd != null) {
      sshd.close();
    }
    TestEnv.deleteTree(remoteHls);
  }

  private static JsonObject server(String name) throws Exception {
    return new JsonObject().put("name", name).put("public_url", "http://127.0.0.1:" + sshd.nginxPort)
      .put("ssh_host", "127.0.0.1").put("ssh_port", sshd.port).put("ssh_user", sshd.user())
      .put("ssh_private_key", sshd.userPrivateKey()).put("hls_dir", remoteHls.toString()).put("max_streams", 4)
      .put("nginx_site", sshd.sites.resolve("iptv-" + name + ".conf").toString())
      .put("nginx_conf", sshd.nginxConf.toString());
  }

  private static HttpResponse<String> call(String method, String path, JsonObject body) {
    return f.api(method, path, body);
  }

  private static JsonObject json(HttpResponse<String> r) {
    return new JsonObject(r.body());
  }

  private static JsonObject listed(String name) {
    JsonArray all = json(call("GET", "/api/servers", null)).getJsonArray("servers");
    for (Object o : all) {
      if (name.equals(((JsonObject) o).getString("name"))) {
        return (JsonObject) o;
      }
    }
    return null;
  }

  private static String get(String url, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    headers.forEach(b::header);
    HttpResponse<String> r = f.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return r.statusCode() + " " + r.body().trim();
  }

  @Test
  @Order(1)
  @DisplayName("a server registered with a key is online with its figures, serves proven segments, and never shows its secret")
  void registerWithKey() throws Exception {
    HttpResponse<String> r = call("POST", "/api/servers", server("edge1"));
    assertEquals(201, r.statusCode(), r.body());
    JsonObject body = json(r);
    assertEquals("online", body.getString("status"), r.body());
    assertTrue(body.getValue("cpu_percent") instanceof Number && body.getValue("memory_percent") instanceof Number, r.body());
    assertTrue(body.getDouble("memory_percent") > 0, r.body());
    assertEquals(LoopbackSshd.publicKey(sshd.hostKey), body.getString("ssh_host_key"), "pinned at first contact");
    assertFalse(r.body().contains("PRIVATE KEY") || body.containsKey("ssh_private_key"), r.body());
    String stored = f.get(ServerContract.serverKey("edge1"));
    assertFalse(stored.contains("PRIVATE KEY"), "the server's JSON holds no secret");
    assertEquals(409, call("POST", "/api/servers", server("edge1")).statusCode());

    // The health watch keeps it online, in the list with kind ssh; a reporting node appears by itself.
    await(f.redis.set(List.of(MonitorContract.nodeStatsKey("node-b"), new JsonObject().put("cpu_percent", 12.5)
      .put("memory_percent", 40.0).put("updated", 1.0).encode(), "EX", "15")));
    await(f.redis.sadd(List.of(MonitorContract.NODES_ALL, "node-b")));
    JsonObject row = Eventually.eventually(Duration.ofSeconds(10), "edge1 listed online with a health reading",
      () -> listed("edge1"), o -> o != null && "online".equals(o.getString("status")) && o.getValue("last_seen") != null);
    assertEquals("ssh", row.getString("kind"));
    assertEquals(4, row.getInteger("max_streams"));
    JsonObject node = listed("node-b");
    assertNotNull(node, "the node is listed");
    assertEquals("node", node.getString("kind"));
    assertEquals("online", node.getString("status"));
    assertEquals(12.5, node.getDouble("cpu_percent"));
    assertFalse(call("GET", "/api/servers", null).body().contains("PRIVATE KEY"));
    assertFalse(call("GET", "/api/servers/edge1", null).body().contains("PRIVATE KEY"));

    // The server's nginx serves a segment only with its proof, a playlist only with the suite's key.
    Files.writeString(remoteHls.resolve("stream_901_3.ts"), "segment-bytes");
    Files.writeString(remoteHls.resolve("stream_901.m3u8"), "#EXTM3U\n");
    String base = "http://127.0.0.1:" + sshd.nginxPort + "/live/";
    String secret = Config.segmentSecret(f.config);
    String proof = new SegmentProof(secret, 60).query("901", "sess", System.currentTimeMillis() / 1000);
    assertEquals("200 segment-bytes", get(base + "stream_901_3.ts?" + proof, Map.of()));
    assertEquals("403 ERROR: Invalid segment proof", get(base + "stream_901_3.ts", Map.of()));
    assertEquals("403 ERROR: Invalid segment proof", get(base + "stream_902_3.ts?" + proof, Map.of()), "proof of another channel");
    assertTrue(get(base + "stream_901.m3u8", Map.of()).startsWith("403"));
    String key = dev.iptv.common.Http.sha256("iptv-server-playlist:" + secret).length == 32
      ? java.util.HexFormat.of().formatHex(dev.iptv.common.Http.sha256("iptv-server-playlist:" + secret)) : null;
    assertEquals("200 #EXTM3U", get(base + "stream_901.m3u8", Map.of("X-Iptv-Key", key)));
  }

  @Test
  @Order(2)
  @DisplayName("bad inputs are 400 naming the field, and nothing is stored")
  void badInputs() throws Exception {
    assertBad(server("b1").put("ssh_port", "22"), "ssh_port");
    assertBad(server("b1").put("public_url", "ftp://x"), "public_url");
    assertBad(server("b1").put("hls_dir", "relative/dir"), "hls_dir");
    assertBad(server("b1").put("hls_dir", "/tmp/x;rm -rf /"), "hls_dir");
    assertBad(server("b1").put("ssh_password", "pw"), "ssh_private_key");
    assertBad(server("b1").put("colour", "red"), "colour");
    assertBad(server("b 1"), "name");
    JsonObject noUser = server("b1");
    noUser.remove("ssh_user");
    assertBad(noUser, "ssh_user");
    JsonObject noSecret = server("b1");
    noSecret.remove("ssh_private_key");
    assertBad(noSecret, "ssh_private_key");
    assertBad(server("b1").put("ssh_host_key", "not a key"), "ssh_host_key");
    assertBad(server("b1").put("max_streams", 0), "max_streams");
    assertEquals(401, dev.iptv.testing.AdminClient.plain(f.port).withBearer("wrong-bearer-0123456789")
      .call("GET", "/api/servers", null).statusCode());
    assertEquals(404, call("GET", "/api/servers/b1", null).statusCode());
  }

  private static void assertBad(JsonObject body, String field) {
    HttpResponse<String> r = call("POST", "/api/servers", body);
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(json(r).getString("error").startsWith(field), field + ": " + r.body());
  }

  @Test
  @Order(3)
  @DisplayName("a server without ffmpeg, an unreachable one, a wrong password: 400 saying what is missing")
  void provisioningRefused() throws Exception {
    HttpResponse<String> r = call("POST", "/api/servers", server("noff").put("ffmpeg", "/opt/iptv-none/ffmpeg"));
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(json(r).getString("error").contains("lacks ffmpeg") && r.body().contains("/opt/iptv-none/ffmpeg"), r.body());
    assertEquals(404, call("GET", "/api/servers/noff", null).statusCode(), "nothing stored");
    assertFalse(Files.exists(sshd.sites.resolve("iptv-noff.conf")));

    r = call("POST", "/api/servers", server("nonginx").put("nginx", "/opt/iptv-none/nginx"));
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(json(r).getString("error").contains("lacks nginx"), r.body());

    r = call("POST", "/api/servers", server("closed").put("ssh_port", TestEnv.freePort()));
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(json(r).getString("error").startsWith("ssh_host: cannot connect"), r.body());

    JsonObject pw = server("pw");
    pw.remove("ssh_private_key");
    r = call("POST", "/api/servers", pw.put("ssh_password", "not-the-password"));
    assertEquals(400, r.statusCode(), r.body());
    assertTrue(json(r).getString("error").startsWith("ssh_password: authentication"), r.body());
    assertFalse(r.body().contains("not-the-password"));
  }

  @Test
  @Order(4)
  @DisplayName("a hostile source URL reaches FFmpeg on the server as one argument and runs nothing; stop ends it")
  void hostileSourceUrl() throws Exception {
    Path pwned = TestEnv.tempDir("iptv-pwned");
    List<Socket> held = new CopyOnWriteArrayList<>();
    try (ServerSocket source = new ServerSocket(0)) {
      // A source that accepts and never answers: FFmpeg waits on it, so its command line can be read.
      Thread acceptor = new Thread(() -> {
        while (!source.isClosed()) {
          try {
            held.add(source.accept());
          } catch (Exception e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      String p = pwned.toString();
      String hostile = "http://127.0.0.1:" + source.getLocalPort() + "/$(touch " + p + "/a)`touch " + p + "/b`;"
        + " touch " + p + "/c'\"; touch " + p + "/d\n touch " + p + "/e & touch " + p + "/f |";
      String out = remoteHls + "/stream_4242.m3u8";
      List<String> args = List.of("-nostdin", "-loglevel", "error", "-i", hostile, "-c", "copy", "-f", "hls",
        "-hls_segment_filename", remoteHls + "/stream_4242_%d.ts", out);
      RemoteFfmpeg.Started started = await(f.verticle.servers().startFfmpeg("edge1", "4242", args));
      Path cmdline = Path.of("/proc/" + started.pid() + "/cmdline");
      List<String> argv = Eventually.eventually(Duration.ofSeconds(5), "FFmpeg's command line",
        () -> Files.exists(cmdline) ? Arrays.asList(new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).split("\0")) : null,
        a -> a != null && a.size() > 1);
      List<String> expected = new ArrayList<>();
      expected.add("ffmpeg");
      expected.addAll(args);
      assertEquals(expected, argv, "FFmpeg got exactly our arguments, the URL as one");
      assertTrue(await(f.verticle.servers().ffmpegAlive("edge1", "4242")));
      Eventually.eventually(Duration.ofSeconds(5), "FFmpeg connected to the source", () -> !held.isEmpty());
      try (var files = Files.list(pwned)) {
        assertEquals(List.of(), files.toList(), "nothing of the URL ran on the server");
      }
      JsonObject row = Eventually.eventually(Duration.ofSeconds(10), "the health counts our FFmpeg",
        () -> listed("edge1"), o -> o != null && Integer.valueOf(1).equals(o.getInteger("ffmpeg_running")));
      assertEquals(1, row.getInteger("streams"));

      RemoteFfmpeg.Stopped how = await(f.verticle.servers().stopFfmpeg("edge1", "4242"));
      assertEquals(RemoteFfmpeg.Stopped.TERMINATED, how);
      assertFalse(running(started.pid()), "FFmpeg ended");
      assertFalse(await(f.verticle.servers().ffmpegAlive("edge1", "4242")), "its record is gone");
      assertFalse(Files.exists(Path.of(out)));
    } finally {
      for (Socket s : held) {
        s.close();
      }
      TestEnv.deleteTree(pwned);
    }
  }

  /** Alive and not a zombie (a process whose parent went away is reaped by whoever adopted it). */
  private static boolean running(long pid) throws Exception {
    Path stat = Path.of("/proc/" + pid + "/stat");
    if (!Files.exists(stat)) {
      return false;
    }
    String s = Files.readString(stat);
    return !s.substring(s.lastIndexOf(')') + 2).startsWith("Z");
  }

  @Test
  @Order(5)
  @DisplayName("a recorded PID now held by another process is not killed")
  void reusedPidIsNotKilled() throws Exception {
    Process other = new ProcessBuilder("sleep", "300").start();
    try {
      await(f.redis.hset(List.of(ServerContract.ffmpegKey("edge1"), "4343", new JsonObject().put("pid", other.pid())
        .put("output", remoteHls + "/stream_4343.m3u8").put("started", 1.0).encode())));
      RemoteFfmpeg.Stopped how = await(f.verticle.servers().stopFfmpeg("edge1", "4343"));
      assertEquals(RemoteFfmpeg.Stopped.NOT_OURS, how);
      TestEnv.pause(300); // time is the subject: a kill would have landed by now
      assertTrue(running(other.pid()), "the other process lives");
    } finally {
      other.destroyForcibly();
    }
  }

  @Test
  @Order(6)
  @DisplayName("an FFmpeg of ours that nothing records (its instance died) is stopped on the server")
  void orphanIsStopped() throws Exception {
    String out = remoteHls + "/stream_4444.m3u8";
    List<String> args = List.of("-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "sine=frequency=440",
      "-c:a", "aac", "-f", "hls", "-hls_time", "1", "-hls_segment_filename", remoteHls + "/stream_4444_%d.ts", out);
    RemoteFfmpeg.Started started = await(f.verticle.servers().startFfmpeg("edge1", "4444", args));
    assertTrue(running(started.pid()));
    long t0 = System.nanoTime();
    await(f.redis.hdel(List.of(ServerContract.ffmpegKey("edge1"), "4444")));
    Eventually.eventually(Duration.ofSeconds(30), "the unrecorded FFmpeg stopped", () -> !running(started.pid()));
    System.out.printf("unrecorded FFmpeg on the SSH server stopped %d ms after its record went (grace 2 x timeout + 2 x health = 12 s)%n",
      (System.nanoTime() - t0) / 1_000_000);
  }

  @Test
  @Order(7)
  @DisplayName("sshd gone: the server is offline within seconds, and online again when it is back")
  void offlineWhenSshdStops() throws Exception {
    Eventually.eventually(Duration.ofSeconds(10), "online", () -> "online".equals(listed("edge1").getString("status")));
    long t0 = System.nanoTime();
    sshd.stop();
    JsonObject row = Eventually.eventually(Duration.ofSeconds(15), "offline", () -> listed("edge1"),
      o -> "offline".equals(o.getString("status")));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.printf("SSH server offline %d ms after sshd stopped (health every 1 s)%n", ms);
    assertTrue(ms < 8000, "offline after " + ms + " ms");
    assertTrue(row.getString("error", "").contains("ssh_host"), row.encode());
    sshd.start(sshd.hostKey);
    Eventually.eventually(Duration.ofSeconds(15), "online again", () -> "online".equals(listed("edge1").getString("status")));
  }

  @Test
  @Order(8)
  @DisplayName("a changed host key is refused: the registered server goes offline saying so, a new registration is 400")
  void changedHostKeyRefused() throws Exception {
    sshd.stop();
    sshd.start(sshd.otherHostKey);
    try {
      JsonObject row = Eventually.eventually(Duration.ofSeconds(15), "offline for its host key", () -> listed("edge1"),
        o -> "offline".equals(o.getString("status")) && o.getString("error", "").contains("host key"));
      assertTrue(row.getString("error").startsWith("ssh_host_key: the host key of 127.0.0.1:" + sshd.port + " changed"),
        row.encode());
      HttpResponse<String> r = call("POST", "/api/servers", server("edge2")
        .put("ssh_host_key", LoopbackSshd.publicKey(sshd.hostKey)));
      assertEquals(400, r.statusCode(), r.body());
      assertTrue(json(r).getString("error").startsWith("ssh_host_key:") && r.body().contains("changed"), r.body());
      // The operator accepts the new key: PUT it, and the server is online again.
      r = call("PUT", "/api/servers/edge1", new JsonObject().put("ssh_host_key", LoopbackSshd.publicKey(sshd.otherHostKey)));
      assertEquals(200, r.statusCode(), r.body());
      Eventually.eventually(Duration.ofSeconds(15), "online with the new key",
        () -> "online".equals(listed("edge1").getString("status")));
    } finally {
      sshd.stop();
      sshd.start(sshd.hostKey);
    }
  }

  @Test
  @Order(9)
  @DisplayName("disable and delete: disabled in the list, then gone with its nginx site")
  void disableAndDelete() throws Exception {
    HttpResponse<String> r = call("POST", "/api/servers", server("edge3"));
    assertEquals(201, r.statusCode(), r.body());
    r = call("PUT", "/api/servers/edge3", new JsonObject().put("enabled", false).put("max_streams", 7));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("disabled", json(r).getString("status"));
    assertEquals(7, json(r).getInteger("max_streams"));
    assertEquals(400, call("PUT", "/api/servers/edge3", new JsonObject().put("enabled", "no")).statusCode());
    assertTrue(Files.exists(sshd.sites.resolve("iptv-edge3.conf")));
    r = call("DELETE", "/api/servers/edge3", null);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("edge3", json(r).getString("deleted"));
    assertEquals(404, call("GET", "/api/servers/edge3", null).statusCode());
    assertFalse(Files.exists(sshd.sites.resolve("iptv-edge3.conf")));
    assertEquals(null, f.get(ServerContract.credentialsKey("edge3")));
  }

  @Test
  @Order(10)
  @DisplayName("no log line of the whole story holds a private key or a password")
  void secretsNeverLogged() throws Exception {
    String keyBody = sshd.userPrivateKey().split("\n")[1];
    assertFalse(LOGS.list.isEmpty(), "the servers' logs were captured");
    for (var e : LOGS.list) {
      String line = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage());
      assertFalse(line.contains(keyBody) || line.contains("PRIVATE KEY") || line.contains("not-the-password"), line);
    }
  }
}
