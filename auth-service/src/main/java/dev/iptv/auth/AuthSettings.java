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
 * @param loginCacheSize  {@code IPTV_LOGIN_CACHE_SIZE}: verified username/password pairs remembered
 * @param loginFailuresPerMin {@code IPTV_LOGIN_FAILURES_PER_MIN}: failed logins per client address and minute
 */
record AuthSettings(String adminToken, String redisUrl, int hashIterations, long tokenGraceMs, int sessionWindowS,
                    int loginCacheSize, int loginFailuresPerMin) {

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
      sessionWindowS, positive(config, Config.LOGIN_CACHE_SIZE), positive(config, Config.LOGIN_FAILURES_PER_MIN));
  }

  private static int positive(JsonObject config, String setting) {
    int v = Config.integer(config, setting);
    if (v < 1) {
      throw new IllegalArgumentException(setting + " must be at least 1, not " + v);
    }
    return v;
  }
}
