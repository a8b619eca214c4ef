package dev.iptv.common;

import io.vertx.core.json.JsonObject;

import java.util.Locale;

/**
 * The HTTP servers' settings, read once from a resolved config; {@link #from} fails naming a bad one.
 *
 * @param bindHost        {@code IPTV_BIND_HOST}
 * @param httpPort        {@code IPTV_HTTP_PORT}: the all-in-one port (0: any free one)
 * @param eventLoops      {@code IPTV_HTTP_EVENT_LOOPS}: servers on the all-in-one port, one per core when 0
 * @param idleTimeoutS    {@code IPTV_HTTP_IDLE_TIMEOUT_S}
 * @param headerTimeoutS  {@code IPTV_HTTP_HEADER_TIMEOUT_S}
 * @param maxConnections  {@code IPTV_HTTP_MAX_CONNECTIONS}
 */
public record HttpSettings(String bindHost, int httpPort, int eventLoops, int idleTimeoutS, int headerTimeoutS,
                           int maxConnections) {

  public static HttpSettings from(JsonObject config) {
    int loops = Config.integer(config, Config.HTTP_EVENT_LOOPS);
    if (loops < 0) {
      throw new IllegalArgumentException(Config.HTTP_EVENT_LOOPS + " must be 0 (one per core) or more, not " + loops);
    }
    return new HttpSettings(Config.string(config, Config.BIND_HOST), port(config, Config.HTTP_PORT), loops,
      positive(config, Config.HTTP_IDLE_TIMEOUT_S), positive(config, Config.HTTP_HEADER_TIMEOUT_S),
      positive(config, Config.HTTP_MAX_CONNECTIONS));
  }

  /** The servers on the all-in-one port: {@link #eventLoops}, or one per core. */
  public int frontLoops() {
    return eventLoops > 0 ? eventLoops : Math.max(1, Runtime.getRuntime().availableProcessors());
  }

  /**
   * The setting naming a service's own port in cluster mode: {@code IPTV_AUTH_PORT} for {@code auth};
   * null for {@code mirror}, which serves no HTTP.
   */
  public static String portSetting(String service) {
    return switch (service.toLowerCase(Locale.ROOT).replace("-service", "")) {
      case "auth" -> Config.AUTH_PORT;
      case "playlist" -> Config.PLAYLIST_PORT;
      case "stream" -> Config.STREAM_PORT;
      case "monitor" -> Config.MONITOR_PORT;
      case "mirror" -> null;
      default -> throw new IllegalArgumentException("unknown service '" + service + "'");
    };
  }

  /** A service's own port in cluster mode; 0 (none) for a service that serves no HTTP. */
  public static int servicePort(JsonObject config, String service) {
    String setting = portSetting(service);
    return setting == null ? 0 : port(config, setting);
  }

  static int port(JsonObject config, String env) {
    int p = Config.integer(config, env);
    if (p < 0 || p > 65535) {
      throw new IllegalArgumentException(env + " must be a port (0-65535), not " + p);
    }
    return p;
  }

  private static int positive(JsonObject config, String env) {
    int v = Config.integer(config, env);
    if (v < 1) {
      throw new IllegalArgumentException(env + " must be 1 or more, not " + v);
    }
    return v;
  }
}
