package dev.iptv.common;

import dev.iptv.testing.RawHttp;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
@DisplayName("A service's own HTTP server: header and idle timeouts, and a connection cap (SPEC section 11)")
class HttpGuardTest {

  private static final String PING = "GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: player\r\n\r\n";

  /** The smallest service: GET /ping answers pong. */
  static final class PingService extends ServiceVerticle {
    @Override
    public String name() {
      return "ping-service";
    }

    @Override
    protected Future<?> setUp() {
      return Future.succeededFuture();
    }

    @Override
    protected void routes(Router router) {
      router.get("/ping").handler(ctx -> ctx.response().end("pong"));
    }
  }

  private static int serve(Vertx vertx, Map<String, String> settings) {
    int port = TestEnv.freePort();
    JsonObject config = Config.load(Map.of()).put(Config.key(Config.BIND_HOST), "127.0.0.1")
      .put(ServiceVerticle.SERVE_PORT, port);
    settings.forEach((k, v) -> config.put(Config.key(k), v));
    await(vertx.deployVerticle(new PingService(), new DeploymentOptions().setConfig(config)));
    return port;
  }

  @Test
  @DisplayName("slowloris from 40 addresses, one header byte a second: a player is served meanwhile, and every slow connection is cut within the header timeout")
  void slowloris(Vertx vertx) throws Exception {
    int port = serve(vertx, Map.of(Config.HTTP_HEADER_TIMEOUT_S, "2", Config.HTTP_IDLE_TIMEOUT_S, "30"));
    RawHttp.Slowloris slow = RawHttp.slowloris(40, port, "/ping");
    WebClient player = WebClient.create(vertx, new WebClientOptions().setLocalAddress("127.0.0.200"));
    for (int i = 0; i < 6; i++) {
      long t0 = System.nanoTime();
      HttpResponse<Buffer> r = await(player.get(port, "127.0.0.1", "/ping").send());
      assertEquals(200, r.statusCode());
      assertTrue((System.nanoTime() - t0) / 1_000_000 < 1_000, "served at once while the slow clients hold on");
      Thread.sleep(300);   // time is the subject: the player comes back all along the header timeout
    }
    for (long ms : slow.cutAfterMs()) {
      assertTrue(ms >= 1_500 && ms <= 3_500, "cut after the 2 s header timeout, at " + ms + " ms");
    }
  }

  @Test
  @DisplayName("a silent keep-alive connection is closed after the idle timeout; one that trickles after its answer too; polls slower than the header timeout keep theirs")
  void idle(Vertx vertx) throws Exception {
    int port = serve(vertx, Map.of(Config.HTTP_HEADER_TIMEOUT_S, "2", Config.HTTP_IDLE_TIMEOUT_S, "3"));

    try (RawHttp silent = RawHttp.connect("127.0.0.2", port);
         RawHttp trickling = RawHttp.connect("127.0.0.3", port)) {
      long t0 = System.nanoTime();
      assertEquals("HTTP/1.1 200 OK", silent.exchange(PING, 2_000));
      assertEquals("HTTP/1.1 200 OK", trickling.exchange(PING, 2_000));
      trickling.send("GET /ping HTTP/1.1\r\nX-Slow: ");
      for (int s = 0; s < 2; s++) {
        Thread.sleep(1_000);   // time is the subject: one byte a second
        assertTrue(trickling.trickle('a'));
      }
      assertFalse(silent.closedWithin(100), "still open 2 s after its answer: longer than the header timeout");
      assertTrue(silent.closedWithin(2_500), "closed by the 3 s idle timeout");
      assertTrue(trickling.closedWithin(1_000), "a trickled next request is cut at the idle timeout too");
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms < 5_000, "both gone within the idle timeout and a little: " + ms + " ms");
    }

    try (RawHttp poller = RawHttp.connect("127.0.0.4", port)) {
      for (int i = 0; i < 4; i++) {
        assertEquals("HTTP/1.1 200 OK", poller.exchange(PING, 2_000), "poll " + i + " on the same connection");
        Thread.sleep(2_500);   // time is the subject: polls further apart than the header timeout
      }
    }
  }

  @Test
  @DisplayName("past the connection cap a new connection is closed at once, those within are served, and a freed slot serves again")
  void cap(Vertx vertx) throws Exception {
    int port = serve(vertx, Map.of(Config.HTTP_MAX_CONNECTIONS, "4", Config.HTTP_IDLE_TIMEOUT_S, "30"));
    List<RawHttp> within = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        RawHttp c = RawHttp.connect("127.0.0." + (2 + i), port);
        within.add(c);
        assertEquals("HTTP/1.1 200 OK", c.exchange(PING, 2_000));
      }
      try (RawHttp beyond = RawHttp.connect("127.0.0.9", port)) {
        assertNull(answer(beyond), "the fifth connection is closed without an answer");
      }
      for (RawHttp c : within) {
        assertEquals("HTTP/1.1 200 OK", c.exchange(PING, 2_000), "the four keep being served");
      }
      within.remove(0).close();
      eventually(Duration.ofSeconds(5), "a slot freed: a new connection is served", () -> {
        try (RawHttp again = RawHttp.connect("127.0.0.10", port)) {
          return answer(again);
        }
      }, "HTTP/1.1 200 OK"::equals);
    } finally {
      for (RawHttp c : within) {
        c.close();
      }
    }
  }

  /** The status line, or null when the server closed the connection (a silent server is a failure). */
  private static String answer(RawHttp c) {
    return c.statusOrClosed(PING, 2_000);
  }
}
