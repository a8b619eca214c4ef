package dev.iptv.monitor.nodes;

import dev.iptv.common.Epoch;
import dev.iptv.common.RedisReads;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.ServerContract;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Samples this node (on a worker thread) and publishes its figures for the cluster:
 * {@code node:{name}:stats} (JSON, TTL {@link MonitorContract#NODE_STATS_TTL_S} s), {@code
 * node:{name}:last_seen} (TTL one day) and membership of {@code nodes:all}. Reads every node back
 * for {@code /api/stats} and the dashboard: a member whose stats key lives is up, one with only its
 * last_seen left is down, one with neither is forgotten (SREM). A stream node that runs no monitor
 * ({@code bin/iptv node}) is up with the figures of its stream-service's own report
 * ({@link ServerContract#nodeStreamKey}).
 *
 * <p>{@link #report()} runs on its owner's event loop (the health and stats verticle's timer);
 * {@link #local()} and {@link #nodes()} may be called from any thread: the local figures are an
 * object never changed once published through a volatile field.
 */
public final class NodeReporter {

  private static final Logger log = LoggerFactory.getLogger(NodeReporter.class);

  private final Vertx vertx;
  private final Redis redis;
  private final HostSampler sampler;
  private final String node;
  private final LongSupplier servedBandwidth;
  private volatile JsonObject local;
  private boolean publishFailing;

  /** @param servedBandwidth this node's own served bytes per second, read from any thread */
  public NodeReporter(Vertx vertx, Redis redis, HostSampler sampler, String node, LongSupplier servedBandwidth) {
    this.vertx = vertx;
    this.redis = redis;
    this.sampler = sampler;
    this.node = node;
    this.servedBandwidth = servedBandwidth;
  }

  public String node() {
    return node;
  }

  /** This node's latest figures (never to be changed), or null before the first sample. */
  public JsonObject local() {
    return local;
  }

  /** Samples the host off the event loop, then publishes the figures to Redis; on the owner's loop. */
  public Future<JsonObject> report() {
    return vertx.executeBlocking(sampler::sample, false).compose(figures -> {
      long now = System.currentTimeMillis();
      figures.put("name", node).put("status", "up").put("updated", Epoch.seconds(now))
        .put("served_bytes_per_s", servedBandwidth.getAsLong());
      local = figures;
      List<Request> writes = List.of(
        Request.cmd(Command.SET).arg(MonitorContract.nodeStatsKey(node)).arg(figures.encode())
          .arg("EX").arg(MonitorContract.NODE_STATS_TTL_S),
        Request.cmd(Command.SET).arg(MonitorContract.nodeLastSeenKey(node)).arg(Epoch.text(now))
          .arg("EX").arg(MonitorContract.NODE_LAST_SEEN_TTL_S),
        Request.cmd(Command.SADD).arg(MonitorContract.NODES_ALL).arg(node));
      return redis.batch(writes)
        .onSuccess(r -> {
          if (publishFailing) {
            log.info("node figures published to Redis again");
            publishFailing = false;
          }
        })
        .recover(err -> {
          if (!publishFailing) {
            log.warn("cannot publish node figures to Redis: {}", err.toString());
            publishFailing = true;
          }
          return Future.succeededFuture();
        })
        .map(figures);
    });
  }

  /**
   * Every node that reports: live ones with their figures, down ones with their last report time.
   * This node's own entry is its freshest local sample.
   */
  public Future<List<JsonObject>> nodes() {
    JsonObject local = this.local;
    return redis.send(Request.cmd(Command.SMEMBERS).arg(MonitorContract.NODES_ALL)).compose(members -> {
      List<String> names = new ArrayList<>();
      members.forEach(m -> names.add(m.toString()));
      if (local != null && !names.contains(node)) {
        names.add(node);
      }
      names.sort(StreamCensus::compareIds);
      List<String> keys = new ArrayList<>();
      for (String n : names) {
        keys.add(MonitorContract.nodeStatsKey(n));
        keys.add(MonitorContract.nodeLastSeenKey(n));
        keys.add(ServerContract.nodeStreamKey(n));
      }
      return RedisReads.mget(redis, keys).compose(values -> {
        List<JsonObject> out = new ArrayList<>();
        List<String> forgotten = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
          String n = names.get(i);
          // A stream node with no monitor of its own (bin/iptv node) is up while its own report lives.
          String stats = values.get(3 * i) != null ? values.get(3 * i) : values.get(3 * i + 2);
          String seen = values.get(3 * i + 1);
          if (n.equals(node) && local != null) {
            out.add(local.copy());
          } else if (stats != null) {
            JsonObject parsed = parse(stats);
            out.add(parsed != null ? parsed.put("name", n).put("status", "up")
              : new JsonObject().put("name", n).put("status", "unknown"));
          } else if (seen != null) {
            out.add(new JsonObject().put("name", n).put("status", "down").put("last_seen", epoch(seen)));
          } else {
            forgotten.add(n);
          }
        }
        if (forgotten.isEmpty()) {
          return Future.succeededFuture(out);
        }
        Request srem = Request.cmd(Command.SREM).arg(MonitorContract.NODES_ALL);
        forgotten.forEach(srem::arg);
        return redis.send(srem).map(r -> out);
      });
    });
  }

  private static BigDecimal epoch(String text) {
    try {
      return new BigDecimal(text.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static JsonObject parse(String json) {
    try {
      return new JsonObject(json);
    } catch (DecodeException e) {
      return null;
    }
  }
}
