package dev.iptv.playlist.epg;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.iptv.common.Config;
import dev.iptv.contract.EpgContract;
import dev.iptv.testing.RawHttp;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@DisplayName("The EPG sources API of playlist-service (SPEC section 10)")
class EpgSourcesApiTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private EpgFixture fx;
  private GuideServer server;
  private Instant now;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new EpgFixture(vertx).deploy(Map.of(Config.EPG_CHECK_S, "3600", Config.NODE_NAME, "api-node"));
    server = new GuideServer(vertx);
    now = Instant.now().truncatedTo(ChronoUnit.HOURS);
    fx.channel("101", "news1.example", "News One", null);
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  private byte[] guide(String prefix) {
    return new GuideGen(List.of("news1.example", "other.example"), now.minus(Duration.ofHours(2)), now.plus(Duration.ofHours(10)),
      1800, 100, prefix).bytes();
  }

  private static JsonObject json(HttpResponse<Buffer> r) {
    assertTrue(r.getHeader("Content-Type").startsWith("application/json"), "JSON: " + r.getHeader("Content-Type"));
    return r.bodyAsJsonObject();
  }

  private JsonObject view(String name) {
    HttpResponse<Buffer> r = fx.admin(HttpMethod.GET, "/api/epg/sources/" + name, null);
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return json(r);
  }

  @Test
  @DisplayName("POST adds a source and imports it at once; GET lists it with its last import; DELETE removes it and its guide")
  void lifecycle() {
    server.serve("/guide.xml.gz", GuideGen.gzip(guide("API")));
    JsonObject body = EpgFixture.source("main", server.url("/guide.xml.gz"), 12).put("extra", "ignored");
    HttpResponse<Buffer> created = fx.admin(HttpMethod.POST, "/api/epg/sources", body);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    JsonObject answer = json(created);
    assertEquals("main", answer.getString("name"));
    assertEquals(server.url("/guide.xml.gz"), answer.getString("url"));
    assertEquals(12, answer.getInteger("refresh_hours"));
    assertNotNull(Instant.parse(answer.getString("created_at")));
    assertFalse(answer.containsKey("extra"));

    eventually(WAIT, "the first import finishes", () -> view("main").getJsonObject("last_import") != null);
    JsonObject listed = json(fx.admin(HttpMethod.GET, "/api/epg/sources", null));
    assertEquals(1, listed.getInteger("count"));
    JsonObject source = listed.getJsonArray("sources").getJsonObject(0);
    JsonObject last = source.getJsonObject("last_import");
    assertEquals("ok", last.getString("status"), last.encode());
    assertEquals("api-node", last.getString("node"));
    assertTrue(last.getBoolean("gzip"));
    assertEquals(2, last.getInteger("channels_seen"));
    assertEquals(1, last.getInteger("channels_kept"));
    assertEquals(48, last.getInteger("programmes_seen"));
    assertEquals(24, last.getInteger("programmes_kept"));
    assertTrue(last.getLong("bytes") > 0 && last.getLong("xml_bytes") > last.getLong("bytes"));
    assertNotNull(Instant.parse(last.getString("started")));
    assertNotNull(Instant.parse(last.getString("finished")));
    assertNull(last.getString("error"));
    assertNull(source.getValue("importing"));
    assertEquals("API news1.example #4", await(fx.store().upcoming("news1.example", now.plusSeconds(60), 1)).get(0).title());

    HttpResponse<Buffer> deleted = fx.admin(HttpMethod.DELETE, "/api/epg/sources/main", null);
    assertEquals(200, deleted.statusCode(), deleted.bodyAsString());
    assertEquals(new JsonObject().put("deleted", "main"), json(deleted));
    assertEquals(404, fx.admin(HttpMethod.GET, "/api/epg/sources/main", null).statusCode());
    assertEquals(new JsonObject().put("sources", new JsonArray()).put("count", 0), json(fx.admin(HttpMethod.GET, "/api/epg/sources", null)));
    assertEquals(List.of(), await(fx.store().upcoming("news1.example", now.plusSeconds(60), 1)), "its guide is gone at once");
    eventually(WAIT, "every key of the source goes",
      () -> fx.keys("guide:*").isEmpty() && fx.keys("epg:source*").isEmpty());
    assertEquals(List.of("epg:generation"), fx.keys("epg:*"), "only the generation counter stays (numbers are never reused)");
  }

  static Stream<Arguments> badBodies() {
    String ok = "http://guides.example/epg.xml";
    return Stream.of(
      Arguments.of("{\"url\":\"" + ok + "\"}", "name"),
      Arguments.of("{\"name\":\"a b\",\"url\":\"" + ok + "\"}", "name"),
      Arguments.of("{\"name\":\"../x\",\"url\":\"" + ok + "\"}", "name"),
      Arguments.of("{\"name\":\"" + "n".repeat(65) + "\",\"url\":\"" + ok + "\"}", "name"),
      Arguments.of("{\"name\":7,\"url\":\"" + ok + "\"}", "name"),
      Arguments.of("{\"name\":\"x\"}", "url"),
      Arguments.of("{\"name\":\"x\",\"url\":\"ftp://guides.example/epg.xml\"}", "url"),
      Arguments.of("{\"name\":\"x\",\"url\":\"file:///etc/passwd\"}", "url"),
      Arguments.of("{\"name\":\"x\",\"url\":\"http:///nohost\"}", "url"),
      Arguments.of("{\"name\":\"x\",\"url\":\"http://guides.example/a b.xml\"}", "url"),
      Arguments.of("{\"name\":\"x\",\"url\":\"guides.example/epg.xml\"}", "url"),
      Arguments.of("{\"name\":\"x\",\"url\":[\"" + ok + "\"]}", "url"),
      Arguments.of("{\"name\":\"x\",\"url\":\"" + ok + "\",\"refresh_hours\":0}", "refresh_hours"),
      Arguments.of("{\"name\":\"x\",\"url\":\"" + ok + "\",\"refresh_hours\":169}", "refresh_hours"),
      Arguments.of("{\"name\":\"x\",\"url\":\"" + ok + "\",\"refresh_hours\":1.5}", "refresh_hours"),
      Arguments.of("{\"name\":\"x\",\"url\":\"" + ok + "\",\"refresh_hours\":\"24\"}", "refresh_hours"),
      Arguments.of("{\"name\":\"x\",", "malformed JSON"),
      Arguments.of("[]", "JSON object"),
      Arguments.of("", "empty"));
  }

  @ParameterizedTest(name = "{0} → 400 naming {1}")
  @MethodSource("badBodies")
  @DisplayName("bad input is a 400 naming the field, and nothing is written")
  void badInput(String body, String field) {
    HttpResponse<Buffer> r = fx.admin(HttpMethod.POST, "/api/epg/sources", body);
    assertEquals(400, r.statusCode(), r.bodyAsString());
    assertTrue(json(r).getString("error").contains(field), "names " + field + ": " + r.bodyAsString());
    assertEquals(List.of(), fx.keys("epg:*"), "nothing written");
  }

  @Test
  @DisplayName("409 on an existing name (the first kept), 404 on unknown names, 401 without the bearer, before any body")
  void conflictsAndUnknowns() throws Exception {
    server.serve("/a", guide("A"));
    fx.addSource("dup", server.url("/a"));
    String stored = fx.get(EpgContract.sourceKey("dup"));
    HttpResponse<Buffer> again = fx.admin(HttpMethod.POST, "/api/epg/sources", EpgFixture.source("dup", "https://other.example/x.xml", 5));
    assertEquals(409, again.statusCode());
    assertTrue(json(again).getString("error").contains("dup"));
    assertEquals(stored, fx.get(EpgContract.sourceKey("dup")), "the first is kept as it was");

    for (String path : List.of("/api/epg/sources/nope", "/api/epg/sources/bad%20name")) {
      assertEquals(404, fx.admin(HttpMethod.GET, path, null).statusCode(), path);
      assertEquals(404, fx.admin(HttpMethod.DELETE, path, null).statusCode(), path);
      HttpResponse<Buffer> refresh = fx.admin(HttpMethod.POST, path + "/refresh", null);
      assertEquals(404, refresh.statusCode(), path);
      assertNotNull(json(refresh).getString("error"));
    }

    HttpResponse<Buffer> noBearer = await(fx.web.get(fx.port, "127.0.0.1", "/api/epg/sources").send());
    assertEquals(401, noBearer.statusCode());
    // A client without the bearer that announces a big body is answered before sending it.
    String head = "POST /api/epg/sources HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 900000\r\n\r\n";
    try (RawHttp raw = RawHttp.connect(null, fx.port)) {
      String status = raw.send(head).statusLine(10_000);
      assertNotNull(status);
      assertTrue(status.startsWith("HTTP/1.1 401"), status);
    }
  }

  @Test
  @DisplayName("an import in flight shows its progress in the list; refresh answers 'running' meanwhile, 'started' otherwise")
  void progressAndRefresh() {
    byte[] doc = guide("SLOW");
    server.trickle("/slow", doc, doc.length / 30 + 1, 100); // about 3 s
    fx.addSource("slow", server.url("/slow"));
    eventually(WAIT, "the import shows bytes and programmes", () -> {
      JsonObject importing = view("slow").getJsonObject("importing");
      return importing != null && importing.getLong("bytes") > 0 && importing.getLong("programmes") > 0;
    });
    JsonObject importing = view("slow").getJsonObject("importing");
    assertEquals("api-node", importing.getString("node"));
    assertNotNull(Instant.parse(importing.getString("started")));
    HttpResponse<Buffer> busy = fx.admin(HttpMethod.POST, "/api/epg/sources/slow/refresh", null);
    assertEquals(202, busy.statusCode());
    assertEquals(new JsonObject().put("source", "slow").put("import", "running"), json(busy));

    eventually(WAIT, "the import finishes", () -> view("slow").getJsonObject("last_import") != null);
    assertNull(view("slow").getValue("importing"));
    Instant before = Instant.now();
    server.serve("/slow", guide("FAST"));
    HttpResponse<Buffer> refresh = fx.admin(HttpMethod.POST, "/api/epg/sources/slow/refresh", null);
    assertEquals(202, refresh.statusCode());
    assertEquals("started", json(refresh).getString("import"));
    assertTrue(fx.awaitImport("slow", before, WAIT).ok());
    assertEquals(2, server.hits("/slow"));
    assertEquals("FAST news1.example #4", await(fx.store().upcoming("news1.example", now.plusSeconds(60), 1)).get(0).title());
  }

  @Test
  @DisplayName("a source deleted while it imports leaves no guide key behind")
  void deleteDuringImport() {
    byte[] doc = guide("GONE");
    server.trickle("/slow", doc, doc.length / 60 + 1, 250); // about 15 s
    fx.addSource("gone", server.url("/slow"));
    eventually(WAIT, "the import is under way", () -> {
      JsonObject importing = view("gone").getJsonObject("importing");
      return importing != null && importing.getLong("bytes") > 0;
    });
    assertEquals(200, fx.admin(HttpMethod.DELETE, "/api/epg/sources/gone", null).statusCode());
    // At its next lock renewal (every 10 s) the import finds the lock gone: it stops downloading.
    eventually(Duration.ofSeconds(14), "the import stops downloading", () -> server.aborted("/slow") == 1);
    TestEnv.pause(1500); // time is the subject: a ticker still running would have rewritten the progress by now
    assertEquals(List.of(), fx.keys("guide:*"));
    assertEquals(List.of(), fx.keys("epg:source*"), "no progress, status or lock left");
    assertEquals(1, server.hits("/slow"));
    assertEquals(List.of(), await(fx.store().upcoming("news1.example", now.plusSeconds(60), 1)));
  }

  @Test
  @DisplayName("a URL's credentials (user info, query) never reach the logs, the events or a failed import's error")
  void credentialsNeverLogged(Vertx vertx) {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    root.addAppender(logs);
    List<JsonObject> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    await(vertx.eventBus().<JsonObject>consumer(EpgContract.EVENTS, m -> events.add(m.body())).completion());
    try {
      server.serve("/xmltv.php", guide("CRED"));
      String url = server.url("/xmltv.php?username=alice&password=PASS-IN-QUERY").replace("http://", "http://bob:PASS-IN-USERINFO@");
      fx.addSource("cred", url);
      assertTrue(fx.awaitImport("cred", Instant.now().minusSeconds(60), WAIT).ok());
      assertEquals(url, view("cred").getString("url"), "the admin API shows the URL as given");

      String failing = server.url("/missing/PASS-IN-PATH/guide.xml?token=PASS-IN-QUERY");
      fx.addSource("cred2", failing);
      JsonObject failed = fx.awaitImport("cred2", Instant.now().minusSeconds(60), WAIT).toJson();
      assertEquals("failed", failed.getString("status"));
      assertTrue(failed.getString("error").startsWith("HTTP 404 from http://127.0.0.1:"), failed.encode());
      assertTrue(failed.getString("error").contains("/…/guide.xml?…"), failed.encode());

      StringBuilder all = new StringBuilder();
      for (ILoggingEvent e : logs.list) {
        all.append(e.getFormattedMessage()).append('\n');
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
          all.append(t.getMessage()).append('\n');
        }
      }
      all.append(events).append(failed.encode());
      assertTrue(all.toString().contains("EPG source cred"), "the imports were logged: " + all);
      for (String secret : List.of("PASS-IN-QUERY", "PASS-IN-USERINFO", "PASS-IN-PATH", "alice", "bob")) {
        assertFalse(all.toString().contains(secret), secret + " never logged or published: " + all);
      }
    } finally {
      root.detachAppender(logs);
    }
  }
}
