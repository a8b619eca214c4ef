package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.MonitorContract.SegmentBatch;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.TestEnv;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * MPEG-TS output (SPEC section 10): {@code /live/stream_{id}.ts?token=T} is one continuous MPEG-TS
 * made of the channel's HLS segments, from the same single FFmpeg, for real players (ffmpeg) and
 * raw clients; admitted, counted and idle-stopped like HLS viewers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("MPEG-TS output")
class TsOutputTest {

  private static final int TS_PACKET = 188;
  private LiveSource source;
  private StreamFixture fx;
  private MessageConsumer<JsonObject> servedConsumer;
  private final ConcurrentLinkedQueue<SegmentServed> served = new ConcurrentLinkedQueue<>();

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.IDLE_TIMEOUT_S, "3"));
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

  private String tsUrl(String id, String token) {
    return fx.base() + "/live/stream_" + id + ".ts?token=" + token;
  }

  private long servedBytes(String id, String ip) {
    return served.stream().filter(s -> s.channelId().equals(id) && (ip == null || ip.equals(s.ip())))
      .mapToLong(SegmentServed::bytes).sum();
  }

  @Test
  @DisplayName("ffmpeg plays the TS URL of a cold channel: video and audio decode for seconds, and the bytes are counted")
  void ffmpegPlaysTs() throws Exception {
    fx.channel("701", source.url());
    String token = fx.token();
    Process p = new ProcessBuilder("ffmpeg", "-nostdin", "-v", "error", "-i", tsUrl("701", token),
      "-t", "4", "-f", "framecrc", "-").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    int video = 0;
    int audio = 0;
    for (String line : new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("0,")) {
        video++;
      } else if (line.startsWith("1,")) {
        audio++;
      }
    }
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    // 4 s of 25 fps video and of 48 kHz AAC (1024 samples a frame: ~47 a second), decoded.
    assertTrue(video >= 90, "video frames decoded: " + video);
    assertTrue(audio >= 150, "audio frames decoded: " + audio);
    assertEquals(1, fx.ffmpegPids("701").size());
    String user = "viewer_" + token.substring(0, 6);
    eventually(Duration.ofSeconds(5), "the segments written to ffmpeg are counted, with the user",
      () -> served.stream().anyMatch(s -> s.channelId().equals("701") && user.equals(s.username()) && s.bytes() > 0));
  }

  @Test
  @DisplayName("two TS viewers and an HLS viewer share one FFmpeg; each TS viewer gets a clean stream, counted by its address")
  void viewersShareOneFfmpeg() {
    fx.channel("702", source.url());
    String token = fx.token();
    try (TsReader a = new TsReader("127.0.0.2", "/live/stream_702.ts?token=" + token);
         TsReader b = new TsReader("127.0.0.3", "/live/stream_702.ts?token=" + token)) {
      assertEquals(200, a.status);
      assertEquals(200, b.status);
      assertEquals("video/mp2t", a.contentType);
      for (int i = 0; i < 3; i++) {
        assertEquals(200, fx.getText(fx.playlistUrl("702", token)).statusCode());
        TestEnv.pause(1_000);   // time is the subject: the channel plays on while all three watch
      }
      eventually(Duration.ofSeconds(10), "both TS viewers receive several segments",
        () -> a.bytes.get() > 300_000 && b.bytes.get() > 300_000);
      assertEquals(1, fx.ffmpegPids("702").size(), "one FFmpeg for every viewer");
      assertEquals(2, fx.verticle.tsViewers().get("702"));
      a.assertMpegTs();
      b.assertMpegTs();
      eventually(Duration.ofSeconds(5), "the bytes written to each viewer are counted by its address",
        () -> servedBytes("702", "127.0.0.2") > 300_000 && servedBytes("702", "127.0.0.3") > 300_000);
    }
    eventually(Duration.ofSeconds(5), "the feed closes with its last TS viewer", () -> !fx.verticle.tsViewers().containsKey("702"));
    fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "702"));
  }

  @Test
  @DisplayName("a TS viewer that stops reading is dropped at its bounded queue while another keeps receiving every second")
  void slowReaderDropped() throws Exception {
    fx.channel("703", source.url());
    String token = fx.token();
    try (TsReader good = new TsReader("127.0.0.2", "/live/stream_703.ts?token=" + token);
         Socket stuck = new Socket()) {
      assertEquals(200, good.status);
      stuck.setReceiveBufferSize(4096);
      stuck.bind(new InetSocketAddress("127.0.0.3", 0));
      stuck.connect(new InetSocketAddress("127.0.0.1", fx.port), 5_000);
      stuck.getOutputStream().write(("GET /live/stream_703.ts?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + "User-Agent: StuckPlayer\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      eventually(Duration.ofSeconds(5), "the stuck viewer joins", () -> Integer.valueOf(2).equals(fx.verticle.tsViewers().get("703")));
      long joinedAt = System.currentTimeMillis();
      long before = good.bytes.get();
      // 4 queued segments of 1 s, one being written and 512 KiB in the kernel: dropped within seconds.
      eventually(Duration.ofSeconds(12), "the stuck viewer is dropped, the good one stays",
        () -> Integer.valueOf(1).equals(fx.verticle.tsViewers().get("703")));
      long droppedAt = System.currentTimeMillis();
      // The good viewer got a segment at least every 2.5 s throughout (1 s segments), never held back.
      long gap = good.longestGapMs(joinedAt, droppedAt);
      assertTrue(gap < 2_500, "longest gap for the good viewer while the stuck one was queued: " + gap + " ms");
      long perSecond = (good.bytes.get() - before) * 1000 / Math.max(1, droppedAt - joinedAt);
      assertTrue(perSecond > 50_000, "good viewer's rate meanwhile: " + perSecond + " B/s");
      // The stuck connection is closed: what the kernel holds, then the end.
      assertTrue(readsToEnd(stuck, 20_000), "the stuck viewer's connection ends");
      assertTrue(servedBytes("703", "127.0.0.3") < servedBytes("703", "127.0.0.2"));
      TestEnv.pause(2_000);   // time is the subject: the good viewer plays on after the drop
      long after = good.bytes.get();
      eventually(Duration.ofSeconds(5), "the good viewer keeps receiving", () -> good.bytes.get() > after);
    }
    fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "703"));
  }

  @Test
  @DisplayName("a one-connection account watching over TS from one address refuses an HLS player on another (max_connections)")
  void tsCountsForMaxConnections() {
    fx.channel("704", source.url());
    String token = fx.token(true, Instant.now().plus(Duration.ofDays(1)), 1);
    try (TsReader ts = new TsReader("127.0.0.2", "/live/stream_704.ts?token=" + token)) {
      assertEquals(200, ts.status);
      HttpClient other = fx.vertx.createHttpClient(new HttpClientOptions().setLocalAddress("127.0.0.3"));
      try {
        var r = await(other.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(fx.port)
          .setURI("/live/stream_704.m3u8?token=" + token)).compose(req -> req.send()
          .compose(resp -> resp.body().map(body -> Map.entry(resp.statusCode(), body.toString())))));
        assertEquals(403, r.getKey());
        assertEquals("ERROR: Max connections reached", r.getValue().trim());
      } finally {
        await(other.close());
      }
      eventually(Duration.ofSeconds(5), "the TS viewer still receives", () -> ts.bytes.get() > 100_000);
    }
    fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "704"));
  }

  @Test
  @DisplayName("a TS viewer keeps its channel playing past the idle timeout; it stops once the viewer disconnects")
  void idleStopAfterTsViewerLeaves() {
    fx.channel("705", source.url());
    String token = fx.token();
    try (TsReader ts = new TsReader("127.0.0.2", "/live/stream_705.ts?token=" + token)) {
      assertEquals(200, ts.status);
      TestEnv.pause(7_000);   // time is the subject: more than twice the 3 s idle timeout, no poll at all
      assertEquals(1, fx.ffmpegPids("705").size(), "still playing for its TS viewer");
      assertTrue(fx.get(StreamContract.lastAccessKey("705")) != null);
      long bytes = ts.bytes.get();
      assertTrue(bytes > 500_000, "received " + bytes);
    }
    eventually(Duration.ofSeconds(15), "FFmpeg stops once nobody watches", () -> fx.ffmpegPids("705").isEmpty());
  }

  @Test
  @DisplayName("the TS URL refuses what the playlist refuses: bad token 403, unknown channel 404")
  void refusals() {
    assertEquals(403, fx.getText(tsUrl("701", "0123456789abcdef0123456789abcdef")).statusCode());
    assertEquals("ERROR: Invalid token", fx.getText(tsUrl("701", "0123456789abcdef0123456789abcdef")).body().trim());
    assertEquals(404, fx.getText(tsUrl("799", fx.token())).statusCode());
    assertFalse(fx.verticle.tsViewers().containsKey("799"));
  }

  /** Reads a socket until its end (true) or until {@code withinMs} pass with data still coming (false). */
  private static boolean readsToEnd(Socket s, long withinMs) throws IOException {
    s.setSoTimeout(1_000);
    InputStream in = s.getInputStream();
    byte[] buf = new byte[65536];
    long deadline = System.currentTimeMillis() + withinMs;
    while (System.currentTimeMillis() < deadline) {
      try {
        if (in.read(buf) < 0) {
          return true;
        }
      } catch (SocketTimeoutException e) {
        // Nothing yet: read again.
      } catch (SocketException e) {
        return true;   // reset: closed as well
      }
    }
    return false;
  }

  /** A TS viewer on its own local address: its status, bytes, the first packets and when data arrived. */
  private final class TsReader implements AutoCloseable {
    final HttpClient client;
    final int status;
    final String contentType;
    final AtomicLong bytes = new AtomicLong();
    final List<Long> arrivals = Collections.synchronizedList(new ArrayList<>());
    final Buffer head = Buffer.buffer();

    TsReader(String localAddress, String uri) {
      client = fx.vertx.createHttpClient(new HttpClientOptions().setLocalAddress(localAddress).setIdleTimeout(0));
      var resp = await(client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
        .setPort(fx.port).setURI(uri).putHeader("User-Agent", "TsReader")).compose(req -> req.send().map(r -> {
          r.handler(b -> {
            bytes.addAndGet(b.length());
            arrivals.add(System.currentTimeMillis());
            synchronized (head) {
              if (head.length() < TS_PACKET * 8) {
                head.appendBuffer(b.slice(0, Math.min(b.length(), TS_PACKET * 8 - head.length())));
              }
            }
          });
          return r;
        })));
      status = resp.statusCode();
      contentType = resp.getHeader("Content-Type");
    }

    /** The stream starts on a packet boundary: a sync byte every 188 bytes. */
    void assertMpegTs() {
      synchronized (head) {
        assertTrue(head.length() >= TS_PACKET * 8, "head " + head.length());
        for (int i = 0; i < 8; i++) {
          assertEquals(0x47, head.getByte(i * TS_PACKET) & 0xff, "sync byte of packet " + i);
        }
      }
    }

    /** The longest time without data between {@code fromMs} and {@code toMs}. */
    long longestGapMs(long fromMs, long toMs) {
      long prev = fromMs;
      long most = 0;
      synchronized (arrivals) {
        for (long t : arrivals) {
          if (t < fromMs || t > toMs) {
            continue;
          }
          most = Math.max(most, t - prev);
          prev = t;
        }
      }
      return Math.max(most, toMs - prev);
    }

    @Override
    public void close() {
      await(client.close());
    }
  }
}
