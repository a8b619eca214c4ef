package dev.iptv.monitor.health;

import dev.iptv.common.Config;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.monitor.Metrics;
import dev.iptv.monitor.Support;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import dev.iptv.testing.TestPg;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.redis.client.RedisAPI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /metrics on a Vert.x built as the launcher builds it: Vert.x's meters and the suite's. */
class MetricsTest {

  private Vertx vertx;
  private RedisAPI redis;

  @BeforeEach
  void start() {
    vertx = Vertx.builder().with(Metrics.vertxOptions()).withMetrics(Metrics.factory()).build();
    redis = Support.redis(vertx);
    Support.flushTestDb(redis);
  }

  @AfterEach
  void stop() {
    await(vertx.close());
  }

  private HttpResponse<Buffer> get(int port, String path, String bearer) {
    return AdminClient.of(vertx, port).withBearer(bearer).get(path);
  }

  @Test
  @DisplayName("metrics serve Prometheus text with HTTP latency histograms by route and the suite's stream meters")
  void scrape() {
    long now = System.currentTimeMillis() / 1000;
    await(redis.mset(List.of(StreamContract.pidKey("48681"), "99", StreamContract.nodeKey("48681"), "n1")));
    await(redis.zadd(List.of(StreamContract.viewersKey("48681"), Long.toString(now), "a", Long.toString(now), "b")));
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    for (int i = 0; i < 3; i++) {
      assertEquals(200, get(port, "/api/health", null).statusCode());
    }
    JsonObject started = new JsonObject().put("event", "started").put("channel_id", "48681").put("node", "n1")
      .put("mode", "copy").put("reason", "viewer").put("ts", now);
    vertx.eventBus().publish(StreamContract.EVENTS, started);
    vertx.eventBus().publish(StreamContract.EVENTS, started.copy().put("event", "restarted"));
    vertx.eventBus().publish(StreamContract.EVENTS, started.copy().put("event", "failed"));
    vertx.eventBus().publish(StreamContract.EVENTS, started.copy().put("event", "stalled"));
    vertx.eventBus().publish(StreamContract.EVENTS, started.copy().put("event", "switched"));
    vertx.eventBus().publish(StreamContract.EVENTS, started.copy().put("event", "slate_on"));
    vertx.eventBus().publish(StreamContract.EVENTS, started.copy().put("event", "slate_off"));
    vertx.eventBus().publish(AuthContract.LIMIT_EVENTS, new JsonObject().put("event", "limit_hit").put("username", "u")
      .put("channel_id", "48681").put("ts", now));

    eventually(Duration.ofSeconds(10), "stream meters in the scrape", () -> {
      String text = get(port, "/metrics", TestEnv.ADMIN_TOKEN).bodyAsString();
      return text.contains("iptv_streams_running 1.0") && text.contains("iptv_viewers 2.0")
        && text.contains("iptv_limit_hits_total 1.0");
    });
    HttpResponse<Buffer> resp = get(port, "/metrics", TestEnv.ADMIN_TOKEN);
    assertEquals(200, resp.statusCode());
    assertTrue(resp.getHeader("Content-Type").startsWith("text/plain"), resp.getHeader("Content-Type"));
    String text = resp.bodyAsString();
    try {
      java.nio.file.Files.writeString(java.nio.file.Path.of("target/metrics-scrape.txt"), text);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    assertTrue(text.matches("(?s).*vertx_http_server_response_time_seconds_bucket\\{[^}]*route=\"/api/health\"[^}]*}.*"),
      () -> "latency histogram of /api/health by route:\n" + text.lines()
        .filter(l -> l.startsWith("vertx_http_server")).limit(30).reduce("", (a, b) -> a + b + "\n"));
    assertTrue(text.contains("iptv_stream_starts_total{mode=\"copy\",node=\"n1\"} 1.0"), text);
    assertTrue(text.contains("iptv_stream_restarts_total{node=\"n1\"} 1.0"));
    assertTrue(text.contains("iptv_stream_failures_total{node=\"n1\"} 1.0"));
    assertTrue(text.contains("iptv_stream_stalls_total{node=\"n1\"} 1.0"), "stalls counted");
    assertTrue(text.contains("iptv_stream_switches_total{node=\"n1\"} 1.0"), "switches counted");
    assertTrue(text.contains("iptv_stream_slates_total{node=\"n1\"} 1.0"), "slates counted");
    assertTrue(text.contains("iptv_stream_slate_recoveries_total{node=\"n1\"} 1.0"), "slates left counted");
    assertTrue(text.contains("iptv_channel_viewers{channel=\"48681\"} 2.0"));
    assertTrue(text.contains("jvm_memory_used_bytes"), "JVM meters too");
    assertTrue(!text.contains(TestEnv.ADMIN_TOKEN), "no secret in the scrape");
  }

  @Test
  @DisplayName("the mirror's gauges follow mirror-service: the panel's keys copied into PostgreSQL, and Redis restored")
  void mirrorGauges() {
    String schema = "monitor8_metrics";
    TestPg.dropSchema(vertx, schema);
    try {
      int port = TestEnv.freePort();
      JsonObject config = Support.withPg(Support.config(port), schema);
      Support.deployMirror(vertx, config);
      Support.deploy(vertx, config);
      // the panel's write, as playlist-service makes it
      await(redis.set(List.of(ChannelContract.channelKey("48681"),
        new JsonObject().put("channel_id", "48681").put("name", "MBC Pro aflam").encode())));
      vertx.eventBus().publish(ChannelContract.CHANNELS_CHANGED, new JsonObject().put("channel_id", "48681")
        .put("action", "created").put("is_active", true));
      eventually(Duration.ofSeconds(10), "iptv_mirror_keys 1.0", () ->
        get(port, "/metrics", TestEnv.ADMIN_TOKEN).bodyAsString().contains("iptv_mirror_keys 1.0"));
      assertTrue(get(port, "/metrics", TestEnv.ADMIN_TOKEN).bodyAsString().contains("iptv_redis_restores 0.0"));
      Support.flushTestDb(redis);
      eventually(Duration.ofSeconds(15), "iptv_redis_restores 1.0", () ->
        get(port, "/metrics", TestEnv.ADMIN_TOKEN).bodyAsString().contains("iptv_redis_restores 1.0"));
    } finally {
      for (String id : List.copyOf(vertx.deploymentIDs())) { // the parts go with their monitor
        await(vertx.undeploy(id).recover(err -> io.vertx.core.Future.succeededFuture()));
      }
      TestPg.dropSchema(vertx, schema);
    }
  }

  @Test
  @DisplayName("metrics need the admin bearer unless IPTV_METRICS_PUBLIC is true")
  void bearer() {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    assertEquals(401, get(port, "/metrics", null).statusCode());
    assertEquals(401, get(port, "/metrics", "not-the-admin-token").statusCode());

    int open = TestEnv.freePort();
    Support.deploy(vertx, Support.config(open).put(Config.key(Config.METRICS_PUBLIC), "true"));
    assertEquals(200, get(open, "/metrics", null).statusCode());
  }
}
