package dev.iptv.mirror;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;

/**
 * mirror-service's settings, read once from the deployment config (names, defaults and meanings:
 * {@link Config}); {@link #from} fails naming a bad one. The node's name is read apart
 * ({@code Config.effective(config, Config.NODE_NAME)}), off the event loop: it may read a file.
 *
 * @param redisUrl    {@code IPTV_REDIS_URL}
 * @param pgUrl       {@code IPTV_PG_URL}, or null: nothing is copied, Redis loss is only detected and logged
 * @param pgSchema    {@code IPTV_PG_SCHEMA}, or null
 * @param reconcileMs {@code IPTV_MIRROR_RECONCILE_S}, at least 10 s
 */
record MirrorSettings(String redisUrl, String pgUrl, String pgSchema, long reconcileMs) {

  static MirrorSettings from(JsonObject config) {
    String pg = Config.string(config, Config.PG_URL);
    return new MirrorSettings(Config.string(config, Config.REDIS_URL), pg == null || pg.isBlank() ? null : pg.trim(),
      Config.string(config, Config.PG_SCHEMA), Math.max(10, Config.integer(config, Config.MIRROR_RECONCILE_S)) * 1000L);
  }
}
