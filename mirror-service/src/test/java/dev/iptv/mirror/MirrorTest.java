package dev.iptv.mirror;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.MonitorContract;
import dev.iptv.testing.TestPg;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
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

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
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

  static final String SCHEMA = "monitor8_mirror";
  static final String T1 = "87f3b8f5238f1bbd478c870f02a4977a074c860db1ff47c2bebce276d3624651";
  static final String T2 = "0123456789abcdef0123456789abcdef";
  static final String T3 = "fedcba9876543210fedcba9876543210fedcba98";
  static final long TOKEN_TTL_S = 30L * 86400;

  private RedisAPI redis;
  private Pool pg;

  @BeforeEach
  void clean(Vertx vertx) {
    redis = MirrorSupport.redis(vertx);
    MirrorSupport.flushTestDb(redis);
    TestPg.dropSchema(vertx, SCHEMA);
    pg = TestPg.pool(vertx, SCHEMA);
  }

  @AfterEach
  void closePool() {
    await(pg.close());
  }

  @AfterAll
  static void drop() {
    TestPg.dropSchema(SCHEMA);
  }

  // --- the panel's writes, in the seed layout --------------------------------------------------

  private void user(Vertx vertx, String username, String token, String oldToken) {
    String expires = Instant.now().plusSeconds(TOKEN_TTL_S - 86400).toString();
    JsonObject user = new JsonObject().put("username", username).put("token", token).put("email", username + "@example.com")
      .put("expires_at", expires).put("max_connections", 2).put("is_active", true)
      .put("password", "pbkdf2-sha256$1000$c2FsdA$aGFzaA");
    JsonObject tokenValue = new JsonObject().put("username", username).put("token", token).put("expires_at", expires)
      .put("max_connections", 2).put("is_active", true);
    await(redis.set(List.of(AuthContract.userKey(username), user.encode())));
    await(redis.setex(AuthContract.tokenKey(token), Long.toString(TOKEN_TTL_S), tokenValue.encode()));
    await(redis.sadd(List.of(AuthContract.USERS_ALL, username)));
    if (oldToken != null) {
      await(redis.del(List.of(AuthContract.tokenKey(oldToken))));
    }
    JsonObject event = new JsonObject().put("username", username).put("token", token);
    if (oldToken != null) {
      event.put("old_token", oldToken);
    }
    vertx.eventBus().publish(AuthContract.USERS_CHANGED, event);
  }

  private void deleteUser(Vertx vertx, String username, String token) {
    await(redis.del(List.of(AuthContract.userKey(username), AuthContract.tokenKey(token))));
    await(redis.srem(List.of(AuthContract.USERS_ALL, username)));
    vertx.eventBus().publish(AuthContract.USERS_CHANGED, new JsonObject().put("action", "deleted").put("username", username)
      .put("token", token));
  }

  private void channel(Vertx vertx, String id, String name) {
    JsonObject ch = new JsonObject().put("channel_id", id).put("name", name)
      .put("source_url", "http://upstream.example/live/" + id + ".ts").put("logo", "images/no_logo.jpg")
      .put("category", "Favorite").put("quality", "medium").put("order", 1).put("category_order", 1).put("is_active", true);
    await(redis.set(List.of(ChannelContract.channelKey(id), ch.encode())));
    await(redis.sadd(List.of(ChannelContract.CHANNELS_ALL, id)));
    vertx.eventBus().publish(ChannelContract.CHANNELS_CHANGED, new JsonObject().put("channel_id", id).put("action", "created")
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
    vertx.eventBus().<JsonObject>consumer(MirrorContract.EVENTS, m -> restoreEvents.add(m.body()));
    MirrorSupport.deploy(vertx, MirrorSupport.config(SCHEMA));
    user(vertx, "alice", T1, null);
    user(vertx, "bob", T2, null);
    channel(vertx, "48681", "MBC Pro aflam");
    channel(vertx, "87827", "beIN SPORT Very Low 1");
    Set<String> keys = Set.of(AuthContract.userKey("alice"), AuthContract.userKey("bob"), AuthContract.tokenKey(T1), AuthContract.tokenKey(T2),
      ChannelContract.channelKey("48681"), ChannelContract.channelKey("87827"));
    eventually(Duration.ofSeconds(10), "the six keys mirrored", () -> rows().keySet().equals(keys));
    Map<String, String> before = redisValues(keys);
    assertEquals(before, rows(), "the mirror holds the raw values");
    long ttlBefore = await(redis.ttl(AuthContract.tokenKey(T1))).toLong();

    MirrorSupport.flushTestDb(redis);
    assertTrue(!exists(AuthContract.userKey("alice")));

    eventually(Duration.ofSeconds(10), "the keys restored", () -> redisValues(keys).size() == keys.size()
      && exists(MirrorContract.SENTINEL));
    assertEquals(before, redisValues(keys));
    long ttlAfter = await(redis.ttl(AuthContract.tokenKey(T1))).toLong();
    assertTrue(ttlAfter > 0 && Math.abs(ttlAfter - ttlBefore) <= 5, "token TTL kept: " + ttlBefore + " -> " + ttlAfter);
    assertEquals(-1L, await(redis.ttl(AuthContract.userKey("alice"))).toLong(), "users never expire");
    assertEquals(Set.of("alice", "bob"), members(AuthContract.USERS_ALL));
    assertEquals(Set.of("48681", "87827"), members(ChannelContract.CHANNELS_ALL));

    eventually(Duration.ofSeconds(5), "a redis_restored event", () -> !restoreEvents.isEmpty());
    JsonObject e = restoreEvents.get(0);
    assertEquals("redis_restored", e.getString("event"));
    assertEquals(6, e.getInteger("keys"));
    assertEquals(1, MirrorSupport.status(vertx).getInteger("restores"), "the status monitor-service shows in health");
  }

  @Test
  @DisplayName("a changed token drops the old token's row and a deleted user drops the user's rows")
  void follow(Vertx vertx) {
    MirrorSupport.deploy(vertx, MirrorSupport.config(SCHEMA));
    user(vertx, "alice", T1, null);
    user(vertx, "bob", T2, null);
    channel(vertx, "48681", "MBC Pro aflam");
    eventually(Duration.ofSeconds(10), "five rows", () -> rows().size() == 5);

    user(vertx, "alice", T3, T1);
    deleteUser(vertx, "bob", T2);
    await(redis.del(List.of(ChannelContract.channelKey("48681"))));
    vertx.eventBus().publish(ChannelContract.CHANNELS_CHANGED, new JsonObject().put("channel_id", "48681").put("action", "deleted"));
    eventually(Duration.ofSeconds(10), "alice with her new token only", () ->
      rows().keySet().equals(Set.of(AuthContract.userKey("alice"), AuthContract.tokenKey(T3))));
    assertTrue(rows().get(AuthContract.userKey("alice")).contains(T3), "the user row has the new value");
    Row token = await(pg.query("SELECT expires_at, owner FROM synced_keys WHERE key = 'token:" + T3 + "'").execute())
      .iterator().next();
    assertEquals("alice", token.getString("owner"));
    long left = token.getOffsetDateTime("expires_at").toEpochSecond() - Instant.now().getEpochSecond();
    assertTrue(Math.abs(left - TOKEN_TTL_S) < 30, "expires_at is the end of the token's TTL: " + left);
  }

  @Test
  @DisplayName("the reconciliation picks up edits made with redis-cli, without any event, and deletes no row for a missing key")
  void reconcile(Vertx vertx) {
    String first = MirrorSupport.deploy(vertx, MirrorSupport.config(SCHEMA));
    user(vertx, "alice", T1, null);
    channel(vertx, "48681", "MBC Pro aflam");
    eventually(Duration.ofSeconds(10), "three rows", () -> rows().size() == 3);
    await(vertx.undeploy(first));

    // an operator's redis-cli session: no event reaches the mirror
    await(redis.set(List.of(ChannelContract.channelKey("48681"), "{\"channel_id\":\"48681\",\"name\":\"Renamed\"}")));
    await(redis.set(List.of(ChannelContract.channelKey("555"), "{\"channel_id\":\"555\",\"name\":\"New\"}")));
    await(redis.del(List.of(AuthContract.tokenKey(T1))));
    await(redis.set(List.of(AuthContract.sessionsKey("carol"), "not mirrored")));

    MirrorSupport.deploy(vertx, MirrorSupport.config(SCHEMA));
    eventually(Duration.ofSeconds(10), "the mirror in step", () ->
      rows().containsKey(ChannelContract.channelKey("555")) && rows().get(ChannelContract.channelKey("48681")).contains("Renamed"));
    // Only an observed deletion (through the API) deletes a row: a key removed with redis-cli stays
    // in the copy (README "Operations"), so a Redis that lost keys can never empty the copy.
    assertEquals(Set.of(AuthContract.userKey("alice"), AuthContract.tokenKey(T1), ChannelContract.channelKey("48681"), ChannelContract.channelKey("555")), rows().keySet());
  }

  @Test
  @DisplayName("a mirror that starts on an emptied Redis restores it, without overwriting what the panel wrote since")
  void restoreAtStart(Vertx vertx) {
    String first = MirrorSupport.deploy(vertx, MirrorSupport.config(SCHEMA));
    user(vertx, "alice", T1, null);
    user(vertx, "bob", T2, null);
    eventually(Duration.ofSeconds(10), "four rows", () -> rows().size() == 4);
    await(vertx.undeploy(first));

    MirrorSupport.flushTestDb(redis); // Redis restarted without persistence while the mirror was down
    await(redis.set(List.of(AuthContract.userKey("bob"), "{\"username\":\"bob\",\"written\":\"after the loss\"}")));

    MirrorSupport.deploy(vertx, MirrorSupport.config(SCHEMA));
    assertTrue(exists(AuthContract.userKey("alice")), "restored before the service reports ready");
    assertTrue(exists(AuthContract.tokenKey(T1)));
    assertEquals("{\"username\":\"bob\",\"written\":\"after the loss\"}", await(redis.get(AuthContract.userKey("bob"))).toString());
    assertTrue(!exists(AuthContract.tokenKey(T2)), "the bob Redis holds names no token: T2 is not made valid again");
    assertEquals(Set.of("alice", "bob"), members(AuthContract.USERS_ALL));
    assertNull(await(redis.get(MonitorContract.bytesKey("1"))));
  }

  @Test
  @DisplayName("a restore writes a token only when its user names it: rows of retired or ownerless tokens stay out of Redis")
  void restoreConsistent(Vertx vertx) {
    MirrorSupport.deploy(vertx, MirrorSupport.config(SCHEMA));
    user(vertx, "alice", T1, null);
    channel(vertx, "48681", "MBC Pro aflam");
    eventually(Duration.ofSeconds(10), "three rows", () -> rows().size() == 3);
    // Rows a missed retirement leaves behind: alice's earlier token, and a token whose user is gone.
    String expires = Instant.now().plusSeconds(86400).toString();
    await(pg.preparedQuery("INSERT INTO synced_keys (key, value, expires_at, owner) VALUES ($1, $2, now() + interval '1 day', $3)")
      .execute(io.vertx.sqlclient.Tuple.of(AuthContract.tokenKey(T3), new JsonObject().put("username", "alice").put("token", T3)
        .put("expires_at", expires).put("is_active", true).encode(), "alice")));
    await(pg.preparedQuery("INSERT INTO synced_keys (key, value, expires_at, owner) VALUES ($1, $2, now() + interval '1 day', $3)")
      .execute(io.vertx.sqlclient.Tuple.of(AuthContract.tokenKey(T2), new JsonObject().put("username", "ghost").put("token", T2)
        .put("expires_at", expires).put("is_active", true).encode(), "ghost")));

    MirrorSupport.flushTestDb(redis);
    eventually(Duration.ofSeconds(10), "restored", () -> exists(MirrorContract.SENTINEL) && exists(AuthContract.userKey("alice")));
    assertTrue(exists(AuthContract.tokenKey(T1)), "the token alice names");
    assertTrue(exists(ChannelContract.channelKey("48681")));
    assertTrue(!exists(AuthContract.tokenKey(T3)), "alice's retired token is not valid again");
    assertTrue(!exists(AuthContract.tokenKey(T2)), "a token no user names is not valid again");
    JsonObject mirror = MirrorSupport.status(vertx);
    assertEquals(2, mirror.getInteger("skipped_tokens", 0), mirror.encode());
  }
}
