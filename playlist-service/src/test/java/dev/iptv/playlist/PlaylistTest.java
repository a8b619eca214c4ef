package dev.iptv.playlist;

import dev.iptv.common.Config;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MirrorContract;
import dev.iptv.testing.M3u;
import dev.iptv.testing.M3u.Entry;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.iptv.playlist.PlaylistFixture.channel;
import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static dev.iptv.testing.TestEnv.hexToken;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@DisplayName("Playlists (SPEC section 2)")
class PlaylistTest {

  @Test
  @DisplayName("max_connections: while other players fill every slot the playlist is refused; a download takes no slot")
  void maxConnections(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    String token = fx.createUser("sharer");   // max_connections 2
    fx.createChannel(channel("1", "One", 1, 1));
    // Downloads from three clients: all served, none holds a slot.
    for (String ua : List.of("Phone", "Tablet", "Laptop")) {
      assertEquals(200, await(fx.request(HttpMethod.GET, "/get_playlist.php?token=" + token)
        .putHeader("User-Agent", ua).send()).statusCode());
    }
    // So two players still start watching (auth-service holds their live sessions)...
    assertEquals("valid", liveSession(vertx, token, "10.0.0.1", "TV-1"));
    assertEquals("valid", liveSession(vertx, token, "10.0.0.2", "TV-2"));
    assertEquals("limit", liveSession(vertx, token, "10.0.0.3", "TV-3"));
    // ...and a third client now gets the seed's refusal, while a watching one still gets its list.
    HttpResponse<Buffer> refused = await(fx.request(HttpMethod.GET, "/playlist/" + token + ".m3u8")
      .putHeader("User-Agent", "Phone").send());
    assertEquals(403, refused.statusCode());
    assertEquals("ERROR: Max connections reached", refused.bodyAsString().trim());
    HttpResponse<Buffer> watching = await(fx.request(HttpMethod.GET, "/get_playlist.php?token=" + token)
      .putHeader("User-Agent", "TV-2").putHeader("X-Real-IP", "10.0.0.2").send());
    assertEquals(200, watching.statusCode(), watching.bodyAsString());
  }

  private static String liveSession(Vertx vertx, String token, String ip, String ua) {
    JsonObject ask = new JsonObject().put("token", token).put("ip", ip).put("user_agent", ua).put("channel_id", "1");
    return await(vertx.eventBus().<JsonObject>request(AuthContract.SESSION, ask)).body().getString("status");
  }

  @Test
  @DisplayName("a player gets the seed's M3U format, the same at /get_playlist.php and /playlist/T.m3u8, as audio/x-mpegurl")
  void format(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    String token = fx.createUser("john123");
    fx.createChannel(channel("48681", "MBC Pro aflam", 1, 1));
    HttpResponse<Buffer> r = fx.playlist(token);
    assertEquals(200, r.statusCode());
    assertEquals("audio/x-mpegurl", r.getHeader("Content-Type"));
    assertEquals("#EXTM3U\n"
      + "#EXTINF:-1 tvg-id=\"48681\" tvg-name=\"MBC Pro aflam\" tvg-logo=\"images/no_logo.jpg\" group-title=\"Favorite\",MBC Pro aflam\n"
      + fx.base() + "/live/stream_48681.m3u8?token=" + token + "\n", r.bodyAsString());
    HttpResponse<Buffer> byPath = fx.get("/playlist/" + token + ".m3u8");
    assertEquals(200, byPath.statusCode());
    assertEquals("audio/x-mpegurl", byPath.getHeader("Content-Type"));
    assertEquals(r.bodyAsString(), byPath.bodyAsString());
  }

  @Test
  @DisplayName("HEAD answers the headers of GET, with the body's length, and no body")
  void head(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    String token = fx.createUser("john123");
    fx.createChannel(channel("1", "One", 1, 1));
    fx.createChannel(channel("2", "Two ✓", 1, 2));
    int length = fx.playlist(token).body().length();
    for (String path : List.of("/get_playlist.php?token=" + token, "/playlist/" + token + ".m3u8")) {
      HttpResponse<Buffer> head = await(fx.request(HttpMethod.HEAD, path).send());
      assertEquals(200, head.statusCode());
      assertEquals("audio/x-mpegurl", head.getHeader("Content-Type"));
      assertEquals(String.valueOf(length), head.getHeader("Content-Length"));
      assertTrue(head.body() == null || head.body().length() == 0);
    }
    assertEquals(403, await(fx.request(HttpMethod.HEAD, "/playlist/" + hexToken() + ".m3u8").send()).statusCode());
  }

  @Test
  @DisplayName("only active channels, ordered by category_order, then order, then numeric channel id")
  void orderAndActive(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    String token = fx.createUser("john123");
    fx.createChannel(channel("300", "C2-O1-300", 2, 1));
    fx.createChannel(channel("20", "C1-O2-20", 1, 2));
    fx.createChannel(channel("100", "C1-O1-100", 1, 1));
    fx.createChannel(channel("9", "C1-O1-9", 1, 1));
    fx.createChannel(channel("5", "C0-O9-5", 0, 9));
    fx.createChannel(channel("6", "inactive", 0, 0).put("is_active", false));
    fx.createChannel(channel("7", "C-1", -1, 0));
    List<String> titles = fx.entries(token).stream().map(Entry::title).toList();
    assertEquals(List.of("C-1", "C0-O9-5", "C1-O1-9", "C1-O1-100", "C1-O2-20", "C2-O1-300"), titles);
  }

  @Test
  @DisplayName("hostile and non-ASCII names never break the format: one #EXTINF and one URL per channel, no quote in attributes, UTF-8 kept")
  void hostileNames(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    String token = fx.createUser("john123");
    fx.createChannel(channel("1", "A \"B\"\n#EXTINF:-1 tvg-id=\"666\",Evil\nhttp://evil.example/x.m3u8", 1, 1));
    fx.createChannel(channel("2", "قناة MBC, 日本 ✓ Ünïcödé 🎬", 1, 2).put("category", "Arabic \"News\"\r\n,x").put("logo", "http://l/\"onerror=\"x.png"));
    fx.createChannel(channel("3", "Tab\there\u2028line\u0085next\u0000nul", 1, 3).put("category", "a\u2029b"));
    fx.createChannel(channel("4", "Comma, in, title", 1, 4));
    HttpResponse<Buffer> r = fx.playlist(token);
    String body = r.bodyAsString("UTF-8");
    assertFalse(body.contains("\u2028") || body.contains("\u2029") || body.contains("\u0085") || body.contains("\u0000") || body.contains("\t"));
    List<Entry> entries = M3u.parse(body);
    assertEquals(4, entries.size(), body);
    assertEquals("A \"B\" #EXTINF:-1 tvg-id=\"666\",Evil http://evil.example/x.m3u8", entries.get(0).title());
    assertEquals("A 'B' #EXTINF:-1 tvg-id='666',Evil http://evil.example/x.m3u8", entries.get(0).attribute("tvg-name"));
    assertEquals("1", entries.get(0).attribute("tvg-id"));
    assertEquals("قناة MBC, 日本 ✓ Ünïcödé 🎬", entries.get(1).title());
    assertEquals("Arabic 'News'  ,x", entries.get(1).attribute("group-title"));
    assertEquals("http://l/'onerror='x.png", entries.get(1).attribute("tvg-logo"));
    assertEquals("Tab here line next nul", entries.get(2).title());
    assertEquals("Comma, in, title", entries.get(3).title());
    for (Entry e : entries) {
      String id = e.attribute("tvg-id");
      assertEquals(fx.base() + "/live/stream_" + id + ".m3u8?token=" + token, e.url());
    }
    byte[] raw = r.body().getBytes();
    assertEquals(body, new String(raw, StandardCharsets.UTF_8));
    assertTrue(new String(raw, StandardCharsets.UTF_8).contains("日本"), "UTF-8 bytes on the wire");
  }

  @Test
  @DisplayName("bad tokens get 403 with the seed's texts: unknown, junk, missing, disabled, expired, retired by a token change, of a deleted user")
  void tokenStates(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    fx.createChannel(channel("1", "One", 1, 1));
    String valid = fx.createUser("john123");
    String disabled = fx.createUser("off", false, Instant.now().plus(1, ChronoUnit.DAYS));
    String expired = fx.createUser("late", true, Instant.now().minus(1, ChronoUnit.HOURS));
    assertEquals(200, fx.playlist(valid).statusCode());

    assertForbidden(fx.playlist(hexToken()), "ERROR: Invalid token");
    assertForbidden(fx.get("/get_playlist.php?token=../../etc/passwd"), "ERROR: Invalid token");
    assertForbidden(fx.get("/get_playlist.php?token=%22%0D%0A"), "ERROR: Invalid token");
    assertForbidden(fx.get("/get_playlist.php"), "ERROR: Invalid token");
    assertForbidden(fx.get("/get_playlist.php?token="), "ERROR: Invalid token");
    assertForbidden(fx.get("/playlist/not-hex.m3u8"), "ERROR: Invalid token");
    assertForbidden(fx.playlist(disabled), "ERROR: Token disabled");
    assertForbidden(fx.get("/playlist/" + disabled + ".m3u8"), "ERROR: Token disabled");
    assertForbidden(fx.playlist(expired), "ERROR: Token expired");

    String fresh = hexToken();
    HttpResponse<Buffer> change = fx.admin(fx.authPort, HttpMethod.PUT, "/api/users/john123", new JsonObject().put("token", fresh));
    assertEquals(200, change.statusCode(), change.bodyAsString());
    assertForbidden(fx.playlist(valid), "ERROR: Invalid token");
    assertEquals(200, fx.playlist(fresh).statusCode());

    assertEquals(200, fx.admin(fx.authPort, HttpMethod.DELETE, "/api/users/john123", null).statusCode());
    assertForbidden(fx.playlist(fresh), "ERROR: Invalid token");
  }

  private static void assertForbidden(HttpResponse<Buffer> r, String text) {
    assertEquals(403, r.statusCode(), r.bodyAsString());
    assertEquals(text, r.bodyAsString());
    assertTrue(r.getHeader("Content-Type").startsWith("text/plain"));
  }

  @Test
  @DisplayName("channels and tokens written by the seed's server or redis-cli are read as they are")
  void seedLayout(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    String token = hexToken();
    fx.set(AuthContract.tokenKey(token), new JsonObject().put("username", "test_user_migration_final").put("token", token)
      .put("expires_at", "2099-01-06T21:50:51.244826").put("max_connections", "3")
      .put("email", "testmigration@example.com").put("password", "2D9phJKJz8TPM37").encode());
    fx.seedChannel("48681", new JsonObject().put("channel_id", "48681").put("name", "MBC Pro aflam")
      .put("source_url", "http://s.showplustv.pro:80/live/u/p/48681.ts").put("logo", "images/no_logo.jpg")
      .put("category", "Favorite").put("quality", "medium").put("order", 1).put("category_order", 1).put("is_active", true));
    fx.seedChannel("87827", new JsonObject().put("channel_id", "87827").put("name", "beIN SPORT Very Low 1")
      .put("source_url", "http://x/87827.ts").put("logo", "").put("category", "BeIN Sports Very LQ")
      .put("order", "2").put("category_order", "1"));
    fx.seedChannel("5", new JsonObject().put("channel_id", 5).put("name", 12345).put("order", 0).put("category_order", 0));
    fx.seedChannel("6", new JsonObject().put("channel_id", "6").put("name", "Off").put("is_active", "false"));
    fx.seedChannel("7", new JsonObject().put("channel_id", "7").put("name", "Off too").put("is_active", 0));
    fx.sadd(ChannelContract.CHANNELS_ALL, "404"); // indexed, but its key is gone
    fx.seedChannel("8", new JsonObject().put("name", "Broken JSON"));
    fx.set(ChannelContract.channelKey("8"), "{not json"); // left out

    List<Entry> entries = fx.entries(token);
    List<String> lines = entries.stream().map(Entry::extinf).toList();
    assertEquals(List.of(
      "#EXTINF:-1 tvg-id=\"5\" tvg-name=\"12345\" tvg-logo=\"\" group-title=\"\",12345",
      "#EXTINF:-1 tvg-id=\"48681\" tvg-name=\"MBC Pro aflam\" tvg-logo=\"images/no_logo.jpg\" group-title=\"Favorite\",MBC Pro aflam",
      "#EXTINF:-1 tvg-id=\"87827\" tvg-name=\"beIN SPORT Very Low 1\" tvg-logo=\"\" group-title=\"BeIN Sports Very LQ\",beIN SPORT Very Low 1"),
      lines);

    assertEquals(200, fx.admin(HttpMethod.GET, "/api/channels/8", null).statusCode(), "a broken record can be seen, fixed or deleted");
    HttpResponse<Buffer> api = fx.admin(HttpMethod.GET, "/api/channels/87827", null);
    assertEquals(200, api.statusCode());
    assertEquals(2, api.bodyAsJsonObject().getInteger("order"));
    assertTrue(api.bodyAsJsonObject().getBoolean("is_active"));
    HttpResponse<Buffer> put = fx.admin(HttpMethod.PUT, "/api/channels/87827", new JsonObject().put("name", "beIN 1"));
    assertEquals(200, put.statusCode(), put.bodyAsString());
    assertEquals("beIN 1", fx.entries(token).get(2).title());
  }

  @Test
  @DisplayName("the cached list follows API changes at once: POST, PUT (rename, deactivate) and DELETE")
  void invalidatedByApi(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx, Map.of(Config.PLAYLIST_CACHE_S, "3600"));
    String token = fx.createUser("john123");
    fx.createChannel(channel("1", "One", 1, 1));
    assertEquals(List.of("One"), titles(fx, token));
    fx.createChannel(channel("2", "Two", 1, 2));
    assertEquals(List.of("One", "Two"), titles(fx, token));
    assertEquals(200, fx.admin(HttpMethod.PUT, "/api/channels/1", new JsonObject().put("name", "One HD")).statusCode());
    assertEquals(List.of("One HD", "Two"), titles(fx, token));
    assertEquals(200, fx.admin(HttpMethod.PUT, "/api/channels/2", new JsonObject().put("is_active", false)).statusCode());
    assertEquals(List.of("One HD"), titles(fx, token));
    assertEquals(200, fx.admin(HttpMethod.PUT, "/api/channels/2", new JsonObject().put("is_active", true).put("order", 0)).statusCode());
    assertEquals(List.of("Two", "One HD"), titles(fx, token));
    assertEquals(200, fx.admin(HttpMethod.DELETE, "/api/channels/1", null).statusCode());
    assertEquals(List.of("Two"), titles(fx, token));
  }

  @Test
  @DisplayName("a change announced by another node (CHANNELS_CHANGED on the event bus) drops the cached list")
  void invalidatedByEvent(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx, Map.of(Config.PLAYLIST_CACHE_S, "3600"));
    String token = fx.createUser("john123");
    fx.createChannel(channel("1", "One", 1, 1));
    assertEquals(List.of("One"), titles(fx, token));
    fx.set(ChannelContract.channelKey("1"), channel("1", "Renamed elsewhere", 1, 1).encode());
    assertEquals(List.of("One"), titles(fx, token), "still cached");
    vertx.eventBus().publish(ChannelContract.CHANNELS_CHANGED, new JsonObject().put("channel_id", "1").put("action", "updated").put("is_active", true));
    awaitTitles(fx, token, List.of("Renamed elsewhere"));
  }

  @Test
  @DisplayName("an edit made directly in Redis (redis-cli) shows once the list is older than IPTV_PLAYLIST_CACHE_S")
  void directEditAfterAge(Vertx vertx) throws InterruptedException {
    PlaylistFixture fx = new PlaylistFixture(vertx, Map.of(Config.PLAYLIST_CACHE_S, "2"));
    String token = fx.createUser("john123");
    fx.createChannel(channel("1", "One", 1, 1));
    assertEquals(List.of("One"), titles(fx, token));
    fx.seedChannel("2", channel("2", "Added by hand", 1, 2));
    fx.set(ChannelContract.channelKey("1"), channel("1", "Renamed by hand", 1, 1).encode());
    assertEquals(List.of("One"), titles(fx, token), "served from the cache within its age");
    Thread.sleep(2100);   // time is the subject: the list ages past IPTV_PLAYLIST_CACHE_S
    assertEquals(List.of("Renamed by hand", "Added by hand"), titles(fx, token));
  }

  @Test
  @DisplayName("when monitor-service reports Redis restored, the list is read again at once, whatever its age")
  void rebuiltAfterRestore(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx, Map.of(Config.PLAYLIST_CACHE_S, "3600"));
    String token = fx.createUser("john123");
    fx.createChannel(channel("1", "One", 1, 1));
    assertEquals(List.of("One"), titles(fx, token));
    fx.seedChannel("2", channel("2", "Put back from PostgreSQL", 1, 2));
    assertEquals(List.of("One"), titles(fx, token), "served from the cache");
    vertx.eventBus().publish(MirrorContract.EVENTS, new JsonObject().put("event", "redis_restored").put("keys", 5));
    awaitTitles(fx, token, List.of("One", "Put back from PostgreSQL"));
  }

  @Test
  @DisplayName("Redis emptied under a running mirror: the list rebuilt from it is refused and the last one served until the restore, not an empty one")
  void lostRedisKeepsTheList(Vertx vertx) throws Exception {
    PlaylistFixture fx = new PlaylistFixture(vertx, Map.of(Config.PLAYLIST_CACHE_S, "1"));
    String token = fx.createUser("john123");
    fx.createChannel(channel("1", "One", 1, 1));
    fx.set(MirrorContract.SENTINEL, "1");
    // The probe has seen the mirror. Time is the subject: the probe reads the sentinel every
    // PROBE_MS and shows what it saw nowhere outside the service.
    Thread.sleep(MirrorContract.PROBE_MS + 500);
    assertEquals(List.of("One"), titles(fx, token));
    emptyRedisButToken(fx, token);
    Thread.sleep(1100);   // time is the subject: the list is older than IPTV_PLAYLIST_CACHE_S, so this request rebuilds it
    assertEquals(List.of("One"), titles(fx, token), "the rebuild read no channel with the sentinel gone: the last list, not an empty one");
    // The rebuilds do read Redis: a channel put back there (as the restore does) shows at the next one.
    fx.seedChannel("2", channel("2", "Two, put back", 1, 2));
    awaitTitles(fx, token, List.of("Two, put back"));

    // Without a mirror's sentinel ever seen, the same rebuild serves an emptied Redis as it is: empty.
    PlaylistFixture plain = new PlaylistFixture(vertx, Map.of(Config.PLAYLIST_CACHE_S, "1"));
    String other = plain.createUser("jane");
    plain.createChannel(channel("1", "One", 1, 1));
    assertEquals(List.of("One"), titles(plain, other));
    emptyRedisButToken(plain, other);
    Thread.sleep(1100);   // time is the subject: older than IPTV_PLAYLIST_CACHE_S, as above
    assertEquals(List.of(), titles(plain, other), "rebuilt from the emptied Redis");
  }

  /** FLUSHDB, then the player's token put back (auth-service bridges a token by itself; not tested here). */
  private static void emptyRedisButToken(PlaylistFixture fx, String token) {
    String record = fx.get(AuthContract.tokenKey(token), true);
    await(fx.redis.flushdb(List.of()));
    fx.set(AuthContract.tokenKey(token), record);
  }

  @Test
  @DisplayName("thousands of channels come in one list (batched reads), with the public URL in every entry")
  void manyChannels(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx, Map.of(Config.PUBLIC_URL, "https://tv.example.com/"));
    String token = fx.createUser("john123");
    int n = 3500;
    List<String> mset = new ArrayList<>();
    List<String> sadd = new ArrayList<>(List.of(ChannelContract.CHANNELS_ALL));
    for (int i = 1; i <= n; i++) {
      mset.add(ChannelContract.channelKey(String.valueOf(i)));
      mset.add(channel(String.valueOf(i), "Channel #" + i, 1, 0).encode());
      sadd.add(String.valueOf(i));
    }
    await(fx.redis.mset(mset));
    await(fx.redis.sadd(sadd));
    List<Entry> entries = fx.entries(token);
    assertEquals(n, entries.size());
    for (int i = 0; i < n; i++) {
      assertEquals("https://tv.example.com/live/stream_" + (i + 1) + ".m3u8?token=" + token, entries.get(i).url());
    }
    List<Future<HttpResponse<Buffer>>> concurrent = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      concurrent.add(fx.request(HttpMethod.GET, "/playlist/" + token + ".m3u8").send());
    }
    await(Future.all(concurrent));
    concurrent.forEach(f -> assertEquals(n, M3u.parse(f.result().bodyAsString()).size()));
  }

  @Test
  @DisplayName("concurrent players with tokens of different lengths each get their own token in every URL, also after a player hung up mid-body")
  void concurrentTokens(Vertx vertx) throws Exception {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    List<String> mset = new ArrayList<>();
    List<String> sadd = new ArrayList<>(List.of(ChannelContract.CHANNELS_ALL));
    for (int i = 1; i <= 2000; i++) {
      mset.add(ChannelContract.channelKey(String.valueOf(i)));
      mset.add(channel(String.valueOf(i), "Channel " + i, 1, 0).encode());
      sadd.add(String.valueOf(i));
    }
    await(fx.redis.mset(mset));
    await(fx.redis.sadd(sadd));
    List<String> tokens = new ArrayList<>();
    for (int length : List.of(32, 64, 128)) {
      String token = hexToken().repeat(2).substring(0, length);
      fx.set(AuthContract.tokenKey(token), new JsonObject().put("username", "u" + length).put("expires_at", "2099-01-01T00:00:00Z").encode());
      tokens.add(token);
    }
    // A player that hangs up after the first bytes.
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", fx.port)) {
      s.getOutputStream().write(("GET /playlist/" + tokens.get(0) + ".m3u8 HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      s.getInputStream().read(new byte[1024]);
    }
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      calls.add(fx.request(HttpMethod.GET, "/get_playlist.php?token=" + tokens.get(i % 3)).send());
    }
    await(Future.all(calls));
    for (int i = 0; i < 30; i++) {
      String token = tokens.get(i % 3);
      List<Entry> entries = M3u.parse(calls.get(i).result().bodyAsString());
      assertEquals(2000, entries.size());
      entries.forEach(e -> assertTrue(e.url().endsWith(".m3u8?token=" + token), e.url()));
    }
  }

  @Test
  @DisplayName("without IPTV_PUBLIC_URL the stream URLs start with http://localhost:{IPTV_HTTP_PORT}")
  void defaultPublicUrl(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx, java.util.Collections.unmodifiableMap(new java.util.HashMap<>() {{
        put(Config.PUBLIC_URL, null);
        put(Config.HTTP_PORT, "8099");
      }}));
    String token = fx.createUser("john123");
    fx.createChannel(channel("1", "One", 1, 1));
    assertEquals("http://localhost:8099/live/stream_1.m3u8?token=" + token, fx.entries(token).get(0).url());
  }

  @Test
  @DisplayName("with Redis unreachable, players get 503 with Retry-After and the admin API 503 JSON")
  void redisAway(Vertx vertx) throws Exception {
    int dead = TestEnv.freePort();
    PlaylistFixture fx = new PlaylistFixture(vertx, Map.of(Config.REDIS_URL, "redis://127.0.0.1:" + dead));
    String token = fx.createUser("john123");
    HttpResponse<Buffer> r = fx.playlist(token);
    assertEquals(503, r.statusCode());
    assertEquals("ERROR: Playlist unavailable, retry later", r.bodyAsString());
    assertEquals("5", r.getHeader("Retry-After"));
    HttpResponse<Buffer> api = fx.admin(HttpMethod.GET, "/api/channels", null);
    assertEquals(503, api.statusCode());
    assertTrue(api.bodyAsJsonObject().getString("error").contains("Redis"));
    assertEquals(503, fx.admin(HttpMethod.POST, "/api/channels", channel("1", "One", 1, 1)).statusCode());
  }

  private static List<String> titles(PlaylistFixture fx, String token) {
    return fx.entries(token).stream().map(Entry::title).toList();
  }

  /** Waits until the titles are {@code expected} (a change arrives asynchronously); fails after 5 s. */
  private static void awaitTitles(PlaylistFixture fx, String token, List<String> expected) {
    eventually(Duration.ofSeconds(5), "the playlist's titles " + expected, () -> titles(fx, token), expected::equals);
  }
}
