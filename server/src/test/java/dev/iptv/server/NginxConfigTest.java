package dev.iptv.server;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The nginx front's configuration as the jar renders it, checked by the real nginx ({@code nginx -t}):
 * values with {@code &}, {@code |}, {@code "}, {@code ;} or a would-be directive neither break the file
 * nor add anything to it (an injected {@code include} of a file that is no nginx configuration would
 * make {@code nginx -t} fail), and values nginx would misread are refused naming their setting.
 */
class NginxConfigTest {

  private static JsonObject config(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put(Config.ADMIN_TOKEN, "test-admin-token-0123456789abcdef");
    env.putAll(extra);
    return Config.load(env);
  }

  private final List<Path> made = new java.util.ArrayList<>();

  @org.junit.jupiter.api.AfterEach
  void removeRunDirs() throws Exception {
    for (Path run : made) {
      // the worker folders nginx made for this front, next to the system temp folder's others
      String prefix = NginxConfig.tempPrefix(config(Map.of()), run);
      Path parent = Path.of(prefix).getParent();
      String name = Path.of(prefix).getFileName().toString();
      try (java.util.stream.Stream<Path> dirs = Files.list(parent)) {
        for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith(name)).toList()) {
          try (java.util.stream.Stream<Path> files = Files.walk(d)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
              Files.deleteIfExists(p);
            }
          }
        }
      }
      try (java.util.stream.Stream<Path> files = Files.walk(run)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private Path runDir(String name) throws Exception {
    Path run = Files.createTempDirectory(name);
    made.add(run);
    for (String d : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
      Files.createDirectories(run.resolve(d));
    }
    return run;
  }

  /** nginx -t on the rendered file: its exit status and output. */
  private static String nginxTest(Path run, String conf) throws Exception {
    Path file = run.resolve("nginx.conf");
    Files.writeString(file, conf, StandardCharsets.UTF_8);
    Process p = new ProcessBuilder("nginx", "-t", "-p", run.toString(), "-c", file.toString())
      .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), "nginx -t refused the rendered file:\n" + out + "\n" + conf);
    return out;
  }

  @Test
  @DisplayName("the default settings render a file nginx accepts, with the proof checks and the auth subrequest's client address")
  void defaults() throws Exception {
    Path run = runDir("nginx-default");
    String conf = NginxConfig.render(config(Map.of()), run, false);
    nginxTest(run, conf);
    assertFalse(conf.contains("@@"), "every placeholder is filled");
    assertTrue(conf.contains("daemon off;"));
    String auth = conf.substring(conf.indexOf("location = /_live_auth"));
    auth = auth.substring(0, auth.indexOf("}"));
    assertTrue(auth.contains("proxy_set_header X-Real-IP $remote_addr;"),
      "the auth subrequest carries the client's address (its own proxy_set_header lines drop the server's)");
  }

  @Test
  @DisplayName("hostile values in the HLS folder, segment log and state folder neither break nor inject configuration")
  void hostileValues() throws Exception {
    Path run = runDir("nginx-hostile \"&|;x");
    String evil = "/tmp/iptv hls\"; include /etc/hostname; #&|";
    Map<String, String> env = Map.of(Config.HLS_DIR, evil,
      Config.SEGMENT_LOG_FILE, run.resolve("seg\";log|&;.log").toString(),
      Config.REAL_IP_FROM, "10.0.0.0/8,2001:db8::/32");
    String conf = NginxConfig.render(config(env), run, true);
    nginxTest(run, conf);
    assertTrue(conf.contains("root \"/tmp/iptv hls\\\"; include /etc/hostname; #&|\";"), conf);
    assertTrue(conf.contains("set_real_ip_from 2001:db8::/32;"));
  }

  @Test
  @DisplayName("values nginx would misread are refused with the name of their setting")
  void refused() throws Exception {
    Path run = runDir("nginx-refused");
    assertRefused(Map.of(Config.HLS_DIR, "/tmp/$host"), run, Config.HLS_DIR);
    assertRefused(Map.of(Config.HLS_DIR, "/tmp/a\nerror_log /x;"), run, Config.HLS_DIR);
    assertRefused(Map.of(Config.NGINX_LISTEN, "8080; include /etc/passwd"), run, Config.NGINX_LISTEN);
    assertRefused(Map.of(Config.SEGMENT_SECRET, "secret\" ; return 200 \"0123456789"), run, Config.SEGMENT_SECRET);
    assertRefused(Map.of(Config.SEGMENT_LOG, "syslog:server=1.2.3.4 ; include x"), run, Config.SEGMENT_LOG);
    assertRefused(Map.of(Config.REAL_IP_FROM, "1.2.3.4; include x"), run, Config.REAL_IP_FROM);
    assertRefused(Map.of(Config.REAL_IP_HEADER, "X-Real-IP; include", Config.REAL_IP_FROM, "1.2.3.4"), run, Config.REAL_IP_HEADER);
    assertRefused(Map.of(Config.STREAM_PORT, "80; x"), run, Config.STREAM_PORT);
  }

  @Test
  @DisplayName("the front's proof cap compares the proof's n with the clock like numbers (nginx has no arithmetic)")
  void capRegexesCompareLikeNumbers() throws Exception {
    String template = new String(NginxConfig.class.getResourceAsStream(NginxConfig.TEMPLATE).readAllBytes(),
      StandardCharsets.UTF_8);
    List<java.util.regex.Pattern> cap = new java.util.ArrayList<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"~(\\^\\(\\?=[^\"]+)\" 1;").matcher(
      template.substring(template.indexOf("$segment_proof_capped {")));
    while (m.find() && cap.size() < 9) {
      cap.add(java.util.regex.Pattern.compile(m.group(1)));
    }
    assertEquals(9, cap.size(), "one pattern per digit 0-8");
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 200_000; i++) {
      long now = 1_000_000_000L + (long) (random.nextDouble() * 8_999_999_999L);
      long n = switch (i % 4) {
        case 0 -> now + random.nextInt(2001) - 1000;
        case 1 -> now + (random.nextBoolean() ? 1 : -1) * (long) Math.pow(10, random.nextInt(10));
        case 2 -> now;
        default -> 1_000_000_000L + (long) (random.nextDouble() * 8_999_999_999L);
      };
      String text = n + ":" + now + "." + String.format("%03d", random.nextInt(1000));
      boolean capped = cap.stream().anyMatch(p -> p.matcher(text).find());
      // Proofs carry ten-digit n (until 2286); anything else is refused.
      assertEquals(n < now && Long.toString(n).length() == 10, capped, text);
    }
    assertFalse(cap.stream().anyMatch(p -> p.matcher("17000000000:1795852012.123").find()), "an 11-digit n never passes");
    assertFalse(cap.stream().anyMatch(p -> p.matcher(":1795852012.123").find()), "no n never passes");
  }

  @Test
  @DisplayName("through a real nginx, a segment opens with the proof a poll gets, and not when expired, forged, moved or too far ahead")
  void proofsThroughNginx() throws Exception {
    Path run = runDir("nginx-proofs");
    Path hls = run.resolve("hls");
    Files.createDirectories(hls);
    Files.write(hls.resolve("stream_12_5.ts"), new byte[] {0x47, 1, 2, 3});
    new ProcessBuilder("chmod", "-R", "a+rX", run.toString()).start().waitFor();
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    JsonObject config = config(Map.of(Config.HLS_DIR, hls.toString(), Config.NGINX_LISTEN, "127.0.0.1:" + port));
    nginxTest(run, NginxConfig.render(config, run, false));
    Process nginx = new ProcessBuilder("nginx", "-p", run.toString(), "-c", run.resolve("nginx.conf").toString())
      .redirectErrorStream(true).redirectOutput(run.resolve("nginx.out").toFile()).start();
    try {
      dev.iptv.common.SegmentProof proofs = new dev.iptv.common.SegmentProof(Config.segmentSecret(config), 120);
      String base = "http://127.0.0.1:" + port + "/live/stream_12_5.ts?";
      long now = System.currentTimeMillis() / 1000;
      String tag = "0123456789abcdef01234567";
      awaitStatus(200, base + proofs.query("12", tag, now));
      assertEquals(403, status(base + proofs.query("13", tag, now)), "another channel's proof");
      long past = now - 5;
      assertEquals(403, status(base + proofs.signed("12", tag, past, proofs.notAfter(past))));
      long far = now + 86_400L * 365 * 300;
      assertEquals(403, status(base + proofs.signed("12", tag, far, proofs.notAfter(far))), "signed, but centuries ahead");
      long edge = now + 120 + dev.iptv.common.SegmentProof.SLACK_S + 5;
      assertEquals(403, status(base + proofs.signed("12", tag, edge, proofs.notAfter(edge))), "beyond TTL plus slack");
      // The old attack: channel 12's proof, one digit moved into the expiry, for channel 2.
      String q = proofs.query("12", tag, now);
      String moved = q.replaceFirst("e=(\\d+)", "e=$11");
      Files.write(hls.resolve("stream_2_5.ts"), new byte[] {0x47});
      assertEquals(403, status("http://127.0.0.1:" + port + "/live/stream_2_5.ts?" + moved));
      assertEquals(403, status("http://127.0.0.1:" + port + "/live/stream_12_5.ts"), "no proof");
    } finally {
      nginx.destroy();
      nginx.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("through a real nginx, the MPEG-TS URL reaches stream-service with its token and the client's address, unbuffered")
  void tsThroughNginx() throws Exception {
    Path run = runDir("nginx-ts");
    Path hls = run.resolve("hls");
    Files.createDirectories(hls);
    new ProcessBuilder("chmod", "-R", "a+rX", run.toString()).start().waitFor();
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    // stream-service's place: a plain HTTP server that sends one TS packet, waits, then another.
    com.sun.net.httpserver.HttpServer upstream = com.sun.net.httpserver.HttpServer.create(
      new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    java.util.concurrent.BlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();
    upstream.createContext("/live/", ex -> {
      seen.add(ex.getRequestURI().toString() + " " + ex.getRequestHeaders().getFirst("X-Real-IP"));
      ex.getResponseHeaders().set("Content-Type", "video/mp2t");
      ex.sendResponseHeaders(200, 0);
      byte[] packet = new byte[188];
      packet[0] = 0x47;
      try (java.io.OutputStream out = ex.getResponseBody()) {
        out.write(packet);
        out.flush();
        Thread.sleep(3_000);   // the stream goes on; nginx must not wait for more before passing the first packet
        out.write(packet);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    upstream.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    upstream.start();
    JsonObject config = config(Map.of(Config.HLS_DIR, hls.toString(), Config.NGINX_LISTEN, "127.0.0.1:" + port,
      Config.STREAM_PORT, Integer.toString(upstream.getAddress().getPort())));
    nginxTest(run, NginxConfig.render(config, run, false));
    Process nginx = new ProcessBuilder("nginx", "-p", run.toString(), "-c", run.resolve("nginx.conf").toString())
      .redirectErrorStream(true).redirectOutput(run.resolve("nginx.out").toFile()).start();
    try {
      String url = "http://127.0.0.1:" + port + "/live/stream_12.ts?token=abc123";
      eventually(Duration.ofSeconds(10), "nginx answers", () -> {
        try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
          return true;
        } catch (java.io.IOException e) {
          return false;
        }
      });
      java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create(url).toURL().openConnection();
      try {
        long t0 = System.currentTimeMillis();
        assertEquals(200, c.getResponseCode());
        assertEquals("video/mp2t", c.getContentType());
        byte[] first = c.getInputStream().readNBytes(188);
        long firstMs = System.currentTimeMillis() - t0;
        assertEquals(0x47, first[0]);
        assertTrue(firstMs < 2_000, "the first packet took " + firstMs + " ms: buffered by nginx?");
        assertEquals(188, c.getInputStream().readAllBytes().length, "the second packet follows");
      } finally {
        c.disconnect();
      }
      assertEquals("/live/stream_12.ts?token=abc123 127.0.0.1", seen.poll(5, TimeUnit.SECONDS));
    } finally {
      nginx.destroy();
      nginx.waitFor(10, TimeUnit.SECONDS);
      upstream.stop(0);
    }
  }

  private static int status(String url) throws Exception {
    java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create(url).toURL().openConnection();
    try {
      return c.getResponseCode();
    } finally {
      c.disconnect();
    }
  }

  /** Waits until nginx answers {@code url} at all, then checks its status. */
  private static void awaitStatus(int want, String url) {
    int got = eventually(Duration.ofSeconds(10), "nginx answers " + url, () -> status(url), status -> true);
    assertEquals(want, got, url);
  }

  private static void assertRefused(Map<String, String> env, Path run, String setting) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> NginxConfig.render(config(env), run, false));
    assertTrue(e.getMessage().contains(setting), e.getMessage());
  }
}
