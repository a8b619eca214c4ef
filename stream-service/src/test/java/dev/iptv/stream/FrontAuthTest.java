package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The front's auth path ({@code /internal/auth}, nginx's auth_request) and the player path check
 * the channel itself, so a channel deleted or deactivated without its event (redis-cli, an event
 * lost in a restart) is refused within seconds and its stream stops; the route exists only on the
 * service's own port and answers loopback peers only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FrontAuthTest {

  private LiveSource source;
  private StreamFixture fx;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    // On every interface, so that a peer that is not loopback can reach the port.
    fx = new StreamFixture(Map.of(Config.BIND_HOST, "0.0.0.0"));
    MessageConsumer<JsonObject> c = fx.vertx.eventBus().consumer(StreamContract.EVENTS, m -> events.add(m.body()));
    await(c.completion());
  }

  @AfterAll
  void tearDown() {
    StreamFixture.closeAll(fx, source);
  }

  private int auth(String token, String channel) {
    return fx.getText(fx.base() + "/internal/auth?token=" + token + "&channel=" + channel).statusCode();
  }

  /** The seconds until /internal/auth refuses {@code channel}, polling every 100 ms. */
  private double secondsUntilRefused(String token, String channel) {
    long t0 = System.currentTimeMillis();
    eventually(Duration.ofSeconds(10), "/internal/auth refuses channel " + channel, () -> auth(token, channel) == 403);
    return (System.currentTimeMillis() - t0) / 1000.0;
  }

  @Test
  @DisplayName("a channel deleted or deactivated with redis-cli (no event) is refused by the auth path within seconds")
  void missedEventsStillRefuse() {
    fx.channel("501", source.url());
    fx.channel("502", source.url());
    String token = fx.token();
    assertEquals(204, auth(token, "501"));
    assertEquals(204, auth(token, "502"));
    assertEquals(403, auth(token, "599"), "an unknown channel");

    await(fx.redis.del(List.of(ChannelContract.channelKey("501"))));
    JsonObject inactive = new JsonObject(fx.get(ChannelContract.channelKey("502"))).put("is_active", false);
    await(fx.redis.set(List.of(ChannelContract.channelKey("502"), inactive.encode())));
    double deleted = secondsUntilRefused(token, "501");
    double deactivated = secondsUntilRefused(token, "502");
    assertTrue(deleted <= ChannelGate.FRESH_MS / 1000.0 + 1, "deleted channel refused after " + deleted + " s");
    assertTrue(deactivated <= ChannelGate.FRESH_MS / 1000.0 + 1, "inactive channel refused after " + deactivated + " s");

    // The event, when it comes, is believed at once.
    fx.channel("503", source.url());
    assertEquals(204, auth(token, "503"));
    await(fx.redis.del(List.of(ChannelContract.channelKey("503"))));
    fx.vertx.eventBus().publish(ChannelContract.CHANNELS_CHANGED, new JsonObject().put("channel_id", "503").put("action", "deleted"));
    eventually(Duration.ofMillis(500), "503 refused right after its event", () -> auth(token, "503") == 403);
  }

  @Test
  @DisplayName("polls of the auth path cost no Redis read of the channel each: one per few seconds")
  void channelReadsAreCached() throws Exception {
    fx.channel("504", source.url());
    String token = fx.token();
    assertEquals(204, auth(token, "504"));
    URI redis = URI.create(TestEnv.REDIS_BASE);
    Process monitor = new ProcessBuilder("redis-cli", "-h", redis.getHost(), "-p", String.valueOf(redis.getPort()), "monitor")
      .redirectErrorStream(true).start();
    AtomicInteger reads = new AtomicInteger();
    // Marks the test reads itself: the monitor shows commands in the order Redis runs them.
    String start = "front-auth-test:mark-start-" + System.nanoTime();
    String end = "front-auth-test:mark-end-" + System.nanoTime();
    AtomicBoolean started = new AtomicBoolean();
    AtomicBoolean ended = new AtomicBoolean();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(monitor.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.contains("\"" + ChannelContract.channelKey("504") + "\"")) {
            reads.incrementAndGet();
          }
          started.compareAndSet(false, line.contains(start));
          ended.compareAndSet(false, line.contains(end));
        }
      } catch (java.io.IOException e) {
        // The monitor ended.
      }
    });
    reader.start();
    int polls = 0;
    try {
      eventually(Duration.ofSeconds(5), "redis-cli monitor attached (it shows a read made after it started)", () -> {
        fx.get(start);
        return started.get();
      });
      long t0 = System.currentTimeMillis();
      // Time is the subject: polls for longer than the channel is cached, so it is read again once.
      while (System.currentTimeMillis() - t0 < ChannelGate.FRESH_MS + 1_000) {
        assertEquals(204, auth(token, "504"));
        polls++;
      }
      fx.get(end);
      eventually(Duration.ofSeconds(5), "redis-cli monitor has shown every command run before the end mark", ended::get);
    } finally {
      monitor.destroy();
      reader.join(5_000);
    }
    assertTrue(polls >= 20, "polls: " + polls);
    assertTrue(reads.get() >= 1 && reads.get() <= 2, reads.get() + " reads of channel:504 for " + polls + " polls"
      + " over " + (ChannelGate.FRESH_MS + 1_000) + " ms: one when the cached one is older than " + ChannelGate.FRESH_MS + " ms");
  }

  @Test
  @DisplayName("a playing channel deleted without an event answers players 404 within seconds and its FFmpeg stops")
  void runningChannelDeletedWithoutEvent() {
    fx.channel("505", source.url());
    String token = fx.token();
    assertEquals(200, fx.getText(fx.playlistUrl("505", token)).statusCode());
    assertEquals(1, fx.ffmpegPids("505").size());
    await(fx.redis.del(List.of(ChannelContract.channelKey("505"))));
    long t0 = System.currentTimeMillis();
    eventually(Duration.ofSeconds(5), "players get 404 for 505", () -> fx.getText(fx.playlistUrl("505", token)).statusCode() == 404);
    eventually(Duration.ofSeconds(12), "505's FFmpeg, files and keys gone", () -> fx.ffmpegPids("505").isEmpty()
      && fx.channelFiles("505").isEmpty() && fx.get(StreamContract.ownerKey("505")) == null && fx.get(StreamContract.pidKey("505")) == null);
    assertTrue(System.currentTimeMillis() - t0 < 12_000);
    assertTrue(events.stream().anyMatch(e -> "stopped".equals(e.getString("event")) && "505".equals(e.getString("channel_id"))));
  }

  @Test
  @DisplayName("Redis flushed while the mirror restores it: a running channel missing from Redis plays on, nothing stops")
  void redisLossIsNoDeletion() {
    await(fx.redis.set(List.of(MirrorContract.SENTINEL, "1")));
    fx.channel("508", source.url());
    String channelJson = fx.get(ChannelContract.channelKey("508"));
    String token = fx.token();
    assertEquals(200, fx.getText(fx.playlistUrl("508", token)).statusCode());
    List<Long> pids = fx.ffmpegPids("508");
    assertEquals(1, pids.size());
    // stream- and auth-service have seen the mirror. Time is the subject: their probes read the
    // sentinel every PROBE_MS and show what they saw nowhere outside the services.
    TestEnv.pause(MirrorContract.PROBE_MS + 500);
    try {
      await(fx.redis.flushdb(List.of()));
      long until = System.currentTimeMillis() + 7_000;    // two sweeps and two cache lifetimes
      while (System.currentTimeMillis() < until) {
        assertEquals(204, auth(token, "508"));
        HttpResponse<String> r = fx.getText(fx.playlistUrl("508", token));
        assertEquals(200, r.statusCode(), r.body());
        TestEnv.pause(250);   // time is the subject: a player polling through two sweeps and two cache lifetimes
      }
      assertEquals(pids, fx.ffmpegPids("508"), "the same FFmpeg plays on");
    } finally {
      // What monitor-service's restore would do.
      await(fx.redis.set(List.of(ChannelContract.channelKey("508"), channelJson)));
      await(fx.redis.set(List.of(MirrorContract.SENTINEL, "1")));
    }
    fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "508"));
  }

  @Test
  @DisplayName("the all-in-one router has no /internal/auth: mounted like Launch.embedded, it answers 404")
  void notOnTheAllInOneRouter() {
    fx.channel("506", source.url());
    String token = fx.token();
    StreamVerticle embedded = new StreamVerticle();
    JsonObject config = fx.config.copy();
    config.remove(ServiceVerticle.SERVE_PORT);
    String deployment = await(fx.vertx.deployVerticle(embedded, new DeploymentOptions().setConfig(config)));
    HttpServer server = null;
    try {
      Router front = Router.router(fx.vertx);
      front.route("/*").subRouter(embedded.mountable(fx.vertx));
      server = await(fx.vertx.createHttpServer().requestHandler(front).listen(0, "127.0.0.1"));
      String base = "http://127.0.0.1:" + server.actualPort();
      assertEquals(404, fx.getText(base + "/internal/auth?token=" + token + "&channel=506").statusCode());
      assertEquals(403, fx.getText(base + "/live/stream_506.m3u8").statusCode(), "the router itself is mounted");
      assertEquals(204, auth(token, "506"), "the service's own port has the route");
    } finally {
      if (server != null) {
        await(server.close());
      }
      await(fx.vertx.undeploy(deployment));
    }
  }

  @Test
  @DisplayName("/internal/auth answers loopback peers (the local front) only: a peer on another address gets 403")
  void loopbackPeersOnly() {
    fx.channel("507", source.url());
    String token = fx.token();
    String outside = nonLoopbackAddress();
    assertNotNull(outside, "this test needs a non-loopback IPv4 address on the machine");
    String uri = "/internal/auth?token=" + token + "&channel=507";
    assertEquals(204, statusFrom("127.0.0.2", "127.0.0.1", uri), "another loopback address is this machine");
    assertEquals(403, statusFrom(outside, outside, uri), "a peer on " + outside);
    // The player paths stay open to everyone.
    assertEquals(200, statusFrom(outside, outside, "/live/stream_507.m3u8?token=" + token));
  }

  private int statusFrom(String localAddress, String host, String uri) {
    HttpClient client = fx.vertx.createHttpClient(new HttpClientOptions().setLocalAddress(localAddress));
    try {
      return await(client.request(HttpMethod.GET, fx.port, host, uri)
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode()))));
    } finally {
      await(client.close());
    }
  }

  private static String nonLoopbackAddress() {
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        if (!nic.isUp() || nic.isLoopback()) {
          continue;
        }
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
          if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
            return a.getHostAddress();
          }
        }
      }
    } catch (SocketException e) {
      return null;
    }
    return null;
  }
}
