package dev.iptv.monitor;

import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.MirrorContract.MirrorStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

/**
 * mirror-service's status as the monitor shows it ({@code checks.mirror} of {@code /api/health},
 * the dashboard, the {@code iptv_mirror_keys} and {@code iptv_redis_restores} gauges), asked over
 * the event bus ({@link MirrorContract#STATUS}): of the mirror in this JVM when there is one (each
 * monitor shows its own mirror, as {@code bin/iptv cluster} and the all-in-one run them together),
 * else of any mirror in the cluster.
 */
public final class MirrorView {

  private MirrorView() {
  }

  /** The status; fails when no mirror answers within {@code timeoutMs}. */
  public static Future<MirrorStatus> ask(Vertx vertx, long timeoutMs) {
    return request(vertx, true, timeoutMs)
      .recover(err -> err instanceof ReplyException r && r.failureType() == ReplyFailure.NO_HANDLERS
        ? request(vertx, false, timeoutMs) : Future.failedFuture(err))
      .map(MirrorStatus::fromJson);
  }

  /** The status as JSON, or {@link #unavailable} when no mirror answers; never fails. */
  public static Future<JsonObject> json(Vertx vertx, long timeoutMs) {
    return ask(vertx, timeoutMs).map(MirrorStatus::toJson).otherwise(MirrorView::unavailable);
  }

  /** What health shows when no mirror-service answers (none runs, or it is stopping). */
  public static JsonObject unavailable(Throwable err) {
    return new JsonObject().put(MirrorStatus.ENABLED, false).put("running", false)
      .put("error", "no mirror-service answered on " + MirrorContract.STATUS + ": " + err.getMessage());
  }

  private static Future<JsonObject> request(Vertx vertx, boolean localOnly, long timeoutMs) {
    DeliveryOptions options = new DeliveryOptions().setLocalOnly(localOnly).setSendTimeout(timeoutMs);
    return vertx.eventBus().<JsonObject>request(MirrorContract.STATUS, new JsonObject(), options)
      .map(m -> m.body() == null ? new JsonObject() : m.body());
  }
}
