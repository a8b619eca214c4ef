package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stream-service mounted like the all-in-one server mounts it: its router served by several HTTP
 * server instances, each on its own event loop, players on distinct addresses. The channel state
 * stays owned by the verticle's context whatever loop a request arrives on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FrontLoopsTest {

  private static final int LOOPS = 4;
  private static final int MAX = 2;

  /** One front instance, as the all-in-one server has: its own router on its own event loop, noting the loop of each request. */
  private static final class Front extends VerticleBase {
    private final ServiceVerticle service;
    private final int port;
    private final Set<String> loops;

    Front(ServiceVerticle service, int port, Set<String> loops) {
      this.service = service;
      this.port = port;
      this.loops = loops;
    }

    @Override
    public Future<?> start() {
      Router router = Router.router(vertx);
      router.route("/*").subRouter(service.mountable(vertx));
      return vertx.createHttpServer().requestHandler(req -> {
        loops.add(Thread.currentThread().getName());
        router.handle(req);
      }).listen(port, "127.0.0.1");
    }
  }

  private LiveSource source;
  private StreamFixture fx;
  private String embedded;
  private int port;
  private final Set<String> loops = ConcurrentHashMap.newKeySet();
  private final List<WebClient> players = new ArrayList<>();

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.MAX_STREAMS, String.valueOf(MAX)));
    fx.undeployStream();
    StreamVerticle stream = new StreamVerticle();
    JsonObject config = fx.config.copy();
    config.remove(ServiceVerticle.SERVE_PORT);
    embedded = await(fx.vertx.deployVerticle(stream, new DeploymentOptions().setConfig(config)));
    port = TestEnv.freePort();
    await(fx.vertx.deployVerticle(() -> new Front(stream, port, loops), new DeploymentOptions().setInstances(LOOPS)));
  }

  @AfterEach
  void stopAll() {
    AdminClient admin = AdminClient.plain(port);
    for (ProcScan.Found f : fx.allFfmpeg()) {
      admin.call("POST", "/api/stream/stop", new JsonObject().put("channel_id", f.channelId()));
    }
  }

  @AfterAll
  void tearDown() {
    try {
      players.forEach(WebClient::close);
      if (embedded != null) {
        await(fx.vertx.undeploy(embedded));
        assertTrue(fx.allFfmpeg().isEmpty(), "FFmpeg left after undeploy: " + fx.allFfmpeg());
      }
    } finally {
      if (fx != null) {
        fx.close();
      }
      if (source != null) {
        source.close();
      }
    }
  }

  /** A player on its own address (127.0.0.{n}), so on its own connection. */
  private WebClient player(int n) {
    WebClient c = WebClient.create(fx.vertx, new WebClientOptions().setLocalAddress("127.0.0." + n).setKeepAlive(false));
    players.add(c);
    return c;
  }

  private Future<HttpResponse<Buffer>> poll(WebClient player, String id, String token) {
    return player.get(port, "127.0.0.1", "/live/stream_" + id + ".m3u8").addQueryParam("token", token).send();
  }

  /** The most FFmpeg processes seen at once in the folder while {@code work} runs. */
  private int mostFfmpeg(Runnable work) throws Exception {
    AtomicInteger most = new AtomicInteger();
    StreamFixture.sampling(() -> most.accumulateAndGet(fx.allFfmpeg().size(), Math::max), 300, () -> {
      work.run();
      return null;
    });
    return most.get();
  }

  @Test
  @DisplayName("served from four event loops, twenty first viewers of a cold channel on twenty addresses start one FFmpeg and all play")
  void firstViewersOnManyLoops() throws Exception {
    fx.channel("701", source.url());
    List<String> tokens = new ArrayList<>();
    List<WebClient> crowd = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      tokens.add(fx.token());
      crowd.add(player(20 + i));
    }
    List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
    int most = mostFfmpeg(() -> {
      for (int i = 0; i < 20; i++) {
        answers.add(poll(crowd.get(i), "701", tokens.get(i)));
      }
      await(Future.join(answers));
    });
    for (Future<HttpResponse<Buffer>> a : answers) {
      assertEquals(200, a.result().statusCode(), a.result().bodyAsString());
      assertTrue(a.result().bodyAsString().contains("stream_701_"), a.result().bodyAsString());
    }
    assertTrue(loops.size() > 1, "requests were served on several event loops: " + loops);
    assertEquals(1, most, "FFmpeg processes seen at once");
    assertEquals(1, fx.ffmpegPids("701").size());

    // Polls of the playing channel, on any loop, keep being answered.
    List<Future<HttpResponse<Buffer>>> again = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      again.add(poll(player(60 + i), "701", fx.token()));
    }
    await(Future.join(again));
    again.forEach(a -> assertEquals(200, a.result().statusCode(), a.result().bodyAsString()));
  }

  @Test
  @DisplayName("served from four event loops, first viewers of four channels at once on a node for two: two play, two get 503 Capacity reached, never a third FFmpeg")
  void capacityOnManyLoops() throws Exception {
    List<String> tokens = new ArrayList<>();
    List<WebClient> firsts = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fx.channel(String.valueOf(710 + i), source.url());
      tokens.add(fx.token());
      firsts.add(player(100 + i));
    }
    List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
    int most = mostFfmpeg(() -> {
      for (int i = 0; i < 4; i++) {
        answers.add(poll(firsts.get(i), String.valueOf(710 + i), tokens.get(i)));
      }
      await(Future.join(answers));
    });
    int playing = 0;
    for (Future<HttpResponse<Buffer>> a : answers) {
      if (a.result().statusCode() == 200) {
        playing++;
        continue;
      }
      assertEquals(503, a.result().statusCode(), a.result().bodyAsString());
      assertEquals("ERROR: Capacity reached", a.result().bodyAsString());
    }
    assertEquals(MAX, playing, "channels started");
    assertTrue(most <= MAX, "FFmpeg processes seen at once: " + most);
    assertEquals(MAX, fx.allFfmpeg().size());
  }
}
