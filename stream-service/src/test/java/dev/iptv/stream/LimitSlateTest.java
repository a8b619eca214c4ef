package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.MonitorContract.SegmentBatch;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.stream.testing.FfmpegPlayer;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.TestEnv;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The slate of a viewer refused by max_connections ({@code IPTV_LIMIT_SLATE}, issue 12 item 5) on the
 * all-in-one front's player routes: a user limited to one connection watches from 127.0.0.2; a second
 * player gets a live slate playlist that a real FFmpeg decodes, holds no session, and turns into a
 * viewer of the channel by itself, without reopening, once the first player's session ends; with the
 * setting off the same poll is {@code 403}. Segments of 1 s, sessions of 5 s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitSlateTest {

  private static final String WINDOW_S = "5";
  private LiveSource source;
  private StreamFixture fx;
  private MessageConsumer<JsonObject> servedConsumer;
  private final ConcurrentLinkedQueue<SegmentServed> served = new ConcurrentLinkedQueue<>();

  /** One HTTP answer. */
  private record Answer(int status, String slate, String body) {
  }

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.LIMIT_SLATE, "true", Config.SESSION_WINDOW_S, WINDOW_S));
    servedConsumer = fx.vertx.eventBus().consumer(MonitorContract.SEGMENTS_SERVED,
      m -> served.addAll(SegmentBatch.fromJson(m.body()).records()));
    await(servedConsumer.completion());
  }

  @AfterAll
  void tearDown() {
    if (servedConsumer != null) {
      await(servedConsumer.unregister());
    }
    StreamFixture.closeAll(fx, source);
  }

  /** A GET from {@code localAddress} with {@code userAgent}: a player on its own machine. */
  private Answer get(String localAddress, String userAgent, String uri) {
    HttpClient client = fx.vertx.createHttpClient(new HttpClientOptions().setLocalAddress(localAddress));
    return await(client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(fx.port)
      .setURI(uri).putHeader("User-Agent", userAgent)).compose(req -> req.send()
      .compose(r -> r.body().map(b -> new Answer(r.statusCode(), r.getHeader(LimitSlate.REASON_HEADER), b.toString())))
      .eventually(() -> client.close())));
  }

  private List<String> sessions(String username) {
    Response r = await(fx.redis.zrange(List.of(AuthContract.sessionsKey(username), "0", "-1")));
    List<String> out = new ArrayList<>();
    r.forEach(x -> out.add(x.toString()));
    return out;
  }

  private static List<String> uris(String playlist) {
    return playlist.lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
  }

  private long servedTo(String id, String ip) {
    return served.stream().filter(s -> s.channelId().equals(id) && ip.equals(s.ip())).count();
  }

  @Test
  @DisplayName("limit 1: a second player gets the slate (ffmpeg decodes it), holds no session, and gets the channel once the slot frees")
  void slateThenChannel() throws Exception {
    fx.channel("801", source.url());
    String token = fx.token(true, Instant.now().plusSeconds(3600), 1);
    String username = "viewer_" + token.substring(0, 6);
    String uri = "/live/stream_801.m3u8?token=" + token;
    String sessionA = AuthContract.sessionId(token, "127.0.0.2", "PlayerA");
    String sessionB = AuthContract.sessionId(token, "127.0.0.3", "PlayerB");

    Answer a = get("127.0.0.2", "PlayerA", uri);
    assertEquals(200, a.status(), a.body());
    assertTrue(a.body().contains("stream_801_"), a.body());
    // The first player keeps polling, as players do.
    TestEnv.Repeating aPolls = TestEnv.repeat("test-player-a", 1_000, () -> get("127.0.0.2", "PlayerA", uri));
    try {
      Answer b = get("127.0.0.3", "PlayerB", uri);
      assertEquals(200, b.status(), b.body());
      assertEquals("limit", b.slate());
      assertTrue(b.body().startsWith("#EXTM3U") && b.body().contains("#EXT-X-MEDIA-SEQUENCE:"), b.body());
      assertFalse(b.body().contains("stream_801_"), "no segment of the channel: " + b.body());
      List<String> slateUris = uris(b.body());
      assertEquals(LimitSlate.SEGMENTS, slateUris.size(), b.body());
      for (String s : slateUris) {
        assertTrue(s.matches("_slate/limit_1_1s_\\d\\.ts"), s);
        // No token on the segments: they are the same for everyone.
        Answer seg = get("127.0.0.3", "PlayerB", "/live/" + s);
        assertEquals(200, seg.status(), s);
        assertTrue(seg.body().length() > 1000, s + ": " + seg.body().length() + " bytes");
      }
      assertEquals(404, get("127.0.0.3", "PlayerB", "/live/_slate/limit_1_1s_7.ts").status());

      // A real player of the same URL (a third client, 127.0.0.1) gets the slate and decodes it, never reopening.
      try (FfmpegPlayer p = new FfmpegPlayer(fx.base() + uri)) {
        eventually(Duration.ofSeconds(40), "ffmpeg decodes 3 s of the slate", () -> p.frames() >= 75 || !p.process.isAlive());
        assertTrue(p.process.isAlive(), "ffmpeg plays on: " + p.errors());
        assertEquals(0, servedTo("801", "127.0.0.1"), "the slated player got no segment of the channel");
        List<String> held = sessions(username);
        assertEquals(List.of(sessionA), held, "only the first player holds a session");
        assertEquals("limit", get("127.0.0.3", "PlayerB", uri).slate(), "still the slate while the first plays");

        // The first player stops: its session ends after the window; a slated player's next poll takes the slot.
        aPolls.stop();
        long stopped = System.currentTimeMillis();
        List<String> now = eventually(Duration.ofSeconds(40), "a slated player becomes the viewer",
          () -> sessions(username), s -> s.size() == 1 && !s.contains(sessionA));
        assertFalse(now.contains(sessionB), "PlayerB did not poll since: the session is ffmpeg's");
        long frames = p.frames();
        eventually(Duration.ofSeconds(30), "ffmpeg moves on to the channel's own segments without reopening",
          () -> servedTo("801", "127.0.0.1") >= 2 || !p.process.isAlive());
        assertTrue(p.process.isAlive(), "ffmpeg plays on: " + p.errors());
        eventually(Duration.ofSeconds(20), "ffmpeg decodes the channel", () -> p.frames() > frames + 50);
        System.out.printf("slated ffmpeg became a viewer %d ms after the first player's last poll%n",
          System.currentTimeMillis() - stopped);
        // The slot is ffmpeg's now: PlayerB still gets the slate.
        assertEquals("limit", get("127.0.0.3", "PlayerB", uri).slate());
      }
      // ffmpeg stopped: PlayerB's polls turn into the channel once its session ends.
      Answer real = eventually(Duration.ofSeconds(40), "PlayerB gets the channel's playlist",
        () -> get("127.0.0.3", "PlayerB", uri), x -> x.status() == 200 && x.slate() == null);
      assertTrue(real.body().contains("stream_801_"), real.body());
      assertEquals(List.of(sessionB), sessions(username));
    } finally {
      aPolls.close();
    }
  }

  @Test
  @DisplayName("limit 1: a refused TS viewer gets the slate as one MPEG-TS (ffmpeg decodes it), then the channel on the same connection")
  void tsSlateThenChannel() throws Exception {
    fx.channel("803", source.url());
    String token = fx.token(true, Instant.now().plusSeconds(3600), 1);
    String username = "viewer_" + token.substring(0, 6);
    String uri = "/live/stream_803.m3u8?token=" + token;
    String sessionA = AuthContract.sessionId(token, "127.0.0.2", "PlayerA");
    assertEquals(200, get("127.0.0.2", "PlayerA", uri).status());
    TestEnv.Repeating aPolls = TestEnv.repeat("test-player-a", 1_000, () -> get("127.0.0.2", "PlayerA", uri));
    try (FfmpegPlayer p = new FfmpegPlayer(fx.base() + "/live/stream_803.ts?token=" + token)) {
      eventually(Duration.ofSeconds(40), "ffmpeg decodes 3 s of the slate from the TS URL",
        () -> p.frames() >= 75 || !p.process.isAlive());
      assertTrue(p.process.isAlive(), "ffmpeg plays on: " + p.errors());
      assertEquals(0, servedTo("803", "127.0.0.1"), "no byte of the channel yet");
      assertEquals(List.of(sessionA), sessions(username), "the slated TS viewer holds no session");
      aPolls.stop();
      eventually(Duration.ofSeconds(40), "the same TS connection goes on with the channel",
        () -> servedTo("803", "127.0.0.1") >= 2 || !p.process.isAlive());
      assertTrue(p.process.isAlive(), "ffmpeg plays on: " + p.errors());
      long frames = p.frames();
      eventually(Duration.ofSeconds(20), "ffmpeg decodes the channel", () -> p.frames() > frames + 50);
      List<String> held = sessions(username);
      assertEquals(1, held.size(), held.toString());
      assertFalse(held.contains(sessionA), "the slot is the TS viewer's now");
    } finally {
      aPolls.close();
    }
  }

  @Test
  @DisplayName("with IPTV_LIMIT_SLATE off (the default) the refused poll is 403 Max connections reached")
  void offIsForbidden() {
    fx.undeployStream();
    fx.config.put(Config.key(Config.LIMIT_SLATE), "false");
    try {
      fx.deployStream();
      fx.channel("802", source.url());
      String token = fx.token(true, Instant.now().plusSeconds(3600), 1);
      String uri = "/live/stream_802.m3u8?token=" + token;
      assertEquals(200, get("127.0.0.2", "PlayerA", uri).status());
      Answer b = get("127.0.0.3", "PlayerB", uri);
      assertEquals(403, b.status());
      assertEquals("ERROR: Max connections reached", b.body());
    } finally {
      fx.stopEveryStream();
      fx.undeployStream();
      fx.config.put(Config.key(Config.LIMIT_SLATE), "true");
      fx.deployStream();
    }
  }

  @Test
  @DisplayName("the slate's playlist follows the clock: sequence now / T, each segment once, a discontinuity where the cycle wraps")
  void clockPlaylist() {
    List<String> files = List.of("a0.ts", "a1.ts", "a2.ts");
    List<Double> d = List.of(4.0, 4.0, 4.0);
    String at = LimitSlate.playlist(files, d, 4, 4_000L * 100);   // newest: sequence 100, file 1
    assertTrue(at.contains("#EXT-X-MEDIA-SEQUENCE:98\n"), at);
    assertTrue(at.contains("#EXT-X-DISCONTINUITY-SEQUENCE:32\n"), at);
    assertEquals(List.of("_slate/a2.ts", "_slate/a0.ts", "_slate/a1.ts"), uris(at));
    assertTrue(at.contains("_slate/a2.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:4.000000,\n_slate/a0.ts"), at);
    String later = LimitSlate.playlist(files, d, 4, 4_000L * 101 + 3_999);
    assertTrue(later.contains("#EXT-X-MEDIA-SEQUENCE:99\n"), later);
    // Sequence 99 is the first of its cycle: no tag before the playlist's first segment.
    assertTrue(later.contains("#EXT-X-DISCONTINUITY-SEQUENCE:33\n"), later);
    assertFalse(later.contains("#EXT-X-DISCONTINUITY\n"), later);
    assertEquals(List.of("_slate/a0.ts", "_slate/a1.ts", "_slate/a2.ts"), uris(later));
  }
}
