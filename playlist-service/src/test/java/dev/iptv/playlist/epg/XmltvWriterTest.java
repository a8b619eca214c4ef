package dev.iptv.playlist.epg;

import dev.iptv.common.Config;
import dev.iptv.contract.EpgContract.ImportStatus;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guide we write, checked by the XMLTV tools themselves: {@code xmllint --dtdvalid} against
 * Debian's {@code /usr/share/xmltv/xmltv.dtd} (libxml2-utils) and {@code tv_validate_file}
 * (xmltv-util), served over a real HTTP connection.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("The XMLTV guide we serve")
class XmltvWriterTest {

  static final Path DTD = Path.of("/usr/share/xmltv/xmltv.dtd");

  private EpgFixture fx;
  private GuideServer guides;
  private Epg epg;
  private HttpServer server;
  private final AtomicReference<List<GuideChannel>> serving = new AtomicReference<>(List.of());
  private final AtomicReference<Instant[]> window = new AtomicReference<>();
  private final AtomicReference<Future<EpgStore.GuideStats>> written = new AtomicReference<>();
  private Instant now;

  @BeforeEach
  void setUp(Vertx vertx) {
    fx = new EpgFixture(vertx);
    guides = new GuideServer(vertx);
    epg = fx.epg("node-a", Map.of(Config.EPG_CHECK_S, "3600"));
    now = Instant.now().truncatedTo(ChronoUnit.HOURS);
    EpgStore store = epg.store();
    // What xmltv.php will do: headers, then the store streams the guide into the response.
    server = await(vertx.createHttpServer().requestHandler(req -> {
      HttpServerResponse resp = req.response().setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, XmltvWriter.CONTENT_TYPE);
      Instant[] w = window.get();
      Future<EpgStore.GuideStats> f = store.writeXmltv(serving.get(), w[0], w[1], resp);
      written.set(f);
      f.onFailure(err -> resp.reset());
    }).listen(0, "127.0.0.1"));
  }

  @AfterEach
  void tearDown() {
    await(server.close());
    await(epg.close());
    guides.close();
  }

  private Path fetch(Vertx vertx) throws Exception {
    HttpClient client = vertx.createHttpClient();
    try {
      AtomicReference<HttpClientResponse> head = new AtomicReference<>();
      // The body is taken in the same step as the response (data that comes before a handler is lost).
      Buffer body = await(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/xmltv.php")
        .compose(r -> r.send()).compose(resp -> {
          head.set(resp);
          return resp.body();
        }));
      HttpClientResponse resp = head.get();
      assertEquals(200, resp.statusCode());
      assertEquals("chunked", resp.getHeader(HttpHeaders.TRANSFER_ENCODING), "streamed, not one buffer");
      assertEquals(XmltvWriter.CONTENT_TYPE, resp.getHeader(HttpHeaders.CONTENT_TYPE));
      Path file = Files.createTempFile("guide", ".xml");
      Files.write(file, body.getBytes());
      return file;
    } finally {
      await(client.close());
    }
  }

  /** Runs a tool on the file; answers its output, asserting exit 0. */
  static String tool(Path file, String... command) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(command));
    cmd.add(file.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("XMLTV_SUPPLEMENT", "/usr/share/xmltv"); // tv_validate_file: the local DTD, no network
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", command) + " finished");
    assertEquals(0, p.exitValue(), String.join(" ", command) + " says: " + out);
    return out;
  }

  static void validate(Path file) throws Exception {
    assertTrue(Files.exists(DTD), DTD + " exists (Debian package xmltv-util; bin/iptv test installs it)");
    tool(file, "xmllint", "--noout", "--dtdvalid", DTD.toString());
    assertTrue(tool(file, "tv_validate_file").contains("Validated ok"));
  }

  @Test
  @DisplayName("our channels' guide, hostile text included, is valid for xmllint --dtdvalid and tv_validate_file")
  void validGuide(Vertx vertx) throws Exception {
    fx.channel("1", "bbc1.uk", "BBC One & <Friends> \"quoted\" 'single'", "http://logos.example/bbc1.png?a=1&b=2");
    fx.channel("2", "arte.fr", "ARTE \u0001\u0085\uFFFD ✓ 😀 عربي", "images/relative.png");
    fx.channel("3", "empty.example", "Nothing on", null);
    long t = now.getEpochSecond();
    String doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tv>\n"
      + programme("bbc1.uk", t - 3600, t, "<title lang=\"en\">Before the window</title>")
      + programme("bbc1.uk", t, t + 1800, "<title lang=\"en\">News &amp; Weather</title><sub-title>at &lt;six&gt;</sub-title>"
        + "<desc lang=\"en\">Line one\nLine two &#x85; and \"quotes\"</desc><desc>second desc dropped</desc>"
        + "<credits><director>Someone</director></credits><category>News</category><category>Weather</category>"
        + "<icon src=\"http://img.example/n.png\"/><episode-num system=\"xmltv_ns\">0.4/10.</episode-num>"
        + "<episode-num system=\"xmltv_ns\">not ns</episode-num><episode-num>S01E05</episode-num><rating><value>PG</value></rating>")
      + programme("bbc1.uk", t + 1800, t + 3600, "<title>   </title><title>Second title wins when the first is blank</title><desc>   </desc>")
      + programme("arte.fr", t, t + 3600, "<title>Arte 😀 \uFFFD ✓</title><desc><![CDATA[<b>cdata</b> & co]]></desc>"
        + "<icon src=\"relative/icon.png\"/>")
      + programme("arte.fr", t + 3600, t + 7200, "<title>Après</title>")
      + programme("bbc1.uk", t + 7 * 86400L, t + 7 * 86400L + 600, "<title>After the window</title>")
      + "</tv>\n";
    guides.serve("/feed", doc.getBytes(StandardCharsets.UTF_8));
    fx.putSource("s", guides.url("/feed"), 24);
    ImportRun run = await(epg.importer().start("s"));
    ImportStatus status = await(run.done());
    assertTrue(status.ok(), status.toJson().encode());

    List<GuideChannel> channels = await(epg.store().channels(List.of("1", "2", "3", "1", "999")));
    assertEquals(4, channels.size(), "unknown channel ids are left out");
    serving.set(channels);
    window.set(new Instant[] {now.plusSeconds(60), now.plus(Duration.ofDays(2))});
    Path file = fetch(vertx);
    try {
      validate(file);
      String xml = Files.readString(file);
      EpgStore.GuideStats stats = await(written.get());
      assertEquals(2, stats.channels(), "bbc1.uk once (listed twice), arte.fr; empty.example has no programme");
      assertEquals(4, stats.programmes());
      assertFalse(xml.contains("empty.example"));
      assertFalse(xml.contains("Before the window"));
      assertFalse(xml.contains("After the window"));
      assertTrue(xml.contains("<icon src=\"http://logos.example/bbc1.png?a=1&amp;b=2\"/>"));
      assertFalse(xml.contains("relative"), "relative URLs are no icon");
      assertTrue(xml.contains("<episode-num system=\"xmltv_ns\">0.4/10.</episode-num>"));
      assertFalse(xml.contains("not ns"), "a malformed xmltv_ns number is dropped");
      assertTrue(xml.contains("<episode-num system=\"onscreen\">S01E05</episode-num>"));
      assertFalse(xml.contains("\uFFFD") || xml.contains("\u0085") || xml.contains("\u0001"));
      assertTrue(xml.contains("😀") && xml.contains("عربي") && xml.contains("Après"), "UTF-8 kept");

      // Read back with our own reader: the same programmes.
      List<Programme> back = new ArrayList<>();
      new XmltvReader(new XmltvReader.Sink() {
        public boolean wants(String id) {
          return true;
        }

        public void seen(String id) {
        }

        public void programme(Programme p) {
          back.add(p);
        }
      }, 0, Long.MAX_VALUE).read(new ByteArrayInputStream(Files.readAllBytes(file)));
      assertEquals(List.of("News & Weather", "Second title wins when the first is blank", "Arte 😀  ✓", "Après"),
        back.stream().map(Programme::title).toList());
      Programme news = back.get(0);
      assertEquals("at <six>", news.subTitle());
      assertEquals("Line one\nLine two  and \"quotes\"", news.description());
      assertEquals(List.of("News", "Weather"), news.categories());
      assertEquals("http://img.example/n.png", news.icon());
      assertEquals(t, news.start());
      assertEquals(t + 1800, news.stop());
      assertEquals("<b>cdata</b> & co", back.get(2).description());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private static String programme(String channel, long start, long stop, String inner) {
    return "<programme start=\"" + XmltvTime.format(start) + "\" stop=\"" + XmltvTime.format(stop) + "\" channel=\""
      + channel + "\">" + inner + "</programme>\n";
  }

  @Test
  @DisplayName("with no guide at all the document is still valid XMLTV (no channel, no programme)")
  void emptyGuide(Vertx vertx) throws Exception {
    fx.channel("1", "bbc1.uk", "BBC One", null);
    serving.set(await(epg.store().channels(List.of("1"))));
    window.set(new Instant[] {now, now.plus(Duration.ofDays(1))});
    Path file = fetch(vertx);
    try {
      tool(file, "xmllint", "--noout", "--dtdvalid", DTD.toString());
      assertTrue(Files.readString(file).contains("<tv generator-info-name=\"iptv\">"));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  @DisplayName("a client that stops reading holds the writer back (the guide is streamed chunk by chunk, never built whole)")
  void streamedWithBackpressure(Vertx vertx) throws Exception {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      String id = "ch" + i + ".example";
      ids.add(id);
      fx.channel(Integer.toString(1000 + i), id, "Channel " + i, null);
    }
    // 300 channels, 4 days of half-hour programmes with 300-letter descriptions: about 30 MB of XML.
    guides.generate("/big", () -> {
      GuideGen.Gzipped g = new GuideGen.Gzipped(new GuideGen(ids, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(3)),
        1800, 300, "BIG"));
      return () -> g.next(64 * 1024);
    });
    fx.putSource("big", guides.url("/big"), 24);
    ImportStatus status = await(await(epg.importer().start("big")).done(), Duration.ofSeconds(120));
    assertTrue(status.ok(), status.toJson().encode());
    assertEquals(300 * 4 * 48, status.programmesKept());

    List<String> channelIds = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      channelIds.add(Integer.toString(1000 + i));
    }
    serving.set(await(epg.store().channels(channelIds)));
    window.set(new Instant[] {now.minus(Duration.ofDays(2)), now.plus(Duration.ofDays(4))});
    HttpClient client = vertx.createHttpClient();
    try {
      HttpClientResponse resp = await(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/xmltv.php")
        .compose(r -> r.send()).map(r -> r.pause()));
      TestEnv.pause(2000);   // time is the subject: the writer has had time to run ahead of the paused client
      Future<EpgStore.GuideStats> writer = written.get();
      assertNotNull(writer);
      assertFalse(writer.isComplete(), "the writer waits for the client: nothing is built ahead of the socket");
      AtomicLong bytes = new AtomicLong();
      AtomicReference<String> tail = new AtomicReference<>("");
      Promise<Void> end = Promise.promise();
      resp.handler(b -> {
        bytes.addAndGet(b.length());
        String s = b.toString(StandardCharsets.UTF_8);
        tail.set(s.length() > 16 ? s.substring(s.length() - 16) : s);
      }).endHandler(v -> end.complete()).exceptionHandler(end::tryFail);
      resp.resume();
      await(end.future(), Duration.ofSeconds(120));
      EpgStore.GuideStats stats = await(writer);
      assertEquals(300, stats.channels());
      assertEquals(300 * 4 * 48, stats.programmes());
      assertTrue(bytes.get() > 25_000_000L, "a guide of " + bytes.get() + " bytes");
      assertTrue(tail.get().endsWith("</tv>\n"), "complete: " + tail.get());

      // A client that goes away mid-guide: the writer stops with a failure, it does not wait forever.
      HttpClientResponse gone = await(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/xmltv.php")
        .compose(r -> r.send()).map(r -> r.pause()));
      TestEnv.pause(1000);   // time is the subject: the writer fills what the paused client holds, then waits
      Future<EpgStore.GuideStats> stopped = written.get();
      assertFalse(stopped.isComplete());
      await(gone.request().connection().close());
      eventually(Duration.ofSeconds(10), "the writer fails", stopped::failed);
    } finally {
      await(client.close());
    }
  }
}
