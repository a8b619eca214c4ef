package dev.iptv.monitor.history;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.StreamContract;
import dev.iptv.monitor.Support;
import dev.iptv.pg.Db;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import dev.iptv.testing.TestPg;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class HistoryTest {

  static final String SCHEMA = "monitor8_history";

  @BeforeEach
  void clean(Vertx vertx) {
    Support.flushTestDb(Support.redis(vertx));
    TestPg.dropSchema(vertx, SCHEMA);
  }

  @AfterAll
  static void drop() {
    TestPg.dropSchema(SCHEMA);
  }

  private static HttpResponse<Buffer> get(Vertx vertx, int port, String uri) {
    return AdminClient.of(vertx, port).get(uri);
  }

  private static JsonObject event(String kind, String channel, double ts) {
    return new JsonObject().put("event", kind).put("channel_id", channel).put("node", "n1").put("mode", "copy")
      .put("reason", "viewer").put("ts", ts);
  }

  @Test
  @DisplayName("stream events become one paired session and one event row each, however many monitors hear them")
  void streams(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.withPg(Support.config(port), SCHEMA));
    Support.deploy(vertx, Support.withPg(Support.config(TestEnv.freePort()), SCHEMA)); // a second monitor
    double t0 = System.currentTimeMillis() / 1000.0 - 60;
    vertx.eventBus().publish(StreamContract.EVENTS, event("started", "48681", t0));
    vertx.eventBus().publish(StreamContract.EVENTS, event("restarted", "48681", t0 + 10).put("mode", "transcode")
      .put("reason", "ffmpeg exited with 1"));
    vertx.eventBus().publish(StreamContract.EVENTS, event("stopped", "48681", t0 + 20).put("reason", "idle"));
    vertx.eventBus().publish(StreamContract.EVENTS, event("started", "87827", t0 + 30));
    vertx.eventBus().publish(AuthContract.LIMIT_EVENTS, new JsonObject().put("event", "limit_hit").put("username", "alice")
      .put("channel_id", "48681").put("ts", t0 + 40));

    AtomicReference<JsonObject> page = new AtomicReference<>();
    eventually(Duration.ofSeconds(10), "the stopped session of 48681", () -> {
      page.set(get(vertx, port, "/api/history/streams?channel=48681").bodyAsJsonObject());
      JsonArray s = page.get().getJsonArray("streams");
      return s.size() == 1 && s.getJsonObject(0).getString("stopped") != null && s.getJsonObject(0).getInteger("restarts") == 1;
    });
    JsonObject session = page.get().getJsonArray("streams").getJsonObject(0);
    assertEquals("n1", session.getString("node"));
    assertEquals("idle", session.getString("reason"));
    assertEquals("transcode", session.getString("mode"), "the restart changed the mode");
    assertEquals(1, session.getInteger("restarts"), "counted once though two monitors heard it");

    JsonObject all = get(vertx, port, "/api/history/streams").bodyAsJsonObject();
    assertEquals(2, all.getInteger("count"));
    JsonObject open = all.getJsonArray("streams").getJsonObject(0);
    assertEquals("87827", open.getString("channel_id"), "newest first");
    assertNull(open.getString("stopped"));

    eventually(Duration.ofSeconds(5), "five event rows", () ->
      get(vertx, port, "/api/history/events").bodyAsJsonObject().getInteger("count") == 5);
    JsonObject limits = get(vertx, port, "/api/history/events?kind=limit_hit&user=alice").bodyAsJsonObject();
    assertEquals(1, limits.getInteger("count"));
    assertEquals("alice", limits.getJsonArray("events").getJsonObject(0).getJsonObject("detail").getString("username"));

    JsonObject first = get(vertx, port, "/api/history/events?limit=2").bodyAsJsonObject();
    assertEquals(2, first.getInteger("next_offset"));
    JsonObject last = get(vertx, port, "/api/history/events?limit=2&offset=4").bodyAsJsonObject();
    assertEquals(1, last.getInteger("count"));
    assertNull(last.getValue("next_offset"));
    String from = java.time.Instant.ofEpochMilli((long) ((t0 + 25) * 1000)).toString();
    assertEquals(2, get(vertx, port, "/api/history/events?from=" + from).bodyAsJsonObject().getInteger("count"));
    assertEquals(3, get(vertx, port, "/api/history/events?to=" + (long) (t0 + 25)).bodyAsJsonObject().getInteger("count"));
  }

  @Test
  @DisplayName("a stall, a switch of source and the slate are event rows of their own, and the stall's restart counts on the session")
  void stallsAndSwitches(Vertx vertx) {
    String schema = SCHEMA + "_stall";
    TestPg.dropSchema(vertx, schema);
    try {
      int port = TestEnv.freePort();
      Support.deploy(vertx, Support.withPg(Support.config(port), schema));
      double t0 = System.currentTimeMillis() / 1000.0 - 60;
      vertx.eventBus().publish(StreamContract.EVENTS, event("started", "48681", t0));
      vertx.eventBus().publish(StreamContract.EVENTS, event("stalled", "48681", t0 + 10)
        .put("reason", "no new segment for 12.3 s"));
      vertx.eventBus().publish(StreamContract.EVENTS, event("restarted", "48681", t0 + 15)
        .put("reason", "stalled: no new segment for 12.3 s"));
      vertx.eventBus().publish(StreamContract.EVENTS, event("switched", "48681", t0 + 15)
        .put("reason", "from http://a.example/…/1.ts to http://b.example/…/1.ts: stalled"));
      eventually(Duration.ofSeconds(10), "the stalled and switched rows", () ->
        get(vertx, port, "/api/history/events?kind=stalled").bodyAsJsonObject().getInteger("count") == 1
          && get(vertx, port, "/api/history/events?kind=switched").bodyAsJsonObject().getInteger("count") == 1);
      JsonObject stalled = get(vertx, port, "/api/history/events?kind=stalled").bodyAsJsonObject()
        .getJsonArray("events").getJsonObject(0);
      assertEquals("48681", stalled.getString("channel_id"));
      assertEquals("no new segment for 12.3 s", stalled.getJsonObject("detail").getString("reason"));
      eventually(Duration.ofSeconds(10), "the restart on the session", () -> get(vertx, port,
        "/api/history/streams?channel=48681").bodyAsJsonObject().getJsonArray("streams").getJsonObject(0)
        .getInteger("restarts") == 1);
      // The slate shown and left: event rows too, the session goes on.
      vertx.eventBus().publish(StreamContract.EVENTS, event("slate_on", "48681", t0 + 20)
        .put("reason", "copy of http://b.example/…/1.ts: End of file"));
      vertx.eventBus().publish(StreamContract.EVENTS, event("slate_off", "48681", t0 + 30)
        .put("reason", "live again from http://b.example/…/1.ts after 10 s"));
      eventually(Duration.ofSeconds(10), "the slate rows", () ->
        get(vertx, port, "/api/history/events?kind=slate_on").bodyAsJsonObject().getInteger("count") == 1
          && get(vertx, port, "/api/history/events?kind=slate_off").bodyAsJsonObject().getInteger("count") == 1);
      assertEquals("live again from http://b.example/…/1.ts after 10 s", get(vertx, port,
        "/api/history/events?kind=slate_off").bodyAsJsonObject().getJsonArray("events").getJsonObject(0)
        .getJsonObject("detail").getString("reason"));
      assertEquals(null, get(vertx, port, "/api/history/streams?channel=48681").bodyAsJsonObject()
        .getJsonArray("streams").getJsonObject(0).getValue("stopped"), "the stream session goes on through the slate");
    } finally {
      TestPg.dropSchema(vertx, schema);
    }
  }

  @Test
  @DisplayName("segments served make viewer sessions with their user, client and bytes")
  void viewers(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.withPg(Support.config(port), SCHEMA));
    vertx.eventBus().send(MonitorContract.SEGMENTS_SERVED, SegmentServed.now("48681", 1000, "198.51.100.7", "alice", "VLC/3").toJson());
    vertx.eventBus().send(MonitorContract.SEGMENTS_SERVED, SegmentServed.now("48681", 2500, "198.51.100.7", "alice", "VLC/3").toJson());
    vertx.eventBus().send(MonitorContract.SEGMENTS_SERVED, SegmentServed.now("48681", 700, "198.51.100.8", "bob", "Kodi").toJson());
    AtomicReference<JsonArray> rows = new AtomicReference<>();
    eventually(Duration.ofSeconds(20), "alice's viewer session", () -> {
      rows.set(get(vertx, port, "/api/history/viewers?user=alice").bodyAsJsonObject().getJsonArray("viewers"));
      return rows.get().size() == 1;
    });
    JsonObject s = rows.get().getJsonObject(0);
    assertEquals("48681", s.getString("channel_id"));
    assertEquals("198.51.100.7", s.getString("ip"));
    assertEquals("VLC/3", s.getString("user_agent"));
    assertEquals(3500, s.getLong("bytes"));
    assertNull(s.getString("ended"), "still watching");
    assertEquals(2, get(vertx, port, "/api/history/viewers?channel=48681").bodyAsJsonObject().getInteger("count"));
  }

  @Test
  @DisplayName("bad history parameters answer 400 naming the parameter")
  void badParams(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.withPg(Support.config(port), SCHEMA));
    String[][] cases = {
      {"/api/history/streams?limit=0", "limit"}, {"/api/history/streams?limit=x", "limit"},
      {"/api/history/events?offset=-1", "offset"}, {"/api/history/viewers?from=yesterday", "from"},
      {"/api/history/viewers?to=2025-13-01T00:00:00Z", "to"}, {"/api/history/streams?channel=abc", "channel"},
      {"/api/history/viewers?user=a%20b", "user"}, {"/api/history/streams?colour=red", "colour"},
      {"/api/history/events?from=1700000100&to=1700000000", "from"}};
    for (String[] c : cases) {
      HttpResponse<Buffer> resp = get(vertx, port, c[0]);
      assertEquals(400, resp.statusCode(), c[0] + " " + resp.bodyAsString());
      assertTrue(resp.bodyAsJsonObject().getString("error").startsWith(c[1] + ":"), c[0] + " " + resp.bodyAsString());
    }
    assertEquals(401, await(WebClient.create(vertx).get(port, "127.0.0.1", "/api/history/events").send()).statusCode());
  }

  @Test
  @DisplayName("without IPTV_PG_URL the history endpoints answer 503 saying how to turn history on")
  void off(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    for (String path : new String[] {"/api/history/streams", "/api/history/viewers", "/api/history/events"}) {
      HttpResponse<Buffer> resp = get(vertx, port, path);
      assertEquals(503, resp.statusCode());
      assertEquals("history is off: set IPTV_PG_URL", resp.bodyAsJsonObject().getString("error"));
    }
  }

  @Test
  @DisplayName("the schema is migrated once, and the purge deletes only what is older than the retention")
  void migrationsAndRetention(Vertx vertx) {
    Db db = Db.create(vertx, TestEnv.PG_URL, SCHEMA, "iptv-monitor");
    try {
      assertEquals(1, await(db.migrate(HistoryVerticle.MIGRATIONS)), "the history's one migration (the mirror's are its own)");
      assertEquals(1, await(db.migrate(HistoryVerticle.MIGRATIONS)), "nothing applied twice");
      Pool pool = db.pool();
      assertEquals(1L, await(pool.query("SELECT count(*) AS n FROM schema_version").execute()).iterator().next().getLong("n"));
      await(pool.query("INSERT INTO events (ts, kind, channel) VALUES (now() - interval '40 days', 'started', '1'),"
        + " (now() - interval '2 days', 'started', '2')").execute());
      await(pool.query("INSERT INTO stream_sessions (channel, node, started, stopped) VALUES"
        + " ('1', 'n', now() - interval '41 days', now() - interval '40 days'),"
        + " ('2', 'n', now() - interval '41 days', NULL)").execute());
      await(pool.query("INSERT INTO viewer_sessions (id, channel, ip, started, last_seen, ended) VALUES"
        + " (gen_random_uuid(), '1', '1.1.1.1', now() - interval '40 days', now() - interval '40 days', now() - interval '40 days'),"
        + " (gen_random_uuid(), '2', '1.1.1.1', now() - interval '1 hour', now() - interval '1 hour', NULL)").execute());
      History history = new History(db, 30);
      await(history.maintenance());
      Row counts = await(pool.query("SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM stream_sessions) AS s,"
        + " (SELECT count(*) FROM viewer_sessions) AS v, (SELECT count(*) FROM viewer_sessions WHERE ended IS NULL) AS open")
        .execute()).iterator().next();
      assertEquals(1L, counts.getLong("e"));
      assertEquals(1L, counts.getLong("s"), "a session still running is kept whatever its age");
      assertEquals(1L, counts.getLong("v"));
      assertEquals(0L, counts.getLong("open"), "an orphaned viewer session (no sign for an hour) is closed");
      assertTrue(await(history.events(new JsonObject().put("limit", 100).put("offset", 0))).getInteger("count") == 1);
    } finally {
      await(db.close());
    }
  }

  @Test
  @DisplayName("an orderly stop writes every queued history row, and the viewer sessions it closes, into PostgreSQL")
  void stopWritesEverything(Vertx vertx) {
    int port = TestEnv.freePort();
    String id = Support.deploy(vertx, Support.withPg(Support.config(port), SCHEMA));
    int events = 30_000; // six flushes' worth: more than one flush can write
    int viewers = 300;
    double t0 = System.currentTimeMillis() / 1000.0 - 3600;
    for (int i = 0; i < events; i++) {
      vertx.eventBus().publish(AuthContract.LIMIT_EVENTS, new JsonObject().put("event", "limit_hit").put("username", "u" + i)
        .put("channel_id", "48681").put("ts", t0 + i / 1000.0));
    }
    JsonArray records = new JsonArray();
    for (int i = 0; i < viewers; i++) {
      records.add(SegmentServed.now("48681", 1000 + i, "198.51." + (i / 250) + "." + (i % 250 + 1), "v" + i, "VLC/3").toJson());
    }
    vertx.eventBus().send(MonitorContract.SEGMENTS_SERVED, new JsonObject().put(MonitorContract.SegmentBatch.RECORDS, records));
    eventually(Duration.ofSeconds(30), "every event heard", () -> get(vertx, port, "/metrics").bodyAsString()
      .contains("iptv_limit_hits_total " + events + ".0"));

    await(vertx.undeploy(id)); // SIGTERM: the launcher closes Vert.x, which stops the verticle so

    Pool pool = TestPg.pool(vertx, SCHEMA);
    try {
      Row counts = await(pool.query("SELECT (SELECT count(*) FROM events WHERE kind = 'limit_hit') AS e,"
        + " (SELECT count(*) FROM viewer_sessions) AS v, (SELECT count(*) FROM viewer_sessions WHERE ended IS NOT NULL) AS ended,"
        + " (SELECT coalesce(sum(bytes), 0) FROM viewer_sessions) AS bytes").execute()).iterator().next();
      assertEquals(events, counts.getLong("e"), "every queued event row written");
      assertEquals(viewers, counts.getLong("v"), "every viewer session written");
      assertEquals(viewers, counts.getLong("ended"), "and closed at the stop");
      assertEquals(viewers * 1000L + viewers * (viewers - 1) / 2, counts.getLong("bytes"));
    } finally {
      await(pool.close());
    }
  }
}
