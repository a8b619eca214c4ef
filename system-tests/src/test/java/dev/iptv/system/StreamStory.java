package dev.iptv.system;

import dev.iptv.contract.StreamContract;
import dev.iptv.testing.AtOnce;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;

import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FFmpeg lifecycle as players meet it on a running suite: a crowd on a cold channel starts one
 * FFmpeg, a killed FFmpeg is replaced under its viewers, a dead primary falls over to its backup,
 * no source at all answers 503 in time and leaves nothing, and a hostile source URL reaches no shell.
 */
final class StreamStory {

  private final Client c;
  private final LiveStory processes;
  private final String token;

  StreamStory(Client c, LiveStory processes, String username) throws Exception {
    this.c = c;
    this.processes = processes;
    this.token = TestEnv.hexToken();
    assertEquals(201, c.admin("POST", "/api/users", Client.user(username, token, 50)).statusCode());
  }

  void run(String sourceUrl, String deadUrl, int startTimeoutS) throws Exception {
    crowd(sourceUrl);
    killedFfmpegIsReplaced();
    backup(sourceUrl, deadUrl);
    noSource(deadUrl, startTimeoutS);
    hostileSource();
  }

  private String live(String id) {
    return "/live/stream_" + id + ".m3u8?token=" + token;
  }

  /** Twenty viewers open the same cold channel at once: all play, one FFmpeg. */
  private void crowd(String sourceUrl) throws Exception {
    assertEquals(201, c.admin("POST", "/api/channels", Client.channel("201", "Crowd", sourceUrl, 10)).statusCode());
    List<Callable<HttpResponse<String>>> viewers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String ua = "Viewer-" + i;
      viewers.add(() -> c.get(live("201"), ua));
    }
    for (HttpResponse<String> r : AtOnce.call(viewers)) {
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(r.body().startsWith("#EXTM3U") && r.body().contains(".ts"), r.body());
    }
    assertEquals(1, processes.ffmpegOf("201").size(), "one FFmpeg for twenty first viewers");
  }

  /** kill -9 of the channel's FFmpeg while a viewer polls: another takes its place. */
  private void killedFfmpegIsReplaced() throws Exception {
    long first = Long.parseLong(redisGet(StreamContract.pidKey("201")));
    ProcessHandle.of(first).ifPresent(ProcessHandle::destroyForcibly);
    eventually(Duration.ofSeconds(30), "a new FFmpeg for channel 201 after kill -9", () -> {
      c.get(live("201"), "Viewer-0");   // the viewer goes on polling
      List<ProcessHandle> now = processes.ffmpegOf("201");
      String pid = redisGet(StreamContract.pidKey("201"));
      return now.size() == 1 && now.get(0).pid() != first && pid.equals(String.valueOf(now.get(0).pid()));
    });
    eventually(Duration.ofSeconds(20), "the replaced stream serves its playlist",
      () -> c.get(live("201"), "Viewer-0").statusCode() == 200);
    assertEquals(200, c.admin("POST", "/api/stream/stop", new JsonObject().put("channel_id", "201")).statusCode());
    eventually(Duration.ofSeconds(15), "channel 201 stopped", () -> processes.ffmpegOf("201").isEmpty());
  }

  /** The primary refuses connections: the backup plays, and resolved_source says which. */
  private void backup(String sourceUrl, String deadUrl) throws Exception {
    JsonObject ch = Client.channel("202", "Backup", deadUrl, 11).put("backup_urls", new JsonArray().add(sourceUrl));
    assertEquals(201, c.admin("POST", "/api/channels", ch).statusCode());
    HttpResponse<String> r = c.get(live("202"), "Viewer-0");
    assertEquals(200, r.statusCode(), r.body());
    HttpResponse<String> active = c.admin("GET", "/api/streams/active", null);
    assertTrue(new JsonObject(active.body()).getJsonObject("streams").containsKey("202"), active.body());
    assertEquals(sourceUrl, redisGet(StreamContract.resolvedSourceKey("202")));
    assertEquals(1, processes.ffmpegOf("202").size());
    assertEquals(200, c.admin("POST", "/api/stream/stop", new JsonObject().put("channel_id", "202")).statusCode());
  }

  /** Nothing plays: 503 with Retry-After within the start timeout, and no FFmpeg stays. */
  private void noSource(String deadUrl, int startTimeoutS) throws Exception {
    JsonObject ch = Client.channel("203", "Dead", deadUrl, 12)
      .put("backup_urls", new JsonArray().add(deadUrl.replace("/dead.ts", "/dead2.ts")));
    assertEquals(201, c.admin("POST", "/api/channels", ch).statusCode());
    long t0 = System.nanoTime();
    HttpResponse<String> r = c.get(live("203"), "Viewer-0");
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(503, r.statusCode(), r.body());
    assertTrue(r.headers().firstValue("Retry-After").isPresent(), "Retry-After");
    assertTrue(ms < (startTimeoutS + 5) * 1000L, "answered in " + ms + " ms");
    eventually(Duration.ofSeconds(10), "no FFmpeg for a channel that could not start",
      () -> processes.ffmpegOf("203").isEmpty());
  }

  /** Shell syntax in a source URL is never run: refused by the API, or one inert argument. */
  private void hostileSource() throws Exception {
    Path marker = Path.of(System.getProperty("java.io.tmpdir"), "iptv-pwned-" + UUID.randomUUID());
    String hostile = "http://127.0.0.1:9/live.ts?x=$(touch${IFS}" + marker + ")&y=`touch " + marker + "`;touch " + marker;
    HttpResponse<String> created = c.admin("POST", "/api/channels", Client.channel("204", "Hostile", hostile, 13));
    if (created.statusCode() == 201) {
      HttpResponse<String> r = c.get(live("204"), "Viewer-0");
      assertEquals(503, r.statusCode(), r.body());
    } else {
      assertEquals(400, created.statusCode(), created.body());
      assertTrue(new JsonObject(created.body()).getString("error", "").contains("source_url"), created.body());
    }
    Thread.sleep(500);   // time is the subject: a shell, had one run, would have touched the marker by now
    assertFalse(Files.exists(marker), "a shell ran the source URL");
  }

  private String redisGet(String key) throws Exception {
    List<String> cmd = TestEnv.redisCli(BinIptvTest.REDIS_DB);
    cmd.addAll(List.of("GET", key));
    return LiveStory.Run.of(10, cmd.toArray(String[]::new)).output().trim();
  }
}
