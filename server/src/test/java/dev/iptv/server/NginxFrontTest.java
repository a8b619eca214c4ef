package dev.iptv.server;

import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import dev.iptv.stream.testing.FfmpegPlayer;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nginx front as the jar renders it. The live poll's auth cache: one check per viewer session
 * and second reaches stream-service, and no player is answered from another one's entry.
 *
 * <p>The limit slate ({@code IPTV_LIMIT_SLATE}) through the nginx front: real
 * auth-service and stream-service on their own ports, a real nginx, a live source, players bound to
 * 127.0.0.2 and 127.0.0.3 (nginx hands their addresses on in {@code X-Real-IP}). The refused auth
 * subrequest's 403 reaches stream-service, which answers the slate; nginx serves its segments from
 * the HLS folder without a token; the refused player holds no session and gets the channel once the
 * first player's session ends.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NginxFrontTest {

  private static final int DB = 10;
  private Vertx vertx;
  private RedisAPI redis;
  private LiveSource source;
  private Path run;
  private Process nginx;
  private int port;

  /** One HTTP answer. */
  private record Answer(int status, String slate, String contentType, String body, String authCache) {
  }

  @BeforeAll
  void start() throws Exception {
    source = LiveSource.start();
    vertx = Vertx.vertx();
    redis = TestEnv.flushedRedis(vertx, DB);
    run = Files.createTempDirectory("nginx-limit-slate");
    Files.createDirectories(run.resolve("tmp"));
    Path hls = run.resolve("hls");
    int streamPort = TestEnv.freePort();
    port = TestEnv.freePort();
    JsonObject config = TestEnv.config(DB, 0);
    config.put(Config.key(Config.HLS_DIR), hls.toString())
      .put(Config.key(Config.FFMPEG_LOG_DIR), run.resolve("logs").toString())
      .put(Config.key(Config.NODE_NAME), "nginx-slate")
      .put(Config.key(Config.HLS_TIME_S), "1")
      .put(Config.key(Config.HLS_LIST_SIZE), "4")
      .put(Config.key(Config.SESSION_WINDOW_S), "5")
      .put(Config.key(Config.LIMIT_SLATE), "true")
      .put(Config.key(Config.STREAM_PORT), String.valueOf(streamPort))
      .put(Config.key(Config.NGINX_LISTEN), "127.0.0.1:" + port)
      .put(Config.key(Config.NGINX_TEMP_DIR), run.resolve("tmp").toString())
      .put(Config.key(Config.SEGMENT_LOG_PORT), String.valueOf(TestEnv.freePort()));
    await(vertx.deployVerticle(Main.service("auth", null).get(), new DeploymentOptions().setConfig(config.copy())));
    JsonObject streamConfig = config.copy().put(ServiceVerticle.SERVE_PORT, streamPort);
    await(vertx.deployVerticle(Main.service("stream", null).get(), new DeploymentOptions().setConfig(streamConfig)));
    Files.writeString(run.resolve("nginx.conf"), NginxConfig.render(config, run, false));
    // nginx's workers (nobody, under root) reach the run folder; the HLS folder is stream-service's own (0711).
    new ProcessBuilder("chmod", "a+rX", run.toString(), run.resolve("tmp").toString()).start().waitFor();
    nginx = new ProcessBuilder("nginx", "-p", run.toString(), "-c", run.resolve("nginx.conf").toString())
      .redirectErrorStream(true).redirectOutput(run.resolve("nginx.out").toFile()).start();
    eventually(Duration.ofSeconds(10), "nginx answers", () -> {
      if (!nginx.isAlive()) {
        throw new AssertionError("nginx exited: " + Files.readString(run.resolve("nginx.out")));
      }
      try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
        return true;
      } catch (java.io.IOException e) {
        return false;
      }
    });
  }

  @AfterAll
  void stop() throws Exception {
    if (nginx != null) {
      nginx.destroy();
      nginx.waitFor(10, TimeUnit.SECONDS);
    }
    if (vertx != null) {
      await(vertx.close());
    }
    if (source != null) {
      source.close();
    }
    if (run != null) {
      try (Stream<Path> files = Files.walk(run)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** A GET through nginx from {@code localAddress} with {@code userAgent}: a player on its own machine. */
  private Answer get(String localAddress, String userAgent, String uri) {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setLocalAddress(localAddress));
    return await(client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
      .setURI(uri).putHeader("User-Agent", userAgent)).compose(req -> req.send()
      .compose(r -> r.body().map(b -> new Answer(r.statusCode(), r.getHeader("X-Slate"), r.getHeader("Content-Type"),
        b.toString(), r.getHeader("X-Auth-Cache")))))
      .eventually(client::close));
  }

  /** The head of an endless answer: its status, headers and first byte, then the connection is closed. */
  private Answer tsHead(String localAddress, String userAgent, String uri) {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setLocalAddress(localAddress));
    return await(client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
      .setURI(uri).putHeader("User-Agent", userAgent)).compose(req -> req.send().compose(r -> {
        io.vertx.core.Promise<Answer> first = io.vertx.core.Promise.promise();
        r.handler(b -> first.tryComplete(new Answer(r.statusCode(), r.getHeader("X-Slate"), r.getHeader("Content-Type"),
          b.getString(0, 1), null)));
        r.endHandler(v -> first.tryFail("ended before any byte"));
        return first.future();
      }))
      .eventually(client::close));
  }

  private List<String> sessions(String username) {
    Response r = await(redis.zrange(List.of(AuthContract.sessionsKey(username), "0", "-1")));
    List<String> out = new ArrayList<>();
    r.forEach(x -> out.add(x.toString()));
    return out;
  }

  /** A live channel {@code id} on the test source and a token of {@code maxConnections}; the token. */
  private String channelAndToken(String id, int maxConnections) {
    JsonObject channel = new JsonObject().put("channel_id", id).put("name", "Channel " + id)
      .put("source_url", source.url()).put("is_active", true).put("quality", "low").put("transcode_profile", "auto")
      .put("backup_urls", new JsonArray());
    await(redis.set(List.of(ChannelContract.channelKey(id), channel.encode())));
    await(redis.sadd(List.of(ChannelContract.CHANNELS_ALL, id)));
    String token = TestEnv.hexToken();
    await(redis.set(List.of(AuthContract.tokenKey(token), new JsonObject().put("username", username(token))
      .put("token", token).put("expires_at", Instant.now().plusSeconds(3600).toString())
      .put("max_connections", maxConnections).put("is_active", true).encode())));
    return token;
  }

  /** Entries in nginx's auth cache folder. */
  private long cacheFiles() throws java.io.IOException {
    try (Stream<Path> files = Files.walk(run.resolve("tmp").resolve("live_auth"))) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  private static String username(String token) {
    return "viewer_" + token.substring(0, 6);
  }

  @Test
  @DisplayName("the live poll's auth subrequest is cached one second per session: a repeat poll is a HIT, another address or player is checked itself")
  void authCache() throws Exception {
    String id = "902";
    String token = channelAndToken(id, 1);
    String uri = "/live/stream_" + id + ".m3u8?token=" + token;
    eventually(Duration.ofSeconds(30), "the channel plays through nginx",
      () -> get("127.0.0.4", "PlayerC", uri), x -> x.status() == 200);
    TestEnv.pause(1_100);   // the cache's second is over: the next poll asks stream-service again

    Answer first = get("127.0.0.4", "PlayerC", uri);
    assertEquals(200, first.status(), first.body());
    assertEquals("MISS", first.authCache(), "asked stream-service");
    assertEquals(0, cacheFiles(), "a key used once in its second is not written");
    // Entries are per clock second and written at a key's second use: of eight quick polls, the
    // first writes the entry, and at most one more crosses into a new second (two more misses).
    List<String> statuses = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      Answer again = get("127.0.0.4", "PlayerC", uri);
      assertEquals(200, again.status(), again.body());
      assertTrue(again.body().contains("stream_" + id + "_") && again.body().contains("?e="), again.body());
      statuses.add(again.authCache());
    }
    assertTrue(statuses.stream().filter("HIT"::equals).count() >= 5, "polls within a second are cache hits: " + statuses);
    assertTrue(cacheFiles() > 0, "the entry is a file of nginx's cache");

    // max_connections 1: another address, or another player on the same address, is a session of
    // its own; it is checked by stream-service and refused, never served from the first one's entry.
    for (String[] other : new String[][] {{"127.0.0.5", "PlayerC"}, {"127.0.0.4", "PlayerD"}}) {
      Answer refused = get(other[0], other[1], uri);
      assertEquals("limit", refused.slate(), other[0] + " " + other[1] + " is refused (the limit slate): " + refused.body());
      assertFalse(refused.body().contains("stream_" + id + "_"), refused.body());
    }
    assertEquals(List.of(AuthContract.sessionId(token, "127.0.0.4", "PlayerC")), sessions(username(token)));
    TestEnv.pause(1_100);
    assertEquals("MISS", get("127.0.0.4", "PlayerC", uri).authCache(),
      "an entry serves its clock second only: a revoked token is asked again within a second");
  }

  @Test
  @DisplayName("through nginx: limit 1, the second player gets the slate (ffmpeg decodes it), holds no session, then the channel")
  void slateThroughNginx() throws Exception {
    String id = "901";
    String token = channelAndToken(id, 1);
    String username = username(token);
    String uri = "/live/stream_" + id + ".m3u8?token=" + token;
    String sessionA = AuthContract.sessionId(token, "127.0.0.2", "PlayerA");

    Answer a = eventually(Duration.ofSeconds(30), "the first player gets the channel",
      () -> get("127.0.0.2", "PlayerA", uri), x -> x.status() == 200);
    assertTrue(a.body().contains("stream_" + id + "_") && a.body().contains("?e="), a.body());
    TestEnv.Repeating aPolls = TestEnv.repeat("test-player-a", 1_000, () -> get("127.0.0.2", "PlayerA", uri));
    try {
      TestEnv.pause(1_500);   // past the auth cache's second: the refusal below is stream-service's own
      Answer b = get("127.0.0.3", "PlayerB", uri);
      assertEquals(200, b.status(), b.body());
      assertEquals("limit", b.slate());
      assertFalse(b.body().contains("stream_" + id + "_"), b.body());
      List<String> segs = b.body().lines().filter(l -> l.startsWith("_slate/")).toList();
      assertEquals(3, segs.size(), b.body());
      for (String s : segs) {
        Answer seg = get("127.0.0.3", "PlayerB", "/live/" + s);
        assertEquals(200, seg.status(), s);
        assertEquals("video/mp2t", seg.contentType(), s);
      }
      assertEquals(404, get("127.0.0.3", "PlayerB", "/live/_slate/limit_1_1s_7.ts").status());

      // The TS URL, refused the same way, streams the slate through nginx (unbuffered) with no session.
      Answer ts = tsHead("127.0.0.3", "PlayerB", "/live/stream_" + id + ".ts?token=" + token);
      assertEquals(200, ts.status());
      assertEquals("limit", ts.slate());
      assertEquals("video/mp2t", ts.contentType());
      assertEquals("G", ts.body(), "an MPEG-TS sync byte first");

      try (FfmpegPlayer p = new FfmpegPlayer("http://127.0.0.1:" + port + uri)) {
        eventually(Duration.ofSeconds(40), "ffmpeg decodes 3 s of the slate through nginx",
          () -> p.frames() >= 75 || !p.process.isAlive());
        assertTrue(p.process.isAlive(), "ffmpeg plays on: " + p.errors());
        assertEquals(List.of(sessionA), sessions(username), "only the first player holds a session");
      }
      aPolls.stop();
      // The first player stopped: once its session ends, PlayerB's next poll is the channel (with proofs).
      Answer real = eventually(Duration.ofSeconds(40), "PlayerB gets the channel's playlist through nginx",
        () -> get("127.0.0.3", "PlayerB", uri), x -> x.status() == 200 && x.slate() == null);
      assertTrue(real.body().contains("stream_" + id + "_") && real.body().contains("?e="), real.body());
      assertEquals(List.of(AuthContract.sessionId(token, "127.0.0.3", "PlayerB")), sessions(username));
    } finally {
      aPolls.close();
    }
  }
}
