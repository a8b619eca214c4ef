package dev.iptv.monitor;

import dev.iptv.common.Config;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.ServerSocket;

import static dev.iptv.monitor.Support.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class HealthTest {

  static final String SCHEMA = "monitor_test_health";

  @AfterAll
  static void dropSchema() {
    Vertx vertx = Vertx.vertx();
    try {
      Support.dropSchema(vertx, SCHEMA);
    } finally {
      await(vertx.close());
    }
  }

  private static JsonObject get(Vertx vertx, int port, int expectedStatus) {
    HttpResponse<Buffer> resp = await(WebClient.create(vertx).get(port, "127.0.0.1", "/api/health").send());
    assertEquals(expectedStatus, resp.statusCode(), resp.bodyAsString());
    assertTrue(resp.getHeader("Content-Type").startsWith("application/json"));
    return resp.bodyAsJsonObject();
  }

  private static int deadPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  @DisplayName("health answers ok with a timestamp when Redis answers, without any bearer, and reports every dependency")
  void healthy(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
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
  }

  @Test
  @DisplayName("health answers 503 degraded and names Redis when Redis is unreachable")
  void degraded(Vertx vertx) throws Exception {
    int port = TestEnv.freePort();
    JsonObject config = Support.config(port).put(Config.key(Config.REDIS_URL), "redis://127.0.0.1:" + deadPort());
    Support.deploy(vertx, config);
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
    JsonObject body = get(vertx, port, 200);
    JsonObject pg = body.getJsonObject("checks").getJsonObject("postgresql");
    assertTrue(pg.getBoolean("ok"), pg.encode());
    assertTrue(pg.getDouble("latency_ms") >= 0);
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
}
