package dev.iptv.monitor.webhooks;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.monitor.Support;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.RedisAPI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@DisplayName("Webhooks: the API, signed deliveries, retries to a receiver that was down")
class WebhookTest {

  private static final String SECRET = "whsec-0123456789abcdef";

  /** A receiver's view of one POST. */
  record Received(Map<String, String> headers, String body) {
  }

  private RedisAPI redis;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private HttpServer receiver;

  @BeforeEach
  void clean(Vertx vertx) {
    redis = Support.redis(vertx);
    Support.flushTestDb(redis);
  }

  @AfterEach
  void close() {
    if (receiver != null) {
      await(receiver.close());
    }
  }

  private int startReceiver(Vertx vertx, int port) {
    receiver = await(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      Map<String, String> h = new java.util.HashMap<>();
      req.headers().forEach(e -> h.put(e.getKey().toLowerCase(), e.getValue()));
      received.add(new Received(h, b.toString()));
      req.response().setStatusCode(204).end();
    })).listen(port, "127.0.0.1"));
    return receiver.actualPort();
  }

  private static JsonObject hook(String name, int port, String... events) {
    return new JsonObject().put("name", name).put("url", "http://127.0.0.1:" + port + "/hooks/iptv?k=1")
      .put("events", new JsonArray(List.of(events))).put("secret", SECRET);
  }

  @Test
  @DisplayName("create, list, read, change and delete; the secret is never shown; bad input is a 400 naming the field")
  void api(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    AdminClient admin = AdminClient.of(vertx, port);
    assertEquals(401, AdminClient.of(vertx, port).withBearer("wrong-token-0123456789").get("/api/webhooks").statusCode());

    HttpResponse<Buffer> created = admin.send(HttpMethod.POST, "/api/webhooks", hook("ops", 9, "started", "limit_hit"));
    assertEquals(201, created.statusCode(), created.bodyAsString());
    assertNull(created.bodyAsJsonObject().getValue("secret"));
    assertEquals(Boolean.TRUE, created.bodyAsJsonObject().getBoolean("has_secret"));
    assertEquals(409, admin.send(HttpMethod.POST, "/api/webhooks", hook("ops", 9, "started")).statusCode());

    JsonObject list = admin.get("/api/webhooks").bodyAsJsonObject();
    assertEquals(1, list.getInteger("count"));
    assertFalse(list.encode().contains(SECRET), "the secret is write-only");

    HttpResponse<Buffer> changed = admin.send(HttpMethod.PUT, "/api/webhooks/ops",
      new JsonObject().put("enabled", false).put("events", new JsonArray().add("*")));
    assertEquals(200, changed.statusCode(), changed.bodyAsString());
    assertEquals(false, changed.bodyAsJsonObject().getBoolean("enabled"));
    assertEquals(new JsonArray().add("*"), admin.get("/api/webhooks/ops").bodyAsJsonObject().getJsonArray("events"));

    Map<JsonObject, String> bad = Map.of(
      hook("x", 9, "started").put("url", "ftp://example.com/x"), "url",
      hook("x", 9, "started").put("url", "http://user:pw@example.com/x"), "user info",
      hook("x", 9, "no_such_event"), "events[0] is an unknown event 'no_such_event'",
      hook("x", 9).put("events", new JsonArray()), "events",
      hook("x", 9, "started").put("secret", "short"), "secret",
      hook("x", 9, "started").put("enabled", "yes"), "enabled",
      hook("../etc", 9, "started"), "name",
      hook("x", 9, "started").put("url", "http://example.com/" + "a".repeat(3000)), "url");
    for (Map.Entry<JsonObject, String> b : bad.entrySet()) {
      HttpResponse<Buffer> r = admin.send(HttpMethod.POST, "/api/webhooks", b.getKey());
      assertEquals(400, r.statusCode(), b.getKey().encode());
      assertTrue(r.bodyAsJsonObject().getString("error").contains(b.getValue()), r.bodyAsString());
    }
    assertEquals(400, admin.send(HttpMethod.PUT, "/api/webhooks/ops", new JsonObject().put("colour", "red")).statusCode());
    assertEquals(404, admin.get("/api/webhooks/nope").statusCode());
    assertEquals(1, admin.get("/api/webhooks").bodyAsJsonObject().getInteger("count"), "nothing written by the bad requests");

    assertEquals(200, admin.send(HttpMethod.DELETE, "/api/webhooks/ops", null).statusCode());
    assertEquals(404, admin.send(HttpMethod.DELETE, "/api/webhooks/ops", null).statusCode());
    assertEquals(0, admin.get("/api/webhooks").bodyAsJsonObject().getInteger("count"));
  }

  @Test
  @DisplayName("an event is POSTed once, signed with HMAC-SHA256, only to the webhooks that ask for it")
  void signedDelivery(Vertx vertx) throws InterruptedException {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    AdminClient admin = AdminClient.of(vertx, port);
    int hooks = startReceiver(vertx, 0);
    assertEquals(201, admin.send(HttpMethod.POST, "/api/webhooks", hook("streams", hooks, "started", "stalled")).statusCode());
    assertEquals(201, admin.send(HttpMethod.POST, "/api/webhooks", hook("limits", hooks, "limit_hit")).statusCode());
    assertEquals(201, admin.send(HttpMethod.POST, "/api/webhooks",
      hook("off", hooks, "*").put("enabled", false)).statusCode());

    double now = System.currentTimeMillis() / 1000.0;
    vertx.eventBus().publish(StreamContract.EVENTS, new JsonObject().put("event", "started").put("channel_id", "48681")
      .put("node", Support.NODE).put("mode", "copy").put("ts", now));
    vertx.eventBus().publish(AuthContract.LIMIT_EVENTS, new JsonObject().put("event", "limit_hit")
      .put("username", "john123").put("channel_id", "48681").put("ts", now));
    vertx.eventBus().publish(StreamContract.EVENTS, new JsonObject().put("event", "stopped").put("channel_id", "48681")
      .put("node", Support.NODE).put("reason", "idle").put("ts", now));

    eventually(Duration.ofSeconds(10), "two deliveries", () -> received.size() >= 2);
    Thread.sleep(1500); // time is the subject: nothing more arrives
    assertEquals(2, received.size(), "'stopped' is asked for by no enabled webhook: " + received);
    Received started = received.stream().filter(r -> "started".equals(r.headers().get("x-iptv-event"))).findFirst().orElseThrow();
    JsonObject body = new JsonObject(started.body());
    assertEquals("48681", body.getString("channel_id"));
    assertEquals("sha256=" + WebhookVerticle.sign(SECRET, Buffer.buffer(started.body())), started.headers().get("x-iptv-signature"));
    assertFalse(WebhookVerticle.sign("another-secret-0123456789", Buffer.buffer(started.body()))
      .equals(started.headers().get("x-iptv-signature").substring(7)));
    assertTrue(received.stream().anyMatch(r -> "limit_hit".equals(r.headers().get("x-iptv-event"))
      && r.body().contains("john123")));

    JsonArray log = admin.get("/api/webhooks/streams/deliveries").bodyAsJsonObject().getJsonArray("deliveries");
    assertEquals(1, log.size(), log.encode());
    assertEquals(true, log.getJsonObject(0).getBoolean("delivered"));
    assertEquals(204, log.getJsonObject(0).getInteger("status"));
  }

  @Test
  @DisplayName("slate_on and slate_off reach a webhook that asks for them, signed; another kind does not")
  void slateEvents(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    AdminClient admin = AdminClient.of(vertx, port);
    int hooks = startReceiver(vertx, 0);
    assertEquals(201, admin.send(HttpMethod.POST, "/api/webhooks", hook("slate", hooks, "slate_on", "slate_off")).statusCode());
    double now = System.currentTimeMillis() / 1000.0;
    for (String kind : List.of("slate_on", "switched", "slate_off")) {
      vertx.eventBus().publish(StreamContract.EVENTS, new JsonObject().put("event", kind).put("channel_id", "901")
        .put("node", Support.NODE).put("mode", "copy").put("reason", kind + " reason").put("ts", now));
    }
    eventually(Duration.ofSeconds(10), "slate_on and slate_off delivered", () -> received.stream()
      .map(r -> r.headers().get("x-iptv-event")).toList().containsAll(List.of("slate_on", "slate_off")));
    for (Received r : received) {
      assertTrue(List.of("slate_on", "slate_off").contains(r.headers().get("x-iptv-event")), r.toString());
      assertEquals("sha256=" + WebhookVerticle.sign(SECRET, Buffer.buffer(r.body())), r.headers().get("x-iptv-signature"));
      assertEquals("901", new JsonObject(r.body()).getString("channel_id"));
    }
  }

  @Test
  @DisplayName("a receiver that is down gets the event later, with the same delivery id; every attempt is logged")
  void retriedUntilTheReceiverIsBack(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    AdminClient admin = AdminClient.of(vertx, port);
    int hooks = TestEnv.freePort(); // nothing listens there yet
    assertEquals(201, admin.send(HttpMethod.POST, "/api/webhooks", hook("late", hooks, "failed")).statusCode());

    vertx.eventBus().publish(StreamContract.EVENTS, new JsonObject().put("event", "failed").put("channel_id", "7")
      .put("node", Support.NODE).put("reason", "no source plays").put("ts", System.currentTimeMillis() / 1000.0));
    JsonArray log = eventually(Duration.ofSeconds(10), "a failed attempt in the log",
      () -> admin.get("/api/webhooks/late/deliveries").bodyAsJsonObject().getJsonArray("deliveries"),
      l -> !l.isEmpty());
    JsonObject first = log.getJsonObject(log.size() - 1);
    assertEquals(false, first.getBoolean("delivered"));
    assertEquals(1, first.getInteger("attempt"));
    assertTrue(first.getDouble("retry_in_s") > 0, first.encode());

    startReceiver(vertx, hooks);
    eventually(Duration.ofSeconds(20), "the event delivered once the receiver is back", () -> received.size() == 1);
    assertEquals(first.getString("id"), received.get(0).headers().get("x-iptv-delivery"));
    JsonArray after = eventually(Duration.ofSeconds(5), "the delivery logged",
      () -> admin.get("/api/webhooks/late/deliveries").bodyAsJsonObject().getJsonArray("deliveries"),
      l -> l.getJsonObject(0).getBoolean("delivered"));
    assertTrue(after.getJsonObject(0).getInteger("attempt") >= 2, after.encode());
  }

  @Test
  @DisplayName("a node whose reports stop is announced offline, then online when it reports again")
  void nodeOfflineAndBack(Vertx vertx) throws InterruptedException {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    AdminClient admin = AdminClient.of(vertx, port);
    int hooks = startReceiver(vertx, 0);
    assertEquals(201, admin.send(HttpMethod.POST, "/api/webhooks",
      hook("nodes", hooks, MonitorContract.NODE_OFFLINE, MonitorContract.NODE_ONLINE)).statusCode());
    String stats = new JsonObject().put("cpu_percent", 10.0).put("memory_percent", 20.0).encode();
    await(redis.sadd(List.of(MonitorContract.NODES_ALL, "edge-2")));
    await(redis.set(List.of(MonitorContract.nodeStatsKey("edge-2"), stats, "EX", "60")));
    await(redis.set(List.of(MonitorContract.nodeLastSeenKey("edge-2"), "1700000000.5", "EX", "600")));
    // seen up by a check (they run every 5 s), then its reports stop (the key expires)
    Thread.sleep(WebhookVerticle.NODE_CHECK_MS * 2 + 500); // time is the subject: two checks see it up
    await(redis.del(List.of(MonitorContract.nodeStatsKey("edge-2"))));
    eventually(Duration.ofSeconds(15), "node_offline delivered",
      () -> received.stream().anyMatch(r -> MonitorContract.NODE_OFFLINE.equals(r.headers().get("x-iptv-event"))));
    Received off = received.get(0);
    assertEquals("edge-2", new JsonObject(off.body()).getString("node"));
    await(redis.set(List.of(MonitorContract.nodeStatsKey("edge-2"), stats, "EX", "60")));
    eventually(Duration.ofSeconds(15), "node_online delivered",
      () -> received.stream().anyMatch(r -> MonitorContract.NODE_ONLINE.equals(r.headers().get("x-iptv-event"))));
  }
}
