package dev.iptv.auth;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;

/**
 * auth-service's settings, read once from the deployment config; {@link #from} fails naming a bad one.
 *
 * @param adminToken      {@code IPTV_ADMIN_TOKEN}, required
 * @param redisUrl        {@code IPTV_REDIS_URL}
 * @param hashIterations  {@code IPTV_PASSWORD_HASH_ITERATIONS}
 * @param tokenGraceMs    {@code IPTV_TOKEN_GRACE_S}: a token key outlives {@code expires_at} by this much
 * @param sessionWindowS  {@code IPTV_SESSION_WINDOW_S}: 5 to {@value #MAX_SESSION_WINDOW_S}
 */
record AuthSettings(String adminToken, String redisUrl, int hashIterations, long tokenGraceMs, int sessionWindowS) {

  /** A viewer session holds its slot at most this long after its last poll (SPEC section 2). */
  static final int MAX_SESSION_WINDOW_S = 60;

  static AuthSettings from(JsonObject config) {
    String adminToken = Config.string(config, Config.ADMIN_TOKEN);
    if (adminToken == null || adminToken.isBlank()) {
      throw new IllegalStateException(Config.ADMIN_TOKEN + " is not set");
    }
    int sessionWindowS = Config.integer(config, Config.SESSION_WINDOW_S);
    if (sessionWindowS < 5 || sessionWindowS > MAX_SESSION_WINDOW_S) {
      throw new IllegalArgumentException(Config.SESSION_WINDOW_S + " must be between 5 and "
        + MAX_SESSION_WINDOW_S + " seconds, not " + sessionWindowS);
    }
    return new AuthSettings(adminToken, Config.string(config, Config.REDIS_URL),
      Config.integer(config, Config.PASSWORD_HASH_ITERATIONS), Config.integer(config, Config.TOKEN_GRACE_S) * 1000L,
      sessionWindowS);
  }
}
