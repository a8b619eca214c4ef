package dev.iptv.contract;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;

import java.math.BigDecimal;

/**
 * The mirror's contract: the durable copy of the panel's data in PostgreSQL, put back into Redis
 * when Redis loses it (run today by monitor-service). Its address, its restore event, its Redis keys
 * and the sentinel's value, and {@link Probe}, the sentinel as the other services read it.
 *
 * <p>Redis: {@code iptv:sentinel} is {@code g{generation}:{node}:{nonce}} while Redis holds the
 * panel's data in step with the copy (the generation is the mirror's count of synced changes, also
 * kept in PostgreSQL, so a Redis restarted from an older snapshot shows an older one), or
 * {@code restoring:{node}:{nonce}} while a monitor brings an older Redis to PostgreSQL's state;
 * absent when Redis lost its data. Absent or restoring: a restore is pending. During a restore:
 * {@code iptv:restore:lock} (the restoring instance, so one restores at a time) and, in replace mode,
 * {@code iptv:restore:users} / {@code iptv:restore:channels} ({@code users:all} and
 * {@code channels:all} built aside, then renamed into place).
 */
public final class MirrorContract {

  // --- event-bus address ---------------------------------------------------------------------------

  /** Published by the mirror after it put the panel's data back: {@link RedisRestored}. */
  public static final String EVENTS = "iptv.mirror.events";

  // --- Redis keys ----------------------------------------------------------------------------------

  public static final String SENTINEL = "iptv:sentinel";
  public static final String RESTORE_LOCK = "iptv:restore:lock";
  public static final String RESTORE_USERS = "iptv:restore:users";
  public static final String RESTORE_CHANNELS = "iptv:restore:channels";

  // --- the sentinel's value ------------------------------------------------------------------------

  /** Prefix of the value a monitor writes while it brings an older Redis to PostgreSQL's state. */
  public static final String RESTORING = "restoring:";

  /** A value present and not {@link #RESTORING}: Redis holds the panel's data. */
  public static boolean inStep(String value) {
    return value != null && !value.startsWith(RESTORING);
  }

  /** The sentinel value of an in-step Redis at {@code generation}. */
  public static String value(long generation, String node, String nonce) {
    return "g" + generation + ":" + node + ":" + nonce;
  }

  /** The sentinel value while {@code node} restores. */
  public static String restoring(String node, String nonce) {
    return RESTORING + node + ":" + nonce;
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

  // --- messages ------------------------------------------------------------------------------------

  /**
   * {@link #EVENTS}: {@code {"event": "redis_restored", "node", "keys", "removed", "mode":
   * "fill|replace", "generation", "duration_ms", "ts"}}. Playlist caches rebuild their list.
   */
  public record RedisRestored(String node, long keys, long removed, String mode, long generation, long durationMs,
                              BigDecimal ts) {

    public static final String EVENT = "redis_restored";
    public static final String FILL = "fill";
    public static final String REPLACE = "replace";

    public JsonObject toJson() {
      return new JsonObject().put(Wire.EVENT, EVENT).put("node", node).put("keys", keys).put("removed", removed)
        .put("mode", mode).put("generation", generation).put("duration_ms", durationMs).put(Wire.TS, ts);
    }

    /** Fails naming {@code event} when it is not {@value #EVENT}; the other fields may be absent. */
    public static RedisRestored fromJson(JsonObject o) {
      Wire.event(o, EVENT);
      Number ts = Wire.number(o, Wire.TS, null);
      return new RedisRestored(Wire.text(o, "node"), Wire.number(o, "keys", 0).longValue(),
        Wire.number(o, "removed", 0).longValue(), Wire.text(o, "mode"), Wire.number(o, "generation", 0).longValue(),
        Wire.number(o, "duration_ms", 0).longValue(), ts == null ? null : new BigDecimal(ts.toString()));
    }
  }

  // --- the sentinel as the other services read it --------------------------------------------------

  /** How often a {@link Probe} reads the sentinel. */
  public static final long PROBE_MS = 2_000;

  /**
   * {@code iptv:sentinel} as the panel's services read it: a probe every {@link #PROBE_MS} ms
   * remembers whether the sentinel was ever seen, so a missing one means "Redis was emptied" only
   * where a mirror runs.
   */
  public static final class Probe {

    private final RedisAPI redis;
    private volatile boolean seen;
    private long timer = -1;

    public Probe(RedisAPI redis) {
      this.redis = redis;
    }

    /** Starts the probe on this Vert.x (its failures are ignored: Redis away is reported elsewhere). */
    public Probe start(Vertx vertx) {
      probe();
      timer = vertx.setPeriodic(PROBE_MS, t -> probe());
      return this;
    }

    private void probe() {
      present().onSuccess(p -> seen |= p);
    }

    /** Whether the sentinel is in Redis now and says Redis is in step (not restoring). */
    public Future<Boolean> present() {
      return redis.get(SENTINEL).map(r -> inStep(r == null ? null : r.toString()));
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

  private MirrorContract() {
  }
}
