package dev.iptv.auth;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import static dev.iptv.testing.Await.await;

/**
 * A deployed auth-service on its own port and Redis database 1 (flushed first), spoken to over
 * HTTP like the panel does and over the event bus like the other services do.
 */
final class AuthFixture {

  static final int DB = 1;

  final Vertx vertx;
  final int port;
  final JsonObject config;
  final WebClient web;
  final RedisAPI redis;
  private final AdminClient admin;

  AuthFixture(Vertx vertx) {
    this(vertx, TestEnv.config(DB, TestEnv.freePort()));
  }

  AuthFixture(Vertx vertx, JsonObject config) {
    this.vertx = vertx;
    this.config = config;
    this.port = config.getInteger(dev.iptv.common.ServiceVerticle.SERVE_PORT);
    this.redis = TestEnv.flushedRedis(vertx, DB);
    await(vertx.deployVerticle(new AuthVerticle(), new DeploymentOptions().setConfig(config)));
    this.web = WebClient.create(vertx);
    this.admin = AdminClient.over(web, port);
  }

  static JsonObject user(String username, String token) {
    return new JsonObject().put("username", username).put("token", token).put("email", username + "@example.com")
      .put("expires_at", Instant.now().plus(30, ChronoUnit.DAYS).toString()).put("max_connections", 2)
      .put("is_active", true).put("password", "s3cret-" + username);
  }

  HttpRequest<Buffer> request(HttpMethod method, String path) {
    return web.request(method, port, "127.0.0.1", path);
  }

  HttpResponse<Buffer> admin(HttpMethod method, String path, Object body) {
    return admin.send(method, path, body);
  }

  TokenCheck validate(String token) {
    JsonObject body = new JsonObject().put("token", token);
    return TokenCheck.fromJson(await(vertx.eventBus().<JsonObject>request(AuthContract.VALIDATE, body)).body());
  }

  TokenCheck session(String token, String ip, String userAgent) {
    JsonObject body = new JsonObject().put("token", token).put("ip", ip).put("user_agent", userAgent).put("channel_id", "48681");
    return TokenCheck.fromJson(await(vertx.eventBus().<JsonObject>request(AuthContract.SESSION, body)).body());
  }

  String get(String key) {
    Response r = await(redis.get(key));
    return r == null ? null : r.toString();
  }

  void set(String key, String value) {
    await(redis.set(List.of(key, value)));
  }

  long pttl(String key) {
    return await(redis.pttl(key)).toLong();
  }

  List<String> members(String key) {
    List<String> out = new ArrayList<>();
    await(redis.smembers(key)).forEach(r -> out.add(r.toString()));
    return out;
  }

  /** Every key with its value (strings) or type (others), sorted: a picture of the database. */
  List<String> snapshot() {
    return TestEnv.snapshot(redis);
  }

  boolean exists(String key) {
    return await(redis.exists(List.of(key))).toInteger() == 1;
  }

  JsonObject storedUser(String username) {
    String raw = get(AuthContract.userKey(username));
    return raw == null ? null : new JsonObject(raw);
  }
}
