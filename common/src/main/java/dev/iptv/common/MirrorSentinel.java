package dev.iptv.common;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;

import java.util.List;

/**
 * monitor-service's {@code iptv:sentinel}, as the other services read it: present while Redis
 * holds the panel's data (the PostgreSQL mirror is on), gone when Redis lost its data until the
 * monitor has put it back. A probe every {@link #PROBE_MS} ms remembers whether the sentinel was
 * ever seen, so a missing one means "Redis was emptied" only where a mirror runs.
 */
public final class MirrorSentinel {

  public static final long PROBE_MS = 2_000;

  private final RedisAPI redis;
  private volatile boolean seen;
  private long timer = -1;

  public MirrorSentinel(RedisAPI redis) {
    this.redis = redis;
  }

  /** Starts the probe on this Vert.x (its failures are ignored: Redis away is reported elsewhere). */
  public MirrorSentinel start(Vertx vertx) {
    probe();
    timer = vertx.setPeriodic(PROBE_MS, t -> probe());
    return this;
  }

  private void probe() {
    present().onSuccess(p -> seen |= p);
  }

  /** Whether the sentinel is in Redis now. */
  public Future<Boolean> present() {
    return redis.exists(List.of(MonitorKeys.SENTINEL)).map(r -> r != null && r.toInteger() > 0);
  }

  /** The sentinel has been seen: a mirror runs, and its absence means Redis lost its data. */
  public boolean seen() {
    return seen;
  }

  /** True when a mirror runs and the sentinel is gone now: Redis lost its data, restore pending. */
  public Future<Boolean> lost() {
    return seen ? present().map(p -> !p) : Future.succeededFuture(false);
  }

  public void stop(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
