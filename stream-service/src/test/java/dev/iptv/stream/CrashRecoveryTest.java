package dev.iptv.stream;

import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * stream-service killed with -9 (its JVM, in a child process) leaves FFmpeg running; the next
 * stream-service on the node adopts what Redis records and kills what it does not: never an orphan,
 * never a duplicate. And an orderly undeploy leaves no FFmpeg at all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrashRecoveryTest {

  private LiveSource source;
  private StreamFixture fx;
  private Process child;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of());
  }

  @AfterAll
  void tearDown() {
    if (child != null) {
      child.destroyForcibly();
    }
    StreamFixture.closeAll(fx, source);
  }

  /** A stream-service like the fixture's (same node, folder, Redis) in its own JVM, on its own port. */
  private int startChild() throws Exception {
    int port = dev.iptv.testing.TestEnv.freePort();
    JsonObject config = fx.config.copy().put(dev.iptv.common.ServiceVerticle.SERVE_PORT, port);
    Path file = Files.createTempFile("stream-node", ".json");
    Files.writeString(file, config.encode());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), StreamNodeMain.class.getName(),
      file.toString()).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    List<String> seen = new ArrayList<>();
    String line;
    while ((line = out.readLine()) != null) {
      seen.add(line);
      if (line.equals("READY")) {
        Thread drain = new Thread(() -> {
          try {
            while (out.readLine() != null) {
              // Keep the pipe empty.
            }
          } catch (java.io.IOException e) {
            // Gone.
          }
        });
        drain.setDaemon(true);
        drain.start();
        return port;
      }
    }
    throw new AssertionError("the child stream-service did not start:\n" + String.join("\n", seen));
  }

  private long startOnChild(int port, String id) {
    HttpResponse<String> r = AdminClient.plain(port).call("POST", "/api/stream/start", new JsonObject().put("channel_id", id));
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getLong("pid");
  }

  @Test
  @DisplayName("after a kill -9 of stream-service, the next one adopts the recorded FFmpeg and kills the unrecorded one")
  void adoptsRecordedAndKillsOrphans() throws Exception {
    fx.channel("301", source.url());
    fx.channel("302", source.url());
    fx.undeployStream();
    int port = startChild();
    long recorded = startOnChild(port, "301");
    long orphan = startOnChild(port, "302");
    String childOwner = fx.get(StreamContract.ownerKey("301"));

    child.destroyForcibly();
    assertTrue(child.waitFor(10, TimeUnit.SECONDS));
    child = null;
    TestEnv.pause(1_500);   // time is the subject: FFmpeg tied to its JVM would have died by now
    assertTrue(ProcessHandle.of(recorded).map(ProcessHandle::isAlive).orElse(false), "FFmpeg outlives its JVM");
    assertTrue(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false));
    // 302's keys are lost (say Redis was flushed): its FFmpeg is an orphan nobody records.
    List<String> keys = new ArrayList<>(List.of(StreamContract.allKeys("302")));
    keys.add(StreamContract.ownerKey("302"));
    await(fx.redis.del(keys));

    fx.deployStream();
    String owner = fx.verticle.instanceId();
    eventually(Duration.ofSeconds(15), "301 adopted, 302's orphan killed", () ->
      owner.equals(fx.get(StreamContract.ownerKey("301"))) && fx.ffmpegPids("302").isEmpty());
    assertTrue(!owner.equals(childOwner));
    assertEquals(List.of(recorded), fx.ffmpegPids("301"), "the same FFmpeg, adopted, no duplicate");
    assertEquals(String.valueOf(recorded), fx.get(StreamContract.pidKey("301")));
    eventually(Duration.ofSeconds(5), "302's files removed", () -> fx.channelFiles("302").isEmpty());

    // The adopted stream serves players and stays single.
    HttpResponse<String> r = fx.getText(fx.playlistUrl("301", fx.token()));
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(200, fx.getBytes(fx.firstSegmentUrl(r.body())).statusCode());
    assertEquals(List.of(recorded), fx.ffmpegPids("301"));
    JsonObject started = new JsonObject(fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "301")).body());
    assertEquals("running", started.getString("status"));
    assertEquals(recorded, started.getLong("pid"));

    // And it stops like any other.
    assertEquals(200, fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "301")).statusCode());
    assertTrue(fx.ffmpegPids("301").isEmpty());
    assertTrue(fx.channelFiles("301").isEmpty());
    assertEquals(null, fx.get(StreamContract.pidKey("301")));
  }

  @Test
  @DisplayName("undeploying stream-service stops every FFmpeg it runs and removes their files and keys")
  void undeployLeavesNothing() {
    fx.channel("303", source.url());
    fx.channel("304", source.url());
    assertEquals(200, fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "303")).statusCode());
    assertEquals(200, fx.api("POST", "/api/stream/start", new JsonObject().put("channel_id", "304")).statusCode());
    assertEquals(2, fx.allFfmpeg().size());
    fx.undeployStream();
    assertTrue(fx.allFfmpeg().isEmpty(), "FFmpeg left: " + fx.allFfmpeg());
    assertTrue(fx.channelFiles("303").isEmpty() && fx.channelFiles("304").isEmpty());
    assertEquals(null, fx.get(StreamContract.pidKey("303")));
    assertEquals(null, fx.get(StreamContract.ownerKey("304")));
    fx.deployStream();
  }
}
