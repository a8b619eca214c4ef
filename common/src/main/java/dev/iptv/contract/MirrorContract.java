package dev.iptv.contract;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;

import java.math.BigDecimal;

/**
 * mirror-service's contract: the durable copy of the panel's data in PostgreSQL, put back into Redis
 * when Redis loses it. Its addresses, its restore event and its status, its Redis keys and the
 * sentinel's value, and {@link Probe}, the sentinel as the other services read it.
 *
 * <p>Redis: {@code iptv:sentinel} is {@code g{generation}:{node}:{nonce}} while Redis holds the
 * panel's data in step with the copy (the generation is the mirror's count of synced changes, also
 * kept in PostgreSQL, so a Redis restarted from an older snapshot shows an older one), or
 * {@code restoring:{node}:{nonce}} while a mirror brings an older Redis to PostgreSQL's state;
 * absent when Redis lost its data. Absent or restoring: a restore is pending. During a restore:
 * {@code iptv:restore:lock} (the restoring instance, so one restores at a time) and, in replace mode,
 * {@code iptv:restore:users} / {@code iptv:restore:channels} ({@code users:all} and
 * {@code channels:all} built aside, then renamed into place).
 */
public final class MirrorContract {

  // --- event-bus address ---------------------------------------------------------------------------

  /** Published by the mirror after it put the panel's data back: {@link RedisRestored}. */
  public static final String EVENTS = "iptv.mirror.events";

  /**
   * Request/reply, mirror-service: any body; the answer is the mirror's {@link MirrorStatus} (what
   * monitor-service shows as {@code checks.mirror} of {@code /api/health}, on the dashboard and in
   * its {@code iptv_mirror_keys} and {@code iptv_redis_restores} gauges).
   */
  public static final String STATUS = "iptv.mirror.status";

  // --- Redis keys ----------------------------------------------------------------------------------

  public static final String SENTINEL = "iptv:sentinel";
  public static final String RESTORE_LOCK = "iptv:restore:lock";
  public static final String RESTORE_USERS = "iptv:restore:users";
  public static final String RESTORE_CHANNELS = "iptv:restore:channels";

  // --- the sentinel's value ------------------------------------------------------------------------

  /** Prefix of the value a mirror writes while it brings an older Redis to PostgreSQL's state. */
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
      return new RedisRestored(Wire.text(o, "node"), Wire.number(o, "keys", 0).longValue(),
        Wire.number(o, "removed", 0).longValue(), Wire.text(o, "mode"), Wire.number(o, "generation", 0).longValue(),
        Wire.number(o, "duration_ms", 0).longValue(), Wire.decimal(o, Wire.TS));
    }
  }

  /**
   * {@link #STATUS}'s answer: {@code {"enabled", "configured", "sentinel", "restores"}} and, when
   * known, {@code "generation"} (the sentinel's, in step), {@code "postgresql_generation"},
   * {@code "pending"} (why a restore waits), {@code "keys"} (rows in the copy),
   * {@code "queued_changes"}, {@code "skipped_tokens"}, {@code "last_reconcile"} (epoch seconds) and
   * {@code "last_restore"} (the last {@link RedisRestored}).
   *
   * @param enabled    PostgreSQL reached: the copy is fed and can restore
   * @param configured {@code IPTV_PG_URL} is set
   * @param sentinel   Redis's sentinel was in step at the last check
   */
  public record MirrorStatus(boolean enabled, boolean configured, boolean sentinel, long restores, Long generation,
                             Long postgresqlGeneration, String pending, Long keys, Integer queuedChanges,
                             Long skippedTokens, BigDecimal lastReconcile, RedisRestored lastRestore) {

    public static final String ENABLED = "enabled";
    public static final String CONFIGURED = "configured";
    public static final String SENTINEL = "sentinel";
    public static final String RESTORES = "restores";
    public static final String GENERATION = "generation";
    public static final String POSTGRESQL_GENERATION = "postgresql_generation";
    public static final String PENDING = "pending";
    public static final String KEYS = "keys";
    public static final String QUEUED_CHANGES = "queued_changes";
    public static final String SKIPPED_TOKENS = "skipped_tokens";
    public static final String LAST_RECONCILE = "last_reconcile";
    public static final String LAST_RESTORE = "last_restore";

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put(ENABLED, enabled).put(CONFIGURED, configured).put(SENTINEL, sentinel)
        .put(RESTORES, restores);
      putIf(o, GENERATION, generation);
      putIf(o, POSTGRESQL_GENERATION, postgresqlGeneration);
      putIf(o, PENDING, pending);
      putIf(o, KEYS, keys);
      putIf(o, QUEUED_CHANGES, queuedChanges);
      putIf(o, SKIPPED_TOKENS, skippedTokens);
      putIf(o, LAST_RECONCILE, lastReconcile);
      if (lastRestore != null) {
        o.put(LAST_RESTORE, lastRestore.toJson());
      }
      return o;
    }

    private static void putIf(JsonObject o, String field, Object value) {
      if (value != null) {
        o.put(field, value);
      }
    }

    /** Fails naming {@code enabled} or {@code sentinel} when they are not booleans; the rest may be absent. */
    public static MirrorStatus fromJson(JsonObject o) {
      if (!(o.getValue(ENABLED) instanceof Boolean enabled)) {
        throw new BadMessage(ENABLED, "must be a boolean");
      }
      if (!(o.getValue(SENTINEL) instanceof Boolean sentinel)) {
        throw new BadMessage(SENTINEL, "must be a boolean");
      }
      JsonObject restore = o.getValue(LAST_RESTORE) instanceof JsonObject r ? r : null;
      return new MirrorStatus(enabled, Boolean.TRUE.equals(o.getValue(CONFIGURED)), sentinel,
        Wire.number(o, RESTORES, 0).longValue(), longOrNull(o, GENERATION), longOrNull(o, POSTGRESQL_GENERATION),
        Wire.text(o, PENDING), longOrNull(o, KEYS),
        o.getValue(QUEUED_CHANGES) instanceof Number q ? q.intValue() : null, longOrNull(o, SKIPPED_TOKENS),
        Wire.decimal(o, LAST_RECONCILE), restore == null ? null : RedisRestored.fromJson(restore));
    }

    private static Long longOrNull(JsonObject o, String field) {
      return o.getValue(field) instanceof Number n ? n.longValue() : null;
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
