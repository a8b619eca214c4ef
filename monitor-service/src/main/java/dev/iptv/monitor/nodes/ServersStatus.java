package dev.iptv.monitor.nodes;

import dev.iptv.contract.ServerContract;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * Every SSH server and stream node with its status, load and streams, for {@code /api/stats} and
 * the dashboard: the rows of {@code GET /api/servers} (SPEC section 9), asked of any stream-service
 * over the event bus ({@link ServerContract#LIST}), so the monitor shows exactly what the servers
 * API and placement see (SSH health read over SSH, nodes' own reports, streams per server).
 */
public final class ServersStatus {

  /** A stream-service answers within this, or the servers are shown as unavailable. */
  public static final long TIMEOUT_MS = 2000;

  private ServersStatus() {
  }

  /**
   * {@code {"servers": [...]}}, or, when no stream-service answers (none runs in the cluster, or
   * it is stopping), {@code {"servers": [], "servers_error": "..."}}. Never fails.
   */
  public static Future<JsonObject> ask(Vertx vertx, long timeoutMs) {
    return vertx.eventBus().<JsonObject>request(ServerContract.LIST, new JsonObject(), new DeliveryOptions().setSendTimeout(timeoutMs))
      .map(m -> {
        JsonArray rows = m.body() == null ? null : m.body().getJsonArray("servers");
        return new JsonObject().put("servers", rows == null ? new JsonArray() : rows);
      })
      .otherwise(err -> new JsonObject().put("servers", new JsonArray())
        .put("servers_error", "no stream-service answered on " + ServerContract.LIST + ": " + err.getMessage()));
  }
}
