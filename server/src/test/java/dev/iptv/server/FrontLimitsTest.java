package dev.iptv.server;

import dev.iptv.common.Config;
import dev.iptv.testing.RawHttp;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The all-in-one front: slow clients are cut at the header timeout, and one connection cap holds for all its event loops")
class FrontLimitsTest {

  private static final String HEALTH = "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  private Launch launch;
  private int port;

  @BeforeEach
  void start() {
    JsonObject config = TestEnv.config(4, 0);
    port = TestEnv.freePort();
    config.put(Config.key(Config.HTTP_PORT), String.valueOf(port))
      .put(Config.key(Config.HTTP_EVENT_LOOPS), "2")
      .put(Config.key(Config.HTTP_HEADER_TIMEOUT_S), "2")
      .put(Config.key(Config.HTTP_MAX_CONNECTIONS), "6")
      .put(Config.key(Config.HLS_DIR), TestEnv.tempDir("iptv-front-hls").toString())
      .put(Config.key(Config.SEGMENT_LOG_PORT), String.valueOf(TestEnv.freePort()))
      .put(Config.key(Config.NODE_NAME), "front-limits");
    launch = await(Launch.embedded(config));
  }

  @AfterEach
  void stop() {
    if (launch != null) {
      await(launch.close());
    }
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("did not complete: " + e, e);
    }
  }

  @Test
  @DisplayName("slowloris from 5 addresses holds nothing past 2 s, and a client is served meanwhile")
  void slowloris() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(5);
    List<java.util.concurrent.Future<Long>> cut = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      String from = "127.0.0." + (2 + i);
      cut.add(pool.submit(() -> {
        try (RawHttp slow = RawHttp.connect(from, port)) {
          long started = System.nanoTime();
          slow.send("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
          for (int s = 0; s < 10; s++) {
            if (!slow.trickle('a') || slow.closedWithin(1_000)) {
              return (System.nanoTime() - started) / 1_000_000;
            }
          }
          return -1L;
        }
      }));
    }
    try (RawHttp player = RawHttp.connect("127.0.0.50", port)) {
      for (int i = 0; i < 3; i++) {
        String status = player.exchange(HEALTH, 5_000);
        assertTrue(status != null && status.startsWith("HTTP/1.1 "), "answered: " + status);
        Thread.sleep(500);
      }
    }
    for (java.util.concurrent.Future<Long> f : cut) {
      long ms = f.get(20, TimeUnit.SECONDS);
      assertTrue(ms >= 1_500 && ms <= 3_500, "cut after the 2 s header timeout, at " + ms + " ms");
    }
    pool.shutdown();
  }

  @Test
  @DisplayName("six connections over two event loops fill the cap: a seventh is closed at once, the six are served, a freed slot serves again")
  void cap() throws Exception {
    List<RawHttp> within = new ArrayList<>();
    try {
      for (int i = 0; i < 6; i++) {
        RawHttp c = RawHttp.connect("127.0.0." + (10 + i), port);
        within.add(c);
        assertTrue(c.exchange(HEALTH, 5_000).startsWith("HTTP/1.1 "));
      }
      try (RawHttp beyond = RawHttp.connect("127.0.0.30", port)) {
        assertNull(answer(beyond), "the seventh connection is closed without an answer");
      }
      for (RawHttp c : within) {
        assertTrue(c.exchange(HEALTH, 5_000).startsWith("HTTP/1.1 "), "the six keep being served");
      }
      within.remove(0).close();
      String served = null;
      for (int i = 0; i < 20 && (served == null || !served.startsWith("HTTP/1.1 ")); i++) {
        Thread.sleep(100);
        try (RawHttp again = RawHttp.connect("127.0.0.31", port)) {
          served = answer(again);
        }
      }
      assertTrue(served != null && served.startsWith("HTTP/1.1 "), "a slot freed: served, got " + served);
    } finally {
      for (RawHttp c : within) {
        c.close();
      }
    }
  }

  private static String answer(RawHttp c) {
    try {
      return c.exchange(HEALTH, 3_000);
    } catch (SocketTimeoutException e) {
      return "no answer and not closed within 3 s";
    } catch (IOException e) {
      return null;
    }
  }
}
