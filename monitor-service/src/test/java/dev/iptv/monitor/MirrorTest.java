package dev.iptv.monitor;

import dev.iptv.common.Addresses;
import dev.iptv.common.Keys;
import dev.iptv.common.MonitorKeys;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.iptv.monitor.Support.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing lost when Redis loses its data: the panel's users, tokens and channels are written in the
 * seed layout (as auth-service and playlist-service write them), the change events published, the
 * test database flushed, and everything comes back.
 */
@ExtendWith(VertxExtension.class)
class MirrorTest {

  static final String SCHEMA = "monitor_test_mirror";
  static final String T1 = "87f3b8f5238f1bbd478c870f02a4977a074c860db1ff47c2bebce276d3624651";
  static final String T2 = "0123456789abcdef0123456789abcdef";
  static final String T3 = "fedcba9876543210fedcba9876543210fedcba98";
  static final long TOKEN_TTL_S = 30L * 86400;

  private RedisAPI redis;
  private Pool pg;

  @BeforeEach
  void clean(Vertx vertx) {
    redis = Support.redis(vertx);
    Support.flushTestDb(redis);
    Support.dropSchema(vertx, SCHEMA);
    pg = Support.pg(vertx, SCHEMA);
  }

  @AfterEach
  void closePool() {
    await(pg.close());
  }

  @AfterAll
  static void drop() {
    Vertx vertx = Vertx.vertx();
    try {
      Support.dropSchema(vertx, SCHEMA);
    } finally {
      await(vertx.close());
    }
  }

  // --- the panel's writes, in the seed layout --------------------------------------------------

  private void user(Vertx vertx, String username, String token, String oldToken) {
    String expires = Instant.now().plusSeconds(TOKEN_TTL_S - 86400).toString();
    JsonObject user = new JsonObject().put("username", username).put("token", token).put("email", username + "@example.com")
      .put("expires_at", expires).put("max_connections", 2).put("is_active", true)
      .put("password", "pbkdf2-sha256$1000$c2FsdA$aGFzaA");
    JsonObject tokenValue = new JsonObject().put("username", username).put("token", token).put("expires_at", expires)
      .put("max_connections", 2).put("is_active", true);
    await(redis.set(List.of(Keys.user(username), user.encode())));
    await(redis.setex(Keys.token(token), Long.toString(TOKEN_TTL_S), tokenValue.encode()));
    await(redis.sadd(List.of(Keys.USERS_ALL, username)));
    if (oldToken != null) {
      await(redis.del(List.of(Keys.token(oldToken))));
    }
    JsonObject event = new JsonObject().put("username", username).put("token", token);
    if (oldToken != null) {
      event.put("old_token", oldToken);
    }
    vertx.eventBus().publish(Addresses.USERS_CHANGED, event);
  }

  private void deleteUser(Vertx vertx, String username, String token) {
    await(redis.del(List.of(Keys.user(username), Keys.token(token))));
    await(redis.srem(List.of(Keys.USERS_ALL, username)));
    vertx.eventBus().publish(Addresses.USERS_CHANGED, new JsonObject().put("username", username).put("token", token)
      .put("deleted", true));
  }

  private void channel(Vertx vertx, String id, String name) {
    JsonObject ch = new JsonObject().put("channel_id", id).put("name", name)
      .put("source_url", "http://upstream.example/live/" + id + ".ts").put("logo", "images/no_logo.jpg")
      .put("category", "Favorite").put("quality", "medium").put("order", 1).put("category_order", 1).put("is_active", true);
    await(redis.set(List.of(Keys.channel(id), ch.encode())));
    await(redis.sadd(List.of(Keys.CHANNELS_ALL, id)));
    vertx.eventBus().publish(Addresses.CHANNELS_CHANGED, new JsonObject().put("channel_id", id).put("action", "created")
      .put("is_active", true));
  }

  // --- reading back ----------------------------------------------------------------------------

  private Map<String, String> rows() {
    Map<String, String> out = new HashMap<>();
    for (Row r : await(pg.query("SELECT key, value FROM synced_keys").execute())) {
      out.put(r.getString("key"), r.getString("value"));
    }
    return out;
  }

  private Map<String, String> redisValues(Set<String> keys) {
    Map<String, String> out = new HashMap<>();
    for (String k : keys) {
      Response v = await(redis.get(k));
      if (v != null) {
        out.put(k, v.toString());
      }
    }
    return out;
  }

  private Set<String> members(String set) {
    Set<String> out = new HashSet<>();
    await(redis.smembers(set)).forEach(r -> out.add(r.toString()));
    return out;
  }

  private boolean exists(String key) {
    return await(redis.exists(List.of(key))).toInteger() == 1;
  }

  @Test
  @DisplayName("after FLUSHDB every user, token (with its TTL), channel and index set comes back with the same values")
  void restoreAfterFlush(Vertx vertx) {
    List<JsonObject> restoreEvents = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(Addresses.MONITOR_EVENTS, m -> restoreEvents.add(m.body()));
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.withPg(Support.config(port), SCHEMA));
    user(vertx, "alice", T1, null);
    user(vertx, "bob", T2, null);
    channel(vertx, "48681", "MBC Pro aflam");
    channel(vertx, "87827", "beIN SPORT Very Low 1");
    Set<String> keys = Set.of(Keys.user("alice"), Keys.user("bob"), Keys.token(T1), Keys.token(T2),
      Keys.channel("48681"), Keys.channel("87827"));
    Support.eventually(Duration.ofSeconds(10), "the six keys mirrored", () -> rows().keySet().equals(keys));
    Map<String, String> before = redisValues(keys);
    assertEquals(before, rows(), "the mirror holds the raw values");
    long ttlBefore = await(redis.ttl(Keys.token(T1))).toLong();

    Support.flushTestDb(redis);
    assertTrue(!exists(Keys.user("alice")));

    Support.eventually(Duration.ofSeconds(10), "the keys restored", () -> redisValues(keys).size() == keys.size()
      && exists(MonitorKeys.SENTINEL));
    assertEquals(before, redisValues(keys));
    long ttlAfter = await(redis.ttl(Keys.token(T1))).toLong();
    assertTrue(ttlAfter > 0 && Math.abs(ttlAfter - ttlBefore) <= 5, "token TTL kept: " + ttlBefore + " -> " + ttlAfter);
    assertEquals(-1L, await(redis.ttl(Keys.user("alice"))).toLong(), "users never expire");
    assertEquals(Set.of("alice", "bob"), members(Keys.USERS_ALL));
    assertEquals(Set.of("48681", "87827"), members(Keys.CHANNELS_ALL));

    Support.eventually(Duration.ofSeconds(5), "a redis_restored event", () -> !restoreEvents.isEmpty());
    JsonObject e = restoreEvents.get(0);
    assertEquals("redis_restored", e.getString("event"));
    assertEquals(6, e.getInteger("keys"));
    JsonObject health = await(WebClient.create(vertx).get(port, "127.0.0.1", "/api/health").send()).bodyAsJsonObject();
    assertEquals(1, health.getJsonObject("checks").getJsonObject("mirror").getInteger("restores"));
  }

  @Test
  @DisplayName("a changed token drops the old token's row and a deleted user drops the user's rows")
  void follow(Vertx vertx) {
    Support.deploy(vertx, Support.withPg(Support.config(TestEnv.freePort()), SCHEMA));
    user(vertx, "alice", T1, null);
    user(vertx, "bob", T2, null);
    channel(vertx, "48681", "MBC Pro aflam");
    Support.eventually(Duration.ofSeconds(10), "five rows", () -> rows().size() == 5);

    user(vertx, "alice", T3, T1);
    deleteUser(vertx, "bob", T2);
    await(redis.del(List.of(Keys.channel("48681"))));
    vertx.eventBus().publish(Addresses.CHANNELS_CHANGED, new JsonObject().put("channel_id", "48681").put("action", "deleted"));
    Support.eventually(Duration.ofSeconds(10), "alice with her new token only", () ->
      rows().keySet().equals(Set.of(Keys.user("alice"), Keys.token(T3))));
    assertTrue(rows().get(Keys.user("alice")).contains(T3), "the user row has the new value");
    Row token = await(pg.query("SELECT expires_at, owner FROM synced_keys WHERE key = 'token:" + T3 + "'").execute())
      .iterator().next();
    assertEquals("alice", token.getString("owner"));
    long left = token.getOffsetDateTime("expires_at").toEpochSecond() - Instant.now().getEpochSecond();
    assertTrue(Math.abs(left - TOKEN_TTL_S) < 30, "expires_at is the end of the token's TTL: " + left);
  }

  @Test
  @DisplayName("the reconciliation picks up edits made with redis-cli, without any event")
  void reconcile(Vertx vertx) {
    String first = Support.deploy(vertx, Support.withPg(Support.config(TestEnv.freePort()), SCHEMA));
    user(vertx, "alice", T1, null);
    channel(vertx, "48681", "MBC Pro aflam");
    Support.eventually(Duration.ofSeconds(10), "three rows", () -> rows().size() == 3);
    await(vertx.undeploy(first));

    // an operator's redis-cli session: no event reaches the monitor
    await(redis.set(List.of(Keys.channel("48681"), "{\"channel_id\":\"48681\",\"name\":\"Renamed\"}")));
    await(redis.set(List.of(Keys.channel("555"), "{\"channel_id\":\"555\",\"name\":\"New\"}")));
    await(redis.del(List.of(Keys.token(T1))));
    await(redis.set(List.of("user:carol:sessions", "not mirrored")));

    Support.deploy(vertx, Support.withPg(Support.config(TestEnv.freePort()), SCHEMA));
    Support.eventually(Duration.ofSeconds(10), "the mirror in step", () ->
      rows().keySet().equals(Set.of(Keys.user("alice"), Keys.channel("48681"), Keys.channel("555"))));
    assertTrue(rows().get(Keys.channel("48681")).contains("Renamed"));
  }

  @Test
  @DisplayName("a monitor that starts on an emptied Redis restores it, without overwriting what the panel wrote since")
  void restoreAtStart(Vertx vertx) {
    String first = Support.deploy(vertx, Support.withPg(Support.config(TestEnv.freePort()), SCHEMA));
    user(vertx, "alice", T1, null);
    user(vertx, "bob", T2, null);
    Support.eventually(Duration.ofSeconds(10), "four rows", () -> rows().size() == 4);
    await(vertx.undeploy(first));

    Support.flushTestDb(redis); // Redis restarted without persistence while the monitor was down
    await(redis.set(List.of(Keys.user("bob"), "{\"username\":\"bob\",\"written\":\"after the loss\"}")));

    Support.deploy(vertx, Support.withPg(Support.config(TestEnv.freePort()), SCHEMA));
    assertTrue(exists(Keys.user("alice")), "restored before the service reports ready");
    assertTrue(exists(Keys.token(T1)) && exists(Keys.token(T2)));
    assertEquals("{\"username\":\"bob\",\"written\":\"after the loss\"}", await(redis.get(Keys.user("bob"))).toString());
    assertEquals(Set.of("alice", "bob"), members(Keys.USERS_ALL));
    assertNull(await(redis.get(MonitorKeys.streamBytes("1"))));
  }
}
