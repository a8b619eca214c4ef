package dev.iptv.auth;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.contract.AuthContract.TokenCheck.Status;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.iptv.auth.AuthFixture.user;
import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static dev.iptv.testing.TestEnv.hexToken;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@DisplayName("Token checks over the event bus, seed-layout data and viewer sessions")
class TokenChecksTest {

  private AuthFixture fx;

  @BeforeEach
  void deploy(Vertx vertx) {
    fx = new AuthFixture(vertx);
  }

  private String seedToken(String username, Object expiresAt, Object active, Object max) {
    String token = hexToken();
    JsonObject t = new JsonObject().put("username", username).put("token", token).put("expires_at", expiresAt)
      .put("max_connections", max).put("email", username + "@example.com").put("password", "2D9phJKJz8TPM37");
    if (active != null) {
      t.put("is_active", active);
    }
    fx.set(AuthContract.tokenKey(token), t.encode());
    return token;
  }

  @Test
  @DisplayName("a valid token answers valid with the user's name, max_connections and expiry")
  void valid() {
    String token = hexToken();
    fx.admin(HttpMethod.POST, "/api/users", user("john123", token).put("expires_at", "2099-12-07T21:50:51.244826Z"));
    TokenCheck c = fx.validate(token);
    assertEquals(new TokenCheck(Status.VALID, "john123", 2, "2099-12-07T21:50:51.244826Z"), c);
  }

  @Test
  @DisplayName("unknown, junk and absent tokens answer unknown; disabled and expired tokens say so")
  void states() {
    assertEquals(Status.UNKNOWN, fx.validate(hexToken()).status());
    assertEquals(Status.UNKNOWN, fx.validate("probe").status());
    assertEquals(Status.UNKNOWN, fx.validate("*").status());
    assertEquals(Status.UNKNOWN, fx.validate("").status());
    assertEquals(Status.UNKNOWN, fx.validate(null).status());
    JsonObject noToken = await(fx.vertx.eventBus().<JsonObject>request(AuthContract.VALIDATE, new JsonObject())).body();
    assertEquals("unknown", noToken.getString("status"));
    assertNull(noToken.getString("username"));

    String disabled = hexToken();
    fx.admin(HttpMethod.POST, "/api/users", user("off", disabled).put("is_active", false));
    assertEquals(Status.DISABLED, fx.validate(disabled).status());
    assertEquals("off", fx.validate(disabled).username());

    String expired = hexToken();
    fx.admin(HttpMethod.POST, "/api/users", user("late", expired).put("expires_at", Instant.now().minusSeconds(60).toString()));
    assertEquals(Status.EXPIRED, fx.validate(expired).status());
    assertTrue(fx.exists(AuthContract.tokenKey(expired)), "an expired token is kept for the grace period");
  }

  @Test
  @DisplayName("tokens written by the seed's server or redis-cli are read as they are: clear password, no is_active, max_connections as text, expiry without zone")
  void seedLayout() {
    String future = Instant.now().plus(10, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString().replace("Z", "");
    String token = seedToken("test_user_migration_final", future, null, "2");
    TokenCheck c = fx.validate(token);
    assertEquals(Status.VALID, c.status());
    assertEquals("test_user_migration_final", c.username());
    assertEquals(2, c.maxConnections());
    assertEquals(future + "Z", c.expiresAt());
    JsonObject wire = await(fx.vertx.eventBus().<JsonObject>request(AuthContract.VALIDATE, new JsonObject().put("token", token))).body();
    assertFalse(wire.encode().contains("2D9phJKJz8TPM37"), "the clear password never leaves Redis");

    assertEquals(Status.DISABLED, fx.validate(seedToken("u1", future, "false", 1)).status());
    assertEquals(Status.DISABLED, fx.validate(seedToken("u2", future, 0, 1)).status());
    assertEquals(Status.VALID, fx.validate(seedToken("u3", future, "true", 1)).status());
    assertEquals(Status.EXPIRED, fx.validate(seedToken("u4", "2020-01-01T00:00:00", true, 1)).status());
    assertEquals(Status.EXPIRED, fx.validate(seedToken("u5", "2020-01-01 00:00:00+00:00", true, 1)).status());
    assertEquals(Status.EXPIRED, fx.validate(seedToken("u6", "not a date", true, 1)).status(), "an unreadable expiry fails closed");
    assertEquals(1, fx.validate(seedToken("u7", future, true, "lots")).maxConnections());

    String broken = hexToken();
    fx.set(AuthContract.tokenKey(broken), "not json");
    assertEquals(Status.UNKNOWN, fx.validate(broken).status());
  }

  @Test
  @DisplayName("a user written by the seed's server is answered without its clear password, and a PUT replaces it by a hash")
  void seedUserRecord() {
    String token = hexToken();
    JsonObject seed = new JsonObject().put("username", "legacy").put("token", token).put("email", "l@example.com")
      .put("expires_at", "2099-01-06T21:50:51.244826").put("max_connections", "3").put("password", "2D9phJKJz8TPM37");
    fx.set(AuthContract.userKey("legacy"), seed.encode());
    fx.set(AuthContract.tokenKey(token), seed.encode());
    await(fx.redis.sadd(List.of(AuthContract.USERS_ALL, "legacy")));

    HttpResponse<Buffer> get = fx.admin(HttpMethod.GET, "/api/users/legacy", null);
    assertEquals(200, get.statusCode());
    JsonObject view = get.bodyAsJsonObject();
    assertEquals(new JsonObject().put("username", "legacy").put("token", token).put("email", "l@example.com")
      .put("expires_at", "2099-01-06T21:50:51.244826Z").put("max_connections", 3).put("is_active", true), view);
    assertFalse(fx.admin(HttpMethod.GET, "/api/users", null).bodyAsString().contains("2D9phJKJz8TPM37"));

    HttpResponse<Buffer> put = fx.admin(HttpMethod.PUT, "/api/users/legacy", new JsonObject().put("max_connections", 4));
    assertEquals(200, put.statusCode(), put.bodyAsString());
    assertFalse(put.bodyAsString().contains("2D9phJKJz8TPM37"));
    JsonObject stored = fx.storedUser("legacy");
    assertFalse(stored.containsKey("password"));
    assertTrue(Passwords.verify("2D9phJKJz8TPM37", stored.getString("password_hash")), "the old password survives as a hash");
    assertFalse(fx.get(AuthContract.tokenKey(token)).contains("2D9phJKJz8TPM37"), "the token record loses the clear password");
    assertEquals(4, fx.validate(token).maxConnections());
  }

  @Test
  @DisplayName("viewer sessions: max_connections distinct clients are admitted, the next is refused and announced; a known client always gets back in")
  void sessions() {
    String token = hexToken();
    fx.admin(HttpMethod.POST, "/api/users", user("john123", token));
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> spy = fx.vertx.eventBus().consumer(AuthContract.LIMIT_EVENTS, m -> events.add(m.body()));
    await(spy.completion());

    assertEquals(Status.VALID, fx.session(token, "203.0.113.1", "VLC").status());
    assertEquals(Status.VALID, fx.session(token, "203.0.113.2", "VLC").status());
    assertEquals(Status.VALID, fx.session(token, "203.0.113.1", "VLC").status(), "a poll of a known session");
    TokenCheck third = fx.session(token, "203.0.113.3", "Kodi");
    assertEquals(Status.LIMIT, third.status());
    assertEquals("john123", third.username());
    assertEquals(Status.UNKNOWN, fx.session(hexToken(), "203.0.113.1", "VLC").status());

    eventually(Duration.ofSeconds(5), "the limit_hit event", () -> !events.isEmpty());
    // The same refused player polling again (a player on the limit slate) is announced once per window.
    assertEquals(Status.LIMIT, fx.session(token, "203.0.113.3", "Kodi").status());
    assertEquals(Status.LIMIT, fx.session(token, "203.0.113.3", "Kodi").status());
    assertEquals(1, events.size());
    assertEquals("limit_hit", events.get(0).getString("event"));
    assertEquals("john123", events.get(0).getString("username"));
    assertEquals("48681", events.get(0).getString("channel_id"));

    assertEquals(Status.LIMIT, fx.session(token, "203.0.113.4", "Kodi").status());
    eventually(Duration.ofSeconds(5), "another refused player's limit_hit", () -> events.size() >= 2);
    dev.iptv.testing.TestEnv.pause(500);   // time is the subject: no late announcement of the repeated polls
    assertEquals(2, events.size(), events.toString());

    // A session that stopped polling over 60 s ago frees its slot.
    String key = AuthContract.sessionsKey("john123");
    double old = System.currentTimeMillis() / 1000.0 - 61;
    await(fx.redis.zadd(List.of(key, "XX", String.valueOf(old), AuthContract.sessionId(token, "203.0.113.2", "VLC"))));
    assertEquals(Status.VALID, fx.session(token, "203.0.113.3", "Kodi").status());
  }

  @Test
  @DisplayName("with Redis unreachable, the admin API answers 503 JSON and token checks fail with 503 (never 'valid')")
  void redisAway(Vertx vertx) throws Exception {
    int dead = dev.iptv.testing.TestEnv.freePort();
    io.vertx.core.json.JsonObject config = dev.iptv.testing.TestEnv.config(AuthFixture.DB, dev.iptv.testing.TestEnv.freePort());
    config.put(dev.iptv.common.Config.key(dev.iptv.common.Config.REDIS_URL), "redis://127.0.0.1:" + dead);
    Vertx other = Vertx.vertx();
    try {
      AuthFixture down = new AuthFixture(other, config);
      HttpResponse<Buffer> r = down.admin(HttpMethod.GET, "/api/users", null);
      assertEquals(503, r.statusCode());
      assertTrue(r.bodyAsJsonObject().getString("error").contains("Redis"));
      assertEquals(503, down.admin(HttpMethod.POST, "/api/users", user("x", hexToken())).statusCode());
      Throwable failure = other.eventBus().request(AuthContract.VALIDATE, new JsonObject().put("token", hexToken()))
        .toCompletionStage().toCompletableFuture().handle((m, e) -> e).get();
      Throwable cause = failure instanceof java.util.concurrent.CompletionException ? failure.getCause() : failure;
      assertTrue(cause instanceof io.vertx.core.eventbus.ReplyException re && re.failureCode() == 503, String.valueOf(failure));
    } finally {
      await(other.close());
    }
  }

  @Test
  @DisplayName("every write publishes USERS_CHANGED with the action, the username and the tokens concerned")
  void changeEvents() {
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> spy = fx.vertx.eventBus().consumer(AuthContract.USERS_CHANGED, m -> events.add(m.body()));
    await(spy.completion());
    String first = hexToken();
    String second = hexToken();
    fx.admin(HttpMethod.POST, "/api/users", user("john123", first));
    fx.admin(HttpMethod.PUT, "/api/users/john123", new JsonObject().put("token", second));
    fx.admin(HttpMethod.DELETE, "/api/users/john123", null);
    eventually(Duration.ofSeconds(5), "three USERS_CHANGED events", () -> events.size() >= 3);
    assertEquals(List.of(
      new JsonObject().put("action", "created").put("username", "john123").put("token", first),
      new JsonObject().put("action", "updated").put("username", "john123").put("token", second).put("old_token", first),
      new JsonObject().put("action", "deleted").put("username", "john123").put("token", second)), events);
  }
}
