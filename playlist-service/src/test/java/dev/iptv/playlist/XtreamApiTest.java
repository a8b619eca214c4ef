package dev.iptv.playlist;

import dev.iptv.auth.PasswordLogins;
import dev.iptv.contract.ChannelContract;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static dev.iptv.playlist.PlaylistFixture.channel;
import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@DisplayName("Xtream Codes API (SPEC section 10)")
class XtreamApiTest {

  private static JsonObject json(HttpResponse<Buffer> r) {
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static JsonObject news(String id, String name, String category, int catOrder, String epgId) {
    JsonObject c = channel(id, name, catOrder, Integer.parseInt(id)).put("category", category);
    return epgId == null ? c : c.put("epg_channel_id", epgId);
  }

  @Test
  @DisplayName("an app logs in: user_info and server_info carry every field with the JSON type real panels send")
  void loginPayload(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    Instant expiry = Instant.now().plus(30, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS);
    fx.createUser("alice", true, expiry);
    JsonObject o = json(fx.get("/player_api.php?username=alice&password=pw"));
    JsonObject u = o.getJsonObject("user_info");
    assertEquals("alice", u.getValue("username"));
    assertEquals("pw", u.getValue("password"));
    assertEquals(1, u.getValue("auth"));
    assertEquals("Active", u.getValue("status"));
    assertEquals(Long.toString(expiry.getEpochSecond()), u.getValue("exp_date"));
    assertEquals("0", u.getValue("is_trial"));
    assertEquals("0", u.getValue("active_cons"));
    assertInstanceOf(String.class, u.getValue("created_at"));
    assertEquals("2", u.getValue("max_connections"));
    assertEquals(new JsonArray().add("m3u8").add("ts"), u.getValue("allowed_output_formats"));
    assertEquals("", u.getValue("message"));
    JsonObject s = o.getJsonObject("server_info");
    assertEquals("127.0.0.1", s.getValue("url"));   // bare host of IPTV_PUBLIC_URL, no scheme
    assertEquals("http", s.getValue("server_protocol"));
    for (String f : List.of("port", "https_port", "rtmp_port", "timezone", "time_now")) {
      assertInstanceOf(String.class, s.getValue(f), f);
    }
    assertTrue(s.getValue("timestamp_now") instanceof Integer || s.getValue("timestamp_now") instanceof Long);
    long now = ((Number) s.getValue("timestamp_now")).longValue();
    assertTrue(Math.abs(now - Instant.now().getEpochSecond()) < 5);
    // time_now is the wall clock in the named zone at timestamp_now.
    String wall = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
      .format(Instant.ofEpochSecond(now).atZone(java.time.ZoneId.of(s.getString("timezone"))));
    assertEquals(wall, s.getValue("time_now"));
    assertEquals(true, s.getValue("process"));
    // POST (IPTV Smarters posts a form) and an unknown action answer the same payload.
    HttpResponse<Buffer> posted = await(fx.request(HttpMethod.POST, "/player_api.php")
      .sendForm(io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("username", "alice").add("password", "pw")));
    assertEquals("Active", json(posted).getJsonObject("user_info").getValue("status"));
    assertEquals("alice", json(fx.get("/player_api.php?username=alice&password=pw&action=get_profile"))
      .getJsonObject("user_info").getValue("username"));
  }

  @Test
  @DisplayName("wrong password: auth 0; disabled and expired users: auth 1 with their status and no channels")
  void refusals(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    fx.createUser("bob");
    fx.createUser("off", false, Instant.now().plus(1, ChronoUnit.DAYS));
    fx.createUser("late", true, Instant.now().minus(1, ChronoUnit.DAYS));
    fx.createChannel(channel("1", "One", 1, 1));
    assertEquals(new JsonObject().put("user_info", new JsonObject().put("auth", 0)),
      json(fx.get("/player_api.php?username=bob&password=nope")));
    assertEquals(0, json(fx.get("/player_api.php?username=nobody&password=pw")).getJsonObject("user_info").getValue("auth"));
    // Every action refuses the same way (SPEC section 10), never with data.
    assertEquals(new JsonObject().put("user_info", new JsonObject().put("auth", 0)),
      json(fx.get("/player_api.php?username=bob&password=nope&action=get_live_streams")));
    assertEquals(0, json(fx.get("/player_api.php?username=bob&password=nope&action=get_short_epg&stream_id=1"))
      .getJsonObject("user_info").getValue("auth"));
    assertEquals(0, json(fx.get("/player_api.php?username=bob&password=nope&action=get_profile"))
      .getJsonObject("user_info").getValue("auth"));
    JsonObject off = json(fx.get("/player_api.php?username=off&password=pw")).getJsonObject("user_info");
    assertEquals(1, off.getValue("auth"));
    assertEquals("Disabled", off.getValue("status"));
    JsonObject late = json(fx.get("/player_api.php?username=late&password=pw")).getJsonObject("user_info");
    assertEquals("Expired", late.getValue("status"));
    assertEquals("[]", fx.get("/player_api.php?username=late&password=pw&action=get_live_streams").bodyAsString());
    assertEquals(1, new JsonArray(fx.get("/player_api.php?username=bob&password=pw&action=get_live_streams").bodyAsString()).size());
    // The other paths answer plain errors.
    assertEquals(401, fx.get("/get.php?username=bob&password=nope").statusCode());
    assertEquals(403, fx.get("/get.php?username=off&password=pw").statusCode());
    assertEquals("ERROR: Account expired", fx.get("/xmltv.php?username=late&password=pw").bodyAsString());
    assertEquals(401, fx.get("/live/bob/nope/1.m3u8").statusCode());
  }

  @Test
  @DisplayName("categories get stable numeric ids; get_live_streams lists channels with exact types and filters by category")
  void categoriesAndStreams(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    fx.createUser("carol");
    fx.createChannel(news("10", "BBC", "News", 1, "bbc1.uk"));
    fx.createChannel(news("11", "CNN", "News", 1, null));
    fx.createChannel(news("20", "ESPN", "Sports", 2, null));
    String q = "/player_api.php?username=carol&password=pw&action=";
    JsonArray cats = new JsonArray(fx.get(q + "get_live_categories").bodyAsString());
    assertEquals(2, cats.size());
    JsonObject newsCat = cats.getJsonObject(0);
    assertEquals("News", newsCat.getValue("category_name"));
    assertInstanceOf(String.class, newsCat.getValue("category_id"));
    assertTrue(newsCat.getString("category_id").matches("\\d+"));
    assertEquals(0, newsCat.getValue("parent_id"));
    String newsId = newsCat.getString("category_id");
    String sportsId = cats.getJsonObject(1).getString("category_id");
    assertNotEquals(newsId, sportsId);

    JsonArray all = new JsonArray(fx.get(q + "get_live_streams").bodyAsString());
    assertEquals(3, all.size());
    JsonObject bbc = all.getJsonObject(0);
    assertEquals(1, bbc.getValue("num"));
    assertEquals("BBC", bbc.getValue("name"));
    assertEquals("live", bbc.getValue("stream_type"));
    assertEquals(10, bbc.getValue("stream_id"));
    assertEquals("bbc1.uk", bbc.getValue("epg_channel_id"));
    assertEquals(newsId, bbc.getValue("category_id"));
    assertEquals(new JsonArray().add(Integer.parseInt(newsId)), bbc.getValue("category_ids"));
    assertEquals(0, bbc.getValue("is_adult"));
    assertEquals(0, bbc.getValue("tv_archive"));
    assertInstanceOf(String.class, bbc.getValue("added"));
    assertEquals("", bbc.getValue("direct_source"));
    assertEquals("11", all.getJsonObject(1).getValue("epg_channel_id"), "no epg_channel_id: the channel id stands for it");

    JsonArray sports = new JsonArray(fx.get(q + "get_live_streams&category_id=" + sportsId).bodyAsString());
    assertEquals(1, sports.size());
    assertEquals(20, sports.getJsonObject(0).getValue("stream_id"));
    assertEquals("[]", fx.get(q + "get_live_streams&category_id=999999").bodyAsString());
    for (String a : List.of("get_vod_categories", "get_vod_streams", "get_series_categories", "get_series")) {
      assertEquals("[]", fx.get(q + a).bodyAsString(), a);
    }
    // A new category later gets a new id; the old ones keep theirs (kept in Redis).
    fx.createChannel(news("30", "Cartoons", "Kids", 0, null));
    JsonArray again = new JsonArray(fx.get(q + "get_live_categories").bodyAsString());
    assertEquals("Kids", again.getJsonObject(0).getValue("category_name"));
    assertEquals(newsId, again.getJsonObject(1).getValue("category_id"));
    assertEquals(sportsId, again.getJsonObject(2).getValue("category_id"));
    assertEquals(newsId, await(fx.redis.hget(ChannelContract.CATEGORY_IDS, "News")).toString());
  }

  @Test
  @DisplayName("get.php: m3u_plus with tvg-id, group-title, the guide URL and /live/U/P/{id}.ts|.m3u8 URLs")
  void getPhp(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    fx.createUser("dave");
    fx.createChannel(news("10", "BBC", "News", 1, "bbc1.uk"));
    fx.createChannel(news("20", "ESPN", "Sports", 2, null));
    HttpResponse<Buffer> r = fx.get("/get.php?username=dave&password=pw&type=m3u_plus&output=ts");
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals("audio/x-mpegurl", r.getHeader("Content-Type"));
    String base = "http://127.0.0.1:" + fx.port;
    String guide = base + "/xmltv.php?username=dave&password=pw";
    assertEquals("#EXTM3U url-tvg=\"" + guide + "\" x-tvg-url=\"" + guide + "\"\n"
      + "#EXTINF:-1 tvg-id=\"bbc1.uk\" tvg-name=\"BBC\" tvg-logo=\"images/no_logo.jpg\" group-title=\"News\",BBC\n"
      + base + "/live/dave/pw/10.ts\n"
      + "#EXTINF:-1 tvg-id=\"20\" tvg-name=\"ESPN\" tvg-logo=\"images/no_logo.jpg\" group-title=\"Sports\",ESPN\n"
      + base + "/live/dave/pw/20.ts\n", r.bodyAsString());
    String hls = fx.get("/get.php?username=dave&password=pw&type=m3u&output=hls").bodyAsString();
    assertTrue(hls.contains("#EXTINF:-1,BBC\n" + base + "/live/dave/pw/10.m3u8\n"), hls);
    assertEquals(400, fx.get("/get.php?username=dave&password=pw&output=flv").statusCode());
    // The URL the app builds answers 302 to the token URL (SPEC section 2): .ts and no extension
    // to the continuous MPEG-TS stream, .m3u8 to the HLS playlist.
    HttpResponse<Buffer> live = await(fx.request(HttpMethod.GET, "/live/dave/pw/10.ts").followRedirects(false).send());
    assertEquals(302, live.statusCode());
    assertTrue(live.getHeader("Location").matches("\\Q" + base + "/live/stream_10.ts?token=\\E[0-9a-f]{32,}"),
      live.getHeader("Location"));
    HttpResponse<Buffer> hlsForm = await(fx.request(HttpMethod.GET, "/live/dave/pw/10.m3u8").followRedirects(false).send());
    assertTrue(hlsForm.getHeader("Location").matches("\\Q" + base + "/live/stream_10.m3u8?token=\\E[0-9a-f]{32,}"),
      hlsForm.getHeader("Location"));
    HttpResponse<Buffer> shortForm = await(fx.request(HttpMethod.GET, "/dave/pw/20").followRedirects(false).send());
    assertEquals(302, shortForm.statusCode());
    assertTrue(shortForm.getHeader("Location").startsWith(base + "/live/stream_20.ts?token="), shortForm.getHeader("Location"));
    HttpResponse<Buffer> longBare = await(fx.request(HttpMethod.GET, "/live/dave/pw/20").followRedirects(false).send());
    assertTrue(longBare.getHeader("Location").startsWith(base + "/live/stream_20.ts?token="), longBare.getHeader("Location"));
    assertEquals(404, await(fx.request(HttpMethod.GET, "/live/dave/pw/99.m3u8").followRedirects(false).send()).statusCode());
  }

  /** An XMLTV guide with two programmes per channel around now. */
  private static String guideXml(Instant now) {
    DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyyMMddHHmmss Z").withZone(ZoneOffset.UTC);
    Instant a = now.minus(30, ChronoUnit.MINUTES);
    Instant b = now.plus(30, ChronoUnit.MINUTES);
    Instant c = now.plus(90, ChronoUnit.MINUTES);
    StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tv>\n");
    x.append("<channel id=\"bbc1.uk\"><display-name>BBC One</display-name></channel>\n");
    x.append("<programme start=\"").append(f.format(a)).append("\" stop=\"").append(f.format(b))
      .append("\" channel=\"bbc1.uk\"><title>Nachrichten &amp; Wetter ✓</title><desc>Heute</desc></programme>\n");
    x.append("<programme start=\"").append(f.format(b)).append("\" stop=\"").append(f.format(c))
      .append("\" channel=\"bbc1.uk\"><title>Weather</title></programme>\n");
    return x.append("</tv>\n").toString();
  }

  @Test
  @DisplayName("the guide: short EPG with base64 titles and agreeing times, the data table, and an xmltv.php the XMLTV tools accept")
  void guide(Vertx vertx) throws Exception {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    fx.createUser("erin");
    fx.createChannel(news("10", "BBC", "News", 1, "bbc1.uk"));
    fx.createChannel(news("20", "ESPN", "Sports", 2, null));
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    String xml = guideXml(now);
    HttpServer server = await(vertx.createHttpServer().requestHandler(req -> req.response()
      .putHeader("Content-Type", "application/xml").end(xml)).listen(0, "127.0.0.1"));
    HttpResponse<Buffer> added = fx.admin(HttpMethod.POST, "/api/epg/sources",
      new JsonObject().put("name", "test").put("url", "http://127.0.0.1:" + server.actualPort() + "/guide.xml").put("refresh_hours", 24));
    assertEquals(201, added.statusCode(), added.bodyAsString());
    fx.admin(HttpMethod.POST, "/api/epg/sources/test/refresh", null);
    String q = "/player_api.php?username=erin&password=pw&action=get_short_epg&stream_id=10&limit=2";
    JsonArray rows = eventually(Duration.ofSeconds(20), "the guide imported", () -> json(fx.get(q)).getJsonArray("epg_listings"),
      a -> a.size() == 2);
    JsonObject first = rows.getJsonObject(0);
    assertEquals("Nachrichten & Wetter ✓", new String(Base64.getDecoder().decode(first.getString("title")), StandardCharsets.UTF_8));
    assertEquals("Heute", new String(Base64.getDecoder().decode(first.getString("description")), StandardCharsets.UTF_8));
    long start = now.minus(30, ChronoUnit.MINUTES).getEpochSecond();
    assertEquals(Long.toString(start), first.getValue("start_timestamp"));
    assertEquals(Long.toString(start + 3600), first.getValue("stop_timestamp"));
    JsonObject server1 = json(fx.get("/player_api.php?username=erin&password=pw")).getJsonObject("server_info");
    DateTimeFormatter wall = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
      .withZone(java.time.ZoneId.of(server1.getString("timezone")));
    assertEquals(wall.format(Instant.ofEpochSecond(start)), first.getValue("start"), "start is wall clock in server_info.timezone");
    assertEquals(wall.format(Instant.ofEpochSecond(start + 3600)), first.getValue("stop"));
    assertEquals(Long.toString(start + 3600), first.getValue("end"), "short EPG end: epoch seconds, as Xtream Codes sends it");
    assertEquals("Weather", new String(Base64.getDecoder().decode(rows.getJsonObject(1).getString("title")), StandardCharsets.UTF_8));
    JsonArray table = json(fx.get("/player_api.php?username=erin&password=pw&action=get_simple_data_table&stream_id=10"))
      .getJsonArray("epg_listings");
    assertEquals(1, table.getJsonObject(0).getValue("now_playing"));
    assertEquals(wall.format(Instant.ofEpochSecond(start + 3600)), table.getJsonObject(0).getValue("end"), "the table's end: wall clock");
    assertEquals(0, table.getJsonObject(1).getValue("now_playing"));
    assertEquals(0, json(fx.get("/player_api.php?username=erin&password=pw&action=get_short_epg&stream_id=20"))
      .getJsonArray("epg_listings").size());
    assertEquals(400, fx.get("/player_api.php?username=erin&password=pw&action=get_short_epg&stream_id=x").statusCode());

    HttpResponse<Buffer> guide = fx.get("/xmltv.php?username=erin&password=pw");
    assertEquals(200, guide.statusCode(), guide.bodyAsString());
    Path file = Files.createTempFile("xtream-guide", ".xml");
    try {
      Files.write(file, guide.body().getBytes());
      assertEquals(0, run(List.of("xmllint", "--noout", "--dtdvalid", "/usr/share/xmltv/xmltv.dtd", file.toString())));
      assertEquals(0, run(List.of("tv_validate_file", file.toString())));
    } finally {
      Files.deleteIfExists(file);
      await(server.close());
    }
  }

  private static int run(List<String> command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("XMLTV_SUPPLEMENT", "/usr/share/xmltv");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int rc = p.waitFor();
    if (rc != 0) {
      System.err.println(command.get(0) + ": " + out);
    }
    return rc;
  }

  @Test
  @DisplayName("a password is checked with PBKDF2 once, then from memory, and forgotten at once when the panel changes it")
  void passwordMemory(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx, Map.of("IPTV_PASSWORD_HASH_ITERATIONS", "120000"));
    fx.createUser("frank");
    long before = PasswordLogins.verificationsRun();
    long t0 = System.nanoTime();
    assertEquals(1, json(fx.get("/player_api.php?username=frank&password=pw")).getJsonObject("user_info").getValue("auth"));
    long firstMs = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(before + 1, PasswordLogins.verificationsRun());
    long t1 = System.nanoTime();
    for (int i = 0; i < 50; i++) {
      assertEquals(200, fx.get("/get.php?username=frank&password=pw").statusCode());
    }
    long perRequestUs = (System.nanoTime() - t1) / 1000 / 50;
    assertEquals(before + 1, PasswordLogins.verificationsRun(), "no PBKDF2 for a remembered pair");
    System.out.printf("first login %d ms (PBKDF2); then %d us a request%n", firstMs, perRequestUs);
    // The panel changes the password: the old one is refused at once, the new one verified once.
    HttpResponse<Buffer> put = fx.admin(fx.authPort, HttpMethod.PUT, "/api/users/frank", new JsonObject().put("password", "new-pw"));
    assertEquals(200, put.statusCode(), put.bodyAsString());
    assertEquals(0, json(fx.get("/player_api.php?username=frank&password=pw")).getJsonObject("user_info").getValue("auth"));
    assertEquals(1, json(fx.get("/player_api.php?username=frank&password=new-pw")).getJsonObject("user_info").getValue("auth"));
    long after = PasswordLogins.verificationsRun();
    assertEquals(1, json(fx.get("/player_api.php?username=frank&password=new-pw")).getJsonObject("user_info").getValue("auth"));
    assertEquals(after, PasswordLogins.verificationsRun());
  }

  @Test
  @DisplayName("failed logins are limited per client address: 127.0.0.2 is refused with 429, 127.0.0.3 still logs in")
  void failedLoginLimit(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx, Map.of("IPTV_LOGIN_FAILURES_PER_MIN", "3"));
    fx.createUser("gina");
    WebClient two = WebClient.create(vertx, new WebClientOptions().setLocalAddress("127.0.0.2"));
    WebClient three = WebClient.create(vertx, new WebClientOptions().setLocalAddress("127.0.0.3"));
    for (int i = 0; i < 3; i++) {
      HttpResponse<Buffer> r = await(two.get(fx.port, "127.0.0.1", "/player_api.php?username=gina&password=guess" + i).send());
      assertEquals(0, json(r).getJsonObject("user_info").getValue("auth"));
    }
    long before = PasswordLogins.verificationsRun();
    HttpResponse<Buffer> limited = await(two.get(fx.port, "127.0.0.1", "/player_api.php?username=gina&password=pw").send());
    assertEquals(429, limited.statusCode(), limited.bodyAsString());
    assertTrue(limited.bodyAsJsonObject().getString("error").contains("failed logins"));
    assertEquals(429, await(two.get(fx.port, "127.0.0.1", "/get.php?username=gina&password=x").send()).statusCode());
    assertEquals(before, PasswordLogins.verificationsRun(), "a throttled address costs no PBKDF2");
    HttpResponse<Buffer> other = await(three.get(fx.port, "127.0.0.1", "/player_api.php?username=gina&password=pw").send());
    assertEquals(1, json(other).getJsonObject("user_info").getValue("auth"));
  }

  @Test
  @DisplayName("the panel sets direct and epg_channel_id; wrong types and unsafe ids are 400 naming the field")
  void channelFields(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    fx.createChannel(news("1", "One", "News", 1, "one.example").put("direct", true));
    JsonObject stored = json(fx.admin(HttpMethod.GET, "/api/channels/1", null));
    assertEquals(true, stored.getValue("direct"));
    assertEquals("one.example", stored.getValue("epg_channel_id"));
    for (Object[] bad : new Object[][] {{"direct", "yes"}, {"epg_channel_id", 5}, {"epg_channel_id", "a\"b"},
      {"epg_channel_id", "a\nb"}, {"epg_channel_id", "x".repeat(300)}, {"epg_channel_id", " "}}) {
      HttpResponse<Buffer> r = fx.admin(HttpMethod.PUT, "/api/channels/1", new JsonObject().put((String) bad[0], bad[1]));
      assertEquals(400, r.statusCode(), r.bodyAsString());
      assertTrue(r.bodyAsJsonObject().getString("error").contains((String) bad[0]), r.bodyAsString());
    }
    JsonObject cleared = json(fx.admin(HttpMethod.PUT, "/api/channels/1",
      new JsonObject().putNull("epg_channel_id").put("direct", false)));
    assertFalse(cleared.containsKey("epg_channel_id"));
    assertFalse(cleared.containsKey("direct"));
  }

  @Test
  @DisplayName("hostile input: bad usernames, huge parameters and bad ids get a refusal or a 4xx, never a 5xx")
  void hostile(Vertx vertx) {
    PlaylistFixture fx = new PlaylistFixture(vertx);
    fx.createUser("hank");
    String q = "/player_api.php?username=hank&password=pw&action=";
    assertEquals(0, json(fx.get("/player_api.php?username=%3Cscript%3E&password=pw")).getJsonObject("user_info").getValue("auth"));
    assertEquals(0, json(fx.get("/player_api.php?username=a%0Ab&password=pw")).getJsonObject("user_info").getValue("auth"));
    assertEquals(0, json(fx.get("/player_api.php?username=hank&password=" + "x".repeat(3000))).getJsonObject("user_info")
      .getValue("auth"));
    int huge = fx.get("/player_api.php?username=" + "a".repeat(10_000) + "&password=pw").statusCode();
    assertTrue(huge >= 400 && huge < 500, "huge query: " + huge);
    HttpResponse<Buffer> bigForm = await(fx.request(HttpMethod.POST, "/player_api.php")
      .putHeader("Content-Type", "application/x-www-form-urlencoded").sendBuffer(Buffer.buffer("username=" + "a".repeat(200_000))));
    assertTrue(bigForm.statusCode() >= 400 && bigForm.statusCode() < 500, "huge form: " + bigForm.statusCode());
    HttpResponse<Buffer> badCat = fx.get(q + "get_live_streams&category_id=1%20OR%201=1");
    assertEquals(400, badCat.statusCode());
    assertTrue(badCat.bodyAsJsonObject().getString("error").contains("category_id"));
    HttpResponse<Buffer> badLimit = fx.get(q + "get_short_epg&stream_id=1&limit=100000");
    assertEquals(400, badLimit.statusCode());
    assertTrue(badLimit.bodyAsJsonObject().getString("error").contains("limit"));
    assertEquals(400, fx.get("/get.php?username=hank&password=pw&type=evil").statusCode());
    // The suite's own paths are not taken for /U/P/{id}.
    assertEquals(401, fx.get("/api/channels/1").statusCode());
    assertNull(fx.get("/hank/pw/12345678901234567890123").getHeader("Location"));
    assertFalse(fx.get("/live/hank/pw/1.flv").statusCode() == 302);
  }
}
