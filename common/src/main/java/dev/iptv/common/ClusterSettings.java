package dev.iptv.common;

import io.vertx.core.json.JsonObject;

/**
 * The cluster's settings (Hazelcast and the clustered event bus), read once from a resolved config;
 * {@link #from} fails naming a bad one.
 *
 * @param host    {@code IPTV_CLUSTER_HOST}: the address Hazelcast and the event bus bind and announce
 * @param port    {@code IPTV_CLUSTER_PORT}: the first Hazelcast port
 * @param members {@code IPTV_CLUSTER_MEMBERS}: comma-separated {@code host[:port]} to join
 * @param name    {@code IPTV_CLUSTER_NAME}
 * @param busPort {@code IPTV_CLUSTER_BUS_PORT}: the event bus's port, 0 for a free one
 * @param secret  {@code IPTV_CLUSTER_SECRET}, or null
 * @param cert    {@code IPTV_CLUSTER_CERT}, or null (then {@code key} and {@code ca} are null too)
 * @param key     {@code IPTV_CLUSTER_KEY}, or null
 * @param ca      {@code IPTV_CLUSTER_CA}, or null
 */
public record ClusterSettings(String host, int port, String members, String name, int busPort,
                              String secret, String cert, String key, String ca) {

  /** The shortest {@code IPTV_CLUSTER_SECRET} accepted. */
  public static final int MIN_SECRET = 16;

  public static ClusterSettings from(JsonObject config) {
    String host = Config.string(config, Config.CLUSTER_HOST);
    String members = Config.string(config, Config.CLUSTER_MEMBERS);
    String name = Config.string(config, Config.CLUSTER_NAME);
    require(host, Config.CLUSTER_HOST);
    require(members, Config.CLUSTER_MEMBERS);
    require(name, Config.CLUSTER_NAME);
    String secret = optional(config, Config.CLUSTER_SECRET);
    if (secret != null && secret.length() < MIN_SECRET) {
      throw new IllegalArgumentException(Config.CLUSTER_SECRET + " is too short: use at least " + MIN_SECRET
        + " characters (for example: openssl rand -hex 32)");
    }
    String cert = optional(config, Config.CLUSTER_CERT);
    String key = optional(config, Config.CLUSTER_KEY);
    String ca = optional(config, Config.CLUSTER_CA);
    if (cert != null || key != null || ca != null) {
      require(cert, Config.CLUSTER_CERT + " (certificate files come as three: "
        + Config.CLUSTER_CERT + ", " + Config.CLUSTER_KEY + ", " + Config.CLUSTER_CA + ")");
      require(key, Config.CLUSTER_KEY + " (with " + Config.CLUSTER_CERT + ")");
      require(ca, Config.CLUSTER_CA + " (with " + Config.CLUSTER_CERT + ")");
    }
    return new ClusterSettings(host.trim(), HttpSettings.port(config, Config.CLUSTER_PORT), members.trim(), name.trim(),
      HttpSettings.port(config, Config.CLUSTER_BUS_PORT), secret, cert, key, ca);
  }

  /** True when the event bus runs over mutual TLS (a secret or certificate files). */
  public boolean tls() {
    return secret != null || cert != null;
  }

  /** True when certificate files are given (they win over the derived ones). */
  public boolean certificateFiles() {
    return cert != null;
  }

  private static String optional(JsonObject config, String env) {
    String value = Config.string(config, env);
    return value == null || value.isBlank() ? null : value.trim();
  }

  private static void require(String value, String env) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(env + " must not be empty");
    }
  }

  @Override
  public String toString() {
    return "ClusterSettings[host=" + host + ", port=" + port + ", members=" + members + ", name=" + name + ", busPort=" + busPort
      + ", secret=" + (secret == null ? "unset" : "set") + ", cert=" + cert + ", key=" + key + ", ca=" + ca + "]";
  }
}
