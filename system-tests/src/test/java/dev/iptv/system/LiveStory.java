package dev.iptv.system;

import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.testing.M3u;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What players and an operator live through on a running suite, whichever way it runs: a cold
 * channel plays in FFmpeg's own HLS client, segments need their proof, a one-connection account
 * refuses a second player and admits it once the first stops, figures, metrics and history follow,
 * Redis loses everything and players go on, and an idle channel stops and leaves nothing.
 */
final class LiveStory {

  /** A Prometheus text sample line: name, optional labels, value. */
  private static final Pattern SAMPLE = Pattern.compile(
    "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*})? (-?[0-9.]+([eE][-+]?[0-9]+)?|NaN|[-+]Inf)$");
  private static final String PLAYER_ONE = "PlayerOne/1.0 (living room)";
  private static final String PLAYER_TWO = "PlayerTwo/2.0 (phone)";

  private final Client c;
  private final int redisDb;
  private final Path hls;
  private final String username;
  private final String token;

  LiveStory(Client c, int redisDb, Path hls, String username) {
    this.c = c;
    this.redisDb = redisDb;
    this.hls = hls;
    this.username = username;
    this.token = TestEnv.hexToken();
  }

  void run(String sourceUrl, int sessionWindowS, int idleTimeoutS) throws Exception {
    assertEquals(201, c.admin("POST", "/api/users", Client.user(username, token, 1)).statusCode());
    assertEquals(201, c.admin("POST", "/api/channels", Client.channel("101", "Live One", sourceUrl, 1)).statusCode());
    assertEquals(201, c.admin("POST", "/api/channels", Client.channel("102", "Live Two", sourceUrl, 2)).statusCode());
    String live101 = "/live/stream_101.m3u8?token=" + token;
    String live102 = "/live/stream_102.m3u8?token=" + token;

    // A player reads its playlist and plays the first (cold) channel: video and audio decode.
    HttpResponse<String> list = c.get("/get_playlist.php?token=" + token, PLAYER_ONE);
    assertEquals(200, list.statusCode(), list.body());
    assertTrue(M3u.parse(list.body()).get(0).url().endsWith(live101));
    String url = "http://127.0.0.1:" + c.port() + live101;
    Run probe = Run.of(30, "ffprobe", "-v", "error", "-user_agent", PLAYER_ONE, "-show_entries", "stream=codec_type",
      "-of", "csv=p=0", url);
    assertEquals(0, probe.exit(), probe.output());
    assertTrue(probe.output().contains("video") && probe.output().contains("audio"), probe.output());
    Run decode = Run.of(60, "ffmpeg", "-nostdin", "-v", "error", "-user_agent", PLAYER_ONE, "-i", url,
      "-map", "0:v:0", "-map", "0:a:0", "-t", "3", "-f", "null", "-");
    assertEquals(0, decode.exit(), decode.output());

    // Segments: the playlist's URIs carry a proof; without it, or with a forged one, 403.
    HttpResponse<String> media = c.get(live101, PLAYER_ONE);
    assertEquals(200, media.statusCode(), media.body());
    assertTrue(media.headers().firstValue("Content-Type").orElse("").startsWith("application/vnd.apple.mpegurl"));
    assertEquals(List.of("*"), media.headers().allValues("Access-Control-Allow-Origin"));
    String segment = media.body().lines().filter(l -> !l.startsWith("#") && l.contains(".ts")).findFirst().orElseThrow();
    String segmentPath = segment.startsWith("http") ? segment.substring(segment.indexOf("/live/")) : "/live/" + segment;
    assertTrue(segmentPath.contains("?"), "a segment URI carries its proof: " + segmentPath);
    HttpResponse<byte[]> bytes = c.bytes(segmentPath, PLAYER_ONE);
    assertEquals(200, bytes.statusCode());
    assertEquals("video/mp2t", bytes.headers().firstValue("Content-Type").orElse(""));
    assertTrue(bytes.body().length > 1000 && bytes.body()[0] == 0x47, "an MPEG-TS segment");
    String bare = segmentPath.substring(0, segmentPath.indexOf('?'));
    assertEquals(403, c.bytes(bare, PLAYER_ONE).statusCode());
    String forged = segmentPath.replaceFirst("s=[^&]*", "s=AAAAAAAAAAAAAAAAAAAAAA");
    assertEquals(403, c.bytes(forged, PLAYER_ONE).statusCode());

    // One connection: a second player is refused, live and playlist; the first may switch channel.
    HttpResponse<String> second = c.get(live101, PLAYER_TWO);
    assertEquals(403, second.statusCode());
    assertEquals("ERROR: Max connections reached", second.body().trim());
    HttpResponse<String> secondList = c.get("/get_playlist.php?token=" + token, PLAYER_TWO);
    assertEquals(403, secondList.statusCode());
    assertEquals("ERROR: Max connections reached", secondList.body().trim());
    HttpResponse<String> switched = c.get(live102, PLAYER_ONE);
    assertEquals(200, switched.statusCode(), switched.body());

    // Each channel runs exactly one FFmpeg, in the API and in Redis.
    JsonObject active = json(c.admin("GET", "/api/streams/active", null));
    assertTrue(active.getJsonObject("streams").containsKey("101") && active.getJsonObject("streams").containsKey("102"),
      active.encode());
    assertEquals(1, ffmpegOf("101").size(), "FFmpeg processes of channel 101");
    assertEquals(String.valueOf(ffmpegOf("101").get(0).pid()), redis("GET", StreamContract.pidKey("101")));

    // Figures: bytes served (nginx's segment log or the JVM's own count), viewers, metrics.
    eventually(Duration.ofSeconds(20), "bytes of channel 101 counted in Redis",
      () -> !redis("GET", MonitorContract.bytesKey("101")).isEmpty() && Long.parseLong(redis("GET", MonitorContract.bytesKey("101"))) > 1000);
    eventually(Duration.ofSeconds(20), "a viewer and two streams in /api/stats", () -> {
      JsonObject stats = json(c.admin("GET", "/api/stats", null));
      return stats.getInteger("viewers", 0) >= 1 && stats.getInteger("active_streams", 0) >= 2;
    });
    HttpResponse<String> metrics = c.admin("GET", "/metrics", null);
    assertEquals(200, metrics.statusCode());
    List<String> samples = metrics.body().lines().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    for (String line : samples) {
      assertTrue(SAMPLE.matcher(line).matches(), "not Prometheus text: " + line);
    }
    assertTrue(samples.stream().anyMatch(l -> l.startsWith("iptv_stream_starts_total")), "stream starts counted");
    assertTrue(samples.stream().anyMatch(l -> l.contains("_bucket{")), "latency histograms");

    // The dashboard: its page, and its live event stream starting with the running streams.
    HttpResponse<String> page = c.get("/dashboard");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    List<String> frames = c.eventLines("/api/events/stream", 2, Duration.ofSeconds(15));
    assertEquals("event: snapshot", frames.get(0));
    JsonObject snapshot = new JsonObject(frames.get(1).substring("data: ".length()));
    assertTrue(snapshot.getJsonArray("streams").stream().map(JsonObject.class::cast)
      .anyMatch(st -> "101".equals(st.getString("channel_id"))), snapshot.encode());

    // The first player stops; once its session has aged out, the second one plays.
    Thread.sleep(sessionWindowS * 1000L);   // time is the subject: the session window passes
    eventually(Duration.ofSeconds(sessionWindowS + 10), "the second player admitted after the first stopped",
      () -> c.get(live101, PLAYER_TWO).statusCode() == 200);

    // Stopped by the API: the history has the stream session with its reason, and the viewer.
    assertEquals(200, c.admin("POST", "/api/stream/stop", new JsonObject().put("channel_id", "102")).statusCode());
    eventually(Duration.ofSeconds(20), "stream 102 in the history, stopped", () -> {
      JsonArray rows = json(c.admin("GET", "/api/history/streams?channel=102", null)).getJsonArray("streams");
      return rows != null && rows.stream().map(JsonObject.class::cast)
        .anyMatch(r -> r.getString("stopped") != null && r.getString("reason") != null);
    });
    eventually(Duration.ofSeconds(20), "the viewer's session in the history, with its user and bytes", () -> {
      JsonArray rows = json(c.admin("GET", "/api/history/viewers?user=" + username, null)).getJsonArray("viewers");
      return rows != null && rows.stream().map(JsonObject.class::cast)
        .anyMatch(r -> "101".equals(r.getString("channel_id")) && r.getLong("bytes", 0L) > 0);
    });

    // Redis loses everything: the suite restores it from PostgreSQL; the same token plays on.
    eventually(Duration.ofSeconds(20), "the panel's data mirrored in PostgreSQL",
      () -> mirror().getInteger("keys", 0) >= 5);
    int restores = mirror().getInteger("restores", 0);
    String before = c.get("/get_playlist.php?token=" + token, PLAYER_TWO).body();
    redis("FLUSHDB");
    // At once, before any restore: the player polling its channel is not thrown out.
    HttpResponse<String> during = c.get(live101, PLAYER_TWO);
    assertEquals(200, during.statusCode(), during.body());
    eventually(Duration.ofSeconds(20), "Redis restored", () -> mirror().getInteger("restores", 0) > restores);
    eventually(Duration.ofSeconds(20), "the playlist served again with the old token", () -> {
      HttpResponse<String> r = c.get("/get_playlist.php?token=" + token, PLAYER_TWO);
      if (r.statusCode() != 200 || !r.body().equals(before)) {
        throw new AssertionError(r.statusCode() + " " + r.body());
      }
      return true;
    });
    HttpResponse<String> again = c.get(live101, PLAYER_TWO);
    assertEquals(200, again.statusCode(), again.body());
    assertEquals(1, ffmpegOf("101").size(), "still one FFmpeg for channel 101 after the flush");

    // Nobody watches: after the idle timeout the channel stops, with its files and keys.
    eventually(Duration.ofSeconds(idleTimeoutS + 30), "channel 101 stopped when idle", () ->
      json(c.admin("GET", "/api/streams/active", null)).getInteger("count", -1) == 0);
    eventually(Duration.ofSeconds(15), "channel 101's FFmpeg, files and keys gone", () ->
      ffmpegOf("101").isEmpty() && filesOf("101").isEmpty() && redis("GET", StreamContract.pidKey("101")).isEmpty());
  }

  /** FFmpeg processes of this suite (writing into its HLS folder) for a channel. */
  List<ProcessHandle> ffmpegOf(String channel) {
    return ffmpeg(hls, channel);
  }

  /** Every FFmpeg still writing into this suite's HLS folder. */
  List<ProcessHandle> anyFfmpeg() {
    return ffmpeg(hls, null);
  }

  /** FFmpeg processes writing into {@code hls}: a channel's, or all when {@code channel} is null. */
  static List<ProcessHandle> ffmpeg(Path hls, String channel) {
    String marker = channel == null ? hls.toString() : hls.resolve("stream_" + channel + ".m3u8").toString();
    return ProcessHandle.allProcesses()
      .filter(p -> p.info().commandLine().map(cmd -> cmd.contains("ffmpeg") && cmd.contains(marker)).orElse(false))
      .toList();
  }

  private List<Path> filesOf(String channel) throws IOException {
    try (Stream<Path> files = Files.list(hls)) {
      return files.filter(f -> f.getFileName().toString().startsWith("stream_" + channel + "_")
        || f.getFileName().toString().equals("stream_" + channel + ".m3u8")).toList();
    }
  }

  private JsonObject mirror() throws Exception {
    JsonObject health = new JsonObject(c.admin("GET", "/api/health", null).body());   // details need the bearer
    JsonObject m = health.getJsonObject("checks", new JsonObject()).getJsonObject("mirror");
    return m == null ? new JsonObject() : m;
  }

  private String redis(String... command) throws Exception {
    List<String> cmd = TestEnv.redisCli(redisDb);
    cmd.addAll(List.of(command));
    return Run.of(10, cmd.toArray(String[]::new)).output().trim();
  }

  private static JsonObject json(HttpResponse<String> r) {
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  /** A finished command: exit status and its output (stdout and stderr). */
  record Run(int exit, String output) {
    static Run of(int timeoutS, String... command) throws Exception {
      Path out = Files.createTempFile("iptv-run", ".out");
      try {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
          return new Run(-1, "timed out after " + timeoutS + " s: " + String.join(" ", command) + "\n"
            + Files.readString(out, StandardCharsets.UTF_8));
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    }
  }

  static void assertNoFfmpeg(LiveStory story) {
    assertFalse(story != null && !story.anyFfmpeg().isEmpty(), "FFmpeg left behind: "
      + (story == null ? "" : story.anyFfmpeg().stream().map(h -> h.pid() + " " + h.info().commandLine().orElse("?")).toList()));
  }
}
