package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ServerContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.servers.RemoteFfmpeg;
import dev.iptv.stream.servers.ServerSpec;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.stream.testing.LoopbackSshd;
import dev.iptv.testing.AtOnce;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Channels placed on an SSH server (SPEC section 9) with a real OpenSSH server on loopback, the
 * server's real nginx and real FFmpeg there: a forced channel plays through the main front (its
 * playlist from us, its segments from the server's nginx with their proof), appears in the active
 * streams with its server, stops there when idle; a crowd starts one FFmpeg; a hostile source URL
 * runs nothing; a crashed instance's FFmpeg is adopted or stopped; our restart leaves no orphan;
 * sshd stopped or the server disabled moves the channel to this node on the next request.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServerChannelsTest {

  private static final String EDGE = "edge1";

  private static LoopbackSshd sshd;
  private static LiveSource source;
  private static StreamFixture fx;
  private static Path remoteHls;
  /** A second stream node ("node-b": its own port, folder and public URL) on the same Redis and event bus. */
  private static String nodeB;
  private static int nodeBPort;
  private static Path nodeBHls;
  private static Path nodeBLogs;

  @BeforeAll
  static void up() throws Exception {
    sshd = new LoopbackSshd();
    sshd.startNginx();
    source = LiveSource.start();
    remoteHls = TestEnv.tempDir("iptv-remote-hls");
    fx = new StreamFixture(Map.of(Config.SSH_HEALTH_S, "1", Config.SSH_TIMEOUT_S, "8", Config.IDLE_TIMEOUT_S, "6"));
    JsonObject server = new JsonObject().put("name", EDGE).put("public_url", serverBase())
      .put("ssh_host", "127.0.0.1").put("ssh_port", sshd.port).put("ssh_user", sshd.user())
      .put("ssh_private_key", sshd.userPrivateKey()).put("hls_dir", remoteHls.toString()).put("max_streams", 10)
      .put("nginx_site", sshd.sites.resolve("iptv-" + EDGE + ".conf").toString())
      .put("nginx_conf", sshd.nginxConf.toString());
    HttpResponse<String> r = fx.api("POST", "/api/servers", server);
    assertEquals(201, r.statusCode(), r.body());
    nodeBPort = TestEnv.freePort();
    nodeBHls = TestEnv.tempDir("iptv-hls-node-b");
    nodeBLogs = TestEnv.tempDir("iptv-ffmpeg-logs-node-b");
    JsonObject config = fx.config.copy().put(dev.iptv.common.ServiceVerticle.SERVE_PORT, nodeBPort)
      .put(Config.key(Config.NODE_NAME), "node-b")
      .put(Config.key(Config.HLS_DIR), nodeBHls.toString())
      .put(Config.key(Config.FFMPEG_LOG_DIR), nodeBLogs.toString())
      .put(Config.key(Config.PUBLIC_URL), "http://127.0.0.1:" + nodeBPort);
    nodeB = await(fx.vertx.deployVerticle(new StreamVerticle(), new io.vertx.core.DeploymentOptions().setConfig(config)));
  }

  @AfterAll
  static void down() throws Exception {
    try {
      if (nodeB != null) {
        await(fx.vertx.undeploy(nodeB));
      }
      fx.undeployStream();
      assertTrue(remoteFfmpeg().isEmpty(), "left on the server after both nodes stopped: " + remoteFfmpeg());
    } finally {
      try {
        for (ProcScan.Found f : remoteFfmpeg()) {
          ProcessHandle.of(f.pid()).ifPresent(ProcessHandle::destroyForcibly);
        }
        StreamFixture.closeAll(fx, source);
      } finally {
        closeServer();
      }
    }
  }

  private static void closeServer() throws Exception {
    try {
      if (sshd != null) {
        sshd.close();
      }
    } finally {
      TestEnv.deleteTree(remoteHls);
      TestEnv.deleteTree(nodeBHls);
      TestEnv.deleteTree(nodeBLogs);
    }
  }

  private static String serverBase() {
    return "http://127.0.0.1:" + sshd.nginxPort;
  }

  /** FFmpeg processes writing into the server's HLS folder, from /proc (the "server" is this machine). */
  private static List<ProcScan.Found> remoteFfmpeg() {
    return ProcScan.scan(remoteHls, "ffmpeg");
  }

  private static List<Long> remotePids(String id) {
    return remoteFfmpeg().stream().filter(f -> f.channelId().equals(id)).map(ProcScan.Found::pid).toList();
  }

  private static List<String> remoteFiles(String id) throws IOException {
    try (var files = Files.list(remoteHls)) {
      return files.map(p -> p.getFileName().toString())
        .filter(n -> n.startsWith("stream_" + id + ".") || n.startsWith("stream_" + id + "_")).toList();
    }
  }

  private static void forced(String id, String src) {
    fx.channel(id, src);
    JsonObject c = new JsonObject(fx.get(ChannelContract.channelKey(id))).put("server", EDGE);
    await(fx.redis.set(List.of(ChannelContract.channelKey(id), c.encode())));
  }

  private static String segmentOf(String playlist) {
    return playlist.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst()
      .orElseThrow(() -> new AssertionError("no segment in\n" + playlist));
  }

  @Test
  @Order(1)
  @DisplayName("a channel forced onto the SSH server plays through the main front: playlist from us, segments from the server's nginx with their proof; listed active with its server")
  void forcedChannelPlaysFromTheServer() throws Exception {
    forced("701", source.url("s701"));
    String token = fx.token();
    HttpResponse<String> r = fx.getText(fx.playlistUrl("701", token));
    assertEquals(200, r.statusCode(), r.body());
    String segment = segmentOf(r.body());
    assertTrue(segment.startsWith(serverBase() + "/live/stream_701_") && segment.contains("?e="), segment);
    assertEquals(1, remotePids("701").size(), "FFmpeg runs on the server");
    assertTrue(fx.ffmpegPids("701").isEmpty() && fx.channelFiles("701").isEmpty(), "nothing runs or is written here");
    assertEquals(EDGE, fx.get(StreamContract.nodeKey("701")));
    assertEquals(String.valueOf(remotePids("701").get(0)), fx.get(StreamContract.pidKey("701")));

    HttpResponse<byte[]> ts = fx.getBytes(segment);
    assertEquals(200, ts.statusCode());
    assertEquals(0x47, ts.body()[0] & 0xff, "an MPEG-TS segment from the server's nginx");
    assertEquals(403, fx.getBytes(segment.replaceAll("s=[^&]+", "s=AAAA")).statusCode(), "the server checks the proof");
    assertEquals(403, fx.getBytes(segment.substring(0, segment.indexOf('?'))).statusCode(), "no proof, no segment");

    JsonObject active = new JsonObject(fx.api("GET", "/api/streams/active", null).body());
    assertEquals(EDGE, active.getJsonObject("streams").getJsonObject("701").getString("node"), active.encode());
    JsonObject row = eventually(Duration.ofSeconds(10), "the server lists the stream and its viewer",
      () -> new JsonObject(fx.api("GET", "/api/servers/" + EDGE, null).body()),
      o -> o.getInteger("streams") == 1 && o.getLong("viewers") == 1L);
    assertEquals("online", row.getString("status"), row.encode());
    JsonObject logs = new JsonObject(fx.api("GET", "/api/streams/701/log?lines=50", null).body());
    assertEquals(EDGE, logs.getString("node"), logs.encode());
    assertTrue(logs.getJsonArray("lines").encode().contains("Input #0"), "FFmpeg's log read on the server: " + logs.encode());

    // A real player: ffprobe reads the playlist on the main front and the segments on the server.
    Process probe = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
      fx.playlistUrl("701", token)).redirectErrorStream(true).start();
    assertTrue(probe.waitFor(30, TimeUnit.SECONDS), "ffprobe finished");
    String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, probe.exitValue(), out);
    assertTrue(out.contains("video"), out);
    assertEquals(1, remotePids("701").size());
  }

  @Test
  @Order(2)
  @DisplayName("max_connections holds for a channel on the server (every poll is ours), and an FFmpeg that dies there is started again")
  void limitsAndRestartOnTheServer() {
    forced("709", source.url("s709"));
    String token = fx.token(true, java.time.Instant.now().plusSeconds(3600), 1);
    assertEquals(200, poll(fx.playlistUrl("709", token), "player-a").statusCode());
    HttpResponse<String> b = poll(fx.playlistUrl("709", token), "player-b");
    assertEquals(403, b.statusCode(), b.body());
    assertTrue(b.body().contains("Max connections reached"), b.body());

    long first = remotePids("709").get(0);
    ProcessHandle.of(first).ifPresent(ProcessHandle::destroyForcibly);
    long t0 = System.nanoTime();
    eventually(Duration.ofSeconds(30), "a new FFmpeg of 709 on the server", () -> {
      HttpResponse<String> r = poll(fx.playlistUrl("709", token), "player-a");
      List<Long> now = remotePids("709");
      return r.statusCode() == 200 && now.size() == 1 && now.get(0) != first
        && String.valueOf(now.get(0)).equals(fx.get(StreamContract.pidKey("709")));
    });
    System.out.printf("FFmpeg killed on the SSH server playing again %d ms later%n", (System.nanoTime() - t0) / 1_000_000);
  }

  private static HttpResponse<String> poll(String url, String userAgent) {
    return fx.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(30))
      .header("User-Agent", userAgent).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(3)
  @DisplayName("20 concurrent first viewers on two stream nodes of a channel forced onto the server start one FFmpeg there, and all play")
  void crowdStartsOneFfmpeg() throws Exception {
    forced("702", source.url("s702"));
    String token = fx.token();
    List<Callable<Integer>> players = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String url = (i % 2 == 0 ? fx.base() : "http://127.0.0.1:" + nodeBPort) + "/live/stream_702.m3u8?token=" + token;
      players.add(() -> {
        HttpResponse<String> r = fx.getText(url);
        return r.statusCode() == 200 && r.body().contains(serverBase() + "/live/stream_702_") ? 200 : r.statusCode();
      });
    }
    for (int status : AtOnce.call(players)) {
      assertEquals(200, status);
    }
    assertEquals(1, remotePids("702").size(), "one FFmpeg");
    assertTrue(fx.ffmpegPids("702").isEmpty());
  }

  @Test
  @Order(4)
  @DisplayName("idle: with no viewer left the FFmpeg stops on the server, its files and record removed")
  void idleStopsOnTheServer() {
    long t0 = System.nanoTime();
    eventually(Duration.ofSeconds(40), "701, 702 and 709 stopped on the server", () -> remotePids("701").isEmpty()
      && remotePids("702").isEmpty() && remotePids("709").isEmpty() && fx.get(StreamContract.ownerKey("701")) == null);
    System.out.printf("idle channels stopped on the SSH server %d ms after the last poll (idle 6 s)%n",
      (System.nanoTime() - t0) / 1_000_000);
    eventually(Duration.ofSeconds(10), "files and records gone", () -> {
      try {
        return remoteFiles("701").isEmpty() && remoteFiles("702").isEmpty() && remoteFiles("709").isEmpty()
          && await(fx.redis.hlen(ServerContract.ffmpegKey(EDGE))).toInteger() == 0;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  @Order(5)
  @DisplayName("a hostile source URL of a channel placed on the server runs nothing there")
  void hostileSourceRunsNothing() throws Exception {
    Path pwned = TestEnv.tempDir("iptv-pwned");
    try {
      String p = pwned.toString();
      String hostile = LiveSource.refusedUrl() + "/$(touch%20" + p + "/a)`touch%20" + p + "/b`;touch%20" + p + "/c'\"|touch%20"
        + p + "/d";
      forced("703", hostile);
      HttpResponse<String> r = fx.getText(fx.playlistUrl("703", fx.token()));
      assertEquals(503, r.statusCode(), r.body());
      try (var files = Files.list(pwned)) {
        assertEquals(List.of(), files.toList(), "nothing of the URL ran on the server");
      }
      assertTrue(remotePids("703").isEmpty());
    } finally {
      TestEnv.deleteTree(pwned);
    }
  }

  /** FFmpeg started on the server for a channel as a run would, without any run: what a crashed instance leaves. */
  private static RemoteFfmpeg.Started leftover(String id) {
    ServerSpec spec = await(fx.verticle.servers().spec(EDGE));
    ChannelSpec channel = ChannelSpec.fromJson(id, new JsonObject(fx.get(ChannelContract.channelKey(id))));
    StreamSettings s = StreamSettings.from(fx.config);
    List<String> args = ServerAttempt.args(FfmpegCommand.build(s, channel, channel.source(), FfmpegCommand.Mode.COPY,
      channel.quality(), ProbePolicy.Probe.QUICK, 0, FfmpegCommand.startNumber(System.currentTimeMillis())), spec, id);
    return await(fx.verticle.servers().startFfmpeg(EDGE, id, args));
  }

  @Test
  @Order(6)
  @DisplayName("a crashed instance's FFmpeg on the server: adopted by the next viewer, or stopped when nobody takes it")
  void leftoversAdoptedOrStopped() throws Exception {
    forced("704", source.url("s704"));
    forced("705", source.url("s705"));
    RemoteFfmpeg.Started adopted = leftover("704");
    RemoteFfmpeg.Started orphan = leftover("705");
    eventually(Duration.ofSeconds(15), "the leftover of 704 writes segments", () -> {
      try {
        return remoteFiles("704").stream().anyMatch(n -> n.endsWith(".ts"));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    String watch704 = fx.playlistUrl("704", fx.token());
    HttpResponse<String> r = fx.getText(watch704);
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(String.valueOf(adopted.pid()), fx.get(StreamContract.pidKey("704")), "the running FFmpeg was adopted");
    assertEquals(List.of(adopted.pid()), remotePids("704"));
    long t0 = System.nanoTime();
    // 704 keeps a viewer meanwhile (idle is 6 s); 705 has none.
    eventually(Duration.ofSeconds(60), "the unowned 705 stopped", () -> fx.getText(watch704).statusCode() == 200
      && remotePids("705").isEmpty());
    System.out.printf("unowned FFmpeg on the SSH server stopped %d ms after (grace 2 x timeout + 2 x health = 18 s)%n",
      (System.nanoTime() - t0) / 1_000_000);
    assertEquals(List.of(adopted.pid()), remotePids("704"), "the adopted one still plays; " + orphan.pid() + " was stopped");
  }

  @Test
  @Order(7)
  @DisplayName("our restart stops what we ran on the server: no orphan")
  void restartLeavesNoOrphan() throws Exception {
    forced("706", source.url("s706"));
    assertEquals(200, fx.getText(fx.playlistUrl("706", fx.token())).statusCode());
    assertEquals(1, remotePids("706").size());
    fx.undeployStream();
    assertTrue(remoteFfmpeg().isEmpty(), "left on the server: " + remoteFfmpeg());
    assertTrue(remoteFiles("706").isEmpty(), "files left: " + remoteFiles("706"));
    fx.deployStream();
    eventually(Duration.ofSeconds(15), "the server online again", () -> "online".equals(new JsonObject(
      fx.api("GET", "/api/servers/" + EDGE, null).body()).getString("status")));
    HttpResponse<String> r = fx.getText(fx.playlistUrl("706", fx.token()));
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(segmentOf(r.body()).startsWith(serverBase()), r.body());
  }

  @Test
  @Order(8)
  @DisplayName("sshd stopped: the channel is given up within seconds and plays off the server on the next request (a cold one at once), and what ran there is stopped when it is back")
  void sshdStoppedMovesTheChannel() throws Exception {
    forced("707", source.url("s707"));
    String token = fx.token();
    assertEquals(200, fx.getText(fx.playlistUrl("707", token)).statusCode());
    List<Long> before = remotePids("707");
    assertEquals(1, before.size());
    forced("710", source.url("s710"));
    long t0 = System.nanoTime();
    sshd.stop();
    try {
      // At once, whether or not a health reading saw it yet: a cold channel forced there plays elsewhere.
      playsOffTheServer("710", token);
      assertTrue(remotePids("710").isEmpty(), "none on the server");
      eventually(Duration.ofSeconds(15), "the channel given up", () -> !EDGE.equals(fx.get(StreamContract.nodeKey("707"))));
      System.out.printf("channel on the SSH server given up %d ms after sshd stopped%n", (System.nanoTime() - t0) / 1_000_000);
      playsOffTheServer("707", token);
      assertEquals(before, remotePids("707"), "the server's FFmpeg is out of reach meanwhile");
    } finally {
      sshd.start(sshd.hostKey);
    }
    t0 = System.nanoTime();
    eventually(Duration.ofSeconds(60), "the FFmpeg left on the server stopped once it is back, its files removed", () -> {
      try {
        return remotePids("707").isEmpty() && remoteFiles("707").isEmpty();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    System.out.printf("FFmpeg left on the SSH server stopped %d ms after sshd was back%n", (System.nanoTime() - t0) / 1_000_000);
  }

  @Test
  @Order(9)
  @DisplayName("disabling the server moves its channels: stopped there, placed again on the next request")
  void disableMovesChannels() throws Exception {
    eventually(Duration.ofSeconds(20), "online", () -> "online".equals(new JsonObject(
      fx.api("GET", "/api/servers/" + EDGE, null).body()).getString("status")));
    forced("708", source.url("s708"));
    String token = fx.token();
    HttpResponse<String> r = fx.getText(fx.playlistUrl("708", token));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(1, remotePids("708").size());
    assertEquals(200, fx.api("PUT", "/api/servers/" + EDGE, new JsonObject().put("enabled", false)).statusCode());
    eventually(Duration.ofSeconds(15), "708 stopped on the server", () -> remotePids("708").isEmpty());
    playsOffTheServer("708", token);
    assertTrue(remotePids("708").isEmpty(), "none on the server");
    fx.stopEveryStream();
  }

  @Test
  @Order(10)
  @DisplayName("deleting the server moves its channels: stopped there, placed again on the next request")
  void deleteMovesChannels() throws Exception {
    assertEquals(200, fx.api("PUT", "/api/servers/" + EDGE, new JsonObject().put("enabled", true)).statusCode());
    eventually(Duration.ofSeconds(20), "online", () -> "online".equals(new JsonObject(
      fx.api("GET", "/api/servers/" + EDGE, null).body()).getString("status")));
    forced("711", source.url("s711"));
    String token = fx.token();
    HttpResponse<String> r = fx.getText(fx.playlistUrl("711", token));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(1, remotePids("711").size());
    assertEquals(200, fx.api("DELETE", "/api/servers/" + EDGE, null).statusCode());
    eventually(Duration.ofSeconds(15), "711 stopped on the server, its files removed", () -> {
      try {
        return remotePids("711").isEmpty() && remoteFiles("711").isEmpty();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    // Until the run sees the server gone (within 2 s) a poll may get 503 (players retry), or the
    // playlist read half a second ago; then it plays elsewhere.
    eventually(Duration.ofSeconds(20), "711 no longer on the server", () -> !EDGE.equals(fx.get(StreamContract.nodeKey("711"))));
    playsOffTheServer("711", token);
    assertTrue(remotePids("711").isEmpty(), "none on the server");
    fx.stopEveryStream();
  }

  /**
   * The channel plays, off the SSH server, for a player of the main front: here (200), or on node-b
   * (302 there, then 200) when placement finds it less loaded; its FFmpeg runs on that node (what
   * it left on an unreachable server may still run there).
   */
  private static void playsOffTheServer(String id, String token) {
    HttpResponse<String> r = eventually(Duration.ofSeconds(20), id + " playing off the server",
      () -> fx.getText(fx.playlistUrl(id, token)), x -> x.statusCode() == 200 || x.statusCode() == 302);
    if (r.statusCode() == 302) {
      r = fx.getText(r.headers().firstValue("Location").orElseThrow());
    }
    assertEquals(200, r.statusCode(), r.body());
    assertTrue(segmentOf(r.body()).startsWith("stream_" + id + "_"), "served from a node's own folder: " + r.body());
    String node = fx.get(StreamContract.nodeKey(id));
    List<Long> pids = StreamFixture.NODE.equals(node) ? fx.ffmpegPids(id)
      : ProcScan.scan(nodeBHls, "ffmpeg").stream().filter(f -> f.channelId().equals(id)).map(ProcScan.Found::pid).toList();
    assertTrue(StreamFixture.NODE.equals(node) || "node-b".equals(node), node);
    assertEquals(1, pids.size(), "one FFmpeg on " + node);
  }
}
