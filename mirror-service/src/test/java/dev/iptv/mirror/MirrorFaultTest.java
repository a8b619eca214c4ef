package dev.iptv.mirror;

import dev.iptv.auth.AuthVerticle;
import dev.iptv.common.Config;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MirrorContract;
import dev.iptv.playlist.PlaylistVerticle;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TcpGate;
import dev.iptv.testing.TestEnv;
import dev.iptv.testing.TestPg;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The panel's data survives real faults: the suite (mirror-service, auth-service and
 * playlist-service on one Vert.x, the panel speaking HTTP to them) with PostgreSQL behind a TCP
 * gate that the test closes and opens, Redis emptied, a private Redis restarted from an older
 * {@code dump.rdb}, and the suite itself stopped and started again in between, as a host restart.
 */
class MirrorFaultTest {

  static final String SCHEMA = "monitor8_mirror_fault";
  static final String T1 = "87f3b8f5238f1bbd478c870f02a4977a074c860db1ff47c2bebce276d3624651";
  static final String T2 = "0123456789abcdef0123456789abcdef";
  static final String T3 = "fedcba9876543210fedcba9876543210fedcba98";
  static final String T4 = "aaaabbbbccccddddeeeeffff0000111122223333";

  private Vertx observer;
  private Pool pg;
  private TcpGate gate;
  private Suite suite;
  private RedisServer privateRedis;

  @BeforeEach
  void setUp() {
    observer = Vertx.vertx();
    TestPg.dropSchema(observer, SCHEMA);
    pg = TestPg.pool(observer, SCHEMA);
    URI target = URI.create(TestEnv.PG_URL);
    gate = TcpGate.to(target.getHost(), target.getPort(), true);
  }

  @AfterEach
  void tearDown() {
    if (suite != null) {
      suite.stop();
    }
    gate.stop();
    if (privateRedis != null) {
      privateRedis.stopWithoutSaving();
      TestEnv.deleteTree(privateRedis.dir);
    }
    await(pg.close());
    TestPg.dropSchema(observer, SCHEMA);
    await(observer.close());
  }

  // --- the suite ----------------------------------------------------------------------------------

  /** The three services on a Vert.x of their own, the mirror deployed first; PostgreSQL through the gate. */
  final class Suite {
    final Vertx vertx = Vertx.vertx();
    final int auth = TestEnv.freePort();
    final int playlist = TestEnv.freePort();

    Suite(String redisUrl) {
      String pgUrl = "postgresql://postgres@127.0.0.1:" + gate.port() + URI.create(TestEnv.PG_URL).getPath();
      deploy(new MirrorVerticle(), MirrorSupport.config(SCHEMA), redisUrl, pgUrl);
      deploy(new AuthVerticle(), TestEnv.config(MirrorSupport.REDIS_DB, auth), redisUrl, pgUrl);
      deploy(new PlaylistVerticle(), TestEnv.config(MirrorSupport.REDIS_DB, playlist), redisUrl, pgUrl);
    }

    private void deploy(io.vertx.core.Deployable verticle, JsonObject config, String redisUrl, String pgUrl) {
      config.put(Config.key(Config.REDIS_URL), redisUrl).put(Config.key(Config.PG_URL), pgUrl)
        .put(Config.key(Config.PG_SCHEMA), SCHEMA);
      await(vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(config)));
    }

    void stop() {
      await(vertx.close());
    }

    /** The mirror's status, as monitor-service shows it in {@code checks.mirror} of its health. */
    JsonObject mirror() {
      return MirrorSupport.status(vertx);
    }
  }

  private Suite startSuite(String redisUrl) {
    suite = new Suite(redisUrl);
    return suite;
  }

  private void stopSuite() {
    suite.stop();
    suite = null;
  }

  // --- the panel and the players, over HTTP -------------------------------------------------------

  static HttpResponse<String> send(int port, String method, String path, JsonObject body, boolean bearer) {
    return AdminClient.plain(port).withBearer(bearer ? TestEnv.ADMIN_TOKEN : null).call(method, path, body);
  }

  static JsonObject user(String username, String token) {
    return new JsonObject().put("username", username).put("token", token).put("email", username + "@example.com")
      .put("expires_at", Instant.now().plusSeconds(30L * 86400).toString()).put("max_connections", 2)
      .put("is_active", true).put("password", "secret-" + username);
  }

  static JsonObject channel(String id, String name) {
    return new JsonObject().put("channel_id", id).put("name", name)
      .put("source_url", "http://upstream.example/live/" + id + ".ts").put("category", "Favorite")
      .put("order", 1).put("category_order", 1).put("is_active", true);
  }

  private void created(HttpResponse<String> r) {
    assertEquals(201, r.statusCode(), r.body());
  }

  private void panelWrites(Suite s) {
    created(send(s.auth, "POST", "/api/users", user("alice", T1), true));
    created(send(s.auth, "POST", "/api/users", user("bob", T2), true));
    created(send(s.playlist, "POST", "/api/channels", channel("48681", "MBC Pro aflam"), true));
    created(send(s.playlist, "POST", "/api/channels", channel("87827", "beIN SPORT"), true));
  }

  private Set<String> usernames(Suite s) {
    HttpResponse<String> r = send(s.auth, "GET", "/api/users", null, true);
    if (r.statusCode() != 200) {
      return null;
    }
    Set<String> out = new HashSet<>();
    new JsonObject(r.body()).getJsonArray("users").forEach(u -> out.add(((JsonObject) u).getString("username")));
    return out;
  }

  private HttpResponse<String> playlist(Suite s, String token) {
    return send(s.playlist, "GET", "/get_playlist.php?token=" + token, null, false);
  }

  /** The panel API is refused as "restore pending": 503, Retry-After, a JSON error. */
  private static void pending(HttpResponse<String> r) {
    assertEquals(503, r.statusCode(), r.body());
    assertEquals(String.valueOf(dev.iptv.common.PanelGuard.RETRY_AFTER_S), r.headers().firstValue("Retry-After").orElse(null));
    assertTrue(new JsonObject(r.body()).getString("error").contains("restored"), r.body());
  }

  // --- the stores, read directly ---------------------------------------------------------------------

  private Map<String, String> rows() {
    Map<String, String> out = new HashMap<>();
    for (Row r : await(pg.query("SELECT key, value FROM synced_keys").execute())) {
      out.put(r.getString("key"), r.getString("value"));
    }
    return out;
  }

  private static RedisAPI redis(Vertx vertx, String url) {
    return RedisAPI.api(Redis.createClient(vertx, url));
  }

  private static String get(RedisAPI redis, String key) {
    Response r = await(redis.get(key));
    return r == null ? null : r.toString();
  }

  private static Set<String> members(RedisAPI redis, String set) {
    Set<String> out = new HashSet<>();
    await(redis.smembers(set)).forEach(r -> out.add(r.toString()));
    return out;
  }

  // --- the stories -----------------------------------------------------------------------------------

  @Test
  @DisplayName("host restart: Redis comes back empty while PostgreSQL is still away; the monitor starts first and waits;"
    + " the panel gets 503 meanwhile; PostgreSQL comes up: nothing is lost in either store")
  void postgresqlLaterThanRedis() {
    String redisUrl = TestEnv.redisUrl(MirrorSupport.REDIS_DB);
    RedisAPI redis = redis(observer, redisUrl);
    MirrorSupport.flushTestDb(redis);
    Suite first = startSuite(redisUrl);
    panelWrites(first);
    Set<String> keys = Set.of(AuthContract.userKey("alice"), AuthContract.userKey("bob"), AuthContract.tokenKey(T1), AuthContract.tokenKey(T2),
      ChannelContract.channelKey("48681"), ChannelContract.channelKey("87827"));
    eventually(Duration.ofSeconds(10), "the panel's six keys mirrored", () -> rows().keySet().equals(keys));
    Map<String, String> copy = rows();

    // The host restarts: the suite stops, Redis comes back empty (no persistence), PostgreSQL is not up yet.
    stopSuite();
    MirrorSupport.flushTestDb(redis);
    gate.close();
    Suite second = startSuite(redisUrl);

    pending(send(second.auth, "GET", "/api/users", null, true));
    pending(send(second.auth, "GET", "/api/users/alice", null, true));
    pending(send(second.playlist, "GET", "/api/channels", null, true));
    pending(send(second.playlist, "GET", "/api/channels/48681", null, true));
    pending(send(second.auth, "POST", "/api/users", user("carol", T3), true));
    pending(send(second.playlist, "DELETE", "/api/channels/48681", null, true));
    assertEquals(401, send(second.auth, "GET", "/api/users", null, false).statusCode(), "no bearer: 401 as always");
    TestEnv.pause(3000); // time is the subject: three checks of the mirror, and its reconciliation, with PostgreSQL away
    assertNull(get(redis, MirrorContract.SENTINEL), "an empty Redis is never marked complete while PostgreSQL is away");
    assertNull(get(redis, AuthContract.userKey("carol")), "nothing written by a refused request");
    assertTrue(second.mirror().containsKey("pending"), second.mirror().encode());
    pending(send(second.auth, "GET", "/api/users", null, true));

    gate.open();
    eventually(Duration.ofSeconds(20), "the panel's users back", () -> Set.of("alice", "bob").equals(usernames(second)));
    HttpResponse<String> channels = send(second.playlist, "GET", "/api/channels", null, true);
    assertEquals(200, channels.statusCode(), channels.body());
    assertEquals(2, new JsonObject(channels.body()).getInteger("count"));
    eventually(Duration.ofSeconds(10), "a reconciliation after the restore",
      () -> second.mirror().containsKey("last_reconcile"));
    assertEquals(copy, rows(), "PostgreSQL's copy intact after the restore and a reconciliation");
    HttpResponse<String> list = playlist(second, T1);
    assertEquals(200, list.statusCode(), list.body());
    assertTrue(list.body().contains("MBC Pro aflam") && list.body().contains("beIN SPORT"), list.body());
    assertTrue(MirrorContract.inStep(get(redis, MirrorContract.SENTINEL)));
  }

  @Test
  @DisplayName("Redis flushed while everything runs and PostgreSQL is away: the panel gets 503, recent players keep"
    + " playing, nothing is lost; PostgreSQL back: Redis restored")
  void flushedWhileRunning() {
    String redisUrl = TestEnv.redisUrl(MirrorSupport.REDIS_DB);
    RedisAPI redis = redis(observer, redisUrl);
    MirrorSupport.flushTestDb(redis);
    Suite s = startSuite(redisUrl);
    panelWrites(s);
    eventually(Duration.ofSeconds(10), "six keys mirrored", () -> rows().size() == 6);
    Map<String, String> copy = rows();
    // The services' probes have seen the sentinel: a mirror runs. Time is the subject: they read it
    // every PROBE_MS and show what they saw nowhere outside the services.
    TestEnv.pause(MirrorContract.PROBE_MS + 500);
    String before = playlist(s, T1).body();
    assertTrue(before.contains("MBC Pro aflam"), before);

    gate.close();
    MirrorSupport.flushTestDb(redis);
    pending(send(s.auth, "GET", "/api/users", null, true));
    pending(send(s.playlist, "GET", "/api/channels/87827", null, true));
    pending(send(s.playlist, "PUT", "/api/channels/87827", channel("87827", "renamed"), true));
    // Players: a token checked in the last minutes plays on from memory, with the last channel list.
    HttpResponse<String> during = playlist(s, T1);
    assertEquals(200, during.statusCode(), during.body());
    assertEquals(before, during.body());
    // A token this auth-service has not checked recently cannot be told from an unknown one until the restore.
    assertEquals(403, playlist(s, T2).statusCode());
    TestEnv.pause(2500);   // time is the subject: checks of the mirror pass with PostgreSQL away, and nothing is marked or written
    assertNull(get(redis, MirrorContract.SENTINEL));
    assertNull(get(redis, ChannelContract.channelKey("87827")), "nothing written by a refused request");

    gate.open();
    eventually(Duration.ofSeconds(20), "the users back", () -> Set.of("alice", "bob").equals(usernames(s)));
    assertEquals(200, playlist(s, T2).statusCode());
    assertEquals("beIN SPORT", new JsonObject(get(redis, ChannelContract.channelKey("87827"))).getString("name"));
    assertEquals(copy, rows());
  }

  @Test
  @DisplayName("Redis restarted from an older dump.rdb under the running suite is brought to PostgreSQL's state:"
    + " the deleted user stays gone, the new token works and the old one does not")
  void olderSnapshotWhileRunning() throws Exception {
    olderSnapshot(false);
  }

  @Test
  @DisplayName("the host restarts with Redis loading an older dump.rdb: the suite starting again brings Redis to"
    + " PostgreSQL's state, not the reverse")
  void olderSnapshotAfterHostRestart() throws Exception {
    olderSnapshot(true);
  }

  private void olderSnapshot(boolean restartSuite) throws Exception {
    Path dir = TestEnv.tempDir("durable-redis");
    privateRedis = RedisServer.start(dir);
    String redisUrl = privateRedis.url();
    Suite s = startSuite(redisUrl);
    panelWrites(s);
    eventually(Duration.ofSeconds(10), "six keys mirrored", () -> rows().size() == 6);

    privateRedis.save();
    Path old = dir.resolve("old.rdb");
    Files.copy(privateRedis.dump(), old);

    // Panel writes after the snapshot: a new user, a new token for alice, bob deleted, a channel renamed.
    created(send(s.auth, "POST", "/api/users", user("carol", T4), true));
    HttpResponse<String> put = send(s.auth, "PUT", "/api/users/alice", new JsonObject().put("token", T3), true);
    assertEquals(200, put.statusCode(), put.body());
    assertEquals(200, send(s.auth, "DELETE", "/api/users/bob", null, true).statusCode());
    assertEquals(200, send(s.playlist, "PUT", "/api/channels/87827", channel("87827", "renamed"), true).statusCode());
    Set<String> now = Set.of(AuthContract.userKey("alice"), AuthContract.tokenKey(T3), AuthContract.userKey("carol"), AuthContract.tokenKey(T4),
      ChannelContract.channelKey("48681"), ChannelContract.channelKey("87827"));
    eventually(Duration.ofSeconds(10), "the copy follows the panel", () -> rows().keySet().equals(now)
      && rows().get(ChannelContract.channelKey("87827")).contains("renamed"));
    Map<String, String> copy = rows();

    if (restartSuite) {
      stopSuite();
    }
    privateRedis.stopWithoutSaving();
    Files.copy(old, privateRedis.dump(), StandardCopyOption.REPLACE_EXISTING);
    privateRedis.start();
    RedisAPI fresh = redis(observer, redisUrl);
    assertTrue(get(fresh, AuthContract.userKey("bob")) != null && get(fresh, AuthContract.tokenKey(T1)) != null,
      "the snapshot is the older state");
    Suite t = restartSuite ? startSuite(redisUrl) : s;

    eventually(Duration.ofSeconds(20), "Redis in PostgreSQL's state", () ->
      get(fresh, AuthContract.userKey("bob")) == null && get(fresh, AuthContract.userKey("carol")) != null
        && MirrorContract.inStep(get(fresh, MirrorContract.SENTINEL)));
    assertNull(get(fresh, AuthContract.tokenKey(T1)), "alice's old token is gone");
    assertNull(get(fresh, AuthContract.tokenKey(T2)), "bob's token is gone");
    assertTrue(get(fresh, AuthContract.tokenKey(T3)) != null && get(fresh, AuthContract.tokenKey(T4)) != null);
    assertEquals(T3, new JsonObject(get(fresh, AuthContract.userKey("alice"))).getString("token"));
    assertEquals("renamed", new JsonObject(get(fresh, ChannelContract.channelKey("87827"))).getString("name"));
    assertEquals(Set.of("alice", "carol"), members(fresh, AuthContract.USERS_ALL));
    assertEquals(Set.of("48681", "87827"), members(fresh, ChannelContract.CHANNELS_ALL));
    JsonObject mirror = t.mirror();
    assertEquals(mirror.getLong("postgresql_generation"), MirrorContract.generation(get(fresh, MirrorContract.SENTINEL)),
      mirror.encode());
    assertEquals("replace", mirror.getJsonObject("last_restore").getString("mode"), mirror.encode());

    // Through the services: the panel sees PostgreSQL's state, players the tokens it names.
    eventually(Duration.ofSeconds(10), "the panel sees alice and carol", () ->
      Set.of("alice", "carol").equals(usernames(t)));
    assertEquals(404, send(t.auth, "GET", "/api/users/bob", null, true).statusCode());
    eventually(Duration.ofSeconds(10), "the new token plays", () -> playlist(t, T3).statusCode() == 200);
    assertEquals(403, playlist(t, T1).statusCode(), "the old token is refused");
    assertEquals(403, playlist(t, T2).statusCode(), "the deleted user's token is refused");
    JsonArray channels = new JsonObject(send(t.playlist, "GET", "/api/channels", null, true).body()).getJsonArray("channels");
    assertEquals(2, channels.size());
    assertEquals(copy, rows(), "PostgreSQL's copy is not brought back to the older Redis");
    assertFalse(get(fresh, MirrorContract.SENTINEL).startsWith(MirrorContract.RESTORING));
  }
}
