package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.TestEnv;
import io.vertx.core.eventbus.MessageConsumer;
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
import java.util.concurrent.atomic.AtomicInteger;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What operators see: the stream API, restarts, idle stop, channel changes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LifecycleStoriesTest {

  private LiveSource source;
  private StreamFixture fx;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private MessageConsumer<JsonObject> eventConsumer;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.IDLE_TIMEOUT_S, "4"));
    eventConsumer = fx.vertx.eventBus().consumer(StreamContract.EVENTS, m -> events.add(m.body()));
    await(eventConsumer.completion());
  }

  @BeforeEach
  void clearEvents() {
    events.clear();
  }

  @AfterEach
  void noLeftovers() {
    // Each story stops what it started; a leftover would distort the next one.
    fx.stopEveryStream();
  }

  @AfterAll
  void tearDown() {
    StreamFixture.closeAll(fx, source);
  }

  private boolean gone(String id) {
    if (!fx.ffmpegPids(id).isEmpty() || !fx.channelFiles(id).isEmpty()) {
      return false;
    }
    for (String key : StreamContract.allKeys(id)) {
      if (fx.get(key) != null) {
        return false;
      }
    }
    return fx.get(StreamContract.ownerKey(id)) == null;
  }

  private boolean event(String type, String id) {
    return events.stream().anyMatch(e -> type.equals(e.getString("event")) && id.equals(e.getString("channel_id")));
  }

  @Test
  @DisplayName("the stream API starts, lists and stops a channel; stop cleans process, files and keys")
  void streamApi() {
    fx.channel("202", source.url());
    assertEquals(401, fx.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(fx.base() + "/api/streams/active"))
      .GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    assertEquals(400, fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "../1")).statusCode());
    assertEquals(400, fx.api("POST", "/api/stream/start", new JsonObject()).statusCode());
    assertEquals(404, fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "209")).statusCode());

    HttpResponse<String> started = fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "202"));
    assertEquals(200, started.statusCode(), started.body());
    JsonObject body = new JsonObject(started.body());
    assertEquals("202", body.getString("channel_id"));
    assertEquals(StreamFixture.NODE, body.getString("node"));
    assertEquals("started", body.getString("status"));
    long pid = body.getLong("pid");
    assertEquals(List.of(pid), fx.ffmpegPids("202"));
    assertTrue(event("started", "202"));

    JsonObject again = new JsonObject(fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", 202)).body());
    assertEquals("running", again.getString("status"));
    assertEquals(pid, again.getLong("pid"));

    assertEquals(200, fx.getText(fx.playlistUrl("202", fx.token())).statusCode());
    // viewer touches are written in batches (every second): the count follows within a batch
    HttpResponse<String> active = eventually(Duration.ofSeconds(5), "the poll counted as one viewer of 202",
      () -> fx.api("GET", "/api/streams/active", null),
      r -> r.statusCode() == 200 && new JsonObject(r.body()).getJsonObject("streams").getJsonObject("202") != null
        && Integer.valueOf(1).equals(new JsonObject(r.body()).getJsonObject("streams").getJsonObject("202").getInteger("viewers")));
    assertTrue(active.body().matches(".*\"started\":\\d{10}\\.\\d{1,3}[,}].*"), active.body());
    JsonObject streams = new JsonObject(active.body());
    JsonObject row = streams.getJsonObject("streams").getJsonObject("202");
    assertEquals(pid, row.getLong("pid"));
    assertEquals(StreamFixture.NODE, row.getString("node"));
    assertEquals("copy", row.getString("mode"));
    assertTrue(streams.getInteger("count") >= 1);

    HttpResponse<String> stopped = fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "202"));
    assertEquals(200, stopped.statusCode(), stopped.body());
    assertEquals(new JsonObject().put("stopped", "202"), new JsonObject(stopped.body()));
    assertTrue(gone("202"), "process, files and keys of 202 removed: " + fx.channelFiles("202"));
    assertTrue(ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    assertTrue(event("stopped", "202"));
    assertEquals(404, fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "202")).statusCode());
    JsonObject none = new JsonObject(fx.api("GET", "/api/streams/active", null).body());
    assertTrue(!none.getJsonObject("streams").containsKey("202"));
  }

  @Test
  @DisplayName("FFmpeg killed with -9 while a viewer polls is replaced, and the restart is counted")
  void killedFfmpegIsReplacedWhileWatched() {
    fx.channel("201", source.url());
    String token = fx.token();
    assertEquals(200, fx.getText(fx.playlistUrl("201", token)).statusCode());
    long first = fx.ffmpegPids("201").get(0);
    AtomicBoolean polling = new AtomicBoolean(true);
    AtomicInteger lastStatus = new AtomicInteger();
    Thread viewer = new Thread(() -> {
      while (polling.get()) {
        lastStatus.set(fx.getText(fx.playlistUrl("201", token)).statusCode());
        TestEnv.pause(500);   // time is the subject: a player polls every half second
      }
    });
    viewer.start();
    try {
      ProcessHandle.of(first).orElseThrow().destroyForcibly();
      eventually(Duration.ofSeconds(15), "a new FFmpeg for 201", () -> {
        List<Long> pids = fx.ffmpegPids("201");
        return pids.size() == 1 && pids.get(0) != first && "1".equals(fx.get(StreamContract.restartsKey("201")));
      });
      long second = fx.ffmpegPids("201").get(0);
      assertEquals(String.valueOf(second), fx.get(StreamContract.pidKey("201")));
      eventually(Duration.ofSeconds(10), "the viewer is served again", () -> lastStatus.get() == 200);
      HttpResponse<String> r = fx.getText(fx.playlistUrl("201", token));
      assertEquals(200, r.statusCode());
      assertEquals(200, fx.getBytes(fx.firstSegmentUrl(r.body())).statusCode());
      assertTrue(event("restarted", "201"));
      assertEquals("copy", fx.get(StreamContract.modeKey("201")), "a killed FFmpeg says nothing against copying");
      assertEquals(1, fx.ffmpegPids("201").size());
    } finally {
      polling.set(false);
      try {
        viewer.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  @DisplayName("FFmpeg that dies with nobody watching is cleaned up, not restarted")
  void unwatchedDeathIsCleanedUp() {
    fx.channel("205", source.url());
    assertEquals(200, fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "205")).statusCode());
    long pid = fx.ffmpegPids("205").get(0);
    // The start's record (last_access, then restarts, in one batch) lands after the API's answer.
    eventually(Duration.ofSeconds(5), "the start of 205 recorded", () -> fx.get(StreamContract.restartsKey("205")) != null);
    // Nobody polled for longer than the idle timeout, as far as Redis can tell.
    await(fx.redis.set(List.of(StreamContract.lastAccessKey("205"), StreamStore.seconds(StreamStore.now() - 60))));
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();
    eventually(Duration.ofSeconds(10), "205 cleaned up", () -> gone("205"));
    assertTrue(!event("restarted", "205"));
  }

  @Test
  @DisplayName("a channel nobody watches stops after the idle timeout")
  void idleStop() {
    fx.channel("203", source.url());
    assertEquals(200, fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "203")).statusCode());
    long pid = fx.ffmpegPids("203").get(0);
    TestEnv.pause(2_000);   // time is the subject: half the idle timeout passes
    assertEquals(List.of(pid), fx.ffmpegPids("203"), "still running before the idle timeout");
    eventually(Duration.ofSeconds(10), "203 stopped when idle", () -> gone("203"));
    assertTrue(events.stream().anyMatch(e -> "stopped".equals(e.getString("event")) && "idle".equals(e.getString("reason"))));
  }

  @Test
  @DisplayName("deleting or deactivating a channel stops its stream")
  void channelChanges() {
    fx.channel("204", source.url());
    fx.channel("206", source.url());
    assertEquals(200, fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "204")).statusCode());
    assertEquals(200, fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "206")).statusCode());
    fx.vertx.eventBus().publish(ChannelContract.CHANNELS_CHANGED,
      new JsonObject().put("channel_id", "204").put("action", "deleted"));
    fx.vertx.eventBus().publish(ChannelContract.CHANNELS_CHANGED,
      new JsonObject().put("channel_id", "206").put("action", "updated").put("is_active", false));
    eventually(Duration.ofSeconds(10), "204 and 206 stopped", () -> gone("204") && gone("206"));
  }

  @Test
  @DisplayName("a changed source restarts the running stream on the new one")
  void sourceChangeRestarts() {
    fx.channel("207", source.url());
    assertEquals(200, fx.getText(fx.playlistUrl("207", fx.token())).statusCode());
    long first = fx.ffmpegPids("207").get(0);
    String dead = LiveSource.refusedUrl();
    fx.channel("207", dead, source.url());
    fx.vertx.eventBus().publish(ChannelContract.CHANNELS_CHANGED,
      new JsonObject().put("channel_id", "207").put("action", "updated").put("is_active", true));
    eventually(Duration.ofSeconds(15), "207 restarted on its new sources", () -> {
      List<Long> pids = fx.ffmpegPids("207");
      return pids.size() == 1 && pids.get(0) != first && dead.equals(fx.get(StreamContract.sourceKey("207")))
        && source.url().equals(fx.get(StreamContract.resolvedSourceKey("207"))) && event("restarted", "207");
    });
    assertEquals(source.url(), fx.get(StreamContract.resolvedSourceKey("207")));
    assertNotEquals(String.valueOf(first), fx.get(StreamContract.pidKey("207")));
  }

  @Test
  @DisplayName("when Redis loses a running stream's keys, the owner writes them again and runs no second FFmpeg")
  void keysLostWhileRunning() {
    fx.channel("208", source.url());
    HttpResponse<String> r = fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "208"));
    assertEquals(200, r.statusCode(), r.body());
    long pid = new JsonObject(r.body()).getLong("pid");
    List<String> keys = new java.util.ArrayList<>(List.of(StreamContract.allKeys("208")));
    keys.add(StreamContract.ownerKey("208"));
    await(fx.redis.del(keys));
    eventually(Duration.ofSeconds(10), "208's keys written again", () ->
      String.valueOf(pid).equals(fx.get(StreamContract.pidKey("208"))) && fx.verticle.instanceId().equals(fx.get(StreamContract.ownerKey("208")))
        && fx.get(StreamContract.startedKey("208")) != null);
    assertEquals(List.of(pid), fx.ffmpegPids("208"));
  }

  @Test
  @DisplayName("upstream credentials in a source URL never reach events")
  void credentialsStayOutOfEvents() {
    String refused = LiveSource.refusedUrl();
    String secret = refused.replace("http://", "http://upuser:uppass@").replace("/dead.ts", "/live/upuser/uppass/210.ts");
    fx.channel("210", secret);
    assertEquals(503, fx.getText(fx.playlistUrl("210", fx.token())).statusCode());
    eventually(Duration.ofSeconds(5), "a failed event for 209", () -> event("failed", "210"));
    for (JsonObject e : events) {
      assertTrue(!e.encode().contains("uppass"), e.encode());
    }
  }
}
