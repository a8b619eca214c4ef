package dev.iptv.playlist.epg;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;

/**
 * The EPG's settings, read once from the service's config ({@code IPTV_EPG_*}, see {@link Config}).
 *
 * @param maxBytes  largest guide, as downloaded and as XML after gzip
 * @param past      how long a programme is kept after its end
 * @param future    how far ahead programmes are imported
 * @param checkMs   period of the look for sources due to refresh
 * @param timeoutMs connect and silence timeout of a download
 * @param node      this instance's node name, for locks, statuses and events
 */
public record EpgSettings(long maxBytes, Duration past, Duration future, long checkMs, long timeoutMs, String node) {

  public static EpgSettings from(JsonObject config) {
    int maxMb = positive(config, Config.EPG_MAX_MB);
    int past = Config.integer(config, Config.EPG_PAST_DAYS);
    if (past < 0) {
      throw new IllegalArgumentException(Config.EPG_PAST_DAYS + " must be 0 or more");
    }
    int future = positive(config, Config.EPG_FUTURE_DAYS);
    int check = positive(config, Config.EPG_CHECK_S);
    int timeout = positive(config, Config.EPG_TIMEOUT_S);
    return new EpgSettings(maxMb * 1024L * 1024L, Duration.ofDays(past), Duration.ofDays(future), check * 1000L,
      timeout * 1000L, node(config));
  }

  /** How long guide keys live at most: a generation left by a crashed import goes away by itself. */
  public Duration retention() {
    return past.plus(future).plusDays(1);
  }

  private static int positive(JsonObject config, String env) {
    int v = Config.integer(config, env);
    if (v < 1) {
      throw new IllegalArgumentException(env + " must be 1 or more");
    }
    return v;
  }

  private static String node(JsonObject config) {
    String set = Config.string(config, Config.NODE_NAME);
    if (set != null && !set.isBlank()) {
      return set.trim();
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "node";
    }
  }
}
