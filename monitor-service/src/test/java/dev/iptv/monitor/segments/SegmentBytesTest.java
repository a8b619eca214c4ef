package dev.iptv.monitor.segments;

import dev.iptv.common.Config;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.StreamContract;
import dev.iptv.monitor.Support;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.Eventually;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bytes served without the JVM in the byte path: a real nginx serves segments and sends its
 * {@code iptv_segments} log over syslog to the monitor's UDP port, as in production.
 */
@ExtendWith(VertxExtension.class)
class SegmentBytesTest {

  static final String NGINX = "/usr/sbin/nginx";
  static final int SEGMENT_BYTES = 188 * 1000;

  private RedisAPI redis;
  private Path dir;
  private Process nginx;

  @BeforeEach
  void clean(Vertx vertx) {
    redis = Support.redis(vertx);
    Support.flushTestDb(redis);
  }

  @AfterEach
  void stopNginx() throws Exception {
    if (nginx != null) {
      List<ProcessHandle> workers = nginx.toHandle().descendants().toList();
      nginx.destroy();
      if (!nginx.waitFor(10, TimeUnit.SECONDS)) {
        nginx.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      workers.forEach(ProcessHandle::destroyForcibly);
    }
    TestEnv.deleteTree(dir);
  }

  /** nginx with the production segment location's logging, sending syslog to udpPort. */
  private int startNginx(int udpPort) throws Exception {
    return startNginx("syslog:server=127.0.0.1:" + udpPort + ",tag=iptv,nohostname iptv_segments");
  }

  /** nginx with the production segment location, logging to {@code accessLog}. */
  private int startNginx(String accessLog) throws Exception {
    assertTrue(Files.isExecutable(Path.of(NGINX)), "nginx is required at " + NGINX + " (apt-get install nginx-light)");
    dir = TestEnv.tempDir("monitor-nginx");
    Path hls = Files.createDirectories(dir.resolve("hls"));
    for (String d : List.of("cb", "proxy", "fastcgi", "uwsgi", "scgi")) {
      Files.createDirectories(dir.resolve(d));
    }
    Files.write(hls.resolve("stream_48681_001.ts"), new byte[SEGMENT_BYTES]);
    // nginx workers run as nobody: the files must be readable to them
    for (Path p : List.of(dir, hls)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.setPosixFilePermissions(hls.resolve("stream_48681_001.ts"), PosixFilePermissions.fromString("rw-r--r--"));
    int port = TestEnv.freePort();
    String conf = """
      daemon off;
      worker_processes 1;
      pid %1$s/nginx.pid;
      error_log %1$s/error.log warn;
      events { worker_connections 64; }
      http {
        access_log off;
        client_body_temp_path %1$s/cb; proxy_temp_path %1$s/proxy; fastcgi_temp_path %1$s/fastcgi;
        uwsgi_temp_path %1$s/uwsgi; scgi_temp_path %1$s/scgi;
        log_format iptv_segments '$msec $chan $remote_addr $body_bytes_sent $status "$http_user_agent"';
        server {
          listen 127.0.0.1:%2$d;
          location ~ ^/live/(?<segment>stream_(?<chan>\\d+)_\\d+\\.ts)$ {
            root %1$s/hls;
            access_log %3$s;
            try_files /$segment =404;
          }
        }
      }
      """.formatted(dir, port, accessLog);
    Files.writeString(dir.resolve("nginx.conf"), conf);
    nginx = new ProcessBuilder(NGINX, "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
      .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
    eventually(Duration.ofSeconds(10), "nginx listening on " + port, () -> {
      try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
        return true;
      } catch (IOException e) {
        if (!nginx.isAlive()) {
          throw Eventually.stop("nginx exited: " + read(dir.resolve("nginx.out")) + read(dir.resolve("error.log")));
        }
        return false;
      }
    });
    return port;
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }

  private long bytes(String channel) {
    Response r = await(redis.get(MonitorContract.bytesKey(channel)));
    return r == null ? 0 : r.toLong();
  }

  @Test
  @DisplayName("segments nginx serves are counted per channel from its syslog, in Redis, the bandwidth and the metrics")
  void nginxSyslog(Vertx vertx) throws Exception {
    int udp = TestEnv.freePort();
    int monitorPort = TestEnv.freePort();
    long now = System.currentTimeMillis() / 1000;
    await(redis.mset(List.of(StreamContract.pidKey("48681"), "1234", StreamContract.startedKey("48681"), now + ".000")));
    Support.deploy(vertx, Support.config(monitorPort).put(Config.key(Config.SEGMENT_LOG_PORT), Integer.toString(udp)));
    int port = startNginx(udp);

    HttpClient http = HttpClient.newHttpClient();
    int fetches = 5;
    for (int i = 0; i < fetches; i++) {
      HttpResponse<byte[]> seg = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/live/stream_48681_001.ts")).build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, seg.statusCode());
      assertEquals(SEGMENT_BYTES, seg.body().length);
    }
    HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
      + "/live/stream_48681_999.ts")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(404, missing.statusCode());

    long expected = (long) fetches * SEGMENT_BYTES;
    eventually(Duration.ofSeconds(10), "stream:48681:bytes = " + expected, () -> bytes("48681") == expected);

    // the census turns the counter into a bandwidth, shared in Redis and on the stats
    eventually(Duration.ofSeconds(10), "a bandwidth for 48681", () -> {
      Response bw = await(redis.get(MonitorContract.bandwidthKey("48681")));
      return bw != null && bw.toLong() > 0;
    });
    AdminClient admin = AdminClient.of(vertx, monitorPort);
    JsonObject stats = admin.get("/api/stats").bodyAsJsonObject();
    assertTrue(stats.getLong("bandwidth_bps") > 0, stats.encode());

    String metrics = admin.get("/metrics").bodyAsString();
    assertTrue(metrics.contains("iptv_served_bytes_total{channel=\"48681\"} " + (double) expected), metrics);
    assertTrue(metrics.contains("iptv_segment_errors_total{status=\"404\"} 1.0"), metrics);
    JsonObject health = admin.get("/api/health").bodyAsJsonObject();
    JsonObject seg = health.getJsonObject("checks").getJsonObject("segment_log");
    assertEquals(udp, seg.getInteger("port"));
    assertEquals(fetches + 1, seg.getInteger("lines"));
  }

  @Test
  @DisplayName("nginx's buffered segment log file is followed: bytes counted, the file kept small, a rotated file read from its start")
  void nginxFile(Vertx vertx) throws Exception {
    Path logs = TestEnv.tempDir("monitor-seglog");
    Path file = logs.resolve("segments.log");
    int monitorPort = TestEnv.freePort();
    Support.deploy(vertx, Support.config(monitorPort).put(Config.key(Config.SEGMENT_LOG_PORT), "0")
      .put(Config.key(Config.SEGMENT_LOG_FILE), file.toString()));
    int port = startNginx(file + " iptv_segments buffer=64k flush=1s");
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 0; i < 3; i++) {
      HttpResponse<byte[]> seg = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/live/stream_48681_001.ts")).header("User-Agent", "VLC/3.0 \"x\"").build(), HttpResponse.BodyHandlers.ofByteArray());
      assertEquals(200, seg.statusCode());
    }
    long expected = 3L * SEGMENT_BYTES;
    eventually(Duration.ofSeconds(10), "stream:48681:bytes = " + expected, () -> bytes("48681") == expected);
    JsonObject health = AdminClient.of(vertx, monitorPort).get("/api/health").bodyAsJsonObject();
    JsonObject seg = health.getJsonObject("checks").getJsonObject("segment_log").getJsonObject("file");
    assertEquals(3, seg.getInteger("lines"), health.encode());
    assertTrue(seg.getBoolean("ok"));
  }

  @Test
  @DisplayName("the follower completes a line cut by a read, truncates the file past its bound, and rereads a replaced one")
  void fileFollower(Vertx vertx) throws Exception {
    Path file = TestEnv.tempDir("monitor-seglog").resolve("segments.log");
    Files.writeString(file, "1700000000.000 1 203.0.113.1 999 200\n");   // before start: a predecessor's
    List<SegmentServed> got = new java.util.concurrent.CopyOnWriteArrayList<>();
    io.micrometer.core.instrument.simple.SimpleMeterRegistry reg = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    SegmentLogFile f = new SegmentLogFile(vertx, file, got::add, reg.counter("rejected"), 100);
    await(f.start());
    try {
      Files.writeString(file, "1700000001.000 7 203.0.113.7 100 200 \"VLC\"\n1700000001.5 7 203.0.",
        java.nio.file.StandardOpenOption.APPEND);
      eventually(Duration.ofSeconds(5), "one record", () -> got.size() == 1);
      Files.writeString(file, "113.7 200 200\nnot a record\n", java.nio.file.StandardOpenOption.APPEND);
      eventually(Duration.ofSeconds(5), "the cut line completed", () -> got.size() == 2);
      assertEquals(List.of(100L, 200L), got.stream().map(SegmentServed::bytes).toList());
      assertEquals("VLC", got.get(0).userAgent());
      eventually(Duration.ofSeconds(5), "the junk line rejected", () -> reg.counter("rejected").count() == 1.0);
      // Past 100 bytes read, the file is truncated; nginx (O_APPEND) writes on at its start.
      eventually(Duration.ofSeconds(5), "truncated (129 bytes written)", () -> file.toFile().length() < 100);
      Files.writeString(file, "1700000002.000 7 203.0.113.7 300 200\n", java.nio.file.StandardOpenOption.APPEND);
      eventually(Duration.ofSeconds(5), "read after truncation", () -> got.size() == 3);
      // Replaced by logrotate: the new file is read from its start.
      Path moved = file.resolveSibling("segments.log.1");
      Files.move(file, moved);
      Files.writeString(file, "1700000003.000 7 203.0.113.7 400 200\n");
      eventually(Duration.ofSeconds(5), "the new file read", () -> got.size() == 4);
      assertEquals(400L, got.get(3).bytes());
    } finally {
      f.close();
    }
  }

  @Test
  @DisplayName("a JVM that serves segments itself reports them on the event bus, and they count the same way")
  void eventBus(Vertx vertx) {
    Support.deploy(vertx, Support.config(TestEnv.freePort()));
    vertx.eventBus().send(MonitorContract.SEGMENTS_SERVED, SegmentServed.now("555", 1000, "198.51.100.1", "alice", "VLC").toJson());
    vertx.eventBus().send(MonitorContract.SEGMENTS_SERVED, new JsonObject().put("channel_id", "555").put("bytes", 500)
      .put("ip", "198.51.100.1"));
    vertx.eventBus().send(MonitorContract.SEGMENTS_SERVED, new JsonObject().put("channel_id", "x").put("bytes", 1)
      .put("ip", "198.51.100.1"));
    eventually(Duration.ofSeconds(5), "stream:555:bytes = 1500", () -> bytes("555") == 1500);
    // stream-service sends them in batches: the same records, one message.
    vertx.eventBus().send(MonitorContract.SEGMENTS_SERVED, new JsonObject().put(MonitorContract.SegmentBatch.RECORDS, new io.vertx.core.json.JsonArray()
      .add(SegmentServed.now("555", 250, "198.51.100.2", null, "Kodi").toJson())
      .add(SegmentServed.now("556", 700, "198.51.100.2", null, "Kodi").toJson())
      .add(new JsonObject().put("channel_id", "bad"))));
    eventually(Duration.ofSeconds(5), "a batch counted", () -> bytes("555") == 1750 && bytes("556") == 700);
  }

  @Test
  @DisplayName("a busy segment-log port does not stop the monitor: health shows it as a warning")
  void busyPort(Vertx vertx) throws Exception {
    try (java.net.DatagramSocket taken = new java.net.DatagramSocket(0, java.net.InetAddress.getLoopbackAddress())) {
      int port = TestEnv.freePort();
      Support.deploy(vertx, Support.config(port).put(Config.key(Config.SEGMENT_LOG_PORT),
        Integer.toString(taken.getLocalPort())));
      JsonObject health = AdminClient.of(vertx, port).get("/api/health").bodyAsJsonObject();
      assertEquals("ok", health.getString("status"));
      assertTrue(health.getJsonArray("warnings").contains("segment_log"), health.encode());
    }
  }
}
