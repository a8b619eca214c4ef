package dev.iptv.system;

import com.sun.net.httpserver.HttpServer;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.system.LiveStory.Run;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real Xtream Codes client library drives the all-in-one server the way an IPTV app does (issue
 * 11): {@code @iptv/xtream-api}, pinned in {@code system-tests/xtream-client/package-lock.json},
 * installed with {@code npm ci} and run by Node ({@code client.mjs} calls only the library's own
 * API). It logs in, lists categories and channels, reads the short EPG of an imported guide, and
 * the stream URLs it builds ({@code .ts} and {@code .m3u8}) are played by FFmpeg on the shipped
 * live source. A wrong password is reported by the library as a refusal.
 *
 * <p>Server and Node run in the same zone ({@code TZ}), as an app in the server's region would:
 * the library reads EPG {@code start} strings in its own local time.
 */
class XtreamClientTest {

  static final int REDIS_DB = 13;
  static final String ZONE = "Europe/Berlin";
  static final Path CLIENT = Proc.ROOT.resolve("system-tests/xtream-client");
  static final String USER = "app_viewer";
  static final String PASSWORD = "secret"; // Client.user's password

  static LiveSource source;
  static HttpServer guide;
  static Proc server;
  static Client c;
  static String base;
  static long programmeStart;

  @BeforeAll
  static void start() throws Exception {
    npmCi();
    source = LiveSource.start();
    programmeStart = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(20, ChronoUnit.MINUTES).getEpochSecond();
    guide = guideServer(guideXml(programmeStart));
    new ProcessBuilder("redis-cli", "-u", TestEnv.redisUrl(REDIS_DB), "FLUSHDB").start().waitFor();
    int port = TestEnv.freePort();
    Map<String, String> env = new HashMap<>();
    env.put("IPTV_ADMIN_TOKEN", TestEnv.ADMIN_TOKEN);
    env.put("IPTV_REDIS_URL", TestEnv.redisUrl(REDIS_DB));
    env.put("IPTV_HTTP_PORT", String.valueOf(port));
    env.put("IPTV_BIND_HOST", "127.0.0.1");
    env.put("IPTV_PUBLIC_URL", "http://127.0.0.1:" + port);
    env.put("IPTV_STATE_DIR", TestEnv.tempDir("iptv-state").toString());
    env.put("IPTV_HLS_DIR", TestEnv.tempDir("iptv-hls").toString());
    env.put("IPTV_NO_BUILD", "1");
    env.put("IPTV_PASSWORD_HASH_ITERATIONS", "1000");
    env.put("IPTV_SEGMENT_LOG_PORT", String.valueOf(TestEnv.freePort()));
    env.put("IPTV_IDLE_TIMEOUT_S", "10");
    env.put("IPTV_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    env.put("TZ", ZONE);
    server = Proc.start("iptv-xtream", List.of("bin/iptv", "run"), env, Path.of(env.get("IPTV_STATE_DIR")));
    server.awaitHttp(port, Duration.ofSeconds(90));
    c = new Client(port, TestEnv.ADMIN_TOKEN);
    base = "http://127.0.0.1:" + port;

    // The panel: one subscriber, two channels in two categories playing the live source, one guide.
    assertEquals(201, c.admin("POST", "/api/users", Client.user(USER, TestEnv.hexToken(), 2)).statusCode());
    assertEquals(201, c.admin("POST", "/api/channels", Client.channel("101", "News One", source.url(), 1)
      .put("category", "News").put("epg_channel_id", "news1.uk")).statusCode());
    assertEquals(201, c.admin("POST", "/api/channels", Client.channel("102", "Sport Two", source.url(), 2)
      .put("category", "Sport").put("category_order", 2)).statusCode());
    JsonObject src = new JsonObject().put("name", "main").put("url", "http://127.0.0.1:" + guide.getAddress().getPort() + "/guide.xml");
    assertEquals(201, c.admin("POST", "/api/epg/sources", src).statusCode());
    eventually(Duration.ofSeconds(30), "the guide imported", () -> {
      JsonObject last = new JsonObject(c.admin("GET", "/api/epg/sources/main", null).body()).getJsonObject("last_import");
      return last != null && "ok".equals(last.getString("status"));
    });
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      List<ProcessHandle> left = server.stop();
      assertTrue(left.isEmpty(), "left after SIGTERM: " + left);
    }
    if (guide != null) {
      guide.stop(0);
    }
    if (source != null) {
      source.close();
    }
    new ProcessBuilder("redis-cli", "-u", TestEnv.redisUrl(REDIS_DB), "FLUSHDB").start().waitFor();
  }

  @Test
  @DisplayName("@iptv/xtream-api logs in, lists categories and channels, reads the short EPG, and FFmpeg plays the .ts and .m3u8 URLs it builds")
  void appStory() throws Exception {
    JsonObject r = client(PASSWORD, "app");

    // Login: the raw payload with the JSON types the library expects, and its typed profile.
    JsonObject rawProfile = r.getJsonObject("rawProfile");
    JsonObject types = r.getJsonObject("types");
    assertEquals(1, rawProfile.getInteger("auth"));
    assertEquals("number", types.getString("rawAuth"));
    assertEquals("string", types.getString("rawExpDate"));
    assertEquals("string", types.getString("rawMaxConnections"));
    assertEquals("number", types.getString("rawTimestampNow"));
    JsonObject profile = r.getJsonObject("profile");
    assertEquals(USER, profile.getString("username"));
    assertEquals("Active", profile.getString("status"));
    assertEquals(2, profile.getInteger("maxConnections"));
    assertEquals("2099-12-07T21:50:51.000Z", profile.getString("expiresAt"), "exp_date read as a date");
    assertEquals(List.of("m3u8", "ts"), profile.getJsonArray("allowedOutputFormats").getList());
    JsonObject server = r.getJsonObject("server");
    assertEquals(ZONE, server.getString("timezone"));
    assertEquals("127.0.0.1", server.getString("url"));
    Instant serverNow = Instant.parse(server.getString("timeNow"));
    assertTrue(Math.abs(Duration.between(serverNow, Instant.now()).toSeconds()) < 120, "timeNow read from timestamp_now: " + serverNow);

    // Categories and channels as the library types them.
    JsonArray categories = r.getJsonArray("categories");
    assertEquals(List.of("News", "Sport"), categories.stream().map(o -> ((JsonObject) o).getString("name")).toList());
    String newsId = categories.getJsonObject(0).getString("id");
    String sportId = categories.getJsonObject(1).getString("id");
    assertTrue(newsId.matches("[0-9]+") && sportId.matches("[0-9]+") && !newsId.equals(sportId), categories.encode());
    assertEquals("0", categories.getJsonObject(0).getString("parentId"));
    JsonArray channels = r.getJsonArray("channels");
    assertEquals(2, channels.size(), channels.encode());
    JsonObject news = channels.getJsonObject(0);
    JsonObject sport = channels.getJsonObject(1);
    assertEquals("101", news.getString("id"));
    assertEquals("News One", news.getString("name"));
    assertEquals(1, news.getInteger("number"));
    assertEquals("news1.uk", news.getString("epgId"));
    assertEquals(List.of(newsId), news.getJsonArray("categoryIds").getList());
    assertEquals("Sport Two", sport.getString("name"));
    assertEquals(List.of(sportId), sport.getJsonArray("categoryIds").getList());
    assertEquals(List.of("string", "string"), types.getJsonArray("channelIds").getList());
    assertEquals(List.of("News One"), r.getJsonObject("byCategory").getJsonArray(newsId).getList());
    assertEquals(List.of("Sport Two"), r.getJsonObject("byCategory").getJsonArray(sportId).getList());

    // Short EPG: titles decoded, start and end read as the right instants (end is epoch seconds).
    JsonArray epg = r.getJsonObject("epg").getJsonArray("101");
    assertEquals(2, epg.size(), epg.encode());
    JsonObject now = epg.getJsonObject(0);
    assertEquals("Nachrichten & Wetter ✓", now.getString("titleUtf8"));
    assertEquals("Heute – mit Grad", now.getString("descriptionUtf8"));
    assertEquals("Weather", epg.getJsonObject(1).getString("title"));
    assertEquals("news1.uk", now.getString("channelId"));
    assertEquals(Instant.ofEpochSecond(programmeStart).toString(), Instant.parse(now.getString("start")).toString(),
      "start (wall clock in server_info.timezone) read as the programme's start");
    assertNotNull(now.getString("end"), "end read as a date: " + now.encode());
    assertEquals(Instant.ofEpochSecond(programmeStart + 3600), Instant.parse(now.getString("end")));
    assertEquals(Instant.ofEpochSecond(programmeStart + 7200), Instant.parse(epg.getJsonObject(1).getString("end")));
    assertEquals(0, r.getJsonObject("epg").getJsonArray("102").size(), "a channel without programmes");

    // The stream URLs the library built: .ts by default, .m3u8 when preferred; FFmpeg plays both.
    String tsUrl = news.getString("url");
    assertEquals(base + "/live/" + USER + "/" + PASSWORD + "/101.ts", tsUrl);
    assertEquals(tsUrl, r.getString("generatedTsUrl"));
    String hlsUrl = r.getJsonArray("hlsUrls").getString(0);
    assertEquals(base + "/live/" + USER + "/" + PASSWORD + "/101.m3u8", hlsUrl);
    assertTrue(decodedFrames(tsUrl) > 25, "frames decoded from " + tsUrl);
    assertTrue(decodedFrames(hlsUrl) > 25, "frames decoded from " + hlsUrl);
  }

  @Test
  @DisplayName("a wrong password: the library's login answers auth 0")
  void wrongPassword() throws Exception {
    JsonObject r = client("not-the-password", "wrong");
    JsonObject profile = r.getJsonObject("profile");
    assertTrue(profile.getBoolean("ok"), profile.encode());
    assertEquals(new JsonObject().put("auth", 0), profile.getJsonObject("value"));
  }

  /** Runs client.mjs in the server's zone; its last output line is the library's answers as JSON. */
  private static JsonObject client(String password, String mode) throws Exception {
    Run run = Run.of(120, "env", "TZ=" + ZONE, "node", CLIENT.resolve("client.mjs").toString(), base, USER, password, mode);
    assertEquals(0, run.exit(), run.output());
    List<String> lines = run.output().lines().filter(l -> l.startsWith("{")).toList();
    assertFalse(lines.isEmpty(), run.output());
    return new JsonObject(lines.get(lines.size() - 1));
  }

  /** Video frames FFmpeg decodes from the URL in 4 seconds of the stream (framecrc: one line per frame). */
  private static long decodedFrames(String url) throws Exception {
    Run play = Run.of(90, "ffmpeg", "-nostdin", "-v", "error", "-user_agent", "XtreamClientTest/1.0", "-i", url,
      "-map", "0:v:0", "-t", "4", "-f", "framecrc", "-");
    assertEquals(0, play.exit(), play.output());
    return play.output().lines().filter(l -> !l.startsWith("#") && l.matches("^\\s*0,.*")).count();
  }

  /** npm ci from the lock file (npm's cache makes it work offline after a first install); never skipped. */
  private static void npmCi() throws Exception {
    Run npm;
    try {
      npm = Run.of(300, "npm", "ci", "--prefer-offline", "--no-audit", "--no-fund", "--prefix", CLIENT.toString());
    } catch (java.io.IOException e) {
      fail("npm is missing (bin/iptv test installs nodejs and npm): " + e.getMessage());
      return;
    }
    assertEquals(0, npm.exit(), "npm ci in " + CLIENT + ":\n" + npm.output());
  }

  private static String guideXml(long start) {
    DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyyMMddHHmmss Z").withZone(ZoneOffset.UTC);
    Instant a = Instant.ofEpochSecond(start);
    Instant b = a.plus(1, ChronoUnit.HOURS);
    Instant e = b.plus(1, ChronoUnit.HOURS);
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tv>\n"
      + "<channel id=\"news1.uk\"><display-name>News One</display-name></channel>\n"
      + "<programme start=\"" + f.format(a) + "\" stop=\"" + f.format(b) + "\" channel=\"news1.uk\">"
      + "<title>Nachrichten &amp; Wetter ✓</title><desc>Heute – mit Grad</desc></programme>\n"
      + "<programme start=\"" + f.format(b) + "\" stop=\"" + f.format(e) + "\" channel=\"news1.uk\"><title>Weather</title></programme>\n"
      + "</tv>\n";
  }

  /** A plain HTTP server publishing the guide, as a provider does. */
  private static HttpServer guideServer(String xml) throws Exception {
    byte[] body = xml.getBytes(StandardCharsets.UTF_8);
    HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    s.createContext("/guide.xml", ex -> {
      ex.getResponseHeaders().add("Content-Type", "application/xml");
      ex.sendResponseHeaders(200, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    s.start();
    return s;
  }
}
