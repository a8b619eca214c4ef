package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.FfmpegPlayer;
import dev.iptv.stream.testing.HeardEvents;
import dev.iptv.stream.testing.HeardEvents.Heard;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.stream.testing.LiveSource.Mode;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The slate (issue 12 item 5): a watched channel whose every source fails keeps its players on a
 * generated "temporarily unavailable" picture in the same HLS playlist and TS output, and goes live
 * again by itself when a source comes back. Real FFmpeg players (one reading the HLS playlist, one the
 * TS output) decode all along without reopening. Segments of 1 s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlateTest {

  private LiveSource source;
  private StreamFixture fx;
  private HeardEvents events;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.STALL_SEGMENTS, "3", Config.SLATE_RETRY_MAX_S, "2"));
    events = HeardEvents.listen(fx.vertx);
  }

  @BeforeEach
  void clearEvents() {
    events.clear();
  }

  @AfterEach
  void noLeftovers() {
    fx.stopEveryStream();
  }

  @AfterAll
  void tearDown() {
    StreamFixture.closeAll(fx, source);
  }

  private Heard first(String kind, String id) {
    return events.first(kind, id);
  }

  private List<String> kinds(String id) {
    return events.kinds(id);
  }


  /** The first video frame of the channel's newest segment as RGB bytes (ffmpeg), and its size. */
  private record Frame(int width, int height, byte[] rgb) {
    /** The share of pixels close to {@code (r, g, b)}. */
    double share(int r, int g, int b, int tolerance) {
      int n = 0;
      for (int i = 0; i + 2 < rgb.length; i += 3) {
        if (Math.abs((rgb[i] & 0xff) - r) <= tolerance && Math.abs((rgb[i + 1] & 0xff) - g) <= tolerance
          && Math.abs((rgb[i + 2] & 0xff) - b) <= tolerance) {
          n++;
        }
      }
      return n / (rgb.length / 3.0);
    }
  }

  private Frame newestFrame(String id) throws Exception {
    HlsFolder.Tail tail = HlsFolder.tail(Files.readString(fx.hlsDir.resolve("stream_" + id + ".m3u8")));
    Path seg = fx.hlsDir.resolve(tail.lastSegment());
    Process probe = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
      "-of", "csv=p=0", seg.toString()).start();
    String streams = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    probe.waitFor();
    assertTrue(streams.contains("h264") && streams.contains("aac"), "H.264 and AAC like the channel: " + streams);
    Process p = new ProcessBuilder("ffmpeg", "-v", "error", "-i", seg.toString(), "-frames:v", "1", "-f", "rawvideo",
      "-pix_fmt", "rgb24", "-").start();
    byte[] rgb = p.getInputStream().readAllBytes();
    p.waitFor();
    String size = streams.lines().filter(l -> l.startsWith("h264")).findFirst().orElse("h264,0,0");
    String[] f = size.split(",");
    return new Frame(Integer.parseInt(f[1].trim()), Integer.parseInt(f[2].trim()), rgb);
  }

  private long providerStreams(String name) {
    return new JsonObject(fx.api("GET", "/api/providers/" + name, null).body()).getLong("streams");
  }

  @Test
  @DisplayName("a dead channel's HLS and TS players get the slate, then the live stream again when the source returns, without reopening")
  void deadChannelShowsSlateThenLive() throws Exception {
    String id = "901";
    assertEquals(201, fx.api("POST", "/api/providers", new JsonObject().put("name", "p901")
      .put("hosts", new io.vertx.core.json.JsonArray().add("127.0.0.1")).put("max_streams", 5)).statusCode());
    fx.channel(id, source.url("s901"));
    String token = fx.token(true, java.time.Instant.now().plusSeconds(3600), 2);
    assertEquals(200, fx.getText(fx.playlistUrl(id, token)).statusCode());
    try (FfmpegPlayer hls = new FfmpegPlayer(fx.playlistUrl(id, token));
         FfmpegPlayer ts = new FfmpegPlayer(fx.base() + "/live/stream_" + id + ".ts?token=" + token)) {
      eventually(Duration.ofSeconds(20), "both players decoding", () -> hls.frames() > 50 && ts.frames() > 50);
      Frame live = newestFrame(id);
      long deadAt = System.currentTimeMillis();
      source.mode("s901", Mode.DIE);
      Heard on = eventually(Duration.ofSeconds(40), "the slate on", () -> first("slate_on", id), h -> h != null);
      assertEquals(Mode.DIE, source.mode("s901"));
      JsonObject slateKey = new JsonObject(eventually(Duration.ofSeconds(5), "stream:" + id + ":slate",
        () -> fx.get(StreamContract.slateKey(id)), v -> v != null));
      assertTrue(slateKey.getString("reason") != null, slateKey.encode());
      assertEquals(0L, providerStreams("p901"), "the slate holds no connection to the provider");
      // The newest segment is the slate: mostly its background colour, white text, the channel's size.
      Frame slate = eventually(Duration.ofSeconds(10), "a slate segment", () -> newestFrame(id),
        f -> f.share(0x1a, 0x1f, 0x2b, 12) > 0.8);
      assertTrue(slate.share(255, 255, 255, 60) > 0.002, "the text is drawn");
      assertEquals(live.width(), slate.width());
      assertEquals(live.height(), slate.height());
      assertTrue(Files.readString(fx.hlsDir.resolve("stream_" + id + ".m3u8")).contains("#EXT-X-DISCONTINUITY"));
      long hlsAtSlate = hls.frames();
      long tsAtSlate = ts.frames();
      eventually(Duration.ofSeconds(20), "both players decoding the slate", () -> hls.frames() > hlsAtSlate + 75
        && ts.frames() > tsAtSlate + 75 || !hls.process.isAlive() || !ts.process.isAlive());
      assertTrue(hls.process.isAlive(), "the HLS player ended: " + hls.errors());
      assertTrue(ts.process.isAlive(), "the TS player ended: " + ts.errors());
      assertNull(first("stopped", id), kinds(id).toString());

      long backAt = System.currentTimeMillis();
      source.comeBack("s901");
      Heard off = eventually(Duration.ofSeconds(30), "the slate off", () -> first("slate_off", id), h -> h != null);
      eventually(Duration.ofSeconds(10), "a live segment again", () -> newestFrame(id),
        f -> f.share(0x1a, 0x1f, 0x2b, 12) < 0.2);
      long hlsAtLive = hls.frames();
      long tsAtLive = ts.frames();
      eventually(Duration.ofSeconds(20), "both players decoding the live stream again", () -> hls.frames() > hlsAtLive + 75
        && ts.frames() > tsAtLive + 75 || !hls.process.isAlive() || !ts.process.isAlive());
      assertTrue(hls.process.isAlive(), "the HLS player ended: " + hls.errors());
      assertTrue(ts.process.isAlive(), "the TS player ended: " + ts.errors());
      assertNull(fx.get(StreamContract.slateKey(id)));
      assertEquals(1L, providerStreams("p901"), "live again: counted by its provider");
      assertEquals(1, fx.ffmpegPids(id).size(), "one FFmpeg for the channel");
      List<String> kinds = kinds(id);
      assertTrue(kinds.indexOf("slate_on") < kinds.indexOf("slate_off"), kinds.toString());
      assertTrue(off.event().getString("reason").contains("s901.ts"), off.event().encode());
      fx.api("DELETE", "/api/providers/p901", null);
      System.out.printf("MEASURED all dead to slate %d ms, source back to live (slate_off) %d ms; events %s%n",
        on.atMs() - deadAt, off.atMs() - backAt, kinds);
    }
  }

  @Test
  @DisplayName("a slated channel stopped through the API leaves no FFmpeg, no slate key and no retry behind")
  void slateWithoutViewersStops() {
    String id = "902";
    fx.channel(id, source.url("s902"));
    assertEquals(200, fx.getText(fx.playlistUrl(id, fx.token())).statusCode());
    source.mode("s902", Mode.DIE);
    try {
      eventually(Duration.ofSeconds(40), "the slate on", () -> first("slate_on", id) != null);
      assertNotNull(fx.get(StreamContract.slateKey(id)));
      java.net.http.HttpResponse<String> stop = fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", id));
      assertEquals(200, stop.statusCode(), stop.body());
      eventually(Duration.ofSeconds(10), "no FFmpeg left", () -> fx.ffmpegPids(id).isEmpty());
      assertNull(fx.get(StreamContract.slateKey(id)));
      assertFalse(kinds(id).contains("slate_off"), kinds(id).toString());
      TestEnv.pause(3_000); // the slate's retries must not start anything once stopped: time is the subject
      assertTrue(fx.ffmpegPids(id).isEmpty());
    } finally {
      source.comeBack("s902");
    }
  }
}
