package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.HeardEvents;
import dev.iptv.stream.testing.HeardEvents.Heard;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.stream.testing.LiveSource.Mode;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Sources that fail the way real ones do (the live source's modes): a stalled source is detected and
 * the channel restarted, then moved to its backup, a slow one too, an operator's force switch, and
 * the FFmpeg log an operator reads; a player keeps polling through it all. Segments of 1 s, so a
 * stall shows after 3 s; the speed is measured over 4 s.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SourceFailoverTest {

  private LiveSource source;
  private StreamFixture fx;
  private HeardEvents events;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.STALL_SPEED_WINDOW_S, "4", Config.STALL_MIN_SPEED, "0.8",
      Config.STALL_SEGMENTS, "3"));
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

  /** One playlist poll as a player sees it. */
  private record Poll(long atMs, int status, long sequence, String lastSegment, boolean discontinuity, int segmentStatus,
                      boolean endList) {
  }

  /**
   * A player on its own thread: polls the playlist every 500 ms, as hls.js does, and fetches the
   * newest segment each time; what it saw is kept.
   */
  private final class Player implements AutoCloseable {
    final List<Poll> polls = new CopyOnWriteArrayList<>();
    private final AtomicBoolean on = new AtomicBoolean(true);
    private final Thread thread;

    Player(String id, String token) {
      thread = new Thread(() -> {
        while (on.get()) {
          HttpResponse<String> r;
          try {
            r = fx.getText(fx.playlistUrl(id, token));
          } catch (RuntimeException e) {
            polls.add(new Poll(System.currentTimeMillis(), -1, -1, null, false, -1, false));
            continue;
          }
          long now = System.currentTimeMillis();
          if (r.statusCode() != 200) {
            polls.add(new Poll(now, r.statusCode(), -1, null, false, -1, false));
          } else {
            HlsFolder.Tail tail = HlsFolder.tail(r.body());
            int seg = tail == null ? -1 : fx.getBytes(fx.base() + "/live/" + tail.lastSegment()).statusCode();
            polls.add(new Poll(now, 200, tail == null ? -1 : tail.mediaSequence(),
              tail == null ? null : tail.lastSegment(), r.body().contains("#EXT-X-DISCONTINUITY"), seg,
              r.body().contains("#EXT-X-ENDLIST")));
          }
          TestEnv.pause(250); // a player's poll interval (hls.js: a quarter of a segment when behind): time is the subject
        }
      }, "test-player-" + id);
      thread.start();
    }

    Poll last() {
      return polls.get(polls.size() - 1);
    }

    @Override
    public void close() {
      on.set(false);
      try {
        thread.join(40_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A segment URI without its proof. */
  private static String path(String uri) {
    return uri.substring(0, uri.indexOf('?') < 0 ? uri.length() : uri.indexOf('?'));
  }

  /** Every poll was answered 200 with a fetchable segment and no end of stream, and the media sequence never went back. */
  private static void playedThrough(Player player) {
    long sequence = -1;
    for (Poll p : player.polls) {
      assertEquals(200, p.status(), "a poll answered " + p + " in " + player.polls);
      assertEquals(200, p.segmentStatus(), "a segment answered " + p + " in " + player.polls);
      assertTrue(p.sequence() >= sequence, "the media sequence went back at " + p + " in " + player.polls);
      assertFalse(p.endList(), "a playlist said the stream ended: " + p);
      sequence = p.sequence();
    }
  }

  @Test
  @DisplayName("a stalled source is detected and restarted, then the channel moves to its backup while a player keeps playing")
  void stalledSourceMovesToBackup() {
    String id = "701";
    fx.channel(id, source.url("p701"), source.url("b701"));
    String token = fx.token();
    assertEquals(200, fx.getText(fx.playlistUrl(id, token)).statusCode());
    try (Player player = new Player(id, token)) {
      eventually(Duration.ofSeconds(10), "the player sees segments come", () -> player.polls.size() >= 3);
      long before = player.last().sequence();
      long stalledAt = System.currentTimeMillis();
      source.mode("p701", Mode.STALL);
      try {
        eventually(Duration.ofSeconds(30), "the channel switched to its backup", () -> first("switched", id) != null);
        Heard stalled = first("stalled", id);
        Heard switched = first("switched", id);
        assertTrue(stalled != null && stalled.event().getString("reason").contains("no new segment"), kinds(id).toString());
        assertTrue(switched.event().getString("reason").contains("b701.ts"), switched.event().encode());
        List<String> kinds = kinds(id);
        assertTrue(kinds.indexOf("stalled") < kinds.indexOf("restarted")
          && kinds.indexOf("restarted") < kinds.indexOf("switched"), kinds.toString());
        assertEquals(source.url("b701"), fx.get(StreamContract.resolvedSourceKey(id)));
        int polled = player.polls.size();
        eventually(Duration.ofSeconds(10), "new segments from the backup", () -> player.polls.size() > polled + 2
          && player.last().sequence() > before + 2);
        System.out.printf("MEASURED stall to detection %d ms, stall to switch %d ms%n", stalled.atMs() - stalledAt,
          switched.atMs() - stalledAt);
        assertTrue(switched.atMs() - stalledAt < 20_000, "switched after " + (switched.atMs() - stalledAt) + " ms");
      } finally {
        source.comeBack("p701");
      }
      player.close();
      playedThrough(player);
      assertTrue(player.polls.stream().anyMatch(Poll::discontinuity), "a discontinuity marks the new source");
      assertEquals(1, fx.ffmpegPids(id).size());
    }
  }

  @Test
  @DisplayName("a source slower than real time is detected from FFmpeg's progress, then left for the backup")
  void slowSourceIsDetected() {
    String id = "702";
    fx.channel(id, source.url("p702"), source.url("b702"));
    String token = fx.token();
    assertEquals(200, fx.getText(fx.playlistUrl(id, token)).statusCode());
    try (Player player = new Player(id, token)) {
      TestEnv.pause(5_000); // a whole speed window at real time: nothing is said of a good source
      assertEquals(null, first("stalled", id), kinds(id).toString());
      long slowAt = System.currentTimeMillis();
      source.mode("p702", Mode.SLOW);
      try {
        eventually(Duration.ofSeconds(20), "the slow source found stalled", () -> first("stalled", id) != null);
        Heard stalled = first("stalled", id);
        assertTrue(stalled.event().getString("reason").contains("real time"), stalled.event().encode());
        System.out.printf("MEASURED slow to detection %d ms%n", stalled.atMs() - slowAt);
        eventually(Duration.ofSeconds(30), "the slow source left for the backup", () -> first("switched", id) != null);
        assertEquals(source.url("b702"), fx.get(StreamContract.resolvedSourceKey(id)));
      } finally {
        source.comeBack("p702");
      }
    }
  }

  @Test
  @DisplayName("a force switch moves a running channel to its next source: the viewer's session and playlist carry on")
  void forceSwitch() {
    String id = "703";
    fx.channel(id, source.url("p703"), source.url("b703"));
    String token = fx.token();
    assertEquals(200, fx.getText(fx.playlistUrl(id, token)).statusCode());
    try (Player player = new Player(id, token)) {
      eventually(Duration.ofSeconds(10), "the player sees segments come", () -> player.polls.size() >= 3);
      long pid = Long.parseLong(fx.get(StreamContract.pidKey(id)));
      long before = player.last().sequence();
      HttpResponse<String> r = fx.api("POST", "/api/stream/switch", new JsonObject().put("channel_id", id));
      assertEquals(200, r.statusCode(), r.body());
      JsonObject body = new JsonObject(r.body());
      assertTrue(body.getString("from").endsWith("p703.ts") && body.getString("to").endsWith("b703.ts"), r.body());
      assertEquals(source.url("b703"), fx.get(StreamContract.resolvedSourceKey(id)));
      assertNotEquals(pid, Long.parseLong(fx.get(StreamContract.pidKey(id))));
      assertTrue(first("switched", id) != null, kinds(id).toString());
      int polled = player.polls.size();
      eventually(Duration.ofSeconds(10), "new segments from the backup", () -> player.polls.size() > polled + 2
        && player.last().sequence() > before + 2);
      // Round the list: the next source of the backup is the primary again.
      HttpResponse<String> back = fx.api("POST", "/api/stream/switch", new JsonObject().put("channel_id", id));
      assertEquals(200, back.statusCode(), back.body());
      assertTrue(new JsonObject(back.body()).getString("to").endsWith("p703.ts"), back.body());
      player.close();
      playedThrough(player);
      assertTrue(player.polls.stream().anyMatch(Poll::discontinuity), "a discontinuity marks the new source");
      assertEquals(1L, (long) await(fx.redis.zcard(StreamContract.viewersKey(id))).toLong(),
        "one viewer session all along");
      assertEquals(1, fx.ffmpegPids(id).size());
    }
  }

  @Test
  @DisplayName("an FFmpeg player reading the channel plays on through a force switch, decoding as it did before")
  void ffmpegPlayerPlaysThroughSwitch() throws Exception {
    String id = "708";
    fx.channel(id, source.url("p708"), source.url("b708"));
    String token = fx.token();
    assertEquals(200, fx.getText(fx.playlistUrl(id, token)).statusCode());
    // Decoding (not copying): every frame of both sources goes through the decoder.
    Process player = new ProcessBuilder(System.getProperty("iptv.test.ffmpeg", "ffmpeg"), "-nostdin", "-hide_banner",
      "-loglevel", "error", "-progress", "pipe:1", "-i", fx.playlistUrl(id, token), "-f", "null", "-")
      .redirectErrorStream(true).start();
    List<String> said = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> new java.io.BufferedReader(new java.io.InputStreamReader(player.getInputStream(),
      java.nio.charset.StandardCharsets.UTF_8)).lines().forEach(said::add), "test-ffmpeg-player");
    reader.start();
    try {
      eventually(Duration.ofSeconds(20), "the FFmpeg player decoding", () -> frames(said) > 75);
      HttpResponse<String> r = fx.api("POST", "/api/stream/switch", new JsonObject().put("channel_id", id));
      assertEquals(200, r.statusCode(), r.body());
      long atSwitch = frames(said);
      // Five seconds of video (25 fps) decoded after the switch, the player still running.
      eventually(Duration.ofSeconds(20), "the player decoding the backup", () -> frames(said) > atSwitch + 125
        || !player.isAlive());
      assertTrue(player.isAlive(), "the player ended: " + said.stream()
        .filter(l -> !l.matches("[a-z0-9_]+=\\S*") || l.startsWith("out_time_us=")).toList());
      assertEquals(source.url("b708"), fx.get(StreamContract.resolvedSourceKey(id)));
    } finally {
      player.destroyForcibly();
      reader.join(5_000);
    }
  }

  /** The frames an FFmpeg reported in its progress (the last {@code frame=}). */
  private static long frames(List<String> progress) {
    long n = 0;
    for (String l : progress) {
      if (l.startsWith("frame=")) {
        n = Long.parseLong(l.substring(6).trim());
      }
    }
    return n;
  }

  @Test
  @DisplayName("the switch API refuses bad input, unknown and stopped channels, and a channel with one source")
  void switchRefusals() {
    assertEquals(401, AdminClient.plain(fx.port).withBearer(null).call("POST", "/api/stream/switch",
      new JsonObject().put("channel_id", "703")).statusCode());
    for (Object bad : List.of("{nope", new JsonObject(), new JsonObject().put("channel_id", "abc"),
      new JsonObject().put("channel_id", new JsonArray().add("1")))) {
      HttpResponse<String> r = AdminClient.plain(fx.port).call("POST", "/api/stream/switch", bad);
      assertEquals(400, r.statusCode(), bad + ": " + r.body());
      assertTrue(new JsonObject(r.body()).getString("error") != null, r.body());
    }
    HttpResponse<String> unknown = fx.api("POST", "/api/stream/switch", new JsonObject().put("channel_id", "799"));
    assertEquals(404, unknown.statusCode(), unknown.body());
    assertTrue(new JsonObject(unknown.body()).getString("error").contains("799"), unknown.body());
    fx.channel("706", source.url("s706"));
    assertEquals(200, fx.getText(fx.playlistUrl("706", fx.token())).statusCode());
    HttpResponse<String> single = fx.api("POST", "/api/stream/switch", new JsonObject().put("channel_id", "706"));
    assertEquals(409, single.statusCode(), single.body());
    assertTrue(new JsonObject(single.body()).getString("error").contains("one source"), single.body());
  }

  @Test
  @DisplayName("the log endpoint shows FFmpeg's words without the source's user:pass@, and 404 for a channel not running")
  void logEndpoint() {
    String id = "704";
    String withCredentials = source.url("c704").replace("http://", "http://alice:s3cr3tpass@");
    fx.channel(id, withCredentials);
    assertEquals(200, fx.getText(fx.playlistUrl(id, fx.token())).statusCode());
    HttpResponse<String> r = fx.api("GET", "/api/streams/" + id + "/log", null);
    assertEquals(200, r.statusCode(), r.body());
    JsonObject body = new JsonObject(r.body());
    assertTrue(body.getJsonArray("lines").size() > 3, r.body());
    assertTrue(r.body().contains("Input #0"), r.body());
    assertTrue(r.body().contains("c704.ts"), "the source is named, without its credentials: " + r.body());
    assertFalse(r.body().contains("s3cr3tpass") || r.body().contains("alice"), r.body());
    assertFalse(r.body().contains("out_time_us"), "FFmpeg's progress is read, not shown: " + r.body());
    assertEquals(Long.parseLong(fx.get(StreamContract.pidKey(id))), body.getLong("pid"));
    HttpResponse<String> two = fx.api("GET", "/api/streams/" + id + "/log?lines=2", null);
    assertEquals(2, new JsonObject(two.body()).getJsonArray("lines").size(), two.body());

    HttpResponse<String> unknown = fx.api("GET", "/api/streams/798/log", null);
    assertEquals(404, unknown.statusCode(), unknown.body());
    assertTrue(new JsonObject(unknown.body()).getString("error").contains("798"), unknown.body());
    for (String bad : List.of("/api/streams/abc/log", "/api/streams/" + id + "/log?lines=0",
      "/api/streams/" + id + "/log?lines=201", "/api/streams/" + id + "/log?lines=x")) {
      HttpResponse<String> b = fx.api("GET", bad, null);
      assertEquals(400, b.statusCode(), bad + ": " + b.body());
      assertTrue(new JsonObject(b.body()).getString("error").matches("(?s).*\\b(id|lines)\\b.*"), b.body());
    }
    assertEquals(401, AdminClient.plain(fx.port).withBearer(null).call("GET", "/api/streams/" + id + "/log", null)
      .statusCode());
  }

  @Test
  @DisplayName("a single source that stalls and comes back plays again by itself, for the same player")
  void stalledSourceComesBack() {
    String id = "705";
    fx.channel(id, source.url("s705"));
    String token = fx.token();
    assertEquals(200, fx.getText(fx.playlistUrl(id, token)).statusCode());
    try (Player player = new Player(id, token)) {
      eventually(Duration.ofSeconds(10), "the player sees segments come", () -> player.polls.size() >= 3);
      source.mode("s705", Mode.STALL);
      try {
        eventually(Duration.ofSeconds(15), "the stall found", () -> first("stalled", id) != null);
        TestEnv.pause(2_000); // the source stays away a while: its restart waits on it
      } finally {
        source.comeBack("s705");
      }
      long backAt = System.currentTimeMillis();
      Poll stuck = player.last();
      assertTrue(first("failed", id) == null, "the restart waits for the source: " + kinds(id));
      Poll live = eventually(Duration.ofSeconds(30), "the channel live again", () -> player.last(),
        p -> p.status() == 200 && p.atMs() > backAt && p.sequence() >= stuck.sequence()
          && !path(p.lastSegment()).equals(path(stuck.lastSegment())));
      System.out.printf("MEASURED source back to live %d ms, its restart heard after %d ms (events %s; polls %s)%n",
        live.atMs() - backAt, first("restarted", id).atMs() - backAt, kinds(id),
        player.polls.stream().filter(p -> p.atMs() > backAt - 1000).toList());
      assertEquals(1, fx.ffmpegPids(id).size());
    }
  }

  @Test
  @DisplayName("a single source away longer than its restarts wait plays again by itself once it is back")
  void stalledSourceComesBackAfterFailedRestarts() {
    String id = "707";
    fx.channel(id, source.url("s707"));
    String token = fx.token();
    assertEquals(200, fx.getText(fx.playlistUrl(id, token)).statusCode());
    try (Player player = new Player(id, token)) {
      eventually(Duration.ofSeconds(10), "the player sees segments come", () -> player.polls.size() >= 3);
      source.mode("s707", Mode.STALL);
      try {
        eventually(Duration.ofSeconds(30), "the stall found, its restart failed", () -> first("failed", id) != null);
        TestEnv.pause(2_000); // the source stays away a while longer: its restarts wait on it
      } finally {
        source.comeBack("s707");
      }
      long backAt = System.currentTimeMillis();
      Heard restarted = eventually(Duration.ofSeconds(40), "the channel restarted", () -> events.first("restarted", id, backAt),
        h -> h != null);
      Poll live = eventually(Duration.ofSeconds(20), "the player plays again", () -> player.last(),
        p -> p.status() == 200 && p.atMs() > restarted.atMs());
      System.out.printf("MEASURED source back to live after failed restarts: restart %d ms, player %d ms (events %s)%n",
        restarted.atMs() - backAt, live.atMs() - backAt, kinds(id));
      assertTrue(kinds(id).indexOf("stalled") < kinds(id).indexOf("failed"), kinds(id).toString());
      assertTrue(live.sequence() >= 0 && live.segmentStatus() == 200, live.toString());
      assertEquals(1, fx.ffmpegPids(id).size());
    }
  }
}
