package dev.iptv.playlist.epg;

import dev.iptv.contract.EpgContract.ImportStatus;
import dev.iptv.testing.Eventually;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guide of over 100 MB of gzip (about 225 MB of XML, 336,000 programmes on 1,000 channels),
 * generated while it is sent, imported through the API by playlist-service running in a JVM of its
 * own with a 256 MB heap ({@code -Xmx256m}, the heap the suite's JVMs run with in the tests).
 */
@ExtendWith(VertxExtension.class)
@DisplayName("A 100 MB gzip guide imports in a playlist-service JVM with -Xmx256m")
class BigGuideImportTest {

  static final int GUIDE_CHANNELS = 1000;
  static final int OURS_EVERY = 10;
  static final int DESC_CHARS = 480;
  static final long MIB_100 = 100L * 1024 * 1024;

  @Test
  @DisplayName("the import streams: it finishes, keeps our channels' programmes, shows progress, and fits the small heap")
  void bigGuide(Vertx vertx) throws Exception {
    EpgFixture fx = new EpgFixture(vertx);
    Instant now = Instant.now().truncatedTo(ChronoUnit.HOURS);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < GUIDE_CHANNELS; i++) {
      ids.add("c" + i + ".example");
      if (i % OURS_EVERY == 0) {
        fx.channel(Integer.toString(1 + i), "c" + i + ".example", "Channel " + i, null);
      }
    }
    GuideServer server = new GuideServer(vertx);
    // Served gzip under an .xml name: gzip is told by its content.
    server.generate("/big.xml", () -> {
      GuideGen.Gzipped g = new GuideGen.Gzipped(new GuideGen(ids, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(6)),
        1800, DESC_CHARS, "BIG"));
      return () -> g.next(256 * 1024);
    });

    int port = TestEnv.freePort();
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
      "-XX:+UseSerialGC", "-Diptv.test.redis=" + TestEnv.REDIS_BASE, "-cp", classpath, EpgServiceMain.class.getName(),
      Integer.toString(port)).redirectErrorStream(true);
    Process child = pb.start();
    List<String> output = new CopyOnWriteArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          output.add(line);
        }
      } catch (Exception e) {
        output.add("reader: " + e);
      }
    });
    reader.start();
    try {
      eventually(Duration.ofSeconds(60), "the service JVM is up", () -> output.contains("READY"));
      fx.port = port;
      Instant started = Instant.now();
      HttpResponse<Buffer> created = fx.admin(HttpMethod.POST, "/api/epg/sources",
        EpgFixture.source("big", server.url("/big.xml"), 24));
      assertEquals(201, created.statusCode(), created.bodyAsString());

      List<JsonObject> progress = new ArrayList<>();
      ImportStatus status = eventually(Duration.ofMinutes(10), "the import finished", () -> {
        if (!child.isAlive()) {
          throw Eventually.stop("the service JVM exited: " + tail(output));
        }
        JsonObject view = fx.admin(HttpMethod.GET, "/api/epg/sources/big", null).bodyAsJsonObject();
        if (view.getJsonObject("importing") != null) {
          progress.add(view.getJsonObject("importing"));
        }
        return fx.lastImport("big");
      }, last -> last != null && last.finished() != null);
      double seconds = Duration.between(started, status.finished()).toMillis() / 1000.0;
      assertTrue(status.ok(), status.toJson().encode() + "\n" + tail(output));
      assertTrue(status.gzip());
      assertTrue(status.bytes() >= MIB_100, "a guide of at least 100 MiB of gzip: " + status.bytes());
      assertEquals(GUIDE_CHANNELS, status.channelsSeen());
      assertEquals(GUIDE_CHANNELS / OURS_EVERY, status.channelsKept());
      assertEquals(GUIDE_CHANNELS * 7L * 48, status.programmesSeen());
      assertEquals(GUIDE_CHANNELS / OURS_EVERY * 7L * 48, status.programmesKept());
      assertFalse(progress.isEmpty(), "the import's progress was visible in the API");
      assertTrue(progress.stream().anyMatch(p -> p.getLong("bytes") > 0 && p.getLong("programmes") > 0), progress.toString());
      List<Programme> next = await(fx.store().upcoming("c990.example", now.plusSeconds(60), 2));
      assertEquals(List.of("BIG c990.example #48", "BIG c990.example #49"), next.stream().map(Programme::title).toList());

      OutputStream stdin = child.getOutputStream();
      stdin.write("STOP\n".getBytes(StandardCharsets.UTF_8));
      stdin.flush();
      assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the service JVM stops");
      reader.join(10_000);
      String heapLine = output.stream().filter(l -> l.startsWith("HEAP ")).findFirst().orElse(null);
      assertNotNull(heapLine, tail(output));
      JsonObject heap = new JsonObject(heapLine.substring(5));
      assertTrue(heap.getLong("max_heap_mb") <= 256, heap.encode());
      assertFalse(output.stream().anyMatch(l -> l.contains("OutOfMemoryError")), tail(output));
      System.out.printf("BIG GUIDE: %d bytes of gzip, %d bytes of XML, %d programmes (%d kept) in %.1f s; heap %s%n",
        status.bytes(), status.xmlBytes(), status.programmesSeen(), status.programmesKept(), seconds, heap.encode());
    } finally {
      child.destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
      server.close();
    }
  }

  private static String tail(List<String> lines) {
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
