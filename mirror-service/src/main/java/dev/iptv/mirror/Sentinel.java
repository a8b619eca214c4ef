package dev.iptv.mirror;

import dev.iptv.common.LuaScript;
import dev.iptv.common.RedisReads;
import dev.iptv.contract.MirrorContract;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Request;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * {@code iptv:sentinel} as the mirror writes it ({@link MirrorContract}): the value last read, the
 * value known to be in step (verified against PostgreSQL, or set here) and its generation. Set after
 * a restore, moved along after every synced change (only while Redis is in step: a Lua script),
 * swapped for a {@code restoring:} value before an older Redis is replaced. Runs on the mirror's
 * event loop.
 */
final class Sentinel {

  private static final LuaScript ADVANCE = LuaScript.resource(Sentinel.class, "sentinel_advance.lua");
  private static final LuaScript SWAP = LuaScript.resource(Sentinel.class, "sentinel_swap.lua");

  private final Redis redis;
  private final RedisAPI api;
  private final String node;
  private final SecureRandom random = new SecureRandom();

  /** The value last read (null: absent or unreadable). */
  private String current;
  /** The value known to be in step: verified against PostgreSQL, or set here. */
  private String known;
  private long knownGeneration = -1;

  Sentinel(Redis redis, String node) {
    this.redis = redis;
    this.api = RedisAPI.api(redis);
    this.node = node;
  }

  /** Reads the value in Redis now (null: absent); remembers nothing. */
  Future<String> read() {
    return redis.send(Request.cmd(Command.GET).arg(MirrorContract.SENTINEL)).map(RedisReads::str);
  }

  /** What the last check read (null when absent or unreadable). */
  void seen(String value) {
    current = value;
  }

  /** The value the last check read says Redis is in step. */
  boolean inStep() {
    return MirrorContract.inStep(current);
  }

  boolean isKnown(String value) {
    return value.equals(known);
  }

  /** A value read and verified: its generation is not behind PostgreSQL's. */
  void trust(String value, long generation) {
    known = value;
    knownGeneration = generation;
  }

  /** The generation of the value known to be in step, or -1. */
  long knownGeneration() {
    return knownGeneration;
  }

  /** Sets the sentinel to {@code generation} (after a restore, or with nothing to restore). */
  Future<Void> set(long generation) {
    String value = MirrorContract.value(generation, node, nonce());
    return redis.send(Request.cmd(Command.SET).arg(MirrorContract.SENTINEL).arg(value)).map(r -> {
      current = value;
      trust(value, generation);
      return null;
    });
  }

  /** Moves the sentinel to {@code generation} after a synced change, only while Redis is in step. */
  Future<Void> advance(long generation) {
    String value = MirrorContract.value(generation, node, nonce());
    return ADVANCE.run(api, List.of(MirrorContract.SENTINEL),
        List.of(Long.toString(generation - 1), value, Long.toString(generation)))
      .map(r -> {
        if (RedisReads.longOr(r, 0) == 1) {
          current = value;
          trust(value, generation);
        }
        return null;
      });
  }

  /** Swaps the {@code stale} value for a {@code restoring:} one; false when the sentinel changed meanwhile. */
  Future<Boolean> markRestoring(String stale) {
    return SWAP.run(api, List.of(MirrorContract.SENTINEL), List.of(stale, MirrorContract.restoring(node, nonce())))
      .map(r -> RedisReads.longOr(r, 0) == 1);
  }

  private String nonce() {
    byte[] raw = new byte[6];
    random.nextBytes(raw);
    return HexFormat.of().formatHex(raw);
  }
}
