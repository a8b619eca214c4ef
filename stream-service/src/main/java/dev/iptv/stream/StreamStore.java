package dev.iptv.stream;

import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ChannelSchema;
import dev.iptv.contract.ProviderContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.limits.LimitsStore;
import dev.iptv.stream.limits.Provider;
import dev.iptv.stream.limits.TranscodeProfile;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * stream-service's Redis: channels it reads, the {@code stream:{id}:*} keys it writes (SPEC
 * section 5 and {@link StreamContract}), the owner lease, viewer sessions. Every method is one round trip
 * (a pipeline or a script) and never blocks.
 */
final class StreamStore {

  /** Renews the lease only while we hold it. */
  private static final String RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then "
    + "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
  /** Deletes a stream's keys and releases the lease, only when the lease is ours or nobody's. */
  private static final String RELEASE = "local o = redis.call('get', KEYS[1]) "
    + "if o == false or o == ARGV[1] then redis.call('del', unpack(KEYS)) return 1 else return 0 end";

  /**
   * Charges one cold start to a user when their last minute holds fewer than the limit: a sliding
   * window in {@code user:{username}:starts} (sorted set, member one start, score its epoch ms,
   * expiring with the window). Returns 0 when charged, else the ms until the oldest start leaves
   * the window.
   */
  private static final String CHARGE_START = "local now = tonumber(ARGV[1]) local window = tonumber(ARGV[2]) "
    + "redis.call('zremrangebyscore', KEYS[1], '-inf', now - window) "
    + "if redis.call('zcard', KEYS[1]) >= tonumber(ARGV[3]) then "
    + "local oldest = redis.call('zrange', KEYS[1], 0, 0, 'WITHSCORES') "
    + "return math.max(1, tonumber(oldest[2]) + window - now) end "
    + "redis.call('zadd', KEYS[1], now, ARGV[4]) redis.call('pexpire', KEYS[1], window) return 0";

  /** What Redis says about a running stream. */
  record StreamState(String id, Long pid, Double started, String node, String mode, String owner, String source,
                     String resolvedSource, Double lastAccess, long restarts) {
  }

  /**
   * What a start reads once it holds the lease: the stream's keys (a predecessor's FFmpeg to adopt?)
   * and what is remembered of its sources' probes (source field → value, {@link ProbePolicy}).
   */
  record StartState(StreamState stream, Map<String, String> probes) {
  }

  /** A claim of the owner lease, and what the start reads when it won. */
  record Claim(boolean won, StartState state) {
  }

  private final Redis redis;
  private final RedisAPI api;

  StreamStore(Redis redis) {
    this.redis = redis;
    this.api = RedisAPI.api(redis);
  }

  static double now() {
    return System.currentTimeMillis() / 1000.0;
  }

  static String seconds(double epochSeconds) {
    return String.format(java.util.Locale.ROOT, "%.3f", epochSeconds);
  }

  /**
   * The channel, or null when unknown or unreadable, with the providers and transcode profiles it
   * may name ({@link ChannelSpec#fromJson(String, JsonObject, Map, Map)}), in one round trip.
   */
  Future<ChannelSpec> channel(String id) {
    return redis.batch(List.of(Request.cmd(Command.GET).arg(ChannelContract.channelKey(id)),
      Request.cmd(Command.HGETALL).arg(ProviderContract.PROVIDERS_ALL),
      Request.cmd(Command.HGETALL).arg(ProviderContract.TRANSCODE_PROFILES))).map(rs -> {
        if (rs.get(0) == null) {
          return null;
        }
        try {
          return ChannelSpec.fromJson(id, new JsonObject(rs.get(0).toString()),
            LimitsStore.parse(rs.get(1), Provider::fromStored), LimitsStore.parse(rs.get(2), TranscodeProfile::fromStored));
        } catch (RuntimeException e) {
          return null;
        }
      });
  }

  /**
   * Whether the channel is active, and its source when it is a direct channel (SPEC section 10:
   * {@code direct: true} with a valid source URL), without reading the rest of it (no warnings
   * about its sources): null when Redis has no such channel; inactive when unreadable.
   */
  Future<ChannelGate.State> channelState(String id) {
    return api.get(ChannelContract.channelKey(id)).map(r -> {
      if (r == null) {
        return null;
      }
      try {
        JsonObject o = new JsonObject(r.toString());
        boolean active = ChannelSchema.active(o.getValue(ChannelSchema.IS_ACTIVE));
        String source = o.getValue(ChannelSchema.SOURCE_URL) instanceof String s && ChannelSchema.validSourceUrl(s) ? s : null;
        return new ChannelGate.State(active, ChannelSchema.isDirect(o.getValue(ChannelSchema.DIRECT)) ? source : null);
      } catch (RuntimeException e) {
        return ChannelGate.State.CLOSED;
      }
    });
  }

  /** Takes the owner lease when nobody holds it. */
  Future<Boolean> claim(String id, String owner, long leaseMs) {
    return api.set(List.of(StreamContract.ownerKey(id), owner, "NX", "PX", Long.toString(leaseMs))).map(r -> r != null);
  }

  /**
   * {@link #claim} and, in the same round trip, {@link #startState}: what a start needs before it
   * spawns FFmpeg (read after the claim, as the commands run in order).
   *
   * @param probeFields the fields of {@code stream:{id}:probe} of the channel's sources
   */
  Future<Claim> claimForStart(String id, String owner, long leaseMs, List<String> probeFields) {
    List<Request> batch = new ArrayList<>();
    batch.add(Request.cmd(Command.SET).arg(StreamContract.ownerKey(id)).arg(owner).arg("NX").arg("PX").arg(leaseMs));
    batch.add(stateRequest(id));
    batch.add(probesRequest(id, probeFields));
    return redis.batch(batch).map(rs -> new Claim(rs.get(0) != null,
      new StartState(state(id, rs.get(1)), probes(probeFields, rs.get(2)))));
  }

  /** {@link #state} and what is remembered of the sources' probes, in one round trip. */
  Future<StartState> startState(String id, List<String> probeFields) {
    return redis.batch(List.of(stateRequest(id), probesRequest(id, probeFields)))
      .map(rs -> new StartState(state(id, rs.get(0)), probes(probeFields, rs.get(1))));
  }

  /** Remembers how a source of the channel is probed ({@link ProbePolicy}); the key expires {@code ttlS} later. */
  Future<Void> rememberProbe(String id, String field, String probe, long ttlS) {
    String key = StreamContract.probeKey(id);
    return batch(Request.cmd(Command.HSET).arg(key).arg(field).arg(probe), Request.cmd(Command.EXPIRE).arg(key).arg(ttlS));
  }

  private static Request probesRequest(String id, List<String> fields) {
    // HMGET needs a field: a channel without a valid source asks for one no source has.
    Request r = Request.cmd(Command.HMGET).arg(StreamContract.probeKey(id));
    (fields.isEmpty() ? List.of("-") : fields).forEach(r::arg);
    return r;
  }

  private static Map<String, String> probes(List<String> fields, Response r) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; r != null && i < fields.size() && i < r.size(); i++) {
      String v = str(r.get(i));
      if (v != null) {
        out.put(fields.get(i), v);
      }
    }
    return out;
  }

  /** Extends our lease; false when it is not ours any more. */
  Future<Boolean> renew(String id, String owner, long leaseMs) {
    return api.eval(List.of(RENEW, "1", StreamContract.ownerKey(id), owner, Long.toString(leaseMs)))
      .map(r -> r != null && r.toLong() == 1);
  }

  Future<String> owner(String id) {
    return api.get(StreamContract.ownerKey(id)).map(r -> r == null ? null : r.toString());
  }

  /** A new FFmpeg for the channel: its pid, where and how it runs. */
  Future<Void> recordProcess(String id, long pid, String node, String mode, String source, String resolved) {
    return batch(
      Request.cmd(Command.SET).arg(StreamContract.pidKey(id)).arg(pid),
      Request.cmd(Command.SET).arg(StreamContract.nodeKey(id)).arg(node),
      Request.cmd(Command.SET).arg(StreamContract.modeKey(id)).arg(mode),
      Request.cmd(Command.SET).arg(StreamContract.sourceKey(id)).arg(source == null ? resolved : source),
      Request.cmd(Command.SET).arg(StreamContract.resolvedSourceKey(id)).arg(resolved));
  }

  /** The stream is playable: when it started (kept over restarts) and a first access. */
  Future<Void> recordStarted(String id, double started) {
    String now = seconds(now());
    return batch(
      Request.cmd(Command.SET).arg(StreamContract.startedKey(id)).arg(seconds(started)),
      Request.cmd(Command.SET).arg(StreamContract.lastAccessKey(id)).arg(now),
      Request.cmd(Command.SETNX).arg(StreamContract.restartsKey(id)).arg(0));
  }

  /**
   * One cold start for {@code username}, if fewer than {@code limit} happened in the last
   * {@code windowMs} (cluster-wide): 0 when charged, else the ms until one more is allowed.
   *
   * @param start a name for this start, unique across the cluster
   */
  Future<Long> chargeStart(String username, int limit, long windowMs, String start) {
    return api.eval(List.of(CHARGE_START, "1", StreamContract.userStartsKey(username), Long.toString(System.currentTimeMillis()),
      Long.toString(windowMs), Integer.toString(limit), start)).map(r -> r == null ? 0L : r.toLong());
  }

  Future<Long> countRestart(String id) {
    return api.incr(StreamContract.restartsKey(id)).map(Response::toLong);
  }

  /**
   * A viewer's poll: last_access (only while the stream's keys exist, so a late poll cannot
   * resurrect a stopped stream's key) and the viewer's session in the sorted set.
   */
  Future<Void> touch(String id, String session) {
    double now = now();
    String viewers = StreamContract.viewersKey(id);
    return batch(
      Request.cmd(Command.SET).arg(StreamContract.lastAccessKey(id)).arg(seconds(now)).arg("XX"),
      Request.cmd(Command.ZADD).arg(viewers).arg(seconds(now)).arg(session),
      Request.cmd(Command.ZREMRANGEBYSCORE).arg(viewers).arg("-inf").arg("(" + seconds(now - StreamContract.VIEWER_WINDOW_S)),
      Request.cmd(Command.EXPIRE).arg(viewers).arg(StreamContract.VIEWER_WINDOW_S * 2));
  }

  /**
   * The polls of one interval, in one pipeline: per channel, {@code last_access} (only while the
   * stream's keys exist) and its viewers' sessions at now, the window trimmed.
   */
  Future<Void> touchAll(Map<String, ? extends Collection<String>> sessionsByChannel) {
    if (sessionsByChannel.isEmpty()) {
      return Future.succeededFuture();
    }
    double now = now();
    String at = seconds(now);
    String oldest = "(" + seconds(now - StreamContract.VIEWER_WINDOW_S);
    List<Request> batch = new ArrayList<>();
    sessionsByChannel.forEach((id, sessions) -> {
      String viewers = StreamContract.viewersKey(id);
      batch.add(Request.cmd(Command.SET).arg(StreamContract.lastAccessKey(id)).arg(at).arg("XX"));
      Request zadd = Request.cmd(Command.ZADD).arg(viewers);
      for (String session : sessions) {
        zadd.arg(at).arg(session);
      }
      batch.add(zadd);
      batch.add(Request.cmd(Command.ZREMRANGEBYSCORE).arg(viewers).arg("-inf").arg(oldest));
      batch.add(Request.cmd(Command.EXPIRE).arg(viewers).arg(StreamContract.VIEWER_WINDOW_S * 2));
    });
    return redis.batch(batch).mapEmpty();
  }

  /** Epoch seconds of the last viewer poll, or null. */
  Future<Double> lastAccess(String id) {
    return api.get(StreamContract.lastAccessKey(id)).map(r -> r == null ? null : parseDouble(r.toString()));
  }

  /** Deletes every key of the stream and the lease, if the lease is ours (or gone). */
  Future<Boolean> release(String id, String owner) {
    List<String> args = new ArrayList<>();
    args.add(RELEASE);
    String[] keys = StreamContract.allKeys(id);
    args.add(Integer.toString(keys.length + 1));
    args.add(StreamContract.ownerKey(id));
    args.addAll(Arrays.asList(keys));
    args.add(owner);
    return api.eval(args).map(r -> r != null && r.toLong() == 1);
  }

  /** Channels that have a pid key (a stream runs, or ran on a node that died). */
  Future<Set<String>> streamIds() {
    Set<String> ids = new LinkedHashSet<>();
    return scan("0", ids).map(v -> ids);
  }

  private Future<Void> scan(String cursor, Set<String> into) {
    return api.scan(List.of(cursor, "MATCH", StreamContract.PID_SCAN, "COUNT", "1000")).compose(r -> {
      for (Response k : r.get(1)) {
        String id = StreamContract.channelOfPidKey(k.toString());
        if (ChannelContract.isId(id)) {
          into.add(id);
        }
      }
      String next = r.get(0).toString();
      return "0".equals(next) ? Future.succeededFuture() : scan(next, into);
    });
  }

  /** Everything about a stream in one round trip. */
  Future<StreamState> state(String id) {
    return redis.send(stateRequest(id)).map(m -> state(id, m));
  }

  private static Request stateRequest(String id) {
    return Request.cmd(Command.MGET).arg(StreamContract.pidKey(id)).arg(StreamContract.startedKey(id)).arg(StreamContract.nodeKey(id))
      .arg(StreamContract.modeKey(id)).arg(StreamContract.ownerKey(id)).arg(StreamContract.sourceKey(id))
      .arg(StreamContract.resolvedSourceKey(id)).arg(StreamContract.lastAccessKey(id)).arg(StreamContract.restartsKey(id));
  }

  private static StreamState state(String id, Response m) {
    return new StreamState(id, parseLong(str(m.get(0))), parseDouble(str(m.get(1))), str(m.get(2)), str(m.get(3)),
      str(m.get(4)), str(m.get(5)), str(m.get(6)), parseDouble(str(m.get(7))),
      parseLong(str(m.get(8))) == null ? 0 : parseLong(str(m.get(8))));
  }

  Future<Long> viewers(String id) {
    double now = now();
    return api.zcount(StreamContract.viewersKey(id), seconds(now - StreamContract.VIEWER_WINDOW_S), "+inf")
      .map(r -> r == null ? 0L : r.toLong());
  }

  /** The stream shows the slate ({@code stream:{id}:slate}, deleted with the stream), or not any more (null). */
  Future<Void> slate(String id, JsonObject state) {
    return (state == null ? api.del(List.of(StreamContract.slateKey(id)))
      : api.set(List.of(StreamContract.slateKey(id), state.encode()))).mapEmpty();
  }

  /** A source's last check ({@link SourceChecks}), under its field of {@code stream:{id}:checks}, kept {@code ttlS}. */
  Future<Void> recordCheck(String id, String field, JsonObject check, long ttlS) {
    String key = StreamContract.checksKey(id);
    return batch(Request.cmd(Command.HSET).arg(key).arg(field).arg(check.encode()), Request.cmd(Command.EXPIRE).arg(key).arg(ttlS));
  }

  /**
   * What {@code GET /api/streams/{id}/sources} shows, in one round trip: the channel's JSON, its
   * source checks (HGETALL), its slate and the source it plays.
   */
  Future<List<Response>> sourcesOf(String id) {
    return redis.batch(List.of(Request.cmd(Command.GET).arg(ChannelContract.channelKey(id)),
      Request.cmd(Command.HGETALL).arg(StreamContract.checksKey(id)),
      Request.cmd(Command.GET).arg(StreamContract.slateKey(id)),
      Request.cmd(Command.GET).arg(StreamContract.resolvedSourceKey(id))));
  }

  /** Every source check of the channel, by field; unreadable ones left out. */
  Future<Map<String, JsonObject>> checks(String id) {
    return api.hgetall(StreamContract.checksKey(id)).map(r -> LimitsStore.parse(r, text -> {
      try {
        return new JsonObject(text);
      } catch (RuntimeException e) {
        return null;
      }
    }));
  }

  private Future<Void> batch(Request... requests) {
    return redis.batch(List.of(requests)).mapEmpty();
  }

  private static String str(Response r) {
    return r == null ? null : r.toString();
  }

  static Double parseDouble(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  static Long parseLong(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
