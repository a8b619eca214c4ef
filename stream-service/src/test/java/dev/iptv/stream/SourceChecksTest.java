package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.stream.testing.LiveSource.Mode;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Source health and priority (issue 12 item 2): the backups of running channels are checked with
 * ffprobe in the background, a failover tries a source that failed its check last, the API shows each
 * source's last check, a full provider is not checked, and {@code source_priorities} orders the sources.
 * Checks every second here, with a 3 s timeout.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SourceChecksTest {

  private LiveSource source;
  private StreamFixture fx;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.SOURCE_CHECK_S, "1", Config.SOURCE_CHECK_TIMEOUT_S, "3"));
  }

  @AfterEach
  void noLeftovers() {
    fx.stopEveryStream();
  }

  @AfterAll
  void tearDown() {
    StreamFixture.closeAll(fx, source);
  }

  private JsonObject sources(String id) {
    HttpResponse<String> r = fx.api("GET", "/api/streams/" + id + "/sources", null);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private static JsonObject entry(JsonObject view, String feed) {
    for (Object o : view.getJsonArray("sources")) {
      if (((JsonObject) o).getString("source").endsWith("/" + feed + ".ts")) {
        return (JsonObject) o;
      }
    }
    throw new AssertionError(feed + " not in " + view.encode());
  }

  /** The arguments of every FFmpeg (not ffprobe) of the channel, read from /proc. */
  private void ffmpegArgs(String id, Set<String> into) {
    for (long pid : fx.ffmpegPids(id)) {
      try {
        into.add(new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
          .replace('\0', ' '));
      } catch (Exception e) {
        // gone meanwhile
      }
    }
  }

  @Test
  @DisplayName("a dead backup is found failed by the background check, shown in the API, and a failover skips it for the healthy one")
  void deadBackupIsSkipped() throws Exception {
    String id = "911";
    source.mode("b911a", Mode.DIE);
    try {
      fx.channel(id, source.url("p911"), source.url("b911a"), source.url("b911b"));
      String token = fx.token();
      assertEquals(200, fx.getText(fx.playlistUrl(id, token)).statusCode());
      JsonObject view = eventually(Duration.ofSeconds(20), "both backups checked", () -> sources(id),
        v -> entry(v, "b911a").getValue("last_check") != null && entry(v, "b911b").getValue("last_check") != null);
      JsonObject dead = entry(view, "b911a").getJsonObject("last_check");
      JsonObject good = entry(view, "b911b").getJsonObject("last_check");
      assertFalse(dead.getBoolean("ok"), view.encode());
      assertTrue(dead.getString("error") != null && !dead.getString("error").isBlank(), view.encode());
      assertTrue(good.getBoolean("ok"), view.encode());
      assertTrue(good.getJsonArray("codecs").contains("video:h264") && good.getJsonArray("codecs").contains("audio:aac"),
        view.encode());
      assertTrue(good.getDouble("checked") > System.currentTimeMillis() / 1000.0 - 60, view.encode());
      JsonObject primary = entry(view, "p911");
      assertTrue(primary.getBoolean("playing") && "primary".equals(primary.getString("role")), view.encode());
      assertNull(primary.getValue("last_check"), "the source played from is not checked: " + view.encode());
      assertEquals(List.of(0, 1, 2), view.getJsonArray("sources").stream()
        .map(o -> ((JsonObject) o).getInteger("priority")).toList());
      assertFalse(view.getJsonArray("sources").encode().contains("127.0.0.1:" + source.port() + "/feed/"),
        "sources shown without their path: " + view.encode());

      // The force switch goes to the next source, b911a, unless its failed check moves it last.
      Set<String> seen = ConcurrentHashMap.newKeySet();
      HttpResponse<String> r = StreamFixture.sampling(() -> ffmpegArgs(id, seen), 1_000,
        () -> fx.api("POST", "/api/stream/switch", new JsonObject().put("channel_id", id)));
      assertEquals(200, r.statusCode(), r.body());
      assertTrue(new JsonObject(r.body()).getString("to").endsWith("b911b.ts"), r.body());
      assertEquals(source.url("b911b"), fx.get(StreamContract.resolvedSourceKey(id)));
      assertTrue(seen.stream().noneMatch(a -> a.contains("b911a.ts")), "no FFmpeg ever ran on the dead backup: " + seen);
      assertTrue(seen.stream().anyMatch(a -> a.contains("b911b.ts")), seen.toString());
      assertTrue(entry(sources(id), "b911b").getBoolean("playing"));
    } finally {
      source.comeBack("b911a");
    }
  }

  @Test
  @DisplayName("source_priorities orders the sources: a backup of a lower number plays first")
  void prioritiesOrderSources() {
    String id = "912";
    fx.channel(id, source.url("p912"), source.url("b912"));
    JsonObject c = new JsonObject(fx.get(ChannelContract.channelKey(id))).put("source_priorities", new JsonArray(List.of(5, 1)));
    await(fx.redis.set(List.of(ChannelContract.channelKey(id), c.encode())));
    assertEquals(200, fx.getText(fx.playlistUrl(id, fx.token())).statusCode());
    assertEquals(source.url("b912"), fx.get(StreamContract.resolvedSourceKey(id)));
    JsonObject view = sources(id);
    assertEquals("backup", view.getJsonArray("sources").getJsonObject(0).getString("role"), view.encode());
    assertEquals(1, view.getJsonArray("sources").getJsonObject(0).getInteger("priority"));
    assertEquals(5, view.getJsonArray("sources").getJsonObject(1).getInteger("priority"));
    HttpResponse<String> unknown = fx.api("GET", "/api/streams/919/sources", null);
    assertEquals(404, unknown.statusCode(), unknown.body());
    HttpResponse<String> bad = fx.api("GET", "/api/streams/x1/sources", null);
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(new JsonObject(bad.body()).getString("error").contains("id"), bad.body());
  }

  @Test
  @DisplayName("a backup whose provider is full is not checked: a check would be one connection too many")
  void fullProviderIsNotChecked() {
    assertEquals(201, fx.api("POST", "/api/providers", new JsonObject().put("name", "onlyone")
      .put("hosts", new JsonArray().add("localhost")).put("max_streams", 1)).statusCode());
    try {
      fx.channel("913", source.url("p913").replace("127.0.0.1", "localhost"));
      fx.channel("914", source.url("p914"), source.url("b914").replace("127.0.0.1", "localhost"));
      String token = fx.token();
      assertEquals(200, fx.getText(fx.playlistUrl("913", token)).statusCode());
      assertEquals(200, fx.getText(fx.playlistUrl("914", token)).statusCode());
      TestEnv.pause(4_000); // four check periods pass: time is the subject
      assertEquals(0, source.requests("b914"), "the full provider's source was never opened");
      assertNull(entry(sources("914"), "b914").getValue("last_check"));
      // Room again: the check happens.
      assertEquals(200, fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "913")).statusCode());
      eventually(Duration.ofSeconds(15), "b914 checked once its provider has room",
        () -> entry(sources("914"), "b914").getValue("last_check") != null);
      assertTrue(source.requests("b914") > 0);
    } finally {
      fx.api("DELETE", "/api/providers/onlyone", null);
    }
  }
}
