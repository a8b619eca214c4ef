package dev.iptv.playlist.epg;

import dev.iptv.common.Config;
import dev.iptv.contract.EpgContract.ImportStatus;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guides from a server that closes the connection right after the last byte (HTTP/1.0 style,
 * {@code Connection: close}), as many providers' scripts do. The import reads slower than loopback
 * delivers, so the response is paused when its end and the close arrive: Vert.x 5.0's HTTP client
 * then reports "Connection was closed" and drops the end. Every import must still complete.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("Guides from servers that close the connection after the last byte")
class ClosingServerTest {

  private EpgFixture fx;
  private Epg epg;
  private ServerSocket server;
  private Thread serving;
  private final AtomicInteger requests = new AtomicInteger();
  private volatile byte[] body;
  private volatile boolean chunked;
  /** Requests (from the first) that get half the body, then the close. */
  private volatile int cut;

  @BeforeEach
  void setUp(Vertx vertx) throws IOException {
    fx = new EpgFixture(vertx);
    Instant now = Instant.now().truncatedTo(ChronoUnit.HOURS);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ids.add("c" + i + ".example");
      fx.channel(Integer.toString(i + 1), "c" + i + ".example", "C" + i, null);
    }
    body = new GuideGen(ids, now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(2)), 1800, 200, "CLOSE").bytes();
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    serving = new Thread(this::serve, "closing-server");
    serving.setDaemon(true);
    serving.start();
    epg = fx.epg("node-a", Map.of(Config.EPG_CHECK_S, "3600"));
  }

  @AfterEach
  void tearDown() throws Exception {
    await(epg.close());
    server.close();
    serving.join(5000);
  }

  /** One response per connection, then close: what an HTTP/1.0-style server does. */
  private void serve() {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        requests.incrementAndGet();
        InputStream in = s.getInputStream();
        byte[] head = new byte[8192];
        int n = 0;
        while (n < 4 || !new String(head, 0, n, StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
          int r = in.read(head, n, head.length - n);
          if (r < 0) {
            break;
          }
          n += r;
        }
        OutputStream out = new BufferedOutputStream(s.getOutputStream(), 64 * 1024);
        byte[] b = body;
        if (requests.get() <= cut) {
          out.write(("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + b.length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
          out.write(b, 0, b.length / 2);
          out.flush();
          continue;
        }
        if (chunked) {
          out.write("HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
          for (int off = 0; off < b.length; off += 16 * 1024) {
            int len = Math.min(16 * 1024, b.length - off);
            out.write((Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b, off, len);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
          }
          out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } else {
          out.write(("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + b.length + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
          out.write(b);
        }
        out.flush();
      } catch (IOException e) {
        // closed by tearDown, or the client went away
      }
    }
  }

  @Test
  @DisplayName("a connection closed mid-guide is downloaded again at once, three times in all, then the import fails")
  void cutConnections() {
    fx.putSource("s", "http://127.0.0.1:" + server.getLocalPort() + "/guide.xml", 24);
    cut = 2;
    ImportStatus s = await(await(epg.importer().start("s")).done());
    assertTrue(s.ok(), s.toJson().encode());
    assertEquals(3, requests.get(), "two cut downloads, then a whole one");
    assertEquals(body.length, s.bytes(), "the counts are the last download's");
    assertEquals(40 * 3 * 48, s.programmesKept());
    assertEquals(List.of(Long.toString(s.generation())), fx.keys("guide:*:channels").stream()
      .map(k -> k.split(":")[1]).toList(), "the partial generations are gone");

    cut = Integer.MAX_VALUE;
    requests.set(0);
    ImportStatus failed = await(await(epg.importer().start("s")).done());
    assertEquals("failed", failed.status());
    assertEquals("Connection was closed", failed.error());
    assertEquals(3, requests.get());
    assertEquals(s.generation(), failed.generation(), "the guide in use stays");
  }

  @ParameterizedTest(name = "chunked: {0}")
  @ValueSource(booleans = {false, true})
  @DisplayName("ten imports in a row all complete, with every programme")
  void everyImportCompletes(boolean chunkedBody) {
    chunked = chunkedBody;
    fx.putSource("s", "http://127.0.0.1:" + server.getLocalPort() + "/guide.xml", 24);
    for (int i = 0; i < 10; i++) {
      ImportRun run = await(epg.importer().start("s"));
      ImportStatus s = await(run.done());
      assertTrue(s.ok(), "import " + i + ": " + s.toJson().encode());
      assertEquals(body.length, s.bytes());
      assertEquals(40 * 3 * 48, s.programmesKept());
    }
  }
}
