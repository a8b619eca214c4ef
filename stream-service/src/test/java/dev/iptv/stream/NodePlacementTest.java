package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ServerContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.AtOnce;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two stream nodes (SPEC section 9): the fixture's stream-service ("test-node", the main front) and
 * a second one with its own name, port, HLS folder and public URL ("node-b"), one Redis, one event
 * bus. A channel placed on node-b is started there, players asking the main front are sent there
 * with 302 and play (segments with their proof from node-b), and a crowd of first viewers on both
 * starts one FFmpeg across the two.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NodePlacementTest {

  private static final String NODE_B = "node-b";

  private LiveSource source;
  private StreamFixture fx;
  private String secondDeployment;
  private int secondPort;
  private Path secondHls;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of());
    secondPort = TestEnv.freePort();
    secondHls = TestEnv.tempDir("iptv-hls-node-b");
    JsonObject config = fx.config.copy().put(ServiceVerticle.SERVE_PORT, secondPort)
      .put(Config.key(Config.NODE_NAME), NODE_B)
      .put(Config.key(Config.HLS_DIR), secondHls.toString())
      .put(Config.key(Config.FFMPEG_LOG_DIR), TestEnv.tempDir("iptv-ffmpeg-logs-node-b").toString())
      .put(Config.key(Config.PUBLIC_URL), secondBase());
    secondDeployment = await(fx.vertx.deployVerticle(new StreamVerticle(), new DeploymentOptions().setConfig(config)));
  }

  @AfterAll
  void tearDown() {
    try {
      if (secondDeployment != null) {
        await(fx.vertx.undeploy(secondDeployment));
      }
    } finally {
      StreamFixture.closeAll(fx, source);
    }
  }

  private String secondBase() {
    return "http://127.0.0.1:" + secondPort;
  }

  private void forcedChannel(String id, String server) {
    fx.channel(id, source.url("n" + id));
    JsonObject c = new JsonObject(fx.get(ChannelContract.channelKey(id))).put("server", server);
    await(fx.redis.set(List.of(ChannelContract.channelKey(id), c.encode())));
  }

  /** FFmpeg processes of the channel in either node's folder. */
  private List<Long> everyFfmpeg(String id) {
    List<Long> out = new ArrayList<>(fx.ffmpegPids(id));
    ProcScan.scan(secondHls, "ffmpeg").stream().filter(f -> f.channelId().equals(id)).forEach(f -> out.add(f.pid()));
    return out;
  }

  @Test
  @DisplayName("both nodes list themselves in GET /api/servers with their public URL and max_streams")
  void nodesAreListed() {
    JsonArray servers = eventually(Duration.ofSeconds(10), "both nodes listed", () -> new JsonObject(
      fx.api("GET", "/api/servers", null).body()).getJsonArray("servers"), list -> names(list).containsAll(
        Set.of(StreamFixture.NODE, NODE_B)));
    for (Object o : servers) {
      JsonObject row = (JsonObject) o;
      if (row.getString("name").equals(NODE_B)) {
        assertEquals(ServerContract.KIND_NODE, row.getString("kind"));
        assertEquals(ServerContract.ONLINE, row.getString("status"), row.encode());
        assertEquals(secondBase(), row.getString("public_url"));
        assertTrue(row.getInteger("max_streams") > 0, row.encode());
        assertNotNull(row.getValue("cpu_percent"), row.encode());
      }
    }
  }

  private static Set<String> names(JsonArray list) {
    Set<String> out = new HashSet<>();
    list.forEach(o -> out.add(((JsonObject) o).getString("name")));
    return out;
  }

  @Test
  @DisplayName("a channel forced onto node-b: the main front answers 302 there, token kept, and it plays from node-b (playlist, segment with its proof, ffprobe)")
  void forcedChannelPlaysFromTheOtherNode() throws Exception {
    forcedChannel("601", NODE_B);
    String token = fx.token();
    HttpResponse<String> first = fx.getText(fx.playlistUrl("601", token));
    assertEquals(302, first.statusCode(), first.body());
    String location = first.headers().firstValue("Location").orElseThrow();
    assertEquals(secondBase() + "/live/stream_601.m3u8?token=" + token, location);
    assertEquals(NODE_B, fx.get(StreamContract.nodeKey("601")));
    assertTrue(fx.get(StreamContract.ownerKey("601")).startsWith(NODE_B + "/"), fx.get(StreamContract.ownerKey("601")));
    assertEquals(1, everyFfmpeg("601").size());
    assertTrue(fx.ffmpegPids("601").isEmpty(), "nothing runs on the main node");
    assertTrue(fx.channelFiles("601").isEmpty(), "no file in the main node's folder");

    HttpResponse<String> playlist = fx.getText(location);
    assertEquals(200, playlist.statusCode(), playlist.body());
    String segment = playlist.body().lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst().orElseThrow();
    String segmentUrl = URI.create(location).resolve(segment).toString();
    assertTrue(segmentUrl.startsWith(secondBase() + "/live/stream_601_"), segmentUrl);
    HttpResponse<byte[]> ts = fx.getBytes(segmentUrl);
    assertEquals(200, ts.statusCode());
    assertEquals(0x47, ts.body()[0] & 0xff, "an MPEG-TS segment");
    // The proof is checked on node-b: a changed one is refused there.
    assertEquals(403, fx.getBytes(segmentUrl.replaceAll("s=[^&]+", "s=AAAA")).statusCode());

    // A real player follows the redirect from the main front and decodes the stream.
    Process probe = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
      fx.playlistUrl("601", token)).redirectErrorStream(true).start();
    assertTrue(probe.waitFor(30, TimeUnit.SECONDS), "ffprobe finished");
    String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, probe.exitValue(), out);
    assertTrue(out.contains("video"), out);
    assertEquals(1, everyFfmpeg("601").size());
  }

  @Test
  @DisplayName("a channel forced onto the main node runs there and is served without a redirect")
  void forcedLocalIsServedHere() {
    forcedChannel("602", StreamFixture.NODE);
    HttpResponse<String> r = fx.getText(fx.playlistUrl("602", fx.token()));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(StreamFixture.NODE, fx.get(StreamContract.nodeKey("602")));
    assertEquals(1, fx.ffmpegPids("602").size());
  }

  @Test
  @DisplayName("20 concurrent first viewers on both nodes of a channel nobody runs start one FFmpeg across them, and all play")
  void crowdStartsOneFfmpeg() throws Exception {
    fx.channel("603", source.url("n603"));
    String token = fx.token();
    List<Callable<Integer>> players = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String url = (i % 2 == 0 ? fx.base() : secondBase()) + "/live/stream_603.m3u8?token=" + token;
      players.add(() -> play(url));
    }
    for (int status : AtOnce.call(players)) {
      assertEquals(200, status);
    }
    assertEquals(1, everyFfmpeg("603").size(), "one FFmpeg across both nodes");
    String node = fx.get(StreamContract.nodeKey("603"));
    assertTrue(fx.get(StreamContract.ownerKey("603")).startsWith(node + "/"));
  }

  @Test
  @DisplayName("max_connections holds whichever node a player reaches, the API lists the stream with its node, and a stop asked of the main node stops it on node-b")
  void limitsAndStopAcrossNodes() {
    forcedChannel("604", NODE_B);
    String token = fx.token(true, java.time.Instant.now().plusSeconds(3600), 1);
    HttpResponse<String> a = poll(fx.playlistUrl("604", token), "player-a");
    assertEquals(302, a.statusCode(), a.body());
    assertEquals(200, poll(a.headers().firstValue("Location").orElseThrow(), "player-a").statusCode());
    // A second player (another session) is refused on node-b directly and on the main front.
    HttpResponse<String> b = poll(secondBase() + "/live/stream_604.m3u8?token=" + token, "player-b");
    assertEquals(403, b.statusCode());
    assertTrue(b.body().contains("Max connections reached"), b.body());
    assertEquals(403, poll(fx.playlistUrl("604", token), "player-b").statusCode());

    JsonObject active = new JsonObject(fx.api("GET", "/api/streams/active", null).body());
    assertEquals(NODE_B, active.getJsonObject("streams").getJsonObject("604").getString("node"), active.encode());
    HttpResponse<String> stopped = fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "604"));
    assertEquals(200, stopped.statusCode(), stopped.body());
    eventually(Duration.ofSeconds(10), "604 stopped on node-b", () -> everyFfmpeg("604").isEmpty()
      && fx.get(StreamContract.ownerKey("604")) == null);
  }

  @Test
  @DisplayName("a node killed with -9 (no report, no event-bus handler, its owner lease still live): its channel plays from a live node on the next request, once the lease lapses")
  void deadNodesChannelIsPlacedAgain() {
    fx.channel("605", source.url("n605"));
    // What node-c left when it was killed: its lease (IPTV_STREAM_LEASE_S = 3 s here) and keys; no report.
    await(fx.redis.set(List.of(StreamContract.ownerKey("605"), "node-c/deadbeef", "PX", "3000")));
    await(fx.redis.set(List.of(StreamContract.nodeKey("605"), "node-c")));
    await(fx.redis.set(List.of(StreamContract.pidKey("605"), "999999")));
    long t0 = System.nanoTime();
    HttpResponse<String> r = fx.getText(fx.playlistUrl("605", fx.token()));
    if (r.statusCode() == 302) {
      r = fx.getText(r.headers().firstValue("Location").orElseThrow());
    }
    assertEquals(200, r.statusCode(), r.body());
    System.out.printf("channel of a dead node playing again %d ms after the request (lease 3 s)%n",
      (System.nanoTime() - t0) / 1_000_000);
    String node = fx.get(StreamContract.nodeKey("605"));
    assertTrue(StreamFixture.NODE.equals(node) || NODE_B.equals(node), node);
    assertEquals(1, everyFfmpeg("605").size());
  }

  private HttpResponse<String> poll(String url, String userAgent) {
    return fx.send(java.net.http.HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
      .header("User-Agent", userAgent).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A player's first poll: the playlist's status once the redirect (if any) is followed, with a segment listed. */
  private int play(String url) throws IOException {
    HttpResponse<String> r = fx.getText(url);
    if (r.statusCode() == 302) {
      r = fx.getText(r.headers().firstValue("Location").orElseThrow());
    }
    if (r.statusCode() == 200 && !r.body().contains(".ts?")) {
      throw new IOException("no segment listed:\n" + r.body());
    }
    return r.statusCode();
  }
}
