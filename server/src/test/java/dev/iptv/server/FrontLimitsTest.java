package dev.iptv.server;

import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.testing.RawHttp;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The all-in-one front: slow clients are cut at the header timeout, and one connection cap holds for all its event loops")
class FrontLimitsTest {

  private static final String HEALTH = "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

  private Launch launch;
  private int port;

  @BeforeEach
  void start() {
    JsonObject config = TestEnv.allInOne(4, "front-limits", 2)
      .put(Config.key(Config.HTTP_HEADER_TIMEOUT_S), "2")
      .put(Config.key(Config.HTTP_MAX_CONNECTIONS), "6");
    port = Integer.parseInt(config.getString(Config.key(Config.HTTP_PORT)));
    launch = await(Launch.embedded(config));
  }

  @AfterEach
  void stop() {
    if (launch != null) {
      await(launch.close());
    }
  }

  @Test
  @DisplayName("slowloris from 5 addresses holds nothing past 2 s, and a client is served meanwhile")
  void slowloris() throws Exception {
    RawHttp.Slowloris slow = RawHttp.slowloris(5, port, "/api/health");
    try (RawHttp player = RawHttp.connect("127.0.0.50", port)) {
      for (int i = 0; i < 3; i++) {
        String status = player.exchange(HEALTH, 5_000);
        assertTrue(status != null && status.startsWith("HTTP/1.1 "), "answered: " + status);
        Thread.sleep(500);   // time is the subject: the client comes back all along the header timeout
      }
    }
    for (long ms : slow.cutAfterMs()) {
      assertTrue(ms >= 1_500 && ms <= 3_500, "cut after the 2 s header timeout, at " + ms + " ms");
    }
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
      eventually(Duration.ofSeconds(5), "a slot freed: a new connection is served", () -> {
        try (RawHttp again = RawHttp.connect("127.0.0.31", port)) {
          return answer(again);
        }
      }, served -> served != null && served.startsWith("HTTP/1.1 "));
    } finally {
      for (RawHttp c : within) {
        c.close();
      }
    }
  }

  private static String answer(RawHttp c) {
    return c.statusOrClosed(HEALTH, 3_000);
  }

  @Test
  @DisplayName("stream-service's routes are mounted first (the players' paths), the other services keep their order")
  void playersFirst() {
    List<String> given = launch.services().stream().map(ServiceVerticle::name).toList();
    List<String> mounted = FrontVerticle.playersFirst(launch.services()).stream().map(ServiceVerticle::name).toList();
    assertEquals("stream-service", mounted.get(0));
    List<String> rest = new ArrayList<>(given);
    rest.remove("stream-service");
    assertEquals(rest, mounted.subList(1, mounted.size()));
    assertEquals(given.size(), mounted.size());
  }
}
