package dev.iptv.monitor;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;

/**
 * monitor-service's settings, read once from the deployment config (names, defaults and meanings:
 * {@link Config}); {@link #from} fails naming a bad one. The node's name is read apart
 * ({@code Config.effective(config, Config.NODE_NAME)}), off the event loop: it may read a file.
 *
 * @param adminToken          {@code IPTV_ADMIN_TOKEN}
 * @param redisUrl            {@code IPTV_REDIS_URL}
 * @param ffmpeg              {@code IPTV_FFMPEG}, probed for health
 * @param hlsDir              {@code IPTV_HLS_DIR}, whose disk health checks
 * @param diskMinFreeBytes    {@code IPTV_DISK_MIN_FREE_MB}
 * @param pgUrl               {@code IPTV_PG_URL}, or null: history off
 * @param pgSchema            {@code IPTV_PG_SCHEMA}, or null
 * @param segmentLogFile      {@code IPTV_SEGMENT_LOG_FILE} to follow, or null
 * @param segmentLogHost      {@code IPTV_SEGMENT_LOG_HOST}
 * @param segmentLogPort      {@code IPTV_SEGMENT_LOG_PORT}, 0: no syslog listener
 * @param historyRetentionDays {@code IPTV_HISTORY_RETENTION_DAYS}
 * @param metricsPublic       {@code IPTV_METRICS_PUBLIC}
 */
public record MonitorSettings(String adminToken, String redisUrl, String ffmpeg, Path hlsDir, long diskMinFreeBytes,
                              String pgUrl, String pgSchema, Path segmentLogFile, String segmentLogHost,
                              int segmentLogPort, int historyRetentionDays, boolean metricsPublic) {

  static MonitorSettings from(JsonObject config) {
    int logPort = Config.integer(config, Config.SEGMENT_LOG_PORT);
    if (logPort < 0 || logPort > 65535) {
      throw new IllegalArgumentException(Config.SEGMENT_LOG_PORT + " must be a port (1-65535) or 0 (off), not " + logPort);
    }
    String logFile = set(config, Config.SEGMENT_LOG_FILE);
    return new MonitorSettings(Config.string(config, Config.ADMIN_TOKEN), Config.string(config, Config.REDIS_URL),
      Config.string(config, Config.FFMPEG), Path.of(Config.string(config, Config.HLS_DIR)),
      Config.integer(config, Config.DISK_MIN_FREE_MB) * 1024L * 1024L, set(config, Config.PG_URL),
      Config.string(config, Config.PG_SCHEMA), logFile == null ? null : Path.of(logFile),
      Config.string(config, Config.SEGMENT_LOG_HOST), logPort, Config.integer(config, Config.HISTORY_RETENTION_DAYS),
      Config.bool(config, Config.METRICS_PUBLIC));
  }

  /** History is configured. */
  public boolean pg() {
    return pgUrl != null;
  }

  private static String set(JsonObject config, String env) {
    String v = Config.string(config, env);
    return v == null || v.isBlank() ? null : v.trim();
  }
}
