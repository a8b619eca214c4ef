package dev.iptv.stream.limits;

import dev.iptv.contract.ProviderContract;
import dev.iptv.contract.StreamContract;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Providers, their running streams and transcode profiles in Redis ({@link ProviderContract}).
 *
 * <p>A running stream counts against its provider as an entry of {@code provider:{name}:streams}:
 * channel id → the owner lease value of the instance running it. Taking one and counting are one
 * script, atomic across the cluster; it first drops every entry whose {@code stream:{id}:owner} no
 * longer holds that value (the stream stopped, its instance crashed and the lease lapsed, or another
 * instance took it over), so a count is never leaked.
 */
public final class LimitsStore {

  /**
   * KEYS[1] the provider's streams; ARGV: channel id, owner, max (-1: only count), owner key prefix
   * and suffix. Returns {taken (1/0), streams counted with this one if taken}.
   */
  private static final String TAKE = "local live = 0 local mine = false "
    + "local f = redis.call('hgetall', KEYS[1]) "
    + "for i = 1, #f, 2 do "
    + "  if redis.call('get', ARGV[4] .. f[i] .. ARGV[5]) ~= f[i + 1] then redis.call('hdel', KEYS[1], f[i]) "
    + "  elseif f[i] == ARGV[1] and f[i + 1] == ARGV[2] then mine = true "
    + "  else live = live + 1 end "
    + "end "
    + "local max = tonumber(ARGV[3]) "
    + "if max < 0 then return {0, live + (mine and 1 or 0)} end "
    + "if not mine and live >= max then return {0, live} end "
    + "redis.call('hset', KEYS[1], ARGV[1], ARGV[2]) return {1, live + 1}";
  /** KEYS[1] the provider's streams; ARGV channel id, owner: removes the entry if it is that owner's. */
  private static final String GIVE_BACK = "if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then "
    + "return redis.call('hdel', KEYS[1], ARGV[1]) else return 0 end";
  /** Replaces a hash field only when it exists. */
  private static final String REPLACE = "if redis.call('hexists', KEYS[1], ARGV[1]) == 1 then "
    + "redis.call('hset', KEYS[1], ARGV[1], ARGV[2]) return 1 else return 0 end";
  private static final String OWNER_PREFIX;
  private static final String OWNER_SUFFIX;

  static {
    String k = StreamContract.ownerKey("\u0001");
    OWNER_PREFIX = k.substring(0, k.indexOf('\u0001'));
    OWNER_SUFFIX = k.substring(k.indexOf('\u0001') + 1);
  }

  /** What a take found: whether the stream counts now, and the provider's streams. */
  public record Taken(boolean taken, long streams) {
  }

  private final RedisAPI api;

  public LimitsStore(RedisAPI api) {
    this.api = api;
  }

  RedisAPI api() {
    return api;
  }

  // -- providers -----------------------------------------------------------------------------------

  public Future<Map<String, Provider>> providers() {
    return api.hgetall(ProviderContract.PROVIDERS_ALL).map(r -> parse(r, Provider::fromStored));
  }

  /** Stores {@code json} under {@code name} in the hash {@code key}: only a new one, or only an existing one. */
  Future<Boolean> write(String key, String name, JsonObject json, boolean create) {
    if (create) {
      return api.hsetnx(key, name, json.encode()).map(r -> r.toLong() == 1);
    }
    return api.eval(List.of(REPLACE, "1", key, name, json.encode())).map(r -> r.toLong() == 1);
  }

  /** The stored JSON of {@code name} in the hash {@code key}, or null. */
  Future<String> read(String key, String name) {
    return api.hget(key, name).map(r -> r == null ? null : r.toString());
  }

  /** False when there was none. A provider's stream entries lapse with their streams. */
  Future<Boolean> delete(String key, String name) {
    return api.hdel(List.of(key, name)).map(r -> r.toLong() > 0);
  }

  /** Counts {@code id} against the provider when it has room (or already counts it). */
  public Future<Taken> take(String provider, int max, String id, String owner) {
    return script(provider, id, owner, max);
  }

  /** The provider's running streams. */
  public Future<Long> streams(String provider) {
    return script(provider, "", "", -1).map(Taken::streams);
  }

  /** The stream no longer counts against the provider (if {@code owner}'s entry). */
  public Future<Void> giveBack(String provider, String id, String owner) {
    return api.eval(List.of(GIVE_BACK, "1", ProviderContract.providerStreamsKey(provider), id, owner)).mapEmpty();
  }

  private Future<Taken> script(String provider, String id, String owner, int max) {
    return api.eval(List.of(TAKE, "1", ProviderContract.providerStreamsKey(provider), id, owner, Integer.toString(max),
        OWNER_PREFIX, OWNER_SUFFIX))
      .map(r -> new Taken(r.get(0).toInteger() == 1, r.get(1).toLong()));
  }

  // -- transcode profiles --------------------------------------------------------------------------

  public Future<Map<String, TranscodeProfile>> profiles() {
    return api.hgetall(ProviderContract.TRANSCODE_PROFILES).map(r -> parse(r, TranscodeProfile::fromStored));
  }

  /** An HGETALL of stored JSON values, by name, unreadable ones left out. */
  public static <T> Map<String, T> parse(Response r, Function<String, T> reader) {
    Map<String, T> out = new TreeMap<>();
    if (r == null) {
      return out;
    }
    for (String k : r.getKeys()) {
      T v = reader.apply(r.get(k).toString());
      if (v != null) {
        out.put(k, v);
      }
    }
    return out;
  }
}
