package dev.iptv.stream.servers;

import dev.iptv.contract.ServerContract;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rows of {@code GET /api/servers} (openapi.yaml: {@code Server}): each SSH server from the registry with its
 * health, and each stream node from its own {@code node:{name}:stats} report (kind {@code node}:
 * online while the report lives, offline after).
 */
final class ServersView {

  private ServersView() {
  }

  static Future<JsonObject> list(Servers servers) {
    ServerStore store = servers.store();
    return store.streamsByNode().compose(byNode -> store.names().compose(names -> {
      List<Future<JsonObject>> rows = new ArrayList<>();
      for (String name : names) {
        rows.add(store.spec(name).compose(spec -> spec == null ? Future.succeededFuture(null) : ssh(servers, spec)));
      }
      Future<List<JsonObject>> nodes = store.nodes().compose(all -> {
        List<Future<JsonObject>> out = new ArrayList<>();
        all.forEach((name, parts) -> {
          if (!names.contains(name)) {
            out.add(node(store, name, parts, byNode));
          }
        });
        return Future.all(out).map(x -> x.<JsonObject>list());
      });
      return Future.all(rows).compose(x -> nodes).map(nodeRows -> {
        JsonArray list = new JsonArray();
        rows.forEach(f -> {
          if (f.result() != null) {
            list.add(f.result());
          }
        });
        nodeRows.forEach(list::add);
        return new JsonObject().put("servers", list).put("count", list.size());
      });
    }));
  }

  static Future<JsonObject> ssh(Servers servers, ServerSpec spec) {
    ServerStore store = servers.store();
    return store.health(spec.name()).compose(health -> store.ffmpegs(spec.name()).compose(procs -> {
      List<String> ids = new ArrayList<>();
      procs.forEach(p -> ids.add(p.channelId()));
      return store.viewers(ids).map(viewers -> Servers.view(spec, health, ids.size(), viewers));
    }));
  }

  /** A stream node's row, or null when no node of that name ever reported. */
  static Future<JsonObject> node(Servers servers, String name) {
    ServerStore store = servers.store();
    return store.nodes().compose(all -> !all.containsKey(name) ? Future.succeededFuture(null)
      : store.streamsByNode().compose(byNode -> node(store, name, all.get(name), byNode)));
  }

  private static Future<JsonObject> node(ServerStore store, String name, JsonObject[] parts, Map<String, List<String>> byNode) {
    // The monitor's host figures (node:{name}:stats) where a monitor-service runs there, over the
    // stream-service's own report (node:{name}:stream: public_url, max_streams, CPU, memory).
    JsonObject report = parts.length > 2 ? parts[2] : null;
    JsonObject live = parts[0] != null ? parts[0] : report;
    List<String> ids = byNode.getOrDefault(name, List.of());
    return store.viewers(ids).map(viewers -> {
      JsonObject s = new JsonObject();
      if (report != null) {
        s.mergeIn(report);
      }
      if (parts[0] != null) {
        s.mergeIn(parts[0]);
      }
      Object seen = live != null ? s.getValue("updated") : parts[1] == null ? null : parts[1].getValue("last_seen");
      return new JsonObject().put("name", name).put("kind", ServerContract.KIND_NODE)
        .put("public_url", report == null ? null : report.getString("public_url")).put("enabled", true)
        .put("max_streams", report == null ? null : report.getValue("max_streams"))
        .put("status", live != null ? ServerContract.ONLINE : ServerContract.OFFLINE)
        .put("cpu_percent", s.getValue("cpu_percent")).put("memory_percent", s.getValue("memory_percent"))
        .put("load_1m", s.getValue("load_1m")).put("disk_percent", s.getValue("disk_percent"))
        .put("streams", ids.size()).put("viewers", viewers).put("last_seen", seen);
    });
  }
}
