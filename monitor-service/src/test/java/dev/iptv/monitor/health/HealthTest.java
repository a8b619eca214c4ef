package dev.iptv.monitor.health;

import dev.iptv.common.Config;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.monitor.Support;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import dev.iptv.testing.TestPg;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class HealthTest {

  static final String SCHEMA = "monitor8_health";

  @AfterAll
  static void dropSchema() {
    TestPg.dropSchema(SCHEMA);
  }

  /** The details, as the admin sees them. */
  private static JsonObject get(Vertx vertx, int port, int expectedStatus) {
    return get(vertx, port, expectedStatus, TestEnv.ADMIN_TOKEN);
  }

  private static JsonObject get(Vertx vertx, int port, int expectedStatus, String bearer) {
    HttpResponse<Buffer> resp = AdminClient.of(vertx, port).withBearer(bearer).get("/api/health");
    assertEquals(expectedStatus, resp.statusCode(), resp.bodyAsString());
    assertTrue(resp.getHeader("Content-Type").startsWith("application/json"));
    return resp.bodyAsJsonObject();
  }

  /** What anyone gets without the bearer: the status and the time, nothing else. */
  private static void assertOnlyStatus(JsonObject body, String status) {
    assertEquals(Set.of("status", "timestamp"), body.fieldNames(), body.encode());
    assertEquals(status, body.getString("status"));
  }

  private static int deadPort() {
    return TestEnv.freePort();
  }

  @Test
  @DisplayName("health answers ok with a timestamp to anyone, and reports every dependency to the admin bearer only")
  void healthy(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deployMirror(vertx, Support.config(port));
    Support.deploy(vertx, Support.config(port));
    assertOnlyStatus(get(vertx, port, 200, null), "ok");
    assertOnlyStatus(get(vertx, port, 200, "not-the-admin-token"), "ok");
    JsonObject body = get(vertx, port, 200);
    assertEquals("ok", body.getString("status"));
    double ts = body.getDouble("timestamp");
    assertTrue(Math.abs(ts - System.currentTimeMillis() / 1000.0) < 60, "timestamp is now in epoch seconds");
    assertNull(body.getJsonArray("failing"));
    JsonObject checks = body.getJsonObject("checks");
    assertTrue(checks.getJsonObject("redis").getBoolean("ok"));
    assertFalse(checks.getJsonObject("postgresql").getBoolean("enabled"), "PostgreSQL is not configured");
    assertTrue(checks.getJsonObject("ffmpeg").getBoolean("ok"), "ffmpeg -version ran: " + checks.getJsonObject("ffmpeg"));
    assertTrue(checks.getJsonObject("ffmpeg").getString("version").startsWith("ffmpeg version"));
    assertEquals("standalone", checks.getJsonObject("cluster").getString("mode"));
    assertTrue(checks.getJsonObject("mirror").getBoolean("sentinel"), "the Redis sentinel is set at start");
    JsonObject mirror = await(vertx.eventBus().<JsonObject>request(MirrorContract.STATUS, new JsonObject())).body();
    assertEquals(mirror, checks.getJsonObject("mirror"), "mirror-service's own status, as it answers it");
    JsonObject disk = checks.getJsonObject("disk");
    assertTrue(disk.getBoolean("ok"), disk.encode());
    assertTrue(disk.getLong("free_mb") >= disk.getLong("min_free_mb"), disk.encode());
  }

  @Test
  @DisplayName("without a mirror-service in reach, health says so in checks.mirror and stays ok")
  void noMirror(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    JsonObject body = get(vertx, port, 200);
    JsonObject mirror = body.getJsonObject("checks").getJsonObject("mirror");
    assertFalse(mirror.getBoolean("running"), mirror.encode());
    assertFalse(mirror.getBoolean("enabled"), mirror.encode());
    assertTrue(mirror.getString("error").contains(MirrorContract.STATUS), mirror.encode());
    assertNull(body.getJsonArray("warnings"), "the mirror is shown, never a warning: " + body.encode());
  }

  @Test
  @DisplayName("health answers 503 degraded and names Redis when Redis is unreachable")
  void degraded(Vertx vertx) throws Exception {
    int port = TestEnv.freePort();
    JsonObject config = Support.config(port).put(Config.key(Config.REDIS_URL), "redis://127.0.0.1:" + deadPort());
    Support.deploy(vertx, config);
    assertOnlyStatus(get(vertx, port, 503, null), "degraded");
    JsonObject body = get(vertx, port, 503);
    assertEquals("degraded", body.getString("status"));
    assertTrue(body.getJsonArray("failing").contains("redis"));
    assertTrue(body.containsKey("timestamp"));
    assertFalse(body.getJsonObject("checks").getJsonObject("redis").getBoolean("ok"));
  }

  @Test
  @DisplayName("with IPTV_PG_URL set, health checks PostgreSQL with SELECT 1 and stays ok while it answers")
  void postgresqlOk(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.withPg(Support.config(port), SCHEMA));
    long t0 = System.nanoTime();
    JsonObject body = get(vertx, port, 200);
    double roundTripMs = (System.nanoTime() - t0) / 1e6;
    JsonObject pg = body.getJsonObject("checks").getJsonObject("postgresql");
    assertTrue(pg.getBoolean("ok"), pg.encode());
    // A real SELECT 1 takes some time, and never more than the whole health request around it.
    double latency = pg.getDouble("latency_ms");
    assertTrue(latency > 0 && latency <= roundTripMs, "latency " + latency + " ms within the request's " + roundTripMs + " ms");
  }

  @Test
  @DisplayName("with IPTV_PG_URL set but PostgreSQL unreachable, health answers 503 and names postgresql")
  void postgresqlDown(Vertx vertx) throws Exception {
    int port = TestEnv.freePort();
    JsonObject config = Support.config(port)
      .put(Config.key(Config.PG_URL), "postgresql://postgres@127.0.0.1:" + deadPort() + "/test");
    Support.deploy(vertx, config);
    JsonObject body = get(vertx, port, 503);
    assertEquals("degraded", body.getString("status"));
    assertTrue(body.getJsonArray("failing").contains("postgresql"), body.encode());
    assertFalse(body.getJsonArray("failing").contains("redis"));
  }

  @Test
  @DisplayName("a missing FFmpeg is reported as a warning, not as a degraded service")
  void ffmpegMissing(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port).put(Config.key(Config.FFMPEG), "/nonexistent/ffmpeg"));
    JsonObject body = get(vertx, port, 200);
    assertTrue(body.getJsonArray("warnings").contains("ffmpeg"));
    assertFalse(body.getJsonObject("checks").getJsonObject("ffmpeg").getBoolean("ok"));
  }

  @Test
  @DisplayName("a disk_full event from a stream node fails the disk check (503), and is counted in iptv_disk_full_total")
  void diskFullEvent(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    get(vertx, port, 200);
    JsonObject event = new JsonObject().put("event", "disk_full").put("channel_id", "48681").put("node", "n1")
      .put("path", "/var/lib/iptv/hls/stream_48681_12.ts").put("reason", "No space left on device")
      .put("ts", System.currentTimeMillis() / 1000.0);
    vertx.eventBus().publish(StreamContract.EVENTS, event);
    eventually(Duration.ofSeconds(5), "health degraded by the event", () ->
      await(WebClient.create(vertx).get(port, "127.0.0.1", "/api/health").send()).statusCode() == 503);
    assertOnlyStatus(get(vertx, port, 503, null), "degraded");
    JsonObject body = get(vertx, port, 503);
    assertEquals(new JsonArray().add("disk"), body.getJsonArray("failing"));
    JsonObject disk = body.getJsonObject("checks").getJsonObject("disk");
    assertFalse(disk.getBoolean("ok"));
    assertEquals("/var/lib/iptv/hls/stream_48681_12.ts", disk.getJsonObject("disk_full").getString("path"));
    assertTrue(disk.getLong("free_mb") >= disk.getLong("min_free_mb"), "the space itself is fine: the event fails it");
    String metrics = AdminClient.of(vertx, port).get("/metrics").bodyAsString();
    assertTrue(metrics.contains("iptv_disk_full_total{node=\"n1\"} 1.0"), metrics);
  }

  @Test
  @DisplayName("the disk check fails while the HLS folder's file system has less free space than IPTV_DISK_MIN_FREE_MB")
  void diskLow(Vertx vertx) throws Exception {
    Path hls = TestEnv.tempDir("monitor-hls");
    long freeMb = Files.getFileStore(hls).getUsableSpace() / 1048576;
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port).put(Config.key(Config.HLS_DIR), hls.toString())
      .put(Config.key(Config.DISK_MIN_FREE_MB), Long.toString(freeMb + 1024 * 1024)));
    JsonObject body = get(vertx, port, 503);
    assertEquals(new JsonArray().add("disk"), body.getJsonArray("failing"));
    JsonObject disk = body.getJsonObject("checks").getJsonObject("disk");
    assertEquals(hls.toString(), disk.getString("path"));
    assertTrue(disk.getLong("free_mb") < disk.getLong("min_free_mb"), disk.encode());

    int fine = TestEnv.freePort();
    Support.deploy(vertx, Support.config(fine).put(Config.key(Config.HLS_DIR), hls.toString())
      .put(Config.key(Config.DISK_MIN_FREE_MB), "1"));
    assertTrue(get(vertx, fine, 200).getJsonObject("checks").getJsonObject("disk").getBoolean("ok"));
  }
}
