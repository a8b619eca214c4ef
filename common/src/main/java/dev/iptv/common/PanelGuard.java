package dev.iptv.common;

import dev.iptv.contract.MirrorContract;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.RedisAPI;

/**
 * The panel API's answer while mirror-service has not yet put the panel's data back into Redis:
 * {@code 503} with {@code Retry-After} and {@code {"error": ...}}, never a 404 or an empty list read
 * from an emptied Redis, and nothing written. "Pending" means: a mirror is configured
 * ({@code IPTV_PG_URL} is set; every service gets the same configuration) and
 * {@code iptv:sentinel} ({@link MirrorContract}) is absent or restoring, read live for each request.
 *
 * <p>Mounted once in front of a service's admin routes ({@code router.route("/api/users*")}). A
 * request without the admin bearer passes on untouched, so the route answers its 401 as before. The
 * request is paused during the Redis read, so a body handler after it still gets the whole body.
 */
public final class PanelGuard {

  public static final int RETRY_AFTER_S = 5;

  private PanelGuard() {
  }

  /** The guard for a service with this config; a plain pass-through when no mirror is configured. */
  public static Handler<RoutingContext> create(RedisAPI redis, JsonObject config) {
    String pg = Config.string(config, Config.PG_URL);
    if (pg == null || pg.isBlank()) {
      return RoutingContext::next;
    }
    AdminBearer admin = new AdminBearer(Config.string(config, Config.ADMIN_TOKEN));
    MirrorContract.Probe sentinel = new MirrorContract.Probe(redis);
    return ctx -> {
      if (!admin.matches(ctx)) {
        ctx.next();
        return;
      }
      HttpServerRequest req = ctx.request();
      req.pause();
      sentinel.present().onComplete(ar -> {
        if (ar.succeeded() && !ar.result()) {
          req.resume();
          ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(RETRY_AFTER_S));
          Http.sendError(ctx, 503, "the panel's data is being restored into Redis from PostgreSQL"
            + " (mirror-service): retry in a few seconds");
        } else {
          // In step, or Redis unreachable: the route answers (and fails on its own Redis call).
          ctx.next();
          req.resume();
        }
      });
    };
  }
}
