package dev.iptv.system;

import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.Eventually;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stream-service in its own JVM, killed with -9 while a channel plays, then started again on the
 * same node: the FFmpeg the dead JVM left is found (Redis PID checked against /proc) and taken over,
 * never doubled, never left behind.
 */
class StreamCrashTest {

  /** Redis database of this suite (the others use 1-7). */
  static final int REDIS_DB = 8;
  private final List<Proc> procs = new ArrayList<>();
  private LiveSource source;
  private Path hls;

  @AfterEach
  void stop() throws Exception {
    for (Proc p : procs) {
      p.close();
    }
    if (hls != null) {
      LiveStory.ffmpeg(hls, null).forEach(ProcessHandle::destroyForcibly);
    }
    if (source != null) {
      source.close();
    }
    redis("FLUSHDB");
  }

  /** A suite whose first stream-service was killed with -9 while channel 301 played. */
  private record Crashed(Map<String, String> env, Path logs, int streamPort, Client player, String live,
                         long pid, String firstOwner) {
  }

  private Crashed playThenKill(int leaseS) throws Exception {
    redis("FLUSHDB");
    source = LiveSource.start();
    hls = TestEnv.tempDir("iptv-crash-hls");
    Path logs = TestEnv.tempDir("iptv-crash-logs");
    int authPort = TestEnv.freePort();
    int streamPort = TestEnv.freePort();
    int hz = TestEnv.freePortRun(3);
    Map<String, String> env = new HashMap<>();
    env.put("IPTV_ADMIN_TOKEN", TestEnv.ADMIN_TOKEN);
    env.put("IPTV_REDIS_URL", TestEnv.redisUrl(REDIS_DB));
    env.put("IPTV_BIND_HOST", "127.0.0.1");
    env.put("IPTV_CLUSTER_PORT", String.valueOf(hz));
    env.put("IPTV_CLUSTER_MEMBERS", "127.0.0.1:" + hz + ",127.0.0.1:" + (hz + 1) + ",127.0.0.1:" + (hz + 2));
    env.put("IPTV_CLUSTER_NAME", "crash-" + UUID.randomUUID());
    env.put("IPTV_AUTH_PORT", String.valueOf(authPort));
    env.put("IPTV_STREAM_PORT", String.valueOf(streamPort));
    env.put("IPTV_HLS_DIR", hls.toString());
    env.put("IPTV_NODE_NAME", "crash-node");
    env.put("IPTV_PASSWORD_HASH_ITERATIONS", "1000");
    env.put("IPTV_IDLE_TIMEOUT_S", "120");
    env.put("IPTV_STREAM_LEASE_S", String.valueOf(leaseS));

    Proc auth = start("auth", "auth", env, logs);
    Proc first = start("stream-1", "stream", env, logs);
    auth.awaitHttp(authPort, Duration.ofSeconds(90));
    first.awaitHttp(streamPort, Duration.ofSeconds(90));

    String token = "cd".repeat(32);
    Client authApi = new Client(authPort, TestEnv.ADMIN_TOKEN);
    assertEquals(201, authApi.admin("POST", "/api/users", Client.user("crash_user", token, 2)).statusCode());
    // The channel as the seed's panel wrote it, straight into Redis.
    JsonObject channel = Client.channel("301", "Crash", source.url(), 1);
    redis("SET", ChannelContract.channelKey("301"), channel.encode());
    redis("SADD", ChannelContract.CHANNELS_ALL, "301");

    Client player = new Client(streamPort, TestEnv.ADMIN_TOKEN);
    String live = "/live/stream_301.m3u8?token=" + token;
    eventually(Duration.ofSeconds(60), "the channel plays through the first stream-service",
      () -> player.get(live, "Crash/1.0").statusCode() == 200);
    List<ProcessHandle> before = LiveStory.ffmpeg(hls, "301");
    assertEquals(1, before.size());
    long pid = before.get(0).pid();
    assertEquals(String.valueOf(pid), redis("GET", StreamContract.pidKey("301")));
    String firstOwner = redis("GET", StreamContract.ownerKey("301"));

    // kill -9: the JVM goes, its FFmpeg stays behind (for now an orphan of init).
    first.process.destroyForcibly().waitFor();
    Thread.sleep(500);   // time is the subject: FFmpeg tied to its JVM would have died by now
    assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "FFmpeg outlived the JVM");
    return new Crashed(env, logs, streamPort, player, live, pid, firstOwner);
  }

  @Test
  @DisplayName("stream-service killed with -9 and started again takes over its FFmpeg: no orphan, no duplicate")
  void killedAndRestarted() throws Exception {
    Crashed c = playThenKill(10);
    Map<String, String> env = c.env();
    Path logs = c.logs();
    int streamPort = c.streamPort();
    Client player = c.player();
    String live = c.live();
    long pid = c.pid();
    String firstOwner = c.firstOwner();

    Proc second = start("stream-2", "stream", env, logs);
    second.awaitHttp(streamPort, Duration.ofSeconds(90));
    eventually(Duration.ofSeconds(60), "the channel plays through the second stream-service",
      () -> player.get(live, "Crash/1.0").statusCode() == 200);
    // Until its lease lapses the dead JVM still owns the channel; then the new one takes the
    // orphan over. At every poll meanwhile: exactly one FFmpeg for the channel, the one Redis names.
    eventually(Duration.ofSeconds(40), "the new stream-service holds channel 301's lease", () -> {
      int status = player.get(live, "Crash/1.0").statusCode();
      List<ProcessHandle> now = LiveStory.ffmpeg(hls, "301");
      if (status != 200 || now.size() != 1) {
        throw Eventually.stop("at a poll during the takeover: status " + status + ", FFmpeg processes of channel 301: " + now);
      }
      String owner = redis("GET", StreamContract.ownerKey("301"));
      return !owner.isEmpty() && !owner.equals(firstOwner);
    });
    JsonObject row = new JsonObject(player.admin("GET", "/api/streams/active", null).body())
      .getJsonObject("streams").getJsonObject("301");
    assertEquals(pid, row.getLong("pid"));
    assertEquals(pid, LiveStory.ffmpeg(hls, "301").get(0).pid(), "the orphan was adopted, not replaced");
    assertEquals(String.valueOf(pid), redis("GET", StreamContract.pidKey("301")));

    // The new service owns it: a stop by API and then its shutdown leave nothing.
    HttpResponse<String> stopped = player.admin("POST", "/api/stream/stop", new JsonObject().put("channel_id", "301"));
    assertEquals(200, stopped.statusCode(), stopped.body());
    eventually(Duration.ofSeconds(15), "no FFmpeg of channel 301", () -> LiveStory.ffmpeg(hls, "301").isEmpty()
      && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
    List<ProcessHandle> left = second.stop();
    assertTrue(left.isEmpty(), "left after SIGTERM: " + left);
    assertTrue(LiveStory.ffmpeg(hls, null).isEmpty(), "FFmpeg left: " + LiveStory.ffmpeg(hls, null));
  }

  @Test
  @DisplayName("a stop through the API while the channel's owner lies dead (its lease still held) stops the FFmpeg it left")
  void stopWhileOwnerDead() throws Exception {
    Crashed c = playThenKill(60);
    Proc second = start("stream-2", "stream", c.env(), c.logs());
    second.awaitHttp(c.streamPort(), Duration.ofSeconds(90));
    assertEquals(c.firstOwner(), redis("GET", StreamContract.ownerKey("301")), "the dead instance still holds the lease");
    HttpResponse<String> stopped = c.player().admin("POST", "/api/stream/stop", new JsonObject().put("channel_id", "301"));
    assertEquals(200, stopped.statusCode(), stopped.body());
    eventually(Duration.ofSeconds(15), "the orphan stopped, its keys and files gone", () ->
      !ProcessHandle.of(c.pid()).map(ProcessHandle::isAlive).orElse(false) && LiveStory.ffmpeg(hls, "301").isEmpty()
        && redis("GET", StreamContract.ownerKey("301")).isEmpty() && redis("GET", StreamContract.pidKey("301")).isEmpty()
        && !java.nio.file.Files.exists(hls.resolve("stream_301.m3u8")));
    // The channel starts again normally for the next viewer: one FFmpeg.
    assertEquals(200, c.player().get(c.live(), "Crash/1.0").statusCode());
    assertEquals(1, LiveStory.ffmpeg(hls, "301").size());
    List<ProcessHandle> left = second.stop();
    assertTrue(left.isEmpty(), "left after SIGTERM: " + left);
    assertTrue(LiveStory.ffmpeg(hls, null).isEmpty(), "FFmpeg left: " + LiveStory.ffmpeg(hls, null));
  }

  private Proc start(String name, String service, Map<String, String> env, Path logs) throws Exception {
    Proc p = Proc.start(name, Proc.javaService(service), Proc.ownBusPort(env), logs);
    procs.add(p);
    return p;
  }

  private static String redis(String... command) throws Exception {
    List<String> cmd = TestEnv.redisCli(REDIS_DB);
    cmd.addAll(List.of(command));
    return LiveStory.Run.of(10, cmd.toArray(String[]::new)).output().trim();
  }
}
