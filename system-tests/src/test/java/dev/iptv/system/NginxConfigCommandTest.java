package dev.iptv.system;

import dev.iptv.testing.TestEnv;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/iptv nginx-config} as an operator runs it: settings holding {@code &}, {@code |},
 * {@code "} or {@code ;} give a file the real nginx accepts with nothing added to it (an injected
 * {@code include} of a file that is not nginx configuration would make {@code nginx -t} fail), and a
 * value nginx would misread stops the command with the setting's name. (The shell's sed rendering
 * this replaced broke on a {@code |} or {@code &} and passed a {@code "; ...} through.)
 */
class NginxConfigCommandTest {

  @Test
  @DisplayName("bin/iptv nginx-config with hostile settings renders a file nginx accepts, or refuses naming the setting")
  void hostileSettings() throws Exception {
    Path run = TestEnv.tempDir("iptv-ngx \"&|;");
    for (String d : List.of("client_body", "proxy", "fastcgi", "uwsgi", "scgi")) {
      Files.createDirectories(run.resolve(d));
    }
    Map<String, String> env = Map.of("IPTV_ADMIN_TOKEN", TestEnv.ADMIN_TOKEN, "IPTV_NO_BUILD", "1",
      "IPTV_HLS_DIR", "/tmp/hls|a&b\"; include /etc/hostname; #",
      "IPTV_SEGMENT_LOG_FILE", run.resolve("seg|&\";.log").toString(),
      "IPTV_REAL_IP_FROM", "10.0.0.0/8", "IPTV_NGINX_TEMP_DIR", run.toString(), "PATH", System.getenv("PATH"));
    try (Proc p = Proc.start("nginx-config", List.of("bin/iptv", "nginx-config", run.toString()), env, run.resolve("out"))) {
      assertEquals(0, p.process.waitFor(), p.tail());
      Path conf = run.resolve("nginx.conf");
      Files.copy(p.log, conf);
      Process t = new ProcessBuilder("nginx", "-t", "-p", run.toString(), "-c", conf.toString()).redirectErrorStream(true).start();
      String out = new String(t.getInputStream().readAllBytes());
      assertEquals(0, t.waitFor(), out);
      assertTrue(Files.readString(conf).contains("root \"/tmp/hls|a&b\\\"; include /etc/hostname; #\";"));
    }
    Map<String, String> bad = Map.of("IPTV_ADMIN_TOKEN", TestEnv.ADMIN_TOKEN, "IPTV_NO_BUILD", "1",
      "IPTV_NGINX_LISTEN", "8080; include /etc/passwd", "PATH", System.getenv("PATH"));
    try (Proc p = Proc.start("nginx-config-bad", List.of("bin/iptv", "nginx-config", run.toString()), bad, run.resolve("out"))) {
      assertTrue(p.process.waitFor() != 0);
      assertTrue(p.tail().contains("IPTV_NGINX_LISTEN"), p.tail());
    }
  }
}
