package dev.iptv.server;

import dev.iptv.common.Config;
import dev.iptv.common.Setting;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code java -jar iptv.jar settings}: what bin/iptv reads instead of resolving settings itself. */
class SettingsCommandTest {

  private static final String TOKEN = "test-admin-token-0123456789abcdef";

  private static Map<String, String> lines(String out) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : out.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      String name = line.substring(0, line.indexOf('='));
      assertTrue(name.matches("IPTV_[A-Z0-9_]+"), line);
      m.put(name, line.substring(line.indexOf('=') + 1));
    }
    return m;
  }

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  @Test
  @DisplayName("every declared setting, one line each, resolved: environment over the file over the default")
  void resolved() throws Exception {
    Path file = Files.createTempFile("iptv-settings", ".properties");
    try {
      Files.writeString(file, "http.port = 9090\nidle.timeout.s=45\nstream.port=9183\n");
      Map<String, String> out = lines(SettingsCommand.render(List.of(),
        env(Config.CONFIG_FILE, file.toString(), Config.IDLE_TIMEOUT_S, "60", Config.ADMIN_TOKEN, TOKEN)));
      assertEquals(Config.settings().stream().map(Setting::env).toList(), List.copyOf(out.keySet()));
      assertEquals("9090", out.get(Config.HTTP_PORT), "from the file");
      assertEquals("60", out.get(Config.IDLE_TIMEOUT_S), "the environment wins");
      assertEquals("9183", out.get(Config.STREAM_PORT));
      assertEquals("8081", out.get(Config.AUTH_PORT), "the declared default");
      assertEquals("9090", out.get(Config.NGINX_LISTEN), "derived: IPTV_HTTP_PORT");
      assertEquals("http://localhost:9090", out.get(Config.PUBLIC_URL), "derived");
      assertEquals("", out.get(Config.PG_URL), "unset");
      assertEquals(file.toString(), out.get(Config.CONFIG_FILE));
      assertEquals("0.0.0.0", out.get(Config.BIND_HOST));
    } finally {
      Files.deleteIfExists(file);
    }
  }

  @Test
  @DisplayName("secrets are hidden, and a URL's password, unless the setting is asked for by name")
  void secrets() {
    Map<String, String> env = env(Config.ADMIN_TOKEN, TOKEN, Config.PG_URL, "postgresql://iptv:s3cret@db:5432/iptv",
      Config.REDIS_URL, "redis://127.0.0.1:6379/2");
    String all = SettingsCommand.render(List.of(), env);
    assertFalse(all.contains(TOKEN), all);
    assertFalse(all.contains("s3cret"), all);
    Map<String, String> out = lines(all);
    assertEquals(SettingsCommand.HIDDEN, out.get(Config.ADMIN_TOKEN));
    assertEquals(SettingsCommand.HIDDEN, out.get(Config.SEGMENT_SECRET), "derived from the token: hidden too");
    assertEquals("postgresql://iptv:****@db:5432/iptv", out.get(Config.PG_URL));
    assertEquals("redis://127.0.0.1:6379/2", out.get(Config.REDIS_URL));
    assertEquals(Map.of(Config.ADMIN_TOKEN, TOKEN), lines(SettingsCommand.render(List.of(Config.ADMIN_TOKEN), env)));
    assertEquals("", lines(SettingsCommand.render(List.of(), env())).get(Config.ADMIN_TOKEN), "unset: empty");
  }

  @Test
  @DisplayName("--cluster: bin/iptv cluster's defaults where nothing sets the setting, what is set otherwise")
  void cluster() {
    Path run = Path.of("/var/lib/iptv-test/cluster");
    Map<String, String> out = lines(SettingsCommand.render(List.of("--cluster", run.toString()),
      env(Config.ADMIN_TOKEN, TOKEN, Config.CLUSTER_PORT, "5801")));
    assertEquals("127.0.0.1", out.get(Config.BIND_HOST));
    assertEquals(run.resolve("segments.log").toString(), out.get(Config.SEGMENT_LOG_FILE));
    assertEquals("127.0.0.1:5801,127.0.0.1:5802,127.0.0.1:5803,127.0.0.1:5804", out.get(Config.CLUSTER_MEMBERS));
    Map<String, String> set = lines(SettingsCommand.render(List.of("--cluster", run.toString()),
      env(Config.ADMIN_TOKEN, TOKEN, Config.BIND_HOST, "0.0.0.0", Config.SEGMENT_LOG, "off",
        Config.CLUSTER_MEMBERS, "10.0.0.5")));
    assertEquals("0.0.0.0", set.get(Config.BIND_HOST));
    assertEquals("", set.get(Config.SEGMENT_LOG_FILE), "the records go elsewhere: no file");
    assertEquals("10.0.0.5", set.get(Config.CLUSTER_MEMBERS));
  }

  @Test
  @DisplayName("a value that is not one line, a bad number or an unknown name is refused, naming it")
  void refused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
      SettingsCommand.render(List.of(), env(Config.NODE_NAME, "a\nIPTV_ADMIN_TOKEN=x")));
    assertTrue(e.getMessage().contains(Config.NODE_NAME), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SettingsCommand.render(List.of(), env(Config.AUTH_PORT, "80a")));
    assertTrue(e.getMessage().contains(Config.AUTH_PORT), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SettingsCommand.render(List.of(), env(Config.HTTP_PORT, "70000")));
    assertTrue(e.getMessage().contains(Config.HTTP_PORT), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SettingsCommand.render(List.of("IPTV_NOPE"), env()));
    assertTrue(e.getMessage().contains("IPTV_NOPE"), e.getMessage());
  }
}
