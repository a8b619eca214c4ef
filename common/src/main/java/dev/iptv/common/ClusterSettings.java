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
 */
public record ClusterSettings(String host, int port, String members, String name) {

  public static ClusterSettings from(JsonObject config) {
    String host = Config.string(config, Config.CLUSTER_HOST);
    String members = Config.string(config, Config.CLUSTER_MEMBERS);
    String name = Config.string(config, Config.CLUSTER_NAME);
    require(host, Config.CLUSTER_HOST);
    require(members, Config.CLUSTER_MEMBERS);
    require(name, Config.CLUSTER_NAME);
    return new ClusterSettings(host.trim(), HttpSettings.port(config, Config.CLUSTER_PORT), members.trim(), name.trim());
  }

  private static void require(String value, String env) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(env + " must not be empty");
    }
  }
}
