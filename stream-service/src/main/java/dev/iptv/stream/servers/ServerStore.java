package dev.iptv.stream.servers;

import dev.iptv.common.ApiException;
import dev.iptv.common.LuaScript;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.ServerContract;
import dev.iptv.contract.StreamContract;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The servers registry in Redis ({@link ServerContract}): specs, credentials, health, FFmpeg records. */
public final class ServerStore {

  private static final LuaScript LEASE = new LuaScript("server-watch-lease", """
    local v = redis.call('GET', KEYS[1])
    if v == false or v == ARGV[1] then
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      return 1
    end
    return 0
    """);

  private final RedisAPI api;

  public ServerStore(RedisAPI api) {
    this.api = api;
  }

  Future<List<String>> names() {
    return api.smembers(ServerContract.SERVERS_ALL).map(r -> {
      List<String> out = new ArrayList<>();
      r.forEach(x -> out.add(x.toString()));
      out.sort(null);
      return out;
    });
  }

  /** The stored server, or null. */
  Future<ServerSpec> spec(String name) {
    return api.get(ServerContract.serverKey(name)).map(r -> r == null ? null : ServerSpec.fromStored(new JsonObject(r.toString())));
  }

  Future<ServerSpec.Credentials> credentials(String name) {
    return api.get(ServerContract.credentialsKey(name))
      .map(r -> r == null ? null : ServerSpec.Credentials.fromJson(new JsonObject(r.toString())));
  }

  /** Stores a new server; 409 when the name was taken meanwhile. */
  Future<Void> create(ServerSpec spec, ServerSpec.Credentials credentials) {
    return api.set(List.of(ServerContract.serverKey(spec.name()), spec.toJson().encode(), "NX")).compose(r -> {
      if (r == null) {
        return Future.failedFuture(ApiException.conflict("server " + spec.name() + " exists"));
      }
      return api.set(List.of(ServerContract.credentialsKey(spec.name()), credentials.toJson().encode()))
        .compose(x -> api.sadd(List.of(ServerContract.SERVERS_ALL, spec.name()))).mapEmpty();
    });
  }

  Future<Void> update(ServerSpec spec, ServerSpec.Credentials credentials) {
    Future<?> secret = credentials == null ? Future.succeededFuture()
      : api.set(List.of(ServerContract.credentialsKey(spec.name()), credentials.toJson().encode()));
    return secret.compose(x -> api.set(List.of(ServerContract.serverKey(spec.name()), spec.toJson().encode()))).mapEmpty();
  }

  Future<Void> delete(String name) {
    return api.del(List.of(ServerContract.serverKey(name), ServerContract.credentialsKey(name), ServerContract.healthKey(name),
        ServerContract.watcherKey(name), ServerContract.ffmpegKey(name)))
      .compose(x -> api.srem(List.of(ServerContract.SERVERS_ALL, name))).mapEmpty();
  }

  Future<JsonObject> health(String name) {
    return api.get(ServerContract.healthKey(name)).map(r -> r == null ? null : new JsonObject(r.toString()));
  }

  Future<Void> putHealth(String name, JsonObject health) {
    return api.set(List.of(ServerContract.healthKey(name), health.encode(), "EX", Integer.toString(ServerContract.HEALTH_TTL_S)))
      .mapEmpty();
  }

  /** True when this instance holds (or now took) the lease to read the server's health. */
  Future<Boolean> watchLease(String name, String instance, long ms) {
    return LEASE.run(api, List.of(ServerContract.watcherKey(name)), List.of(instance, Long.toString(ms)))
      .map(r -> r != null && r.toLong() == 1);
  }

  // -- FFmpeg records -----------------------------------------------------------------------------

  Future<Void> recordFfmpeg(String name, RemoteFfmpeg.Started started) {
    return api.hset(List.of(ServerContract.ffmpegKey(name), started.channelId(), started.toJson().encode())).mapEmpty();
  }

  Future<RemoteFfmpeg.Started> ffmpeg(String name, String channelId) {
    return api.hget(ServerContract.ffmpegKey(name), channelId)
      .map(r -> r == null ? null : RemoteFfmpeg.Started.fromJson(channelId, new JsonObject(r.toString())));
  }

  Future<List<RemoteFfmpeg.Started>> ffmpegs(String name) {
    return api.hgetall(ServerContract.ffmpegKey(name)).map(r -> {
      List<RemoteFfmpeg.Started> out = new ArrayList<>();
      if (r != null) {
        for (String id : r.getKeys()) {
          out.add(RemoteFfmpeg.Started.fromJson(id, new JsonObject(r.get(id).toString())));
        }
      }
      return out;
    });
  }

  /** How many FFmpeg processes of ours the server has recorded: its running streams. */
  Future<Integer> ffmpegCount(String name) {
    return api.hlen(ServerContract.ffmpegKey(name)).map(r -> r == null ? 0 : r.toInteger());
  }

  /**
   * Of {@code channelIds}, those that still run on server {@code name}: an owner lease lives and
   * {@code stream:{id}:node} names the server.
   */
  Future<java.util.Set<String>> runningThere(String name, List<String> channelIds) {
    if (channelIds.isEmpty()) {
      return Future.succeededFuture(java.util.Set.of());
    }
    List<String> keys = new ArrayList<>();
    for (String id : channelIds) {
      keys.add(StreamContract.ownerKey(id));
      keys.add(StreamContract.nodeKey(id));
    }
    return api.mget(keys).map(r -> {
      java.util.Set<String> out = new java.util.HashSet<>();
      for (int i = 0; i < channelIds.size(); i++) {
        if (r.get(2 * i) != null && r.get(2 * i + 1) != null && name.equals(r.get(2 * i + 1).toString())) {
          out.add(channelIds.get(i));
        }
      }
      return out;
    });
  }

  Future<Void> forgetFfmpeg(String name, String channelId) {
    return api.hdel(List.of(ServerContract.ffmpegKey(name), channelId)).mapEmpty();
  }

  // -- counts -------------------------------------------------------------------------------------

  /** Viewers of the channels now (polled within {@link StreamContract#VIEWER_WINDOW_S}). */
  Future<Long> viewers(List<String> channelIds) {
    String from = Double.toString(System.currentTimeMillis() / 1000.0 - StreamContract.VIEWER_WINDOW_S);
    List<Future<Response>> counts = new ArrayList<>();
    for (String id : channelIds) {
      counts.add(api.zcount(StreamContract.viewersKey(id), from, "+inf"));
    }
    return Future.all(counts).map(all -> {
      long sum = 0;
      for (Future<Response> f : counts) {
        sum += f.result() == null ? 0 : f.result().toLong();
      }
      return sum;
    });
  }

  /** The running streams by node ({@code stream:{id}:node}): node name → channel ids. */
  Future<Map<String, List<String>>> streamsByNode() {
    Map<String, List<String>> out = new HashMap<>();
    List<String> ids = new ArrayList<>();
    return scan("0", ids).compose(v -> {
      if (ids.isEmpty()) {
        return Future.succeededFuture(out);
      }
      List<String> keys = new ArrayList<>();
      ids.forEach(id -> keys.add(StreamContract.nodeKey(id)));
      return api.mget(keys).map(r -> {
        for (int i = 0; i < ids.size(); i++) {
          Response node = r.get(i);
          if (node != null) {
            out.computeIfAbsent(node.toString(), k -> new ArrayList<>()).add(ids.get(i));
          }
        }
        return out;
      });
    });
  }

  private Future<Void> scan(String cursor, List<String> into) {
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

  /** The stream nodes that report: name → {stats or null when down, last_seen or null}. */
  Future<Map<String, JsonObject[]>> nodes() {
    return api.smembers(MonitorContract.NODES_ALL).compose(members -> {
      List<String> names = new ArrayList<>();
      members.forEach(m -> names.add(m.toString()));
      names.sort(null);
      Map<String, JsonObject[]> out = new LinkedHashMap<>();
      if (names.isEmpty()) {
        return Future.succeededFuture(out);
      }
      List<String> keys = new ArrayList<>();
      for (String n : names) {
        keys.add(MonitorContract.nodeStatsKey(n));
        keys.add(MonitorContract.nodeLastSeenKey(n));
        keys.add(ServerContract.nodeStreamKey(n));
      }
      return api.mget(keys).map(r -> {
        for (int i = 0; i < names.size(); i++) {
          Response stats = r.get(3 * i);
          Response seen = r.get(3 * i + 1);
          Response report = r.get(3 * i + 2);
          out.put(names.get(i), new JsonObject[] {stats == null ? null : new JsonObject(stats.toString()),
            seen == null ? null : new JsonObject().put("last_seen", Double.parseDouble(seen.toString())),
            report == null ? null : new JsonObject(report.toString())});
        }
        return out;
      });
    });
  }
}
