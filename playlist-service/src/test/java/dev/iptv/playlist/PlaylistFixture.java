package dev.iptv.playlist;

import dev.iptv.auth.AuthVerticle;
import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.ChannelContract;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.M3u;
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
import java.util.Map;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A deployed playlist-service and the real auth-service, each on its own port, on Redis database 2
 * (flushed first), spoken to over HTTP like the panel and a player do.
 */
final class PlaylistFixture {

  static final int DB = 2;

  final Vertx vertx;
  final int port;
  final int authPort;
  final WebClient web;
  final RedisAPI redis;

  PlaylistFixture(Vertx vertx) {
    this(vertx, Map.of());
  }

  /** With settings (env names) overriding the test config of playlist-service. */
  PlaylistFixture(Vertx vertx, Map<String, String> settings) {
    this.vertx = vertx;
    this.redis = TestEnv.flushedRedis(vertx, DB);
    this.authPort = TestEnv.freePort();
    await(vertx.deployVerticle(new AuthVerticle(), new DeploymentOptions().setConfig(with(TestEnv.config(DB, authPort),
      authSettings(settings)))));
    this.port = TestEnv.freePort();
    JsonObject config = with(TestEnv.config(DB, port), settings);
    await(vertx.deployVerticle(new PlaylistVerticle(), new DeploymentOptions().setConfig(config)));
    this.web = WebClient.create(vertx);
  }

  /** The settings auth-service reads of its own (logins, password hashing); the others are playlist-service's. */
  private static Map<String, String> authSettings(Map<String, String> settings) {
    Map<String, String> out = new java.util.HashMap<>();
    settings.forEach((k, v) -> {
      if (k.startsWith("IPTV_LOGIN_") || k.startsWith("IPTV_PASSWORD_")) {
        out.put(k, v);
      }
    });
    return out;
  }

  /** {@code config} with the settings (env names; null removes one) applied. */
  private static JsonObject with(JsonObject config, Map<String, String> settings) {
    settings.forEach((k, v) -> {
      if (v == null) {
        config.remove(Config.key(k));
      } else {
        config.put(Config.key(k), v);
      }
    });
    return config;
  }

  String base() {
    return "http://127.0.0.1:" + port;
  }

  static JsonObject channel(String id, String name, int categoryOrder, int order) {
    return new JsonObject().put("channel_id", id).put("name", name).put("source_url", "http://upstream.example:80/live/u/p/" + id + ".ts")
      .put("logo", "images/no_logo.jpg").put("category", "Favorite").put("quality", "medium")
      .put("order", order).put("category_order", categoryOrder).put("is_active", true);
  }

  HttpRequest<Buffer> request(HttpMethod method, String path) {
    return web.request(method, port, "127.0.0.1", path);
  }

  HttpResponse<Buffer> admin(HttpMethod method, String path, Object body) {
    return admin(port, method, path, body);
  }

  HttpResponse<Buffer> admin(int port, HttpMethod method, String path, Object body) {
    return AdminClient.over(web, port).send(method, path, body);
  }

  void createChannel(JsonObject channel) {
    HttpResponse<Buffer> r = admin(HttpMethod.POST, "/api/channels", channel);
    assertEquals(201, r.statusCode(), r.bodyAsString());
  }

  /** A user created through auth-service's API; answers its token. */
  String createUser(String username, boolean active, Instant expiresAt) {
    String token = TestEnv.hexToken();
    JsonObject u = new JsonObject().put("username", username).put("token", token).put("expires_at", expiresAt.toString())
      .put("max_connections", 2).put("is_active", active).put("password", "pw");
    HttpResponse<Buffer> r = admin(authPort, HttpMethod.POST, "/api/users", u);
    assertEquals(201, r.statusCode(), r.bodyAsString());
    return token;
  }

  String createUser(String username) {
    return createUser(username, true, Instant.now().plus(30, ChronoUnit.DAYS));
  }

  HttpResponse<Buffer> get(String path) {
    return await(request(HttpMethod.GET, path).send());
  }

  HttpResponse<Buffer> playlist(String token) {
    return get("/get_playlist.php?token=" + token);
  }

  /** The playlist's entries, checked to be well formed. */
  List<M3u.Entry> entries(String token) {
    HttpResponse<Buffer> r = playlist(token);
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals("audio/x-mpegurl", r.getHeader("Content-Type"));
    return M3u.parse(r.bodyAsString("UTF-8"));
  }

  void set(String key, String value) {
    await(redis.set(List.of(key, value)));
  }

  String get(String key, boolean raw) {
    Response r = await(redis.get(key));
    return r == null ? null : r.toString();
  }

  List<String> members(String key) {
    List<String> out = new ArrayList<>();
    await(redis.smembers(key)).forEach(r -> out.add(r.toString()));
    out.sort(null);
    return out;
  }

  /** Every key with its value (strings) or members (sets), sorted. */
  List<String> snapshot() {
    return TestEnv.snapshot(redis);
  }

  void sadd(String key, String member) {
    await(redis.sadd(List.of(key, member)));
  }

  void seedChannel(String id, JsonObject json) {
    set(ChannelContract.channelKey(id), json.encode());
    sadd(ChannelContract.CHANNELS_ALL, id);
  }
}
