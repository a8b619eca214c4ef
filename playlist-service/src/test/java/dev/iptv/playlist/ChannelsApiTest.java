package dev.iptv.playlist;

import dev.iptv.contract.ChannelContract;
import dev.iptv.testing.RawHttp;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;

import static dev.iptv.playlist.PlaylistFixture.channel;
import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@DisplayName("The channels API (SPEC section 3)")
class ChannelsApiTest {

  private PlaylistFixture fx;

  @BeforeEach
  void deploy(Vertx vertx) {
    fx = new PlaylistFixture(vertx);
  }

  private static JsonObject json(HttpResponse<Buffer> r) {
    assertTrue(r.getHeader("Content-Type").startsWith("application/json"), "JSON answer: " + r.getHeader("Content-Type"));
    return r.bodyAsJsonObject();
  }

  @Test
  @DisplayName("POST stores the channel in the seed layout with defaults, indexes it, and answers it with 201")
  void create() {
    JsonObject body = new JsonObject().put("channel_id", 48681).put("name", "MBC Pro aflam")
      .put("source_url", "http://s.showplustv.pro:80/live/user/pass/48681.ts").put("extra", "ignored");
    HttpResponse<Buffer> r = fx.admin(HttpMethod.POST, "/api/channels", body);
    assertEquals(201, r.statusCode(), r.bodyAsString());
    JsonObject expected = new JsonObject().put("channel_id", "48681").put("name", "MBC Pro aflam")
      .put("source_url", "http://s.showplustv.pro:80/live/user/pass/48681.ts").put("logo", "").put("category", "")
      .put("quality", "medium").put("order", 0).put("category_order", 0).put("is_active", true).put("transcode_profile", "auto");
    assertEquals(expected, json(r));
    assertEquals(expected, new JsonObject(fx.get(ChannelContract.channelKey("48681"), true)));
    assertEquals(List.of("48681"), fx.members(ChannelContract.CHANNELS_ALL));
  }

  @Test
  @DisplayName("the optional fields for stream-service are stored as given: backup URLs, user agent, headers, transcode profile (built-in or named), provider, auto_restart_hours")
  void optionalFields() {
    JsonObject body = channel("7", "Seven", 1, 1).put("quality", "HIGH")
      .put("backup_urls", new JsonArray().add("https://b1.example/7.m3u8").add("srt://b2.example:9000").add("udp://@239.0.0.1:1234"))
      .put("user_agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
      .put("headers", new JsonObject().put("Referer", "http://site.example/").put("Cookie", "a=b; c=d"))
      .put("transcode_profile", "copy").put("provider", "XCodes").put("auto_restart_hours", 0.5)
      .put("server", "node-2.example").put("source_priorities", new JsonArray().add(3).add(0).add(1).add(1000));
    JsonObject answer = json(fx.admin(HttpMethod.POST, "/api/channels", body));
    assertEquals(new JsonArray().add(3).add(0).add(1).add(1000), answer.getJsonArray("source_priorities"));
    assertEquals("high", answer.getString("quality"));
    assertEquals("node-2.example", answer.getString("server"));
    assertEquals(3, answer.getJsonArray("backup_urls").size());
    assertEquals("a=b; c=d", answer.getJsonObject("headers").getString("Cookie"));
    assertEquals("copy", answer.getString("transcode_profile"));
    assertEquals("XCodes", answer.getString("provider"));
    assertEquals(0.5, answer.getDouble("auto_restart_hours"));
    JsonObject stored = new JsonObject(fx.get(ChannelContract.channelKey("7"), true));
    assertEquals(answer, stored);

    JsonObject cleared = json(fx.admin(HttpMethod.PUT, "/api/channels/7",
      new JsonObject().putNull("backup_urls").putNull("headers").putNull("user_agent").putNull("provider").putNull("server")
        .putNull("source_priorities")
        .put("transcode_profile", "HD-720")));
    assertEquals("HD-720", cleared.getString("transcode_profile"));
    assertFalse(cleared.containsKey("provider"));
    assertFalse(cleared.containsKey("server"));
    assertFalse(cleared.containsKey("source_priorities"));
    assertEquals(0.5, cleared.getDouble("auto_restart_hours"));
    assertFalse(cleared.containsKey("backup_urls"));
    assertFalse(cleared.containsKey("headers"));
    assertFalse(cleared.containsKey("user_agent"));
    int id = 100;
    for (String scheme : List.of("http", "https", "rtmp", "rtsp", "udp", "srt")) {
      id++;
      HttpResponse<Buffer> ok = fx.admin(HttpMethod.POST, "/api/channels", channel(String.valueOf(id), scheme, 1, 1)
        .put("source_url", scheme + "://host.example:1234/path?x=1"));
      assertEquals(201, ok.statusCode(), scheme + ": " + ok.bodyAsString());
    }
  }

  @Test
  @DisplayName("GET lists every channel by numeric id with a count, and GET by id answers it or 404")
  void listAndGet() {
    assertEquals(new JsonObject().put("channels", new JsonArray()).put("count", 0), json(fx.admin(HttpMethod.GET, "/api/channels", null)));
    fx.createChannel(channel("100", "Hundred", 1, 1));
    fx.createChannel(channel("9", "Nine", 1, 1));
    fx.createChannel(channel("20", "Twenty", 1, 1));
    JsonObject list = json(fx.admin(HttpMethod.GET, "/api/channels", null));
    assertEquals(3, list.getInteger("count"));
    List<String> ids = new ArrayList<>();
    list.getJsonArray("channels").forEach(c -> ids.add(((JsonObject) c).getString("channel_id")));
    assertEquals(List.of("9", "20", "100"), ids);
    HttpResponse<Buffer> one = fx.admin(HttpMethod.GET, "/api/channels/20", null);
    assertEquals(200, one.statusCode());
    assertEquals("Twenty", json(one).getString("name"));
    HttpResponse<Buffer> missing = fx.admin(HttpMethod.GET, "/api/channels/21", null);
    assertEquals(404, missing.statusCode());
    assertNotNull(json(missing).getString("error"));
  }

  private List<String> ids(String query) {
    HttpResponse<Buffer> r = fx.admin(HttpMethod.GET, "/api/channels" + query, null);
    assertEquals(200, r.statusCode(), query + ": " + r.bodyAsString());
    List<String> ids = new ArrayList<>();
    json(r).getJsonArray("channels").forEach(c -> ids.add(((JsonObject) c).getString("channel_id")));
    return ids;
  }

  @Test
  @DisplayName("GET pages the list with limit and offset, in numeric id order (leading zeros after the plain id's equal); count is every channel")
  void pages() {
    for (String id : List.of("100", "9", "20", "009", "2", "10", "0", "1234567890123456789")) {
      fx.createChannel(channel(id, "C" + id, 1, 1));
    }
    List<String> order = List.of("0", "2", "009", "9", "10", "20", "100", "1234567890123456789");
    assertEquals(order, ids(""));
    assertEquals(order.subList(0, 3), ids("?limit=3"));
    assertEquals(order.subList(3, 6), ids("?limit=3&offset=3"));
    assertEquals(order.subList(6, 8), ids("?limit=3&offset=6"));
    assertEquals(List.of(), ids("?offset=8"));
    JsonObject none = json(fx.admin(HttpMethod.GET, "/api/channels?limit=0", null));
    assertEquals(new JsonObject().put("channels", new JsonArray()).put("count", 8), none);
    assertEquals(200, fx.admin(HttpMethod.DELETE, "/api/channels/009", null).statusCode());
    assertEquals(List.of("0", "2", "9"), ids("?limit=3"));
  }

  @ParameterizedTest(name = "GET /api/channels{0} is 400 naming {1}")
  @CsvSource({"?limit=-1,limit", "?offset=-1,offset", "?limit=ten,limit", "?limit=10001,limit", "?offset=,offset",
    "?offset=2&offset=3,offset", "?limit=0x10,limit"})
  @DisplayName("a bad limit or offset is 400 JSON naming it")
  void badPage(String query, String named) {
    HttpResponse<Buffer> r = fx.admin(HttpMethod.GET, "/api/channels" + query, null);
    assertEquals(400, r.statusCode(), query + ": " + r.bodyAsString());
    assertTrue(json(r).getString("error").contains(named), r.bodyAsString());
  }

  @Test
  @DisplayName("after Redis is restored from PostgreSQL (channels:all and channel:* only), the first page rebuilds the index")
  void indexRebuiltAfterRestore() {
    for (String id : List.of("30", "4", "500")) {
      fx.createChannel(channel(id, "C" + id, 1, 1));
    }
    List<String> records = List.of(fx.get(ChannelContract.channelKey("30"), true), fx.get(ChannelContract.channelKey("4"), true),
      fx.get(ChannelContract.channelKey("500"), true));
    await(fx.redis.flushdb(List.of()));
    fx.seedChannel("30", new JsonObject(records.get(0)));
    fx.seedChannel("4", new JsonObject(records.get(1)));
    fx.seedChannel("500", new JsonObject(records.get(2)));
    assertEquals(List.of("4", "30", "500"), ids(""));
    assertEquals(3, await(fx.redis.zcard(ChannelContract.CHANNELS_BY_ID)).toInteger(), "rebuilt");
    // removed behind the API's back: gone from the page and from the index
    await(fx.redis.srem(List.of(ChannelContract.CHANNELS_ALL, "30")));
    await(fx.redis.del(List.of(ChannelContract.channelKey("30"))));
    assertEquals(List.of("4", "500"), ids(""));
    assertEquals(2, await(fx.redis.zcard(ChannelContract.CHANNELS_BY_ID)).toInteger());
  }

  @Test
  @DisplayName("POST of an existing channel id is 409 and writes nothing")
  void conflict() {
    fx.createChannel(channel("48681", "MBC", 1, 1));
    List<String> before = fx.snapshot();
    HttpResponse<Buffer> r = fx.admin(HttpMethod.POST, "/api/channels", channel("48681", "Other", 2, 2));
    assertEquals(409, r.statusCode());
    assertTrue(json(r).getString("error").contains("48681"));
    assertEquals(before, fx.snapshot());
  }

  @Test
  @DisplayName("PUT merges any subset of fields and answers the merged channel; unknown id 404; another id in the body 400")
  void update() {
    fx.createChannel(channel("48681", "MBC", 1, 1));
    HttpResponse<Buffer> r = fx.admin(HttpMethod.PUT, "/api/channels/48681", new JsonObject().put("name", "MBC HD").put("order", 5));
    assertEquals(200, r.statusCode(), r.bodyAsString());
    JsonObject merged = json(r);
    assertEquals("MBC HD", merged.getString("name"));
    assertEquals(5, merged.getInteger("order"));
    assertEquals("Favorite", merged.getString("category"));
    assertEquals(merged, new JsonObject(fx.get(ChannelContract.channelKey("48681"), true)));
    assertEquals(200, fx.admin(HttpMethod.PUT, "/api/channels/48681", new JsonObject().put("channel_id", 48681)).statusCode());

    assertEquals(404, fx.admin(HttpMethod.PUT, "/api/channels/1", new JsonObject().put("name", "x")).statusCode());
    assertNull(fx.get(ChannelContract.channelKey("1"), true));
    HttpResponse<Buffer> other = fx.admin(HttpMethod.PUT, "/api/channels/48681", new JsonObject().put("channel_id", "2"));
    assertEquals(400, other.statusCode());
    assertTrue(json(other).getString("error").contains("channel_id"));
  }

  @Test
  @DisplayName("DELETE answers {\"deleted\": id} and removes key and index entry; again: 404")
  void delete() {
    fx.createChannel(channel("48681", "MBC", 1, 1));
    fx.createChannel(channel("2", "Two", 1, 1));
    HttpResponse<Buffer> r = fx.admin(HttpMethod.DELETE, "/api/channels/48681", null);
    assertEquals(200, r.statusCode());
    assertEquals(new JsonObject().put("deleted", "48681"), json(r));
    assertNull(fx.get(ChannelContract.channelKey("48681"), true));
    assertEquals(List.of("2"), fx.members(ChannelContract.CHANNELS_ALL));
    assertEquals(404, fx.admin(HttpMethod.DELETE, "/api/channels/48681", null).statusCode());
  }

  @Test
  @DisplayName("every write publishes CHANNELS_CHANGED to every node with the id, the action and is_active")
  void changeEvents() {
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> spy = fx.vertx.eventBus().consumer(ChannelContract.CHANNELS_CHANGED, m -> events.add(m.body()));
    await(spy.completion());
    fx.createChannel(channel("48681", "MBC", 1, 1));
    fx.admin(HttpMethod.PUT, "/api/channels/48681", new JsonObject().put("is_active", false));
    fx.admin(HttpMethod.DELETE, "/api/channels/48681", null);
    eventually(Duration.ofSeconds(5), "three CHANNELS_CHANGED events", () -> events.size() >= 3);
    assertEquals(3, events.size());
    String[][] expected = {{"created", "true"}, {"updated", "false"}, {"deleted", "false"}};
    for (int i = 0; i < 3; i++) {
      assertEquals("48681", events.get(i).getString("channel_id"));
      assertEquals(expected[i][0], events.get(i).getString("action"));
      assertEquals(Boolean.parseBoolean(expected[i][1]), events.get(i).getBoolean("is_active"));
    }
  }

  @Test
  @DisplayName("every call without the admin bearer, or with a wrong one, is 401 JSON and writes nothing")
  void bearer() {
    fx.createChannel(channel("48681", "MBC", 1, 1));
    List<String> before = fx.snapshot();
    String[][] calls = {{"GET", "/api/channels"}, {"POST", "/api/channels"}, {"GET", "/api/channels/48681"},
      {"PUT", "/api/channels/48681"}, {"DELETE", "/api/channels/48681"}};
    for (String[] c : calls) {
      HttpMethod m = HttpMethod.valueOf(c[0]);
      JsonObject body = channel("5", "Intruder", 1, 1);
      HttpResponse<Buffer> none = await(fx.request(m, c[1]).sendJsonObject(body));
      assertEquals(401, none.statusCode(), c[0] + " " + c[1]);
      assertNotNull(json(none).getString("error"));
      HttpResponse<Buffer> wrong = await(fx.request(m, c[1]).bearerTokenAuthentication(TestEnv.ADMIN_TOKEN + "x").sendJsonObject(body));
      assertEquals(401, wrong.statusCode(), c[0] + " " + c[1]);
    }
    assertEquals(before, fx.snapshot());
  }

  @Test
  @DisplayName("a POST or PUT with a wrong bearer is refused 401 before its body is sent: no unauthenticated client makes the server hold a body")
  void bearerBeforeBody() throws Exception {
    fx.createChannel(channel("48681", "MBC", 1, 1));
    List<String> before = fx.snapshot();
    for (String call : List.of("POST /api/channels", "PUT /api/channels/48681")) {
      try (RawHttp raw = RawHttp.connect("127.0.0.2", fx.port)) {
        // 1,000,000 bytes announced (under the 1 MiB limit), 16 sent: the rest never comes.
        raw.send(call + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer not-the-admin-token\r\n"
          + "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"channel_id\": ");
        assertEquals("HTTP/1.1 401 Unauthorized", raw.statusLine(5_000), call + ": answered before the body");
      }
    }
    assertEquals(before, fx.snapshot(), "nothing written");
  }

  static Stream<Arguments> badBodies() {
    JsonObject ok = channel("48681", "MBC", 1, 1);
    return Stream.of(
      Arguments.of("malformed JSON", "{\"channel_id\": \"1\"", "JSON"),
      Arguments.of("a JSON array", "[]", "object"),
      Arguments.of("a number", "12", "object"),
      Arguments.of("an empty body", "", "body"),
      Arguments.of("missing channel_id", ok.copy().putNull("channel_id").toString(), "channel_id"),
      Arguments.of("missing name", without(ok, "name"), "name"),
      Arguments.of("missing source_url", without(ok, "source_url"), "source_url"),
      Arguments.of("channel_id with a letter", ok.copy().put("channel_id", "12a").toString(), "channel_id"),
      Arguments.of("channel_id negative", ok.copy().put("channel_id", -5).toString(), "channel_id"),
      Arguments.of("channel_id fractional", ok.copy().put("channel_id", 1.5).toString(), "channel_id"),
      Arguments.of("channel_id empty", ok.copy().put("channel_id", "").toString(), "channel_id"),
      Arguments.of("channel_id a path", ok.copy().put("channel_id", "../1").toString(), "channel_id"),
      Arguments.of("channel_id a boolean", ok.copy().put("channel_id", true).toString(), "channel_id"),
      Arguments.of("channel_id 20 digits", ok.copy().put("channel_id", "12345678901234567890").toString(), "channel_id"),
      Arguments.of("name empty", ok.copy().put("name", "  ").toString(), "name"),
      Arguments.of("name a number", ok.copy().put("name", 5).toString(), "name"),
      Arguments.of("source_url a file", ok.copy().put("source_url", "file:///etc/passwd").toString(), "source_url"),
      Arguments.of("source_url ftp", ok.copy().put("source_url", "ftp://host/x.ts").toString(), "source_url"),
      Arguments.of("source_url javascript", ok.copy().put("source_url", "javascript:alert(1)").toString(), "source_url"),
      Arguments.of("source_url concat", ok.copy().put("source_url", "concat:http://a/1.ts|http://b/2.ts").toString(), "source_url"),
      Arguments.of("source_url an option", ok.copy().put("source_url", "-i http://a/1.ts").toString(), "source_url"),
      Arguments.of("source_url with a space", ok.copy().put("source_url", "http://host/a b.ts").toString(), "source_url"),
      Arguments.of("source_url with CRLF", ok.copy().put("source_url", "http://host/a.ts\r\nX-Evil: 1").toString(), "source_url"),
      Arguments.of("source_url without host", ok.copy().put("source_url", "http:/a.ts").toString(), "source_url"),
      Arguments.of("source_url relative", ok.copy().put("source_url", "live/a.ts").toString(), "source_url"),
      Arguments.of("source_url too long", ok.copy().put("source_url", "http://h/" + "a".repeat(2048)).toString(), "source_url"),
      Arguments.of("source_url a number", ok.copy().put("source_url", 5).toString(), "source_url"),
      Arguments.of("logo a number", ok.copy().put("logo", 5).toString(), "logo"),
      Arguments.of("category an array", ok.copy().put("category", new JsonArray()).toString(), "category"),
      Arguments.of("quality unknown", ok.copy().put("quality", "ultra").toString(), "quality"),
      Arguments.of("quality a number", ok.copy().put("quality", 3).toString(), "quality"),
      Arguments.of("order a string", ok.copy().put("order", "1").toString(), "order"),
      Arguments.of("order fractional", ok.copy().put("order", 1.5).toString(), "order"),
      Arguments.of("category_order a string", ok.copy().put("category_order", "x").toString(), "category_order"),
      Arguments.of("is_active a string", ok.copy().put("is_active", "yes").toString(), "is_active"),
      Arguments.of("backup_urls a string", ok.copy().put("backup_urls", "http://b/1.ts").toString(), "backup_urls"),
      Arguments.of("backup_urls a file", ok.copy().put("backup_urls", new JsonArray().add("http://b/1.ts").add("file:///x")).toString(), "backup_urls[1]"),
      Arguments.of("user_agent with CRLF", ok.copy().put("user_agent", "VLC\r\nX-Evil: 1").toString(), "user_agent"),
      Arguments.of("user_agent with LF", ok.copy().put("user_agent", "VLC\nX").toString(), "user_agent"),
      Arguments.of("user_agent a number", ok.copy().put("user_agent", 5).toString(), "user_agent"),
      Arguments.of("headers an array", ok.copy().put("headers", new JsonArray()).toString(), "headers"),
      Arguments.of("header name with a space", ok.copy().put("headers", new JsonObject().put("Bad Name", "x")).toString(), "headers"),
      Arguments.of("header name with a colon", ok.copy().put("headers", new JsonObject().put("X-A:", "x")).toString(), "headers"),
      Arguments.of("header value with CRLF", ok.copy().put("headers", new JsonObject().put("Referer", "a\r\nCookie: x")).toString(), "headers"),
      Arguments.of("header value with NUL", ok.copy().put("headers", new JsonObject().put("Referer", "a\u0000b")).toString(), "headers"),
      Arguments.of("header value a number", ok.copy().put("headers", new JsonObject().put("X-N", 5)).toString(), "headers"),
      Arguments.of("transcode_profile with arguments", ok.copy().put("transcode_profile", "fast -i /etc/passwd").toString(), "transcode_profile"),
      Arguments.of("transcode_profile with a semicolon", ok.copy().put("transcode_profile", "x;y").toString(), "transcode_profile"),
      Arguments.of("provider with a space", ok.copy().put("provider", "a b").toString(), "provider"),
      Arguments.of("provider a number", ok.copy().put("provider", 5).toString(), "provider"),
      Arguments.of("auto_restart_hours negative", ok.copy().put("auto_restart_hours", -1).toString(), "auto_restart_hours"),
      Arguments.of("auto_restart_hours zero", ok.copy().put("auto_restart_hours", 0).toString(), "auto_restart_hours"),
      Arguments.of("auto_restart_hours huge", ok.copy().put("auto_restart_hours", 1e12).toString(), "auto_restart_hours"),
      Arguments.of("auto_restart_hours a string", ok.copy().put("auto_restart_hours", "2").toString(), "auto_restart_hours"),
      Arguments.of("server with a slash", ok.copy().put("server", "node/2").toString(), "server"),
      Arguments.of("server with a space", ok.copy().put("server", "node 2").toString(), "server"),
      Arguments.of("server empty", ok.copy().put("server", "").toString(), "server"),
      Arguments.of("server a number", ok.copy().put("server", 2).toString(), "server"),
      Arguments.of("source_priorities not an array", ok.copy().put("source_priorities", 1).toString(), "source_priorities"),
      Arguments.of("source_priorities negative", ok.copy().put("source_priorities", new JsonArray().add(-1)).toString(), "source_priorities"),
      Arguments.of("source_priorities above 1000", ok.copy().put("source_priorities", new JsonArray().add(1001)).toString(), "source_priorities"),
      Arguments.of("source_priorities a decimal", ok.copy().put("source_priorities", new JsonArray().add(1.5)).toString(), "source_priorities"),
      Arguments.of("source_priorities a string", ok.copy().put("source_priorities", new JsonArray().add("1")).toString(), "source_priorities"),
      Arguments.of("source_priorities too many", ok.copy().put("source_priorities", new JsonArray(java.util.Collections.nCopies(18, 1))).toString(), "source_priorities"),
      Arguments.of("server too long", ok.copy().put("server", "n".repeat(65)).toString(), "server"));
  }

  private static String without(JsonObject o, String field) {
    JsonObject copy = o.copy();
    copy.remove(field);
    return copy.toString();
  }

  @ParameterizedTest(name = "POST with {0} is 400 naming it")
  @MethodSource("badBodies")
  @DisplayName("POST refuses bad input with 400 naming the field, and writes nothing")
  void badCreate(String what, String body, String named) {
    List<String> before = fx.snapshot();
    HttpResponse<Buffer> r = fx.admin(HttpMethod.POST, "/api/channels", body);
    assertEquals(400, r.statusCode(), what + ": " + r.bodyAsString());
    String error = json(r).getString("error");
    assertTrue(error.contains(named), what + ": '" + error + "' names " + named);
    assertEquals(before, fx.snapshot(), "nothing written");
  }

  @ParameterizedTest(name = "PUT with {0} is 400 naming it")
  @MethodSource("badBodies")
  @DisplayName("PUT refuses bad input with 400 naming the field, and writes nothing")
  void badUpdate(String what, String body, String named) {
    if (what.startsWith("missing")) {
      return; // PUT takes any subset
    }
    fx.createChannel(channel("48681", "MBC", 1, 1));
    List<String> before = fx.snapshot();
    HttpResponse<Buffer> r = fx.admin(HttpMethod.PUT, "/api/channels/48681", body);
    assertEquals(400, r.statusCode(), what + ": " + r.bodyAsString());
    assertTrue(json(r).getString("error").contains(named), what + ": " + r.bodyAsString());
    assertEquals(before, fx.snapshot(), "nothing written");
  }

  @Test
  @DisplayName("a body over 1 MiB is refused with 413 JSON and nothing is written")
  void oversize() {
    fx.createChannel(channel("48681", "MBC", 1, 1));
    List<String> before = fx.snapshot();
    JsonObject huge = channel("5", "Big", 1, 1).put("logo", "x".repeat(1024 * 1024 + 10));
    HttpResponse<Buffer> post = fx.admin(HttpMethod.POST, "/api/channels", huge);
    assertEquals(413, post.statusCode());
    assertNotNull(json(post).getString("error"));
    assertEquals(413, fx.admin(HttpMethod.PUT, "/api/channels/48681", huge).statusCode());
    assertEquals(before, fx.snapshot());
  }

  @ParameterizedTest(name = "path {0}")
  @ValueSource(strings = {"abc", "12a", "-1", "1.5", "1%2F2", "%00", "1%0D%0AX:1", "12345678901234567890", "%20", "*", "48681%20"})
  @DisplayName("ids in the path that are not digits are 400 JSON on every method, and nothing is written")
  void hostilePaths(String id) {
    fx.createChannel(channel("48681", "MBC", 1, 1));
    List<String> before = fx.snapshot();
    for (HttpMethod m : List.of(HttpMethod.GET, HttpMethod.PUT, HttpMethod.DELETE)) {
      HttpResponse<Buffer> r = fx.admin(m, "/api/channels/" + id, m == HttpMethod.PUT ? new JsonObject().put("name", "x") : null);
      assertEquals(400, r.statusCode(), m + " " + id + ": " + r.bodyAsString());
      assertTrue(json(r).getString("error").contains("channel_id"));
    }
    assertEquals(before, fx.snapshot());
  }

  @Test
  @DisplayName("concurrent POSTs of one channel id: exactly one 201, the rest 409")
  void concurrentCreates() {
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      calls.add(fx.request(HttpMethod.POST, "/api/channels").bearerTokenAuthentication(TestEnv.ADMIN_TOKEN)
        .sendJsonObject(channel("77", "Racer " + i, 1, i)));
    }
    await(Future.join(calls));
    assertEquals(1, calls.stream().filter(f -> f.result().statusCode() == 201).count());
    assertEquals(9, calls.stream().filter(f -> f.result().statusCode() == 409).count());
  }
}
