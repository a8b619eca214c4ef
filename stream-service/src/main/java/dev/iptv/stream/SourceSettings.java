package dev.iptv.stream;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;

/**
 * The settings of the slate ({@link ChannelSlate}) and of the source checks ({@link SourceChecks}),
 * read with {@link StreamSettings#from}; every name, default and meaning is declared in {@link Config}.
 *
 * @param ffprobe             {@code IPTV_FFPROBE}
 * @param slate               {@code IPTV_SLATE}: a watched channel whose every source fails shows the slate
 * @param limitSlate          {@code IPTV_LIMIT_SLATE}: a poll refused by max_connections gets {@link LimitSlate}, not 403
 * @param slateRetryMaxMs     {@code IPTV_SLATE_RETRY_MAX_S}: the longest wait between two checks while slated
 * @param checkEveryMs        {@code IPTV_SOURCE_CHECK_S}: backups of running channels checked this often (0: off)
 * @param checkTimeoutMs      {@code IPTV_SOURCE_CHECK_TIMEOUT_S}: the longest ffprobe
 * @param checkConcurrency    {@code IPTV_SOURCE_CHECK_CONCURRENCY}: ffprobes at once on this instance
 */
public record SourceSettings(String ffprobe, boolean slate, boolean limitSlate, long slateRetryMaxMs, long checkEveryMs,
                             long checkTimeoutMs, int checkConcurrency) {

  static SourceSettings from(JsonObject config) {
    return new SourceSettings(Config.string(config, Config.FFPROBE),
      Config.bool(config, Config.SLATE),
      Config.bool(config, Config.LIMIT_SLATE),
      atLeast(config, Config.SLATE_RETRY_MAX_S, 1) * 1000L,
      atLeast(config, Config.SOURCE_CHECK_S, 0) * 1000L,
      atLeast(config, Config.SOURCE_CHECK_TIMEOUT_S, 1) * 1000L,
      atLeast(config, Config.SOURCE_CHECK_CONCURRENCY, 1));
  }

  private static int atLeast(JsonObject config, String env, int min) {
    int v = Config.integer(config, env);
    if (v < min) {
      throw new IllegalArgumentException(env + " must be at least " + min + ", got " + v);
    }
    return v;
  }
}
