package dev.iptv.playlist;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;

/**
 * playlist-service's settings, read once from the deployment config; {@link #from} fails naming a
 * bad one.
 *
 * @param adminToken {@code IPTV_ADMIN_TOKEN}, required
 * @param redisUrl   {@code IPTV_REDIS_URL}
 * @param publicUrl  {@code IPTV_PUBLIC_URL} without a trailing slash; default
 *                   {@code http://localhost:{IPTV_HTTP_PORT}}
 * @param cacheS     {@code IPTV_PLAYLIST_CACHE_S}: the rendered list is rebuilt when older than this
 */
record PlaylistSettings(String adminToken, String redisUrl, String publicUrl, int cacheS) {

  static PlaylistSettings from(JsonObject config) {
    String adminToken = Config.string(config, Config.ADMIN_TOKEN);
    if (adminToken == null || adminToken.isBlank()) {
      throw new IllegalStateException(Config.ADMIN_TOKEN + " is not set");
    }
    return new PlaylistSettings(adminToken, Config.string(config, Config.REDIS_URL), publicUrl(config),
      Config.integer(config, Config.PLAYLIST_CACHE_S));
  }

  private static String publicUrl(JsonObject config) {
    String url = Config.effective(config, Config.PUBLIC_URL);
    while (url.endsWith("/")) {
      url = url.substring(0, url.length() - 1);
    }
    if (!M3u.safeBase(url) || !(url.startsWith("http://") || url.startsWith("https://"))) {
      throw new IllegalArgumentException(Config.PUBLIC_URL + " must be an http(s) URL without spaces, quotes or control characters");
    }
    return url;
  }
}
