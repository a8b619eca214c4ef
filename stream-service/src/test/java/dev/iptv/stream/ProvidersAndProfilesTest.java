package dev.iptv.stream;

import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ProviderContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.limits.Provider;
import dev.iptv.stream.limits.TranscodeProfile;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.TestEnv;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12 items 3 and 6 on real FFmpeg and the live source: provider limits send a channel to a
 * source of another provider, then refuse with 503 Source busy, and a stopped stream gives its count
 * back; auto_restart_hours restarts a channel while a player keeps playing; a transcode profile of
 * the API reaches FFmpeg's command line, and hostile profile values are refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProvidersAndProfilesTest {

  private LiveSource source;
  private StreamFixture fx;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private MessageConsumer<JsonObject> eventConsumer;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of());
    eventConsumer = fx.vertx.eventBus().consumer(StreamContract.EVENTS, m -> events.add(m.body()));
    await(eventConsumer.completion());
  }

  @AfterEach
  void noLeftovers() {
    fx.stopEveryStream();
  }

  @AfterAll
  void tearDown() {
    StreamFixture.closeAll(fx, source);
  }

  /** The feed {@code name} reached as localhost: the same live source under another host name. */
  private String otherHost(String name) {
    return source.url(name).replace("127.0.0.1", "localhost");
  }

  private void channel(String id, JsonObject extra, String primary, String... backups) {
    JsonObject c = new JsonObject().put("channel_id", id).put("name", "Channel " + id).put("source_url", primary)
      .put("is_active", true).put("quality", "low").put("transcode_profile", "auto")
      .put("backup_urls", new JsonArray(List.of((Object[]) backups))).mergeIn(extra);
    await(fx.redis.set(List.of(ChannelContract.channelKey(id), c.encode())));
    await(fx.redis.sadd(List.of(ChannelContract.CHANNELS_ALL, id)));
  }

  private JsonObject providerStreams() {
    HttpResponse<String> r = fx.api("GET", "/api/providers", null);
    assertEquals(200, r.statusCode(), r.body());
    JsonObject byName = new JsonObject();
    new JsonObject(r.body()).getJsonArray("providers").forEach(o -> byName.put(((JsonObject) o).getString("name"),
      ((JsonObject) o).getLong("streams")));
    return byName;
  }

  @Test
  @DisplayName("a full provider sends the next channel to another provider's source, then answers 503 Source busy with Retry-After; a stopped stream gives its count back")
  void providerLimits() {
    assertEquals(201, fx.api("POST", "/api/providers", new JsonObject().put("name", "alpha")
      .put("hosts", new JsonArray().add("127.0.0.1")).put("max_streams", 1)).statusCode());
    assertEquals(201, fx.api("POST", "/api/providers", new JsonObject().put("name", "beta")
      .put("hosts", new JsonArray().add("localhost")).put("max_streams", 1)).statusCode());
    assertEquals(409, fx.api("POST", "/api/providers", new JsonObject().put("name", "beta")
      .put("hosts", new JsonArray()).put("max_streams", 1)).statusCode());
    HttpResponse<String> bad = fx.api("POST", "/api/providers", new JsonObject().put("name", "gamma")
      .put("hosts", new JsonArray().add("http://x;y")).put("max_streams", 1));
    assertEquals(400, bad.statusCode());
    assertTrue(bad.body().contains("hosts[0]"), bad.body());
    for (String id : List.of("801", "802", "803")) {
      channel(id, new JsonObject(), source.url("a" + id), otherHost("b" + id));
    }
    String token = fx.token();
    try {
      assertEquals(200, fx.getText(fx.playlistUrl("801", token)).statusCode());
      assertEquals(source.url("a801"), fx.get(StreamContract.resolvedSourceKey("801")));
      // alpha is full: 802 plays from its backup, beta's.
      assertEquals(200, fx.getText(fx.playlistUrl("802", token)).statusCode());
      assertEquals(otherHost("b802"), fx.get(StreamContract.resolvedSourceKey("802")));
      assertEquals(new JsonObject().put("alpha", 1L).put("beta", 1L), providerStreams());

      HttpResponse<String> busy = fx.getText(fx.playlistUrl("803", token));
      assertEquals(503, busy.statusCode(), busy.body());
      assertEquals("ERROR: Source busy", busy.body());
      assertTrue(busy.headers().firstValue("Retry-After").map(v -> Long.parseLong(v) > 0).orElse(false), busy.headers().toString());
      HttpResponse<String> started = fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "803"));
      assertEquals(503, started.statusCode(), started.body());
      assertTrue(started.body().contains("source busy") && started.body().contains("provider alpha is full"), started.body());
      assertTrue(started.headers().firstValue("Retry-After").isPresent());
      assertTrue(fx.ffmpegPids("803").isEmpty());
      eventually(Duration.ofSeconds(5), "the refused start gave its lease back",
        () -> fx.get(StreamContract.ownerKey("803")) == null);

      // 801 stops: alpha's count comes back, and 803 plays from alpha.
      assertEquals(200, fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "801")).statusCode());
      eventually(Duration.ofSeconds(10), "alpha counts no stream", () -> providerStreams().getLong("alpha") == 0L);
      assertEquals(200, fx.getText(fx.playlistUrl("803", token)).statusCode());
      assertEquals(source.url("a803"), fx.get(StreamContract.resolvedSourceKey("803")));
      assertEquals(new JsonObject().put("alpha", 1L).put("beta", 1L), providerStreams());

      // An entry whose owner lease is gone (a crashed instance's) does not count.
      await(fx.redis.hset(List.of(ProviderContract.providerStreamsKey("beta"), "999", "dead-node/0000")));
      assertEquals(1L, providerStreams().getLong("beta"));
      assertEquals(List.of("802"), await(fx.redis.hkeys(ProviderContract.providerStreamsKey("beta"))).stream()
        .map(Object::toString).toList());
    } finally {
      fx.api("DELETE", "/api/providers/alpha", null);
      fx.api("DELETE", "/api/providers/beta", null);
    }
  }

  @Test
  @DisplayName("a channel's provider field names its primary source's provider; backups go by host")
  void providerByField() {
    Provider named = new Provider("named", List.of(), 3);
    Provider byHost = new Provider("hosted", List.of("127.0.0.2"), 2);
    ChannelSpec spec = ChannelSpec.fromJson("9", new JsonObject().put("source_url", "http://127.0.0.2/a.ts")
        .put("provider", "named").put("backup_urls", new JsonArray().add("http://127.0.0.2/b.ts").add("http://other/c.ts")),
      Map.of("named", named, "hosted", byHost), Map.of());
    assertEquals(named, spec.providerOf("http://127.0.0.2/a.ts"));
    assertEquals(byHost, spec.providerOf("http://127.0.0.2/b.ts"));
    assertNull(spec.providerOf("http://other/c.ts"));
  }

  @Test
  @DisplayName("auto_restart_hours restarts a running channel on schedule while a polling player keeps playing")
  void autoRestart() {
    String id = "811";
    channel(id, new JsonObject().put("auto_restart_hours", 5.0 / 3600), source.url("r811"));
    String token = fx.token();
    events.clear();
    assertEquals(200, fx.getText(fx.playlistUrl(id, token)).statusCode());
    long firstPid = fx.ffmpegPids(id).get(0);
    List<long[]> polls = new CopyOnWriteArrayList<>(); // {status, media sequence}
    AtomicBoolean on = new AtomicBoolean(true);
    Thread player = new Thread(() -> {
      while (on.get()) {
        HttpResponse<String> r = fx.getText(fx.playlistUrl(id, token));
        HlsFolder.Tail tail = r.statusCode() == 200 ? HlsFolder.tail(r.body()) : null;
        int seg = tail == null ? -1 : fx.getBytes(fx.base() + "/live/" + tail.lastSegment()).statusCode();
        polls.add(new long[] {r.statusCode(), tail == null ? -1 : tail.mediaSequence(), seg, System.currentTimeMillis()});
        TestEnv.pause(250); // a player's poll interval: time is the subject
      }
    }, "test-player-" + id);
    player.start();
    try {
      eventually(Duration.ofSeconds(20), "a scheduled restart", () -> events.stream().anyMatch(e ->
        "restarted".equals(e.getString("event")) && id.equals(e.getString("channel_id"))
          && "scheduled".equals(e.getString("reason"))));
      int at = polls.size();
      long before = polls.get(at - 1)[1];
      eventually(Duration.ofSeconds(10), "new segments after the restart", () -> polls.size() > at + 4
        && polls.get(polls.size() - 1)[1] > before + 2);
    } finally {
      on.set(false);
      try {
        player.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    long sequence = -1;
    long advancedAt = polls.get(0)[3];
    long longestWait = 0;
    for (long[] p : polls) {
      if (p[1] > sequence) {
        longestWait = Math.max(longestWait, p[3] - advancedAt);
        advancedAt = p[3];
      }
      assertEquals(200, p[0], "a poll answered " + Arrays.toString(p));
      assertEquals(200, p[2], "a segment answered " + Arrays.toString(p));
      assertTrue(p[1] >= sequence, "the media sequence went back: " + Arrays.toString(p));
      sequence = p[1];
    }
    System.out.printf("MEASURED scheduled restart: longest wait for a new segment %d ms over %d polls%n", longestWait,
      polls.size());
    assertFalse(fx.ffmpegPids(id).contains(firstPid), "the first FFmpeg was replaced");
    assertEquals(1, fx.ffmpegPids(id).size());
    assertFalse(events.stream().anyMatch(e -> id.equals(e.getString("channel_id")) && "stopped".equals(e.getString("event"))));
  }

  @Test
  @DisplayName("a transcode profile of the API is what FFmpeg runs with (its /proc cmdline), and hostile values are refused naming the field")
  void transcodeProfile() throws Exception {
    JsonObject tiny = new JsonObject().put("name", "tiny").put("video_codec", "libx264").put("audio_codec", "aac")
      .put("video_bitrate", "300k").put("audio_bitrate", 64).put("resolution", "320x180").put("preset", "ultrafast")
      .put("extra_params", new JsonObject().put("tune", "zerolatency").put("framerate", 25));
    HttpResponse<String> created = fx.api("POST", "/api/transcode-profiles", tiny);
    assertEquals(201, created.statusCode(), created.body());
    assertEquals("300k", new JsonObject(created.body()).getString("video_bitrate"));

    String id = "821";
    channel(id, new JsonObject().put("transcode_profile", "tiny"), source.url("t821"));
    String token = fx.token();
    HttpResponse<String> playlist = fx.getText(fx.playlistUrl(id, token));
    assertEquals(200, playlist.statusCode(), playlist.body());
    long pid = fx.ffmpegPids(id).get(0);
    List<String> argv = cmdline(pid);
    assertTrue(contains(argv, "-c:v", "libx264") && contains(argv, "-preset", "ultrafast") && contains(argv, "-tune", "zerolatency")
      && contains(argv, "-vf", "scale=320:180") && contains(argv, "-b:v", "300k") && contains(argv, "-b:a", "64k")
      && contains(argv, "-r", "25"), argv.toString());
    assertEquals("transcode", fx.get(StreamContract.modeKey(id)));
    byte[] segment = fx.getBytes(fx.firstSegmentUrl(playlist.body())).body();
    Path file = Files.createTempFile("profile-seg", ".ts");
    try {
      Files.write(file, segment);
      Process probe = new ProcessBuilder("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
        "stream=width,height", "-of", "csv=p=0", file.toString()).redirectErrorStream(true).start();
      assertTrue(probe.waitFor(20, TimeUnit.SECONDS));
      assertEquals("320,180", new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().lines()
        .findFirst().orElse(""));
    } finally {
      Files.deleteIfExists(file);
    }

    for (Object[] hostile : new Object[][] {
      {"video_codec", "libx264 -i /etc/passwd"}, {"audio_codec", "aac;rm"}, {"preset", "fast\n-y"},
      {"resolution", "320x180 -i /etc/passwd"}, {"video_bitrate", 99_999_999_999L}, {"audio_bitrate", "64k\n"},
      {"resolution", "99999x99999"}, {"extra_params", new JsonObject().put("-i", "/etc/passwd")},
      {"extra_params", new JsonObject().put("crf", "20 -i x")}, {"extra_params", "-i /etc/passwd"}}) {
      JsonObject body = tiny.copy().put("name", "evil").put((String) hostile[0], hostile[1]);
      HttpResponse<String> r = fx.api("POST", "/api/transcode-profiles", body);
      assertEquals(400, r.statusCode(), hostile[0] + " " + hostile[1] + ": " + r.body());
      assertTrue(new JsonObject(r.body()).getString("error").startsWith((String) hostile[0]), r.body());
    }
    HttpResponse<String> badName = fx.api("POST", "/api/transcode-profiles", tiny.copy().put("name", "x;rm -rf"));
    assertEquals(400, badName.statusCode());
    assertTrue(badName.body().contains("name"), badName.body());
    assertEquals(404, fx.api("GET", "/api/transcode-profiles/evil", null).statusCode());
    assertEquals(200, fx.api("PUT", "/api/transcode-profiles/tiny", tiny.copy().put("preset", "veryfast")).statusCode());
    assertTrue(fx.api("GET", "/api/transcode-profiles", null).body().contains("veryfast"));
    assertEquals(200, fx.api("DELETE", "/api/transcode-profiles/tiny", null).statusCode());
    assertEquals(404, fx.api("GET", "/api/transcode-profiles/tiny", null).statusCode());
  }

  private static boolean contains(List<String> argv, String option, String value) {
    for (int i = 0; i + 1 < argv.size(); i++) {
      if (argv.get(i).equals(option) && argv.get(i + 1).equals(value)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> cmdline(long pid) throws IOException {
    byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
    List<String> out = new ArrayList<>(List.of(new String(raw, StandardCharsets.UTF_8).split("\0")));
    return out;
  }
}
