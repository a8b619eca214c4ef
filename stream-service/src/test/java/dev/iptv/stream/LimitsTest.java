package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.AtOnce;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SPEC section 11: IPTV_MAX_STREAMS (channels one node runs) and IPTV_USER_STARTS_PER_MIN (cold
 * starts one user causes), so that one valid token cannot start every channel.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LimitsTest {

  private static final int MAX = 3;
  private static final int STARTS = 2;

  private LiveSource source;
  private StreamFixture fx;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.MAX_STREAMS, String.valueOf(MAX),
      Config.USER_STARTS_PER_MIN, String.valueOf(STARTS)));
  }

  @AfterEach
  void stopAll() {
    fx.stopEveryStream();
  }

  @AfterAll
  void tearDown() {
    StreamFixture.closeAll(fx, source);
  }

  private static String username(String token) {
    return "viewer_" + token.substring(0, 6);
  }

  @Test
  @DisplayName("first viewers of six channels at once on a node for three: three play, three get 503 Capacity reached, never a fourth FFmpeg")
  void capacity() throws Exception {
    List<Callable<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      String id = String.valueOf(310 + i);
      fx.channel(id, source.url());
      String token = fx.token();
      calls.add(() -> fx.getText(fx.playlistUrl(id, token)));
    }
    AtomicInteger most = new AtomicInteger();
    List<HttpResponse<String>> answers = StreamFixture.sampling(() -> most.accumulateAndGet(fx.allFfmpeg().size(), Math::max),
      300, () -> AtOnce.call(calls));
    List<String> playing = new ArrayList<>();
    int refused = 0;
    for (int i = 0; i < answers.size(); i++) {
      HttpResponse<String> r = answers.get(i);
      if (r.statusCode() == 200) {
        playing.add(String.valueOf(310 + i));
        continue;
      }
      assertEquals(503, r.statusCode(), r.body());
      assertEquals("ERROR: Capacity reached", r.body());
      assertEquals(String.valueOf(StartRefused.CAPACITY_RETRY_AFTER_S), r.headers().firstValue("Retry-After").orElse(""));
      refused++;
    }
    assertEquals(MAX, playing.size(), "channels started");
    assertEquals(6 - MAX, refused);
    assertTrue(most.get() <= MAX, "FFmpeg processes seen at once: " + most.get());
    assertEquals(MAX, fx.allFfmpeg().size());

    // Running channels keep serving, to their viewers and to new ones (joining is free).
    String running = playing.get(0);
    HttpResponse<String> again = fx.getText(fx.playlistUrl(running, fx.token()));
    assertEquals(200, again.statusCode(), again.body());
    assertEquals(200, fx.getBytes(fx.firstSegmentUrl(again.body())).statusCode());

    // The admin API is refused as well, in JSON, with Retry-After.
    fx.channel("319", source.url());
    HttpResponse<String> api = fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "319"));
    assertEquals(503, api.statusCode(), api.body());
    assertTrue(new JsonObject(api.body()).getString("error").contains(Config.MAX_STREAMS), api.body());
    assertTrue(api.headers().firstValue("Retry-After").isPresent());
    assertTrue(fx.ffmpegPids("319").isEmpty());

    // A freed slot takes the next start.
    assertEquals(200, fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", running)).statusCode());
    HttpResponse<String> next = fx.getText(fx.playlistUrl("319", fx.token()));
    assertEquals(200, next.statusCode(), next.body());
  }

  @Test
  @DisplayName("a user's cold starts are limited per minute: one start for twenty polls, joins are free, the next start gets 429")
  void userStarts() throws Exception {
    fx.channel("320", source.url());
    fx.channel("321", source.url());
    fx.channel("322", source.url());
    String a = fx.token();
    String b = fx.token();

    // Twenty polls of one cold channel by one user at once: one start.
    List<Callable<HttpResponse<String>>> crowd = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      crowd.add(() -> fx.getText(fx.playlistUrl("320", a)));
    }
    for (HttpResponse<String> r : AtOnce.call(crowd)) {
      assertEquals(200, r.statusCode(), r.body());
    }
    assertEquals(1, fx.ffmpegPids("320").size());
    String key = StreamContract.userStartsKey(username(a));
    assertEquals(1, await(fx.redis.zcard(key)).toInteger(), key);
    long ttl = await(fx.redis.pttl(key)).toLong();
    assertTrue(ttl > 0 && ttl <= ChannelStarts.START_WINDOW_MS, "TTL of " + key + ": " + ttl);

    assertEquals(200, fx.getText(fx.playlistUrl("321", a)).statusCode());
    HttpResponse<String> third = fx.getText(fx.playlistUrl("322", a));
    assertEquals(429, third.statusCode(), third.body());
    assertEquals("ERROR: Too many channel starts", third.body());
    long retry = Long.parseLong(third.headers().firstValue("Retry-After").orElse("0"));
    assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
    assertTrue(fx.ffmpegPids("322").isEmpty());
    assertEquals(STARTS, await(fx.redis.zcard(key)).toInteger(), "a refused start is not counted");

    // Joining running channels costs nothing.
    assertEquals(200, fx.getText(fx.playlistUrl("320", a)).statusCode());
    assertEquals(200, fx.getText(fx.playlistUrl("321", a)).statusCode());

    // The user at their limit and another one open the same cold channel at once: the other one
    // starts it (if the first request was the limited user's, the other asks again as the starter).
    List<HttpResponse<String>> both = AtOnce.call(List.of(() -> fx.getText(fx.playlistUrl("322", a)),
      () -> fx.getText(fx.playlistUrl("322", b))));
    assertEquals(200, both.get(1).statusCode(), both.get(1).body());
    assertTrue(both.get(0).statusCode() == 200 || both.get(0).statusCode() == 429, both.get(0).body());
    assertEquals(1, fx.ffmpegPids("322").size());
    assertEquals(1, await(fx.redis.zcard(StreamContract.userStartsKey(username(b)))).toInteger());
  }

  @Test
  @DisplayName("a user's starts are counted across stream-service instances")
  void startsCountedAcrossInstances() {
    int secondPort = TestEnv.freePort();
    String second = await(fx.vertx.deployVerticle(new StreamVerticle(),
      new DeploymentOptions().setConfig(fx.config.copy().put(ServiceVerticle.SERVE_PORT, secondPort))));
    try {
      fx.channel("330", source.url());
      fx.channel("331", source.url());
      fx.channel("332", source.url());
      String c = fx.token();
      assertEquals(200, fx.getText(fx.playlistUrl("330", c)).statusCode());
      HttpResponse<String> there = fx.getText("http://127.0.0.1:" + secondPort + "/live/stream_331.m3u8?token=" + c);
      assertEquals(200, there.statusCode(), there.body());
      HttpResponse<String> third = fx.getText(fx.playlistUrl("332", c));
      assertEquals(429, third.statusCode(), third.body());
      assertTrue(fx.ffmpegPids("332").isEmpty());
      Response starts = await(fx.redis.zcard(StreamContract.userStartsKey(username(c))));
      assertEquals(2, starts.toInteger());
    } finally {
      await(fx.vertx.undeploy(second));
    }
  }
}
