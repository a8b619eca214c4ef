package dev.iptv.stream;

import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.StreamContract;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("Direct mode (SPEC section 10)")
class DirectModeTest {

  private static final String SOURCE = "http://upstream.example:8000/live/news.m3u8?key=abc";
  private StreamFixture fx;

  @BeforeAll
  void setUp() {
    fx = new StreamFixture(Map.of());
  }

  @AfterAll
  void tearDown() {
    StreamFixture.closeAll(fx);
  }

  private void direct(String id) {
    fx.channel(id, SOURCE);
    JsonObject c = new JsonObject(fx.get(ChannelContract.channelKey(id))).put("direct", true);
    await(fx.redis.set(List.of(ChannelContract.channelKey(id), c.encode())));
  }

  private HttpResponse<String> poll(String id, String token, String userAgent) {
    return fx.send(HttpRequest.newBuilder(URI.create(fx.playlistUrl(id, token))).header("User-Agent", userAgent).GET().build(),
      HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("a direct channel answers 302 to its source, token-checked and counted, and never starts FFmpeg")
  void redirects() {
    direct("601");
    String token = fx.token(true, Instant.now().plusSeconds(3600), 1);
    HttpResponse<String> r = poll("601", token, "PlayerA");
    assertEquals(302, r.statusCode(), r.body());
    assertEquals(SOURCE, r.headers().firstValue("Location").orElse(null));
    // Counted like an HLS viewer: the channel's viewers and the user's session (max_connections 1).
    eventually(Duration.ofSeconds(5), "the poll is counted among the channel's viewers",
      () -> await(fx.redis.zcard(StreamContract.viewersKey("601"))).toLong() == 1);
    HttpResponse<String> second = poll("601", token, "PlayerB");
    assertEquals(403, second.statusCode());
    assertEquals("ERROR: Max connections reached", second.body());
    assertEquals(403, poll("601", "0123456789abcdef0123456789abcdef", "PlayerA").statusCode());
    assertEquals(302, poll("601", token, "PlayerA").statusCode());
    assertTrue(fx.ffmpegPids("601").isEmpty(), "no FFmpeg for a direct channel");
    assertTrue(fx.channelFiles("601").isEmpty());
    assertEquals(null, fx.get(StreamContract.pidKey("601")));
  }
}
