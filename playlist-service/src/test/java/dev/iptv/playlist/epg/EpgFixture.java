package dev.iptv.playlist.epg;

import dev.iptv.common.Config;
import dev.iptv.contract.ChannelContract;
import dev.iptv.common.RedisSupport;
import dev.iptv.contract.EpgContract;
import dev.iptv.contract.EpgContract.ImportStatus;
import dev.iptv.playlist.PlaylistVerticle;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The EPG's tests' world: Redis database {@value #DB} (flushed first), our channels seeded in
 * {@code channel:{id}} as the panel's API stores them (plus {@code epg_channel_id}), and, when
 * asked, a deployed playlist-service spoken to over HTTP like the panel does.
 */
final class EpgFixture {

  /** Redis database of the EPG tests (TestEnv's list: 1-8 are taken). */
  static final int DB = 11;

  final Vertx vertx;
  final Redis client;
  final RedisAPI redis;
  final WebClient web;
  int port = -1;

  EpgFixture(Vertx vertx) {
    this.vertx = vertx;
    this.client = RedisSupport.client(vertx, TestEnv.redisUrl(DB));
    this.redis = RedisAPI.api(client);
    this.web = WebClient.create(vertx);
    await(redis.flushdb(List.of()));
  }

  /** The settings of the service under test (env names → values), over the test defaults. */
  static JsonObject config(int port, Map<String, String> settings) {
    JsonObject c = TestEnv.config(DB, port);
    settings.forEach((k, v) -> c.put(Config.key(k), v));
    return c;
  }

  /** Deploys playlist-service (with its EPG) on a port of its own. */
  EpgFixture deploy(Map<String, String> settings) {
    port = TestEnv.freePort();
    await(vertx.deployVerticle(new PlaylistVerticle(), new DeploymentOptions().setConfig(config(port, settings))));
    return this;
  }

  /** An EPG of its own, as another instance would run it (its own node name). */
  Epg epg(String node, Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(settings);
    all.put(Config.NODE_NAME, node);
    return Epg.start(vertx, client, config(0, all));
  }

  EpgStore store() {
    return new EpgStore(vertx, new EpgSources(client), EpgSettings.from(config(0, Map.of())));
  }

  // --- our channels ------------------------------------------------------------------------------

  /** A channel as the panel API stores it, with an {@code epg_channel_id} when given. */
  void channel(String id, String epgChannelId, String name, String logo) {
    JsonObject c = new JsonObject().put("channel_id", id).put("name", name).put("source_url", "http://up.example/" + id + ".ts")
      .put("logo", logo == null ? "" : logo).put("category", "News").put("quality", "medium").put("order", 0)
      .put("category_order", 0).put("is_active", true);
    if (epgChannelId != null) {
      c.put("epg_channel_id", epgChannelId);
    }
    await(redis.set(List.of(ChannelContract.channelKey(id), c.encode())));
    await(redis.sadd(List.of(ChannelContract.CHANNELS_ALL, id)));
  }

  // --- sources -----------------------------------------------------------------------------------

  HttpResponse<Buffer> admin(HttpMethod method, String path, Object body) {
    return AdminClient.over(web, port).send(method, path, body);
  }

  static JsonObject source(String name, String url, int hours) {
    return new JsonObject().put("name", name).put("url", url).put("refresh_hours", hours);
  }

  void addSource(String name, String url) {
    HttpResponse<Buffer> r = admin(HttpMethod.POST, "/api/epg/sources", source(name, url, 24));
    assertEquals(201, r.statusCode(), r.bodyAsString());
  }

  /** Writes a source straight into Redis, as the API would (for tests without a deployed service). */
  void putSource(String name, String url, int hours) {
    EpgContract.Source s = new EpgContract.Source(name, url, hours, Instant.now());
    await(redis.set(List.of(EpgContract.sourceKey(name), s.toJson().encode())));
    await(redis.sadd(List.of(EpgContract.SOURCES, name)));
  }

  ImportStatus lastImport(String name) {
    Response r = await(redis.get(EpgContract.importKey(name)));
    return r == null ? null : ImportStatus.fromJson(new JsonObject(r.toString()));
  }

  /** Waits for an import of {@code name} that finished after {@code after}; answers its status. */
  ImportStatus awaitImport(String name, Instant after, Duration within) {
    return eventually(within, "an import of " + name + " finished after " + after, () -> lastImport(name),
      s -> s != null && s.finished() != null && !s.finished().isBefore(after.minusMillis(1)));
  }

  List<String> keys(String pattern) {
    List<String> out = new ArrayList<>();
    await(redis.keys(pattern)).forEach(k -> out.add(k.toString()));
    out.sort(null);
    return out;
  }

  String get(String key) {
    Response r = await(redis.get(key));
    return r == null ? null : r.toString();
  }
}
