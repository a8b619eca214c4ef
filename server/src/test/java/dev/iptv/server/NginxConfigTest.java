package dev.iptv.server;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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

  private static void assertRefused(Map<String, String> env, Path run, String setting) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
      () -> NginxConfig.render(config(env), run, false));
    assertTrue(e.getMessage().contains(setting), e.getMessage());
  }
}
