package dev.iptv.common;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisAPI;

/**
 * monitor-service's {@code iptv:sentinel}, as the other services read it: present while Redis
 * holds the panel's data (the PostgreSQL mirror is on), gone when Redis lost its data until the
 * monitor has put it back. A probe every {@link #PROBE_MS} ms remembers whether the sentinel was
 * ever seen, so a missing one means "Redis was emptied" only where a mirror runs.
 *
 * <p>The value: {@code g{generation}:{node}:{nonce}} while Redis is in step with the mirror (the
 * generation is the mirror's count of synced changes, also kept in PostgreSQL, so a Redis restarted
 * from an older snapshot shows an older generation), or {@code restoring:{node}:{nonce}} while a
 * monitor brings such an older Redis to PostgreSQL's state. Either absent or restoring means
 * "restore pending" ({@link #inStep}).
 */
public final class MirrorSentinel {

  public static final long PROBE_MS = 2_000;
  /** Prefix of the value a monitor writes while it brings an older Redis to PostgreSQL's state. */
  public static final String RESTORING = "restoring:";

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

  /** Whether the sentinel is in Redis now and says Redis is in step (not restoring). */
  public Future<Boolean> present() {
    return redis.get(MonitorKeys.SENTINEL).map(r -> inStep(r == null ? null : r.toString()));
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

  // --- the value -------------------------------------------------------------------------------

  /** A value present and not {@link #RESTORING}: Redis holds the panel's data. */
  public static boolean inStep(String value) {
    return value != null && !value.startsWith(RESTORING);
  }

  /** The sentinel value of an in-step Redis at {@code generation}. */
  public static String value(long generation, String node, String nonce) {
    return "g" + generation + ":" + node + ":" + nonce;
  }

  /**
   * The generation a value carries: -1 when absent or restoring, 0 for a value without one (set
   * before generations existed).
   */
  public static long generation(String value) {
    if (!inStep(value)) {
      return -1;
    }
    int colon = value.indexOf(':');
    if (value.length() < 2 || value.charAt(0) != 'g' || colon < 2 || colon > 19) {
      return 0;
    }
    for (int i = 1; i < colon; i++) {
      if (value.charAt(i) < '0' || value.charAt(i) > '9') {
        return 0;
      }
    }
    return Long.parseLong(value.substring(1, colon));
  }
}
