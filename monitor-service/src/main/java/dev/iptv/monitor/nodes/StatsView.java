package dev.iptv.monitor.nodes;

import dev.iptv.common.Epoch;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The body of {@code GET /api/stats} (openapi.yaml: {@code stats}): the cluster's figures on top, each node's in
 * {@code nodes}.
 *
 * <p>Top-level figures over the live nodes: {@code cpu_percent} weighted by cores,
 * {@code memory_percent} and {@code disk_percent} weighted by each node's total, GB figures summed,
 * {@code uptime_hours} the longest host uptime; {@code active_streams} and {@code viewers} count
 * the whole cluster from Redis. With one node, the top level is that node's figures.
 *
 * <p>{@code nodes} are the JVMs that report (monitors, and stream nodes by their own report);
 * {@code servers} are the SSH servers and stream nodes as {@code GET /api/servers} lists them.
 */
public final class StatsView {

  private StatsView() {
  }

  /**
   * @param servers {@link ServersStatus#ask}'s answer: its {@code servers} (every SSH server and
   *                stream node, with status, load and streams) and {@code servers_error} are added
   */
  public static JsonObject build(List<JsonObject> nodes, StreamCensus.Snapshot census, JsonObject servers) {
    double cores = 0;
    double cpu = 0;
    double memTotal = 0;
    double memWeighted = 0;
    double memUsed = 0;
    double diskTotal = 0;
    double diskWeighted = 0;
    double sent = 0;
    double recv = 0;
    double uptime = 0;
    JsonArray list = new JsonArray();
    for (JsonObject n : nodes) {
      JsonObject entry = n.copy();
      String name = n.getString("name");
      if ("up".equals(n.getString("status"))) {
        double c = num(n, "cores", 1);
        cores += c;
        cpu += num(n, "cpu_percent", 0) * c;
        double mt = num(n, "memory_total_gb", 0);
        memTotal += mt;
        memWeighted += num(n, "memory_percent", 0) * mt;
        memUsed += num(n, "memory_used_gb", 0);
        double dt = num(n, "disk_total_gb", 0);
        diskTotal += dt;
        diskWeighted += num(n, "disk_percent", 0) * dt;
        sent += num(n, "network_sent_gb", 0);
        recv += num(n, "network_recv_gb", 0);
        uptime = Math.max(uptime, num(n, "uptime_hours", 0));
      }
      if (name != null) {
        entry.put("active_streams", census.streamsOn(name)).put("viewers", census.viewersOn(name));
      }
      list.add(entry);
    }
    return new JsonObject()
      .put("cpu_percent", HostSampler.round1(cores == 0 ? 0 : cpu / cores))
      .put("memory_percent", HostSampler.round1(memTotal == 0 ? 0 : memWeighted / memTotal))
      .put("memory_used_gb", HostSampler.round2(memUsed))
      .put("disk_percent", HostSampler.round1(diskTotal == 0 ? 0 : diskWeighted / diskTotal))
      .put("network_sent_gb", HostSampler.round3(sent))
      .put("network_recv_gb", HostSampler.round3(recv))
      .put("active_streams", census.activeStreams())
      .put("viewers", census.viewers())
      .put("bandwidth_bps", Math.round(census.bandwidth()))
      .put("uptime_hours", HostSampler.round2(uptime))
      .put("timestamp", Epoch.now())
      .put("nodes", list)
      .mergeIn(servers);
  }

  private static double num(JsonObject o, String key, double fallback) {
    Object v = o.getValue(key);
    return v instanceof Number n ? n.doubleValue() : fallback;
  }
}
