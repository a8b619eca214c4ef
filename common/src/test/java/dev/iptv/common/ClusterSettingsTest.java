package dev.iptv.common;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterSettingsTest {

  static JsonObject config(Map<String, String> env) {
    return Config.load(env);
  }

  @Test
  @DisplayName("no secret and no files: the event bus without TLS; a secret turns it on")
  void tlsWhenConfigured() {
    ClusterSettings none = ClusterSettings.from(config(Map.of()));
    assertFalse(none.tls());
    assertEquals(0, none.busPort());
    ClusterSettings secret = ClusterSettings.from(config(Map.of("IPTV_CLUSTER_SECRET", "0123456789abcdef",
      "IPTV_CLUSTER_BUS_PORT", "5800")));
    assertTrue(secret.tls());
    assertFalse(secret.certificateFiles());
    assertEquals(5800, secret.busPort());
    assertFalse(secret.toString().contains("0123456789abcdef"));
  }

  @Test
  @DisplayName("a short secret, or certificate files given in part, are refused naming the setting")
  void refused() {
    IllegalArgumentException shortSecret = assertThrows(IllegalArgumentException.class,
      () -> ClusterSettings.from(config(Map.of("IPTV_CLUSTER_SECRET", "short"))));
    assertTrue(shortSecret.getMessage().startsWith("IPTV_CLUSTER_SECRET is too short"), shortSecret.getMessage());
    IllegalArgumentException noKey = assertThrows(IllegalArgumentException.class,
      () -> ClusterSettings.from(config(Map.of("IPTV_CLUSTER_CERT", "/etc/iptv/member.pem", "IPTV_CLUSTER_CA", "/etc/iptv/ca.pem"))));
    assertTrue(noKey.getMessage().startsWith("IPTV_CLUSTER_KEY"), noKey.getMessage());
    IllegalArgumentException noCert = assertThrows(IllegalArgumentException.class,
      () -> ClusterSettings.from(config(Map.of("IPTV_CLUSTER_CA", "/etc/iptv/ca.pem"))));
    assertTrue(noCert.getMessage().startsWith("IPTV_CLUSTER_CERT"), noCert.getMessage());
    ClusterSettings files = ClusterSettings.from(config(Map.of("IPTV_CLUSTER_CERT", "/c.pem", "IPTV_CLUSTER_KEY", "/k.pem",
      "IPTV_CLUSTER_CA", "/ca.pem")));
    assertTrue(files.tls() && files.certificateFiles());
  }
}
