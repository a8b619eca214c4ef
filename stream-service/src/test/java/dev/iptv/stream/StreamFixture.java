package dev.iptv.stream;

import dev.iptv.auth.AuthVerticle;
import dev.iptv.common.Config;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.contract.ChannelContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A deployed stream-service for one test class: real Redis (database 3, flushed), real
 * auth-service, real FFmpeg, a temp HLS folder, and helpers that speak to it like players and
 * operators do.
 */
final class StreamFixture implements AutoCloseable {

  static final int REDIS_DB = 3;
  static final String NODE = "test-node";

  final Vertx vertx;
  final RedisAPI redis;
  final Path hlsDir;
  final Path logDir;
  final int port;
  final JsonObject config;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  StreamVerticle verticle;
  String deployment;
  private String authDeployment;
  private MessageConsumer<JsonObject> fallbackAuth;

  StreamFixture(Map<String, String> settings) {
    vertx = Vertx.vertx();
    redis = TestEnv.flushedRedis(vertx, REDIS_DB);
    // A test may bring its own HLS folder (a small file system, a folder to be refused).
    hlsDir = settings.containsKey(Config.HLS_DIR) ? Path.of(settings.get(Config.HLS_DIR))
      : TestEnv.tempDir("iptv-hls-test");
    logDir = TestEnv.tempDir("iptv-ffmpeg-logs-test");
    port = TestEnv.freePort();
    config = TestEnv.config(REDIS_DB, port);
    config.put(Config.key(Config.HLS_DIR), hlsDir.toString());
    config.put(Config.key(Config.FFMPEG_LOG_DIR), logDir.toString());
    config.put(Config.key(Config.NODE_NAME), NODE);
    config.put(Config.key(Config.HLS_TIME_S), "1");
    config.put(Config.key(Config.HLS_LIST_SIZE), "4");
    config.put(Config.key(Config.STOP_GRACE_S), "2");
    config.put(Config.key(Config.STREAM_LEASE_S), "3");
    config.put(Config.key(Config.START_TIMEOUT_S), "8");
    config.put(Config.key(Config.IDLE_TIMEOUT_S), "60");
    settings.forEach((k, v) -> config.put(Config.key(k), v));
    deployAuth(settings);
    deployStream();
  }

  /**
   * The real auth-service (the test's settings too: {@code IPTV_SESSION_WINDOW_S} is its); a stand-in
   * reading the seed's token layout only if it answers no token check.
   */
  private void deployAuth(Map<String, String> settings) {
    JsonObject authConfig = TestEnv.config(REDIS_DB, 0);
    settings.forEach((k, v) -> authConfig.put(Config.key(k), v));
    authDeployment = await(vertx.deployVerticle(new AuthVerticle(), new DeploymentOptions().setConfig(authConfig)));
    try {
      await(vertx.eventBus().request(AuthContract.VALIDATE, new JsonObject().put("token", "probe")));
    } catch (RuntimeException e) {
      if (e.getCause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS
        || e instanceof ReplyException r2 && r2.failureType() == ReplyFailure.NO_HANDLERS) {
        fallbackAuth = vertx.eventBus().consumer(AuthContract.VALIDATE, msg ->
          redis.get(AuthContract.tokenKey(msg.body().getString("token", ""))).onComplete(ar -> {
            if (ar.failed() || ar.result() == null) {
              msg.reply(TokenCheck.unknown().toJson());
              return;
            }
            JsonObject t = new JsonObject(ar.result().toString());
            TokenCheck.Status st = !t.getBoolean("is_active", true) ? TokenCheck.Status.DISABLED
              : Instant.parse(t.getString("expires_at")).isBefore(Instant.now()) ? TokenCheck.Status.EXPIRED
              : TokenCheck.Status.VALID;
            msg.reply(new TokenCheck(st, t.getString("username"), t.getInteger("max_connections", 1),
              t.getString("expires_at")).toJson());
          }));
        await(fallbackAuth.completion());
      }
    }
  }

  void deployStream() {
    verticle = new StreamVerticle();
    deployment = await(vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(config.copy())));
  }

  void undeployStream() {
    if (deployment != null) {
      await(vertx.undeploy(deployment));
      deployment = null;
    }
  }

  // -- data ---------------------------------------------------------------------------------------

  /** A user's token in the seed layout. */
  String token(boolean active, Instant expires) {
    return token(active, expires, 100);
  }

  String token(boolean active, Instant expires, int maxConnections) {
    String token = TestEnv.hexToken();
    JsonObject t = new JsonObject().put("username", "viewer_" + token.substring(0, 6)).put("token", token)
      .put("expires_at", expires.toString()).put("max_connections", maxConnections).put("is_active", active);
    await(redis.set(List.of(AuthContract.tokenKey(token), t.encode())));
    return token;
  }

  String token() {
    return token(true, Instant.now().plus(Duration.ofDays(30)));
  }

  void channel(String id, String source, String... backups) {
    channelWith(id, "auto", "low", source, backups);
  }

  void channelWith(String id, String profile, String quality, String source, String... backups) {
    JsonObject c = new JsonObject().put("channel_id", id).put("name", "Channel " + id).put("source_url", source)
      .put("is_active", true).put("quality", quality).put("transcode_profile", profile)
      .put("backup_urls", new JsonArray(List.of((Object[]) backups)));
    await(redis.set(List.of(ChannelContract.channelKey(id), c.encode())));
    await(redis.sadd(List.of(ChannelContract.CHANNELS_ALL, id)));
  }

  String get(String key) {
    Response r = await(redis.get(key));
    return r == null ? null : r.toString();
  }

  // -- HTTP ---------------------------------------------------------------------------------------

  String base() {
    return "http://127.0.0.1:" + port;
  }

  String playlistUrl(String id, String token) {
    return base() + "/live/stream_" + id + ".m3u8?token=" + token;
  }

  HttpResponse<String> getText(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
      HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<byte[]> getBytes(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build(),
      HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<String> api(String method, String path, JsonObject body) {
    return AdminClient.plain(port).call(method, path, body);
  }

  <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(req, handler);
    } catch (IOException e) {
      throw new IllegalStateException(req.uri() + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The first segment URI of a playlist, as a player resolves it against /live/. */
  String firstSegmentUrl(String playlist) {
    return playlist.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst()
      .map(l -> base() + "/live/" + l).orElseThrow(() -> new AssertionError("no segment in\n" + playlist));
  }

  // -- processes and files ------------------------------------------------------------------------

  /** FFmpeg processes writing the channel's playlist in our HLS folder, found through /proc. */
  List<Long> ffmpegPids(String id) {
    return ProcScan.scan(hlsDir, "ffmpeg").stream().filter(f -> f.channelId().equals(id))
      .map(ProcScan.Found::pid).toList();
  }

  /** Every FFmpeg writing into our HLS folder. */
  List<ProcScan.Found> allFfmpeg() {
    return ProcScan.scan(hlsDir, "ffmpeg");
  }

  List<String> channelFiles(String id) {
    try (Stream<Path> files = Files.list(hlsDir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("stream_" + id + ".")
        || n.startsWith("stream_" + id + "_")).sorted().toList();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops, through the API, every channel whose FFmpeg writes into our folder: a story's leftovers. */
  void stopEveryStream() {
    for (ProcScan.Found f : allFfmpeg()) {
      api("POST", "/api/stream/stop", new JsonObject().put("channel_id", f.channelId()));
    }
  }

  /**
   * Answers what {@code work} answers, while {@code sample} runs every 20 ms on a thread of its own
   * during the work and for {@code thenMs} after it (time is the subject: what shows up a moment
   * late, such as a second FFmpeg, is sampled too).
   */
  static <T> T sampling(Runnable sample, long thenMs, Callable<T> work) throws Exception {
    AtomicBoolean on = new AtomicBoolean(true);
    Thread sampler = new Thread(() -> {
      while (on.get()) {
        sample.run();
        TestEnv.pause(20);
      }
    }, "test-sampler");
    sampler.start();
    try {
      T answer = work.call();
      TestEnv.pause(thenMs);
      return answer;
    } finally {
      on.set(false);
      sampler.join();
    }
  }

  /**
   * A test class's end: undeploys stream-service, which must leave no FFmpeg behind, then closes
   * the fixture and the sources, whatever failed before.
   */
  static void closeAll(StreamFixture fx, LiveSource... sources) {
    try {
      if (fx != null) {
        fx.undeployStream();
        assertTrue(fx.allFfmpeg().isEmpty(), "FFmpeg left after undeploy: " + fx.allFfmpeg());
      }
    } finally {
      try {
        if (fx != null) {
          fx.close();
        }
      } finally {
        for (LiveSource s : sources) {
          if (s != null) {
            s.close();
          }
        }
      }
    }
  }

  /** Kills whatever FFmpeg is still writing into our folder (a failing test must not leak processes). */
  void killLeftovers() {
    for (ProcScan.Found f : allFfmpeg()) {
      ProcessHandle.of(f.pid()).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  @Override
  public void close() {
    try {
      undeployStream();
    } finally {
      killLeftovers();
      try {
        if (fallbackAuth != null) {
          await(fallbackAuth.unregister());
        }
        if (authDeployment != null) {
          await(vertx.undeploy(authDeployment));
        }
      } finally {
        await(vertx.close());
        TestEnv.deleteTree(hlsDir);
        TestEnv.deleteTree(logDir);
      }
    }
  }
}
