package dev.iptv.stream;

import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.ServerContract;
import dev.iptv.stream.servers.ServerLoad;
import dev.iptv.stream.servers.Servers;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Where a channel nobody runs yet should run (SPEC section 9): its {@code server} when that one is
 * online, otherwise the least loaded eligible stream node or SSH server: online (a node's
 * {@code node:{name}:stream} report lives; a server is enabled and its health was read over SSH
 * within its TTL), {@code streams < max_streams}, CPU below {@value #MAX_CPU} % and memory below
 * {@value #MAX_MEMORY} % (seed 000's rule), fewest running streams first (then lower CPU, then the
 * name); this node when none qualifies. A forced server that is offline or unknown is placed by
 * load like any other channel (a player gets a stream rather than an error).
 */
final class Placement {

  static final double MAX_CPU = 80;
  static final double MAX_MEMORY = 90;

  /**
   * A stream node or an SSH server that may take a channel.
   *
   * @param instance  where {@link dev.iptv.contract.StreamContract#ensureAddress} reaches a node; null for an SSH server
   * @param publicUrl its front, where players are sent (a node), or its nginx serving the segments (a server)
   * @param ssh       an SSH server: the instance that places the channel runs it there ({@link ServerRun})
   */
  record Candidate(String name, String instance, String publicUrl, boolean online, int streams, int maxStreams,
                   double cpuPercent, double memoryPercent, boolean ssh) {

    boolean eligible() {
      return online && streams < maxStreams && cpuPercent < MAX_CPU && memoryPercent < MAX_MEMORY;
    }

    static Candidate fromReport(JsonObject o) {
      return new Candidate(o.getString("name"), o.getString("instance"), o.getString("public_url"), true,
        number(o.getValue("streams")).intValue(), number(o.getValue("max_streams")).intValue(),
        number(o.getValue("cpu_percent")).doubleValue(), number(o.getValue("memory_percent")).doubleValue(), false);
    }

    static Candidate fromServer(ServerLoad l) {
      return new Candidate(l.name(), null, l.publicUrl(), l.online(), l.streams(), l.maxStreams(), l.cpuPercent(),
        l.memoryPercent(), true);
    }

    private static Number number(Object v) {
      return v instanceof Number n ? n : 0;
    }
  }

  private static final Comparator<Candidate> LEAST_LOADED = Comparator.comparingInt(Candidate::streams)
    .thenComparingDouble(Candidate::cpuPercent).thenComparing(Candidate::name);

  private final RedisAPI api;
  private final String local;
  private final Servers servers;

  /** @param servers the SSH servers, or null: stream nodes only */
  Placement(RedisAPI api, String localNode, Servers servers) {
    this.api = api;
    this.local = localNode;
    this.servers = servers;
  }

  Placement(RedisAPI api, String localNode) {
    this(api, localNode, null);
  }

  /**
   * The node to run a channel on among {@code candidates}: the forced one when it is online,
   * otherwise the least loaded eligible one; null means this node ({@code local}).
   */
  static Candidate choose(List<Candidate> candidates, String forced, String local) {
    if (forced != null) {
      for (Candidate c : candidates) {
        if (c.name().equals(forced) && c.online()) {
          return c.name().equals(local) ? null : c;
        }
      }
    }
    Candidate best = candidates.stream().filter(Candidate::eligible).min(LEAST_LOADED).orElse(null);
    return best == null || best.name().equals(local) ? null : best;
  }

  /** Where the channel goes: a node other than this one or an SSH server, or null for this one. */
  Future<Candidate> place(String forced) {
    Future<List<Candidate>> onServers = servers == null ? Future.succeededFuture(List.of())
      : servers.loads().map(l -> l.stream().map(Candidate::fromServer).toList());
    return Future.all(candidates(), onServers).map(x -> {
      List<Candidate> all = new ArrayList<>(x.<List<Candidate>>resultAt(0));
      all.addAll(x.<List<Candidate>>resultAt(1));
      return choose(all, forced, local);
    });
  }

  /** A stream node's live report, or null when it has none (offline, or no such node). */
  Future<Candidate> node(String name) {
    return api.get(ServerContract.nodeStreamKey(name)).map(r -> {
      JsonObject o = parse(r);
      return o == null ? null : Candidate.fromReport(o.put("name", name));
    });
  }

  /** Every stream node that reports (nodes:all whose node:{name}:stream lives). */
  Future<List<Candidate>> candidates() {
    return api.smembers(MonitorContract.NODES_ALL).compose(members -> {
      List<String> names = new ArrayList<>();
      members.forEach(m -> names.add(m.toString()));
      if (names.isEmpty()) {
        return Future.succeededFuture(List.of());
      }
      List<String> keys = names.stream().map(ServerContract::nodeStreamKey).toList();
      return api.mget(keys).map(r -> {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
          JsonObject o = parse(r.get(i));
          if (o != null && o.getString("instance") != null) {
            out.add(Candidate.fromReport(o.put("name", names.get(i))));
          }
        }
        return out;
      });
    });
  }

  private static JsonObject parse(Response r) {
    if (r == null) {
      return null;
    }
    try {
      return new JsonObject(r.toString());
    } catch (DecodeException e) {
      return null;
    }
  }
}
