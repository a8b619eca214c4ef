package dev.iptv.playlist.epg;

import dev.iptv.common.Config;
import dev.iptv.contract.EpgContract;
import dev.iptv.contract.EpgContract.ImportStatus;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@DisplayName("EPG imports: real guides over HTTP into Redis")
class EpgImportTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  /** The guide's channels: three are ours (two by epg_channel_id, one by its channel id), five are not. */
  private static final List<String> GUIDE_CHANNELS = List.of("news1.example", "sport.example", "103", "other1.example",
    "other2.example", "other3.example", "other4.example", "other5.example");

  private EpgFixture fx;
  private GuideServer server;
  private final List<Epg> epgs = new ArrayList<>();
  private Instant now;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new EpgFixture(vertx);
    server = new GuideServer(vertx);
    now = Instant.now().truncatedTo(ChronoUnit.HOURS);
    fx.channel("101", "news1.example", "News One", "http://logos.example/news1.png");
    fx.channel("102", "sport.example", "Sport", null);
    fx.channel("103", null, "Channel by id", null);
    fx.channel("104", "absent.example", "Not in any guide", null);
  }

  @AfterEach
  void tearDown() {
    epgs.forEach(e -> await(e.close()));
    server.close();
  }

  private Epg epg(String node, Map<String, String> settings) {
    Epg e = fx.epg(node, settings);
    epgs.add(e);
    return e;
  }

  private Epg epg() {
    return epg("node-a", Map.of(Config.EPG_CHECK_S, "3600"));
  }

  /** 18 hours of half-hour programmes, from 6 hours ago, on every guide channel: 36 each. */
  private byte[] guide(String prefix) {
    return new GuideGen(GUIDE_CHANNELS, now.minus(Duration.ofHours(6)), now.plus(Duration.ofHours(12)), 1800, 40, prefix)
      .bytes();
  }

  private static ImportStatus run(Epg epg, String name) {
    ImportRun run = await(epg.importer().start(name));
    assertNotNull(run, "the import of " + name + " started");
    return await(run.done());
  }

  private static List<String> titles(List<Programme> programmes) {
    return programmes.stream().map(Programme::title).toList();
  }

  @Test
  @DisplayName("gzip is told by content: a plain guide named .gz and a gzip guide named .xml both import, only our channels kept")
  void gzipByContent() {
    byte[] plain = guide("P");
    byte[] gzipped = GuideGen.gzip(guide("G"));
    server.serve("/guide.gz", plain).serve("/guide.xml", gzipped);
    fx.putSource("a-plain", server.url("/guide.gz"), 24);
    fx.putSource("b-gzip", server.url("/guide.xml"), 24);
    Epg epg = epg();

    ImportStatus p = run(epg, "a-plain");
    assertTrue(p.ok(), p.toJson().encode());
    assertFalse(p.gzip(), "plain XML, whatever the name says");
    assertEquals(plain.length, p.bytes());
    assertEquals(plain.length, p.xmlBytes());
    assertEquals(8, p.channelsSeen());
    assertEquals(3, p.channelsKept(), "news1.example, sport.example and 103 are ours; absent.example is not in the guide");
    assertEquals(8 * 36, p.programmesSeen());
    assertEquals(3 * 36, p.programmesKept());

    ImportStatus g = run(epg, "b-gzip");
    assertTrue(g.ok(), g.toJson().encode());
    assertTrue(g.gzip(), "gzip, whatever the name says");
    assertEquals(gzipped.length, g.bytes());
    assertTrue(g.xmlBytes() > g.bytes() * 2, "unpacked: " + g.xmlBytes() + " bytes of XML from " + g.bytes());
    assertEquals(3 * 36, g.programmesKept());

    EpgStore store = fx.store();
    Instant at = now.plus(Duration.ofMinutes(10)); // inside the programme that started at the full hour (#12)
    List<Programme> next = await(store.upcoming("news1.example", at, 4));
    assertEquals(List.of("P news1.example #12", "P news1.example #13", "P news1.example #14", "P news1.example #15"),
      titles(next), "a-plain comes first by name");
    assertTrue(next.get(0).airsAt(at.getEpochSecond()));
    assertEquals(now.getEpochSecond(), next.get(0).start());
    assertEquals(now.plusSeconds(1800).getEpochSecond(), next.get(0).stop());
    assertEquals("en", next.get(0).lang());
    assertEquals(List.of("Test"), next.get(0).categories());
    assertEquals(40, next.get(0).description().length());
    assertEquals("P 103 #12", await(store.upcoming("103", at, 1)).get(0).title(), "a channel without epg_channel_id: its id");
    assertEquals(List.of(), await(store.upcoming("absent.example", at, 4)));
    assertEquals(List.of(), await(store.upcoming("other1.example", at, 4)), "not ours: not kept");

    List<Programme> day = await(store.programmes("sport.example", now.minus(Duration.ofHours(3)), now));
    assertEquals(6, day.size(), "3 hours of the past, half-hour programmes");
    assertEquals("P sport.example #6", day.get(0).title());

    // A programme on the air at the window's start is in the window.
    List<Programme> straddling = await(store.programmes("sport.example", now.plus(Duration.ofMinutes(15)), now.plus(Duration.ofMinutes(45))));
    assertEquals(List.of("P sport.example #12", "P sport.example #13"), titles(straddling));

    Map<String, List<Programme>> many = await(store.upcoming(List.of("news1.example", "sport.example", "absent.example"), at, 2));
    assertEquals(List.of("P news1.example #12", "P news1.example #13"), titles(many.get("news1.example")));
    assertEquals(List.of("P sport.example #12", "P sport.example #13"), titles(many.get("sport.example")));
    assertEquals(List.of(), many.get("absent.example"));

    // Without a-plain, b-gzip answers.
    await(new EpgSources(fx.client).delete("a-plain"));
    assertEquals("G news1.example #12", await(store.upcoming("news1.example", at, 1)).get(0).title());
  }

  @Test
  @DisplayName("bad sources (404, garbage, HTML, cut-off gzip, XXE, no programme, too large, a redirect loop) fail and keep the guide")
  void badSourcesKeepTheGuide() throws Exception {
    Path secret = Files.createTempFile("epg-secret", ".txt");
    Files.writeString(secret, "TOP-SECRET-FILE-CONTENT");
    try {
      server.serve("/feed", guide("GOOD"));
      fx.putSource("s", server.url("/feed"), 24);
      Epg epg = epg("node-a", Map.of(Config.EPG_CHECK_S, "3600", Config.EPG_MAX_MB, "1"));
      ImportStatus good = run(epg, "s");
      assertTrue(good.ok(), good.toJson().encode());
      long generation = good.generation();
      EpgStore store = fx.store();
      Instant at = now.plus(Duration.ofMinutes(10));
      List<Programme> before = await(store.upcoming("news1.example", at, 3));
      assertEquals(3, before.size());

      byte[] gz = GuideGen.gzip(guide("CUT"));
      byte[] bomb = GuideGen.gzip(("<tv>" + " ".repeat(3 * 1024 * 1024) + "</tv>").getBytes(StandardCharsets.US_ASCII));
      String xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE tv [\n"
        + "  <!ENTITY file SYSTEM \"file://" + secret + "\">\n"
        + "  <!ENTITY probe SYSTEM \"" + server.url("/xxe-probe") + "\">\n]>\n"
        + "<tv><channel id=\"news1.example\"><display-name>x</display-name></channel>"
        + "<programme start=\"" + XmltvTime.format(now.getEpochSecond()) + "\" stop=\""
        + XmltvTime.format(now.getEpochSecond() + 600) + "\" channel=\"news1.example\"><title>&file;&probe;</title></programme></tv>";
      byte[] garbage = new byte[5000];
      new java.util.Random(7).nextBytes(garbage);
      garbage[0] = '<'; // not gzip either

      record Case(String what, Runnable serve, String error) {
      }
      List<Case> cases = List.of(
        new Case("404", () -> server.serve("/feed", 404, "gone".getBytes()), "HTTP 404 from http://127.0.0.1:"),
        new Case("garbage", () -> server.serve("/feed", garbage), "the guide is not valid XMLTV"),
        new Case("an HTML page", () -> server.serve("/feed", "<html><body>login</body></html>".getBytes()),
          "not an XMLTV document: the root element is <html>"),
        new Case("a cut-off gzip", () -> server.serve("/feed", Arrays.copyOf(gz, gz.length / 2)), "gzip"),
        new Case("XXE", () -> server.serve("/feed", xxe.getBytes(StandardCharsets.UTF_8)), "was referenced, but not declared"),
        new Case("no programme", () -> server.serve("/feed", "<tv></tv>".getBytes()), "the guide holds no programme"),
        new Case("over IPTV_EPG_MAX_MB", () -> server.serve("/feed", new byte[2 * 1024 * 1024]), "larger than the limit of 1 MiB"),
        new Case("a gzip bomb", () -> server.serve("/feed", bomb), "XML is larger than the limit of 1 MiB"),
        new Case("a redirect loop", () -> {
          server.redirect("/feed", server.url("/loop"));
          server.redirect("/loop", server.url("/feed"));
        }, "HTTP 302"));
      for (Case c : cases) {
        c.serve().run();
        ImportStatus s = run(epg, "s");
        assertEquals(ImportStatus.FAILED, s.status(), c.what() + ": " + s.toJson().encode());
        assertNotNull(s.error(), c.what());
        assertTrue(s.error().contains(c.error()), c.what() + ": the error says why: " + s.error());
        assertEquals(generation, s.generation(), c.what() + ": the guide in use is still the good one");
        assertEquals(before, await(store.upcoming("news1.example", at, 3)), c.what() + ": readers see the same guide");
        assertEquals(List.of(Long.toString(generation)), members(EpgContract.sourceGenerationsKey("s")),
          c.what() + ": the failed import's data is gone");
        assertEquals(List.of(), fx.keys("guide:" + (generation + 1) + "*").stream()
          .filter(k -> !k.startsWith("guide:" + generation + ":")).toList(), c.what());
      }
      assertEquals(0, server.hits("/xxe-probe"), "the external entity was never fetched");
      for (String key : fx.keys("*")) {
        String type = await(fx.redis.type(key)).toString();
        String dump = type.equals("string") ? fx.get(key) : type.equals("zset")
          ? await(fx.redis.zrange(List.of(key, "0", "-1"))).toString() : "";
        assertFalse(dump.contains("TOP-SECRET"), "the file never reached Redis: " + key);
      }

      // And the next good guide is taken again.
      server.redirect("/feed", server.url("/good"));
      server.serve("/good", guide("BACK"));
      ImportStatus back = run(epg, "s");
      assertTrue(back.ok(), "a redirect to a good guide is followed: " + back.toJson().encode());
      assertEquals("BACK news1.example #12", await(store.upcoming("news1.example", at, 1)).get(0).title());
    } finally {
      Files.deleteIfExists(secret);
    }
  }

  private List<String> members(String key) {
    List<String> out = new ArrayList<>();
    await(fx.redis.smembers(key)).forEach(m -> out.add(m.toString()));
    out.sort(null);
    return out;
  }

  @Test
  @DisplayName("a re-import switches the guide in one step: readers never see it empty or mixed, the old one is deleted after the grace")
  void atomicReplacement() {
    server.serve("/feed", guide("V1"));
    fx.putSource("s", server.url("/feed"), 24);
    Epg epg = epg();
    epg.importer().graceMs(300);
    ImportStatus first = run(epg, "s");
    EpgStore store = fx.store();
    Instant at = now.plus(Duration.ofMinutes(10));
    List<String> ids = List.of("news1.example", "sport.example", "103");

    byte[] v2 = guide("V2");
    server.trickle("/feed", v2, v2.length / 20 + 1, 75); // about 1.5 s
    ImportRun run = await(epg.importer().start("s"));
    List<String> seen = new CopyOnWriteArrayList<>();
    int reads = 0;
    while (!run.done().isComplete()) {
      Map<String, List<Programme>> m = await(store.upcoming(ids, at, 3));
      for (String id : ids) {
        List<Programme> list = m.get(id);
        assertEquals(3, list.size(), "never empty (read " + reads + ")");
        String version = list.get(0).title().substring(0, 2);
        assertTrue(list.stream().allMatch(p -> p.title().startsWith(version)), "never mixed: " + titles(list));
        seen.add(version);
      }
      reads++;
    }
    ImportStatus second = await(run.done());
    assertTrue(second.ok(), second.toJson().encode());
    assertTrue(reads > 5, "readers were reading during the import: " + reads);
    assertTrue(seen.contains("V1"), "the old guide was served while the new one was written");
    assertEquals("V2 news1.example #12", await(store.upcoming("news1.example", at, 1)).get(0).title());
    assertTrue(second.generation() > first.generation());
    eventually(WAIT, "the replaced generation is deleted",
      () -> fx.keys("guide:" + first.generation() + ":*").isEmpty());
    assertEquals(List.of(Long.toString(second.generation())), members(EpgContract.sourceGenerationsKey("s")));
    long ttl = await(fx.redis.ttl(EpgContract.programmesKey(second.generation(), "news1.example"))).toLong();
    assertTrue(ttl > 0, "guide keys expire by themselves (crashed imports leave nothing forever): " + ttl);
  }

  @Test
  @DisplayName("programmes without a stop end at the channel's next start; bad times and empty titles are skipped; text is capped")
  void lenientParsing() {
    long t = now.getEpochSecond();
    String doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><tv>"
      + "<programme start=\"" + XmltvTime.format(t).replace(" +0000", "") + "\" channel=\"news1.example\"><title>No zone, no stop</title></programme>"
      + "<programme start=\"" + XmltvTime.format(t + 7200).replace(" +0000", " +0100") + "\" stop=\""
      + XmltvTime.format(t + 10800).replace(" +0000", "+0100") + "\" channel=\"news1.example\"><title><![CDATA[Zoned & <odd>]]></title>"
      + "<desc>" + "d".repeat(10_000) + "</desc></programme>"
      + "<programme start=\"garbage\" channel=\"news1.example\"><title>bad start</title></programme>"
      + "<programme start=\"" + XmltvTime.format(t + 7200) + "\" channel=\"news1.example\"><title>  </title></programme>"
      + "<programme start=\"" + XmltvTime.format(t + 7200) + "\" stop=\"" + XmltvTime.format(t + 3600)
      + "\" channel=\"news1.example\"><title>ends before it starts</title></programme>"
      + "<programme start=\"" + XmltvTime.format(t + 7200) + "\" channel=\"news1.example\"><title>Last, no stop</title></programme>"
      + "</tv>";
    server.serve("/feed", doc.getBytes(StandardCharsets.UTF_8));
    fx.putSource("s", server.url("/feed"), 24);
    ImportStatus s = run(epg(), "s");
    assertTrue(s.ok(), s.toJson().encode());
    assertEquals(6, s.programmesSeen());
    assertEquals(3, s.programmesKept());
    List<Programme> all = await(fx.store().programmes("news1.example", now.minusSeconds(1), now.plus(Duration.ofDays(1))));
    assertEquals(List.of("No zone, no stop", "Zoned & <odd>", "Last, no stop"), titles(all));
    assertEquals(t, all.get(0).start(), "no zone: UTC");
    assertEquals(t + 3600, all.get(0).stop(), "no stop: ends where the channel's next programme starts");
    assertEquals(t + 3600, all.get(1).start(), "+0100 is an hour ahead of UTC");
    assertEquals(t + 7200, all.get(1).stop(), "a zone without a space is read too");
    assertEquals(XmltvReader.MAX_DESC, all.get(1).description().length());
    assertEquals(t + 7200 + XmltvReader.DEFAULT_LENGTH_S, all.get(2).stop(), "the last stop-less programme lasts an hour");
  }

  @Test
  @DisplayName("two instances asked to import the same source at once: one downloads, the other is told it is busy")
  void oneImportAcrossInstances() {
    byte[] doc = guide("LOCK");
    server.trickle("/feed", doc, doc.length / 10 + 1, 100);
    fx.putSource("s", server.url("/feed"), 24);
    Epg a = epg("node-a", Map.of(Config.EPG_CHECK_S, "3600"));
    Epg b = epg("node-b", Map.of(Config.EPG_CHECK_S, "3600"));
    var fa = a.importer().start("s");
    var fb = b.importer().start("s");
    ImportRun ra = await(fa);
    ImportRun rb = await(fb);
    assertTrue((ra == null) != (rb == null), "exactly one instance imports");
    ImportRun winner = ra != null ? ra : rb;
    assertNull(await((ra != null ? b : a).importer().start("s")), "still busy while the import runs");
    ImportStatus s = await(winner.done());
    assertTrue(s.ok(), s.toJson().encode());
    assertEquals(ra != null ? "node-a" : "node-b", s.node());
    assertEquals(1, server.hits("/feed"), "one download");
    assertNull(fx.get(EpgContract.lockKey("s")), "the lock is released");
  }

  @Test
  @DisplayName("two instances on schedule: a never-imported source is imported once, then not again before refresh_hours")
  void scheduleAcrossInstances() {
    byte[] doc = guide("SCHED");
    server.trickle("/feed", doc, doc.length / 4 + 1, 200);
    fx.putSource("s", server.url("/feed"), 24);
    Instant before = Instant.now();
    epg("node-a", Map.of(Config.EPG_CHECK_S, "1"));
    epg("node-b", Map.of(Config.EPG_CHECK_S, "1"));
    ImportStatus s = fx.awaitImport("s", before, WAIT);
    assertTrue(s.ok(), s.toJson().encode());
    TestEnv.pause(3500);   // time is the subject: three more checks of each instance, and no second import
    assertEquals(1, server.hits("/feed"), "imported once by one of the two");
  }

  @Test
  @DisplayName("the schedule: refresh_hours after the last import, 30 minutes after a failure, never sooner")
  void schedule() {
    server.serve("/due", guide("A")).serve("/recent", guide("B")).serve("/failed-long-ago", guide("C"))
      .serve("/failed-recently", guide("D"));
    Instant t = Instant.now();
    fx.putSource("due", server.url("/due"), 1);
    fx.putSource("recent", server.url("/recent"), 1);
    fx.putSource("failed-long-ago", server.url("/failed-long-ago"), 24);
    fx.putSource("failed-recently", server.url("/failed-recently"), 24);
    plant("due", true, t.minus(Duration.ofMinutes(61)));
    plant("recent", true, t.minus(Duration.ofMinutes(50)));
    plant("failed-long-ago", false, t.minus(Duration.ofMinutes(31)));
    plant("failed-recently", false, t.minus(Duration.ofMinutes(20)));
    epg("node-a", Map.of(Config.EPG_CHECK_S, "1"));
    assertTrue(fx.awaitImport("due", t, WAIT).ok());
    assertTrue(fx.awaitImport("failed-long-ago", t, WAIT).ok());
    TestEnv.pause(2500);   // time is the subject: two more checks, and nothing imported that is not due
    assertEquals(0, server.hits("/recent"), "imported 50 minutes ago, refresh every hour: not yet");
    assertEquals(0, server.hits("/failed-recently"), "failed 20 minutes ago: retried after 30");
    assertEquals(1, server.hits("/due"));
    assertEquals(1, server.hits("/failed-long-ago"));
  }

  private void plant(String name, boolean ok, Instant started) {
    ImportStatus s = new ImportStatus(ok ? ImportStatus.OK : ImportStatus.FAILED, "elsewhere", started, started.plusSeconds(5),
      0, 0, false, 0, 0, 0, 0, 0, ok ? null : "HTTP 500");
    await(fx.redis.set(List.of(EpgContract.importKey(name), s.toJson().encode())));
  }

  @Test
  @DisplayName("an import publishes started, progress and finished events with bytes and programmes, never the URL")
  void events(Vertx vertx) {
    byte[] doc = guide("EV");
    server.trickle("/feed", doc, doc.length / 10 + 1, 200);
    String url = server.url("/feed?username=u&password=SECRET-PW");
    fx.putSource("s", url, 24);
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    await(vertx.eventBus().<JsonObject>consumer(EpgContract.EVENTS, m -> events.add(m.body())).completion());
    Epg epg = epg();
    ImportStatus s = run(epg, "s");
    assertTrue(s.ok(), s.toJson().encode());
    eventually(WAIT, "the finished event arrives",
      () -> events.stream().anyMatch(e -> EpgContract.IMPORT_FINISHED.equals(e.getString("event"))));
    List<String> kinds = events.stream().map(e -> e.getString("event")).distinct().collect(Collectors.toList());
    assertEquals(List.of(EpgContract.IMPORT_STARTED, EpgContract.IMPORT_PROGRESS, EpgContract.IMPORT_FINISHED), kinds);
    assertTrue(events.stream().anyMatch(e -> EpgContract.IMPORT_PROGRESS.equals(e.getString("event"))
      && e.getLong("bytes") > 0 && e.getLong("programmes") > 0), "progress shows bytes and programmes: " + events);
    JsonObject finished = events.get(events.size() - 1);
    assertEquals("s", finished.getString("source"));
    assertEquals("node-a", finished.getString("node"));
    assertEquals(doc.length, finished.getLong("bytes"));
    assertEquals(3 * 36, finished.getLong("programmes_kept"));
    assertFalse(events.toString().contains("SECRET-PW"));
  }
}
