package dev.iptv.stream;

import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.AtOnce;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two stream-service instances on one machine (one folder, one Redis), as when stream-service runs
 * twice behind nginx: one FFmpeg per channel whichever instance players reach, and either instance
 * can stop it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterStoriesTest {

  private LiveSource source;
  private StreamFixture fx;
  private StreamVerticle second;
  private String secondDeployment;
  private int secondPort;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of());
    secondPort = TestEnv.freePort();
    second = new StreamVerticle();
    secondDeployment = await(fx.vertx.deployVerticle(second,
      new DeploymentOptions().setConfig(fx.config.copy().put(ServiceVerticle.SERVE_PORT, secondPort))));
  }

  @AfterAll
  void tearDown() {
    try {
      if (secondDeployment != null) {
        await(fx.vertx.undeploy(secondDeployment));
      }
    } finally {
      StreamFixture.closeAll(fx, source);
    }
  }

  @Test
  @DisplayName("players spread over two instances start one FFmpeg, and the other instance stops it on request")
  void oneFfmpegAcrossInstances() throws Exception {
    fx.channel("401", source.url());
    String token = fx.token();
    List<String> urls = List.of(fx.playlistUrl("401", token),
      "http://127.0.0.1:" + secondPort + "/live/stream_401.m3u8?token=" + token);
    List<Callable<HttpResponse<String>>> players = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      String url = urls.get(i % 2);
      players.add(() -> fx.getText(url));
    }
    for (HttpResponse<String> r : AtOnce.call(players)) {
      assertEquals(200, r.statusCode(), r.body());
    }
    assertEquals(1, fx.ffmpegPids("401").size());
    String owner = fx.get(StreamContract.ownerKey("401"));
    assertTrue(owner.equals(fx.verticle.instanceId()) || owner.equals(second.instanceId()), owner);

    // Stop through the instance that does not run it: it asks the owner.
    int other = owner.equals(fx.verticle.instanceId()) ? secondPort : fx.port;
    HttpResponse<String> stopped = AdminClient.plain(other).call("POST", "/api/stream/stop", new JsonObject().put("channel_id", "401"));
    assertEquals(200, stopped.statusCode(), stopped.body());
    eventually(Duration.ofSeconds(5), "401 stopped", () -> fx.ffmpegPids("401").isEmpty()
      && fx.get(StreamContract.ownerKey("401")) == null && fx.channelFiles("401").isEmpty());
  }

  @Test
  @DisplayName("a force switch and the FFmpeg log asked of the instance that does not run the channel are answered by its owner")
  void switchAndLogReachTheOwner() {
    fx.channel("402", source.url("p402"), source.url("b402"));
    assertEquals(200, fx.getText(fx.playlistUrl("402", fx.token())).statusCode());
    String owner = fx.get(StreamContract.ownerKey("402"));
    int other = owner.equals(fx.verticle.instanceId()) ? secondPort : fx.port;
    HttpResponse<String> log = AdminClient.plain(other).call("GET", "/api/streams/402/log?lines=50", null);
    assertEquals(200, log.statusCode(), log.body());
    assertTrue(log.body().contains("Input #0"), log.body());
    HttpResponse<String> switched = AdminClient.plain(other).call("POST", "/api/stream/switch",
      new JsonObject().put("channel_id", "402"));
    assertEquals(200, switched.statusCode(), switched.body());
    assertTrue(new JsonObject(switched.body()).getString("to").endsWith("b402.ts"), switched.body());
    assertEquals(source.url("b402"), fx.get(StreamContract.resolvedSourceKey("402")));
    assertEquals(1, fx.ffmpegPids("402").size());
    assertEquals(404, AdminClient.plain(other).call("GET", "/api/streams/499/log", null).statusCode());
    assertEquals(404, AdminClient.plain(other).call("POST", "/api/stream/switch",
      new JsonObject().put("channel_id", "499")).statusCode());
    assertEquals(200, AdminClient.plain(other).call("POST", "/api/stream/stop",
      new JsonObject().put("channel_id", "402")).statusCode());
  }
}
