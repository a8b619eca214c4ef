package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.common.SegmentProof;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.AtOnce;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What players see of /live/: start on demand, playlists, segment proofs, errors. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlayerStoriesTest {

  private LiveSource source;
  private LiveSource mpeg2;
  private StreamFixture fx;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.START_TIMEOUT_S, "6"));
  }

  @AfterAll
  void tearDown() {
    StreamFixture.closeAll(fx, source, mpeg2);
  }

  @Test
  @DisplayName("a player asking for a cold channel gets a playable stream, video and audio decode")
  void coldChannelPlays() throws Exception {
    fx.channel("101", source.url());
    String token = fx.token();
    HttpResponse<String> r = fx.getText(fx.playlistUrl("101", token));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(PlayerRoutes.MPEGURL, r.headers().firstValue("Content-Type").orElse(""));
    assertEquals("no-cache", r.headers().firstValue("Cache-Control").orElse(""));
    assertEquals("*", r.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertTrue(r.body().startsWith("#EXTM3U"), r.body());
    List<String> uris = r.body().lines().filter(l -> !l.startsWith("#") && !l.isBlank()).toList();
    assertFalse(uris.isEmpty());
    for (String u : uris) {
      assertTrue(u.matches("stream_101_\\d+\\.ts\\?e=\\d+&n=\\d+&t=[0-9a-f]{24}&s=[A-Za-z0-9_-]{22}"), u);
    }

    // The seed's keys, and ours.
    List<Long> pids = fx.ffmpegPids("101");
    assertEquals(1, pids.size());
    assertEquals(String.valueOf(pids.get(0)), fx.get(StreamContract.pidKey("101")));
    assertTrue(fx.get(StreamContract.startedKey("101")).matches("\\d{10}\\.\\d{3}"), fx.get(StreamContract.startedKey("101")));
    assertEquals(source.url(), fx.get(StreamContract.sourceKey("101")));
    assertEquals(source.url(), fx.get(StreamContract.resolvedSourceKey("101")));
    assertNotNull(fx.get(StreamContract.lastAccessKey("101")));
    assertEquals("copy", fx.get(StreamContract.modeKey("101")));
    assertEquals(StreamFixture.NODE, fx.get(StreamContract.nodeKey("101")));
    assertEquals(fx.verticle.instanceId(), fx.get(StreamContract.ownerKey("101")));

    // A real player (FFmpeg's HLS demuxer) plays it through the proofs.
    Process player = new ProcessBuilder("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
      "-i", fx.playlistUrl("101", token), "-t", "3", "-map", "0:v:0", "-map", "0:a:0", "-f", "framemd5", "-")
      .redirectErrorStream(false).start();
    String out = new String(player.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(player.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(player.waitFor(60, TimeUnit.SECONDS));
    long video = out.lines().filter(l -> l.startsWith("0,")).count();
    long audio = out.lines().filter(l -> l.startsWith("1,")).count();
    assertTrue(video >= 25, "video frames decoded: " + video + "\n" + err);
    assertTrue(audio >= 25, "audio frames decoded: " + audio + "\n" + err);
  }

  @Test
  @DisplayName("twenty viewers asking for the same cold channel at once start exactly one FFmpeg")
  void concurrentFirstViewersStartOneFfmpeg() throws Exception {
    fx.channel("102", source.url());
    String token = fx.token();
    AtomicInteger most = new AtomicInteger();
    List<HttpResponse<String>> answers = StreamFixture.sampling(() -> most.accumulateAndGet(fx.ffmpegPids("102").size(), Math::max),
      500, () -> AtOnce.call(20, () -> fx.getText(fx.playlistUrl("102", token))));
    for (HttpResponse<String> r : answers) {
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().contains("stream_102_"), r.body());
    }
    assertEquals(1, most.get(), "FFmpeg processes seen at once for channel 102");
    assertEquals(1, fx.ffmpegPids("102").size());
  }

  @Test
  @DisplayName("a segment needs its proof: none, wrong, foreign or expired get 403, the playlist's gets the bytes")
  void segmentsNeedTheirProof() {
    fx.channel("101", source.url());
    HttpResponse<String> r = fx.getText(fx.playlistUrl("101", fx.token()));
    assertEquals(200, r.statusCode(), r.body());
    String signed = fx.firstSegmentUrl(r.body());

    HttpResponse<byte[]> ok = fx.getBytes(signed);
    assertEquals(200, ok.statusCode());
    assertEquals("video/mp2t", ok.headers().firstValue("Content-Type").orElse(""));
    assertEquals("*", ok.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
    assertTrue(ok.body().length > 188 && ok.body()[0] == 0x47, "an MPEG-TS segment");

    String bare = signed.substring(0, signed.indexOf('?'));
    assertEquals(403, fx.getBytes(bare).statusCode());
    assertEquals(403, fx.getBytes(bare + "?e=9999999999&s=AAAAAAAAAAAAAAAAAAAAAA").statusCode());
    SegmentProof proofs = new SegmentProof(Config.segmentSecret(fx.config), 120);
    String tag = "0123456789abcdef01234567";
    long past = Instant.now().getEpochSecond() - 5;
    HttpResponse<String> expired = fx.getText(bare + "?" + proofs.signed("101", tag, past, proofs.notAfter(past)));
    assertEquals(403, expired.statusCode());
    assertTrue(expired.body().contains("expired"), expired.body());
    long future = Instant.now().getEpochSecond() + 60;
    assertEquals(403, fx.getBytes(bare + "?" + proofs.signed("999", tag, future, proofs.notAfter(future))).statusCode(),
      "a proof for another channel");
    long centuries = Instant.now().getEpochSecond() + 300L * 365 * 86400;
    HttpResponse<String> far = fx.getText(bare + "?" + proofs.signed("101", tag, centuries, proofs.notAfter(centuries)));
    assertEquals(403, far.statusCode(), "a validly signed expiry beyond the TTL is refused");
    assertTrue(far.body().contains("too far ahead"), far.body());
    assertEquals(200, fx.getBytes(bare + "?" + proofs.signed("101", tag, future, proofs.notAfter(future))).statusCode());

    // Only stream_{digits}_{digits}.ts is ever read from the folder.
    String q = "?" + proofs.signed("101", tag, future, proofs.notAfter(future));
    assertEquals(404, fx.getBytes(fx.base() + "/live/stream_101_..%2F..%2Fetc%2Fpasswd.ts" + q).statusCode());
    assertEquals(404, fx.getBytes(fx.base() + "/live/stream_101_1.ts.tmp" + q).statusCode());
    assertEquals(404, fx.getBytes(fx.base() + "/live/stream_101_99.ts" + q).statusCode());
  }

  @Test
  @DisplayName("a bad token gets the seed's 403 texts, an unknown or inactive channel 404, and nothing starts")
  void refusals() {
    fx.channel("110", source.url());
    fx.channel("111", source.url());
    JsonObject inactive = new JsonObject(fx.get(ChannelContract.channelKey("111"))).put("is_active", false);
    await(fx.redis.set(List.of(ChannelContract.channelKey("111"), inactive.encode())));

    HttpResponse<String> unknown = fx.getText(fx.playlistUrl("110", "0123456789abcdef0123456789abcdef"));
    assertEquals(403, unknown.statusCode());
    assertEquals("ERROR: Invalid token", unknown.body());
    HttpResponse<String> none = fx.getText(fx.base() + "/live/stream_110.m3u8");
    assertEquals(403, none.statusCode());
    assertEquals("ERROR: Invalid token", none.body());
    HttpResponse<String> disabled = fx.getText(fx.playlistUrl("110", fx.token(false, Instant.now().plusSeconds(3600))));
    assertEquals(403, disabled.statusCode());
    assertEquals("ERROR: Token disabled", disabled.body());
    HttpResponse<String> expired = fx.getText(fx.playlistUrl("110", fx.token(true, Instant.now().minusSeconds(60))));
    assertEquals(403, expired.statusCode());
    assertEquals("ERROR: Token expired", expired.body());

    String token = fx.token();
    assertEquals(404, fx.getText(fx.playlistUrl("119", token)).statusCode());
    assertEquals(404, fx.getText(fx.playlistUrl("111", token)).statusCode());
    assertTrue(fx.ffmpegPids("110").isEmpty());
    assertTrue(fx.ffmpegPids("111").isEmpty());
  }

  @Test
  @DisplayName("a user with max_connections 1 watches from one client; a second client gets 403 Max connections reached")
  void maxConnections() {
    fx.channel("101", source.url());
    String token = fx.token(true, Instant.now().plusSeconds(3600), 1);
    HttpResponse<String> first = fx.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(fx.playlistUrl("101", token)))
      .header("User-Agent", "PlayerA").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, first.statusCode(), first.body());
    HttpResponse<String> second = fx.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(fx.playlistUrl("101", token)))
      .header("User-Agent", "PlayerB").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, second.statusCode());
    assertEquals("ERROR: Max connections reached", second.body());
    HttpResponse<String> again = fx.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(fx.playlistUrl("101", token)))
      .header("User-Agent", "PlayerA").GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, again.statusCode(), "the first client keeps polling");
  }

  @Test
  @DisplayName("nginx's auth_request gets 204 with a working segment proof for a good token, 403 otherwise")
  void internalAuth() {
    fx.channel("101", source.url());
    String token = fx.token();
    HttpResponse<String> yes = fx.getText(fx.base() + "/internal/auth?token=" + token + "&channel=101");
    assertEquals(204, yes.statusCode());
    String proof = yes.headers().firstValue(PlayerRoutes.PROOF_HEADER).orElseThrow();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("e=(\\d+)&n=(\\d+)&t=([0-9a-f]{24})&s=([A-Za-z0-9_-]{22})").matcher(proof);
    assertTrue(m.matches(), proof);
    SegmentProof proofs = new SegmentProof(Config.segmentSecret(fx.config), 120);
    assertEquals(SegmentProof.Verdict.OK, proofs.check("101", m.group(1), m.group(2), m.group(3), m.group(4),
      Instant.now().getEpochSecond()));
    assertEquals(403, fx.getText(fx.base() + "/internal/auth?token=nope&channel=101").statusCode());
    assertEquals(403, fx.getText(fx.base() + "/internal/auth?token=" + token + "&channel=../1").statusCode());
  }

  @Test
  @DisplayName("a dead primary source falls over to its backup, and resolved_source says so")
  void deadPrimaryFallsOverToBackup() {
    String dead = LiveSource.refusedUrl();
    fx.channel("103", dead, source.url());
    HttpResponse<String> r = fx.getText(fx.playlistUrl("103", fx.token()));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(dead, fx.get(StreamContract.sourceKey("103")));
    assertEquals(source.url(), fx.get(StreamContract.resolvedSourceKey("103")));
    assertEquals(1, fx.ffmpegPids("103").size());
    assertEquals(200, fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "103")).statusCode());
  }

  @Test
  @DisplayName("when no source plays, the player gets 503 with Retry-After within the start timeout, and no FFmpeg is left")
  void allSourcesDead() {
    fx.channel("104", LiveSource.refusedUrl(), source.notFoundUrl(), source.silentUrl());
    long t0 = System.currentTimeMillis();
    HttpResponse<String> r = fx.getText(fx.playlistUrl("104", fx.token()));
    long took = System.currentTimeMillis() - t0;
    assertEquals(503, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Retry-After").isPresent());
    assertTrue(took < 6_000 + 3_000, "answered after " + took + " ms");
    assertTrue(fx.ffmpegPids("104").isEmpty(), "FFmpeg left: " + fx.ffmpegPids("104"));
    eventually(Duration.ofSeconds(3), "keys and files of 104 removed", () ->
      fx.get(StreamContract.pidKey("104")) == null && fx.get(StreamContract.ownerKey("104")) == null && fx.channelFiles("104").isEmpty());
  }

  @Test
  @DisplayName("a source whose codecs HLS players cannot decode is transcoded, decided within seconds")
  void uncopyableSourceIsTranscoded() {
    mpeg2 = LiveSource.start(LiveSource.Flavor.MPEG2);
    fx.channelWith("105", "auto", "low", mpeg2.url());
    long t0 = System.currentTimeMillis();
    HttpResponse<String> r = fx.getText(fx.playlistUrl("105", fx.token()));
    long took = System.currentTimeMillis() - t0;
    assertEquals(200, r.statusCode(), r.body());
    assertEquals("transcode", fx.get(StreamContract.modeKey("105")));
    assertTrue(took < 6_000, "took " + took + " ms");
    HttpResponse<byte[]> seg = fx.getBytes(fx.firstSegmentUrl(r.body()));
    assertEquals(200, seg.statusCode());
    String probe = ffprobe(seg.body());
    assertTrue(probe.contains("codec_name=h264") && probe.contains("height=360") && probe.contains("codec_name=aac"),
      probe);
    assertEquals(200, fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "105")).statusCode());
  }

  @Test
  @DisplayName("a hostile source URL is one argument to FFmpeg and never reaches a shell")
  void hostileSourceNeverReachesAShell() throws Exception {
    Path marker1 = Path.of("/tmp/iptv-pwned-" + System.nanoTime());
    Path marker2 = Path.of("/tmp/iptv-pwned2-" + System.nanoTime());
    Path marker3 = Path.of("/tmp/iptv-pwned3-" + System.nanoTime());
    String refused = LiveSource.refusedUrl();
    // The first one is a valid URL and reaches FFmpeg, as one argument; the others are refused before.
    fx.channel("106", refused + ";touch$IFS" + marker1 + ";$(touch$IFS" + marker2 + ")", "$(touch " + marker2 + ")",
      refused + "`touch${IFS}" + marker3 + "`", "http://x/a.ts; touch " + marker1);
    HttpResponse<String> r = fx.getText(fx.playlistUrl("106", fx.token()));
    assertEquals(503, r.statusCode(), r.body());
    TestEnv.pause(300);   // time is the subject: a shell, had one run, would have touched its markers by now
    assertFalse(Files.exists(marker1));
    assertFalse(Files.exists(marker2));
    assertFalse(Files.exists(marker3));
    assertTrue(fx.ffmpegPids("106").isEmpty());
  }

  private static String ffprobe(byte[] segment) {
    try {
      Path f = Files.createTempFile("segment", ".ts");
      try {
        Files.write(f, segment);
        Process p = new ProcessBuilder("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,height",
          "-of", "default=noprint_wrappers=1", f.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
      } finally {
        Files.deleteIfExists(f);
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
