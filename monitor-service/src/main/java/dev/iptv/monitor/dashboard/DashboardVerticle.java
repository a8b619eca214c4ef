package dev.iptv.monitor.dashboard;

import dev.iptv.common.ApiException;
import dev.iptv.common.Epoch;
import dev.iptv.common.Http;
import dev.iptv.monitor.MirrorView;
import dev.iptv.monitor.MonitorEvents;
import dev.iptv.common.OnContext;
import dev.iptv.monitor.health.HealthStatsVerticle;
import dev.iptv.monitor.history.HistoryVerticle;
import dev.iptv.monitor.nodes.NodeReporter;
import dev.iptv.monitor.nodes.ServersStatus;
import dev.iptv.monitor.nodes.StatsView;
import dev.iptv.monitor.nodes.StreamCensus;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The live dashboard: {@code GET /dashboard} (one self-contained page; it asks for the admin
 * token) and {@code GET /api/events/stream} (server-sent events: a {@code snapshot} on connect,
 * {@code stats} after every periodic census, {@code event} as stream events, limit hits and restores
 * of Redis happen).
 *
 * <p>Owns, on its event loop, the {@link EventHub}: the recent events, the chart's series and the
 * open streams. It follows the health and stats verticle's periodic census (a listener that hops
 * onto this loop); an event stream opened on another event loop is registered here through
 * {@link OnContext}.
 */
public final class DashboardVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(DashboardVerticle.class);

  static final long KEEP_ALIVE_MS = 15_000;
  /** The mirror's status answers within this or is shown as unavailable. */
  static final long MIRROR_TIMEOUT_MS = 2000;

  private final String node;
  private final StreamCensus census;
  private final NodeReporter reporter;
  private final HistoryVerticle history;
  private final List<Long> timers = new ArrayList<>();
  private DashboardPage page;
  private EventHub hub;
  private Consumer<StreamCensus.Snapshot> onCensus;
  private boolean pushing;

  /** @param census and @param reporter the health and stats verticle's (safe from any thread) */
  public DashboardVerticle(String node, StreamCensus census, NodeReporter reporter, HistoryVerticle history) {
    this.node = node;
    this.census = census;
    this.reporter = reporter;
    this.history = history;
  }

  @Override
  public Future<?> start() {
    hub = new EventHub(context);
    return vertx.executeBlocking(DashboardPage::load, false).compose(loaded -> {
      page = loaded;
      return MonitorEvents.listen(vertx, heard -> hub.event(heard.json()));
    }).onSuccess(v -> {
      onCensus = snapshot -> context.runOnContext(x -> tick(snapshot));
      census.onPeriodic(onCensus);
      timers.add(vertx.setPeriodic(KEEP_ALIVE_MS, id -> hub.keepAlive()));
    });
  }

  @Override
  public Future<?> stop() {
    if (onCensus != null) {
      census.removePeriodic(onCensus);
    }
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    hub.closeAll();
    return Future.succeededFuture();
  }

  /** Its routes on the monitor's router. */
  public void routes(Router router, Handler<RoutingContext> admin) {
    router.get("/dashboard").handler(this::page);
    router.get("/api/events/stream").handler(admin).handler(this::eventStream);
  }

  /** A periodic census: a point of the chart, and the stats pushed to the open streams. */
  private void tick(StreamCensus.Snapshot snapshot) {
    hub.point(new JsonObject().put("t", Epoch.seconds(snapshot.takenAtMillis()))
      .put("bandwidth_bps", Math.round(snapshot.bandwidth())).put("viewers", snapshot.viewers())
      .put("streams", snapshot.activeStreams()));
    if (hub.clients() == 0 || pushing) {
      return;
    }
    pushing = true;
    dashboardState(snapshot)
      .onSuccess(state -> hub.broadcast("stats", state.put("point", hub.lastPoint())))
      .onFailure(err -> log.debug("dashboard push failed: {}", err.toString()))
      .onComplete(ar -> pushing = false);
  }

  private void page(RoutingContext ctx) {
    ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .putHeader("Content-Security-Policy", page.contentSecurityPolicy())
      .putHeader("Referrer-Policy", "no-referrer")
      .putHeader("X-Content-Type-Options", "nosniff")
      .end(page.html());
  }

  private void eventStream(RoutingContext ctx) {
    OnContext.call(context, () -> census.current(HealthStatsVerticle.TICK_MS)
        .compose(this::dashboardState)
        .map(state -> hub.open(ctx.response(), state.put("series", hub.series()).put("events", hub.recent()))))
      .onSuccess(opened -> {
        if (!opened) {
          Http.sendError(ctx, 503, "too many dashboard streams open (" + EventHub.MAX_CLIENTS + ")");
        }
      })
      .onFailure(err -> ctx.fail(new ApiException(503, "dashboard data unavailable: Redis: " + err.getMessage())));
  }

  /** What the dashboard shows: the stats (with nodes and servers), the streams, this node, the mirror and whether history is on. */
  private Future<JsonObject> dashboardState(StreamCensus.Snapshot snapshot) {
    Future<List<JsonObject>> nodes = reporter.nodes();
    Future<JsonObject> mirror = MirrorView.json(vertx, MIRROR_TIMEOUT_MS);
    Future<JsonObject> servers = ServersStatus.ask(vertx, ServersStatus.TIMEOUT_MS);
    return Future.all(nodes, mirror, servers).map(v -> {
      JsonArray streams = new JsonArray();
      snapshot.streams().forEach(s -> streams.add(s.toJson()));
      return new JsonObject()
        .put("node", node)
        .put("stats", StatsView.build(nodes.result(), snapshot, servers.result()))
        .put("streams", streams)
        .put("mirror", mirror.result())
        .put("history", history.on());
    });
  }
}
