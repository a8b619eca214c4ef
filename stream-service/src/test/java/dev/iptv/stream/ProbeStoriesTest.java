package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How much of a source FFmpeg reads before it writes: a quick probe for every start, a full one for
 * a source whose audio or program table comes late, found out from FFmpeg's own words and
 * remembered per channel and source in {@code stream:{id}:probe}. Real FFmpeg on the shipped live
 * source and its late modes ({@link LiveSource#LATE_MS} without audio).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProbeStoriesTest {

  private static final String QUICK_ANALYZE = "700000";
  private static final String FULL_ANALYZE = "5000000";

  private LiveSource source;
  private StreamFixture fx;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private MessageConsumer<JsonObject> eventConsumer;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    // Room for a quick attempt that fails and a full probe of 5 s on a busy machine.
    fx = new StreamFixture(Map.of(Config.START_TIMEOUT_S, "20"));
    eventConsumer = fx.vertx.eventBus().consumer(StreamContract.EVENTS, m -> events.add(m.body()));
    await(eventConsumer.completion());
  }

  @BeforeEach
  void clearEvents() {
    events.clear();
  }

  @AfterEach
  void stopAll() {
    for (ProcScan.Found f : fx.allFfmpeg()) {
      fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", f.channelId()));
    }
  }

  @AfterAll
  void tearDown() {
    try {
      if (fx != null) {
        fx.undeployStream();
        assertTrue(fx.allFfmpeg().isEmpty(), "FFmpeg left after undeploy: " + fx.allFfmpeg());
      }
    } finally {
      if (fx != null) {
        fx.close();
      }
      if (source != null) {
        source.close();
      }
    }
  }

  @Test
  @DisplayName("a channel whose source sends its tables at once starts with a quick probe, with audio, "
    + "is remembered as quick, and starts quickly again")
  void promptSourceProbesQuickly() {
    fx.channel("701", source.url());
    int before = source.connections();
    play("701");
    assertEquals(QUICK_ANALYZE, analyzeDuration("701"));
    assertTrue(streamKinds("701").containsAll(List.of("video", "audio")), streamKinds("701").toString());
    assertEquals("quick", remembered("701", source.url()));
    assertEquals(1, source.connections() - before, "one connection to the source: nothing probed it besides FFmpeg");
    long ttl = await(fx.redis.ttl(StreamContract.probeKey("701"))).toLong();
    assertTrue(ttl > 0 && ttl <= ProbePolicy.MEMORY_S, "expires: " + ttl);

    stop("701");
    assertEquals("quick", remembered("701", source.url()), "remembered across runs");
    before = source.connections();
    play("701");
    assertEquals(QUICK_ANALYZE, analyzeDuration("701"));
    assertEquals(1, source.connections() - before);
  }

  @Test
  @DisplayName("a channel whose audio comes late (listed in the PMT) is run again with a full probe at once, "
    + "plays with audio, is remembered as full, and its next start probes fully from the first try")
  void lateAudioIsProbedFully() {
    String url = source.lateAudioUrl();
    fx.channel("702", url);
    int before = source.connections();
    play("702");
    assertEquals(FULL_ANALYZE, analyzeDuration("702"));
    assertEquals("full", remembered("702", url));
    assertEquals(2, source.connections() - before, "a quick attempt, then a full one");
    assertTrue(streamKinds("702").contains("audio"), "the output has audio: " + streamKinds("702"));
    assertEquals("copy", fx.get(StreamContract.modeKey("702")), "a probe too short is no reason to transcode");

    stop("702");
    before = source.connections();
    play("702");
    assertEquals(FULL_ANALYZE, analyzeDuration("702"));
    assertEquals(1, source.connections() - before, "the full probe straight away, as remembered");
    assertTrue(streamKinds("702").contains("audio"), streamKinds("702").toString());
  }

  @Test
  @DisplayName("a channel whose PMT gains its audio later plays at once without it, is restarted with a full "
    + "probe when the audio appears, then plays with audio; remembered as full for its next start")
  void latePmtRestartsWithFullProbe() {
    String url = source.latePmtUrl();
    fx.channel("703", url);
    int before = source.connections();
    long firstPid = play("703");
    assertEquals(QUICK_ANALYZE, analyzeDuration("703"), "nothing told yet: quick");
    eventually(Duration.ofSeconds(25), "restarted with a full probe once the audio appeared", () ->
      events.stream().anyMatch(e -> "restarted".equals(e.getString("event")) && "703".equals(e.getString("channel_id"))
        && e.getString("reason", "").contains("full")));
    HttpResponse<String> r = fx.getText(fx.playlistUrl("703", fx.token()));
    assertEquals(200, r.statusCode(), r.body());
    long pid = Long.parseLong(fx.get(StreamContract.pidKey("703")));
    assertTrue(pid != firstPid);
    assertEquals(List.of(pid), fx.ffmpegPids("703"), "one FFmpeg for the channel");
    assertEquals(FULL_ANALYZE, analyzeDuration("703"));
    assertEquals("full", remembered("703", url));
    assertEquals(2, source.connections() - before);
    assertTrue(streamKinds("703").contains("audio"), "the output has audio: " + streamKinds("703"));

    stop("703");
    before = source.connections();
    play("703");
    assertEquals(FULL_ANALYZE, analyzeDuration("703"));
    assertTrue(streamKinds("703").contains("audio"), streamKinds("703").toString());
    assertEquals(1, source.connections() - before, "no quick run first");
  }

  @Test
  @DisplayName("what is remembered is per source URL: a channel given another source learns it anew")
  void memoryIsPerSource() {
    String late = source.lateAudioUrl();
    fx.channel("704", source.url());
    play("704");
    stop("704");
    // The same channel now plays the late source: what it learned of the other URL does not apply.
    fx.channel("704", late);
    int before = source.connections();
    play("704");
    assertEquals(FULL_ANALYZE, analyzeDuration("704"));
    assertEquals(2, source.connections() - before);
    assertEquals("quick", remembered("704", source.url()));
    assertEquals("full", remembered("704", late));
  }

  // -- helpers ------------------------------------------------------------------------------------

  /** A player's first poll: the channel plays; its FFmpeg's pid. */
  private long play(String id) {
    HttpResponse<String> r = fx.getText(fx.playlistUrl(id, fx.token()));
    assertEquals(200, r.statusCode(), r.body());
    return Long.parseLong(fx.get(StreamContract.pidKey(id)));
  }

  private void stop(String id) {
    assertEquals(200, fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", id)).statusCode());
    eventually(Duration.ofSeconds(10), "channel " + id + " stopped", () -> fx.ffmpegPids(id).isEmpty()
      && fx.get(StreamContract.ownerKey(id)) == null);
  }

  /** {@code -analyzeduration} of the channel's running FFmpeg, read from /proc. */
  private String analyzeDuration(String id) {
    List<Long> pids = fx.ffmpegPids(id);
    assertEquals(1, pids.size(), "FFmpeg of " + id + ": " + pids);
    try {
      List<String> argv = Arrays.asList(new String(Files.readAllBytes(Path.of("/proc", pids.get(0).toString(), "cmdline")),
        StandardCharsets.UTF_8).split("\0"));
      return argv.get(argv.indexOf("-analyzeduration") + 1);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private String remembered(String id, String url) {
    Response r = await(fx.redis.hget(StreamContract.probeKey(id), ProbePolicy.field(url)));
    return r == null ? null : r.toString();
  }

  /** The stream kinds of the newest segment FFmpeg wrote for the channel, by ffprobe. */
  private List<String> streamKinds(String id) {
    try {
      String playlist = Files.readString(fx.hlsDir.resolve("stream_" + id + ".m3u8"));
      String newest = playlist.lines().filter(l -> l.endsWith(".ts")).reduce((a, b) -> b).orElseThrow();
      Process p = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0",
        fx.hlsDir.resolve(newest).toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertFalse(out.isBlank(), "ffprobe said nothing of " + newest);
      return out.lines().map(String::trim).filter(l -> !l.isEmpty()).toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
