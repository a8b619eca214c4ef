package dev.iptv.monitor.health;

import dev.iptv.common.AdminBearer;
import dev.iptv.common.ApiException;
import dev.iptv.common.Http;
import dev.iptv.contract.AuthContract.LimitHit;
import dev.iptv.contract.MirrorContract.MirrorStatus;
import dev.iptv.contract.StreamContract.StreamEvent;
import dev.iptv.monitor.MirrorView;
import dev.iptv.monitor.MonitorEvents;
import dev.iptv.monitor.MonitorMeters;
import dev.iptv.monitor.MonitorSettings;
import dev.iptv.monitor.history.HistoryVerticle;
import dev.iptv.monitor.nodes.HostSampler;
import dev.iptv.monitor.nodes.NodeReporter;
import dev.iptv.monitor.nodes.ServersStatus;
import dev.iptv.monitor.nodes.StatsView;
import dev.iptv.monitor.nodes.StreamCensus;
import dev.iptv.monitor.segments.SegmentAccountingVerticle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Health and stats: {@code GET /api/health} ({@link HealthCheck}), {@code GET /api/stats} (this
 * node's figures and every reporting node's, with the cluster's streams and viewers),
 * {@code GET /metrics} (the Prometheus scrape: Vert.x's meters and the suite's), and this node's
 * report to the cluster.
 *
 * <p>Owns, on its event loop: the host sample and node report every {@link #TICK_MS} ms (file reads
 * on a worker), the stream census every {@link #TICK_MS} ms (which the dashboard follows), the
 * stream and limit meters (from the events), FFmpeg's probe every 5 minutes and the mirror's status
 * for two gauges. Its routes run on whichever event loop serves the request and read only state that
 * is safe from any thread: immutable snapshots behind volatile fields (the census, the node's
 * figures, the last {@code disk_full}), Micrometer's registry.
 */
public final class HealthStatsVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(HealthStatsVerticle.class);

  public static final long TICK_MS = 2000;
  static final long FFMPEG_PROBE_MS = 300_000;

  private final MonitorSettings settings;
  private final String node;
  private final Redis redis;
  private final MonitorMeters meters;
  private final PrometheusMeterRegistry registry;
  private final ClusterManager cluster;
  private final HistoryVerticle history;
  private final SegmentAccountingVerticle segments;
  private final List<Long> timers = new ArrayList<>();
  private FfmpegProbe ffmpeg;
  private StreamCensus census;
  private NodeReporter reporter;
  private HealthCheck check;
  /** The mirror's last status, for the gauges (null: no mirror answered). */
  private volatile MirrorStatus mirror;
  private boolean reporting;
  private boolean ticking;
  private boolean askingMirror;

  /**
   * @param redis    the monitor's Redis client (the monitor closes it)
   * @param registry the registry {@code /metrics} scrapes
   * @param cluster  the cluster this JVM joined, or null
   */
  public HealthStatsVerticle(MonitorSettings settings, String node, Redis redis, MonitorMeters meters,
                             PrometheusMeterRegistry registry, ClusterManager cluster, HistoryVerticle history,
                             SegmentAccountingVerticle segments) {
    this.settings = settings;
    this.node = node;
    this.redis = redis;
    this.meters = meters;
    this.registry = registry;
    this.cluster = cluster;
    this.history = history;
    this.segments = segments;
  }

  /** The cluster's streams, for the dashboard (safe from any thread); valid once started. */
  public StreamCensus census() {
    return census;
  }

  /** This node's report and every node's, for the dashboard (safe from any thread); valid once started. */
  public NodeReporter nodes() {
    return reporter;
  }

  @Override
  public Future<?> start() {
    ffmpeg = new FfmpegProbe(vertx, settings.ffmpeg());
    ffmpeg.probe(); // cached for /api/health, which waits for this first answer if asked before it
    census = new StreamCensus(context, redis, meters::channels);
    reporter = new NodeReporter(vertx, redis, new HostSampler(Path.of("/proc"), settings.hlsDir(),
      System.currentTimeMillis()), node, segments::bandwidth);
    check = new HealthCheck(vertx, RedisAPI.api(redis), new AdminBearer(settings.adminToken()), node, ffmpeg,
      settings.hlsDir(), settings.diskMinFreeBytes(), cluster, history, segments);
    registerGauges();
    return Future.join(MonitorEvents.listen(vertx, this::onEvent), reportNode(),
        census.take(true).recover(err -> Future.succeededFuture()), askMirror())
      .onSuccess(v -> {
        timers.add(vertx.setPeriodic(TICK_MS, id -> reportNode()));
        timers.add(vertx.setPeriodic(TICK_MS, id -> tick()));
        timers.add(vertx.setPeriodic(TICK_MS, id -> askMirror()));
        timers.add(vertx.setPeriodic(FFMPEG_PROBE_MS, id -> ffmpeg.probe()));
      });
  }

  @Override
  public Future<?> stop() {
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    return Future.succeededFuture();
  }

  /** Its routes on the monitor's router. */
  public void routes(Router router, Handler<RoutingContext> admin) {
    router.get("/api/health").handler(check::handle);
    router.get("/api/stats").handler(admin).handler(this::stats);
    if (settings.metricsPublic()) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(registry));
    } else {
      router.get("/metrics").handler(admin).handler(PrometheusScrapingHandler.create(registry));
    }
  }

  private void registerGauges() {
    meters.gauge("iptv.streams.running", "streams running in the cluster", census, c -> c.latest().activeStreams());
    meters.gauge("iptv.viewers", "viewer sessions polling in the last 60 s, cluster-wide", census,
      c -> c.latest().viewers());
    meters.gauge("iptv.bandwidth", "bytes_per_second", "bytes per second served over the last 10 s, cluster-wide",
      census, c -> c.latest().bandwidth());
    meters.gauge("iptv.host.cpu", "percent", "CPU busy on this host", this, v -> local("cpu_percent"));
    meters.gauge("iptv.host.memory", "percent", "memory used on this host", this, v -> local("memory_percent"));
    meters.gauge("iptv.host.disk", "percent", "disk used where HLS is written", this, v -> local("disk_percent"));
    meters.gauge("iptv.history.queue", "history statements waiting for PostgreSQL", history,
      HistoryVerticle::queueDepth);
    meters.gauge("iptv.mirror.keys", "panel keys mirrored in PostgreSQL", this, v -> {
      MirrorStatus m = mirror;
      return m == null || m.keys() == null ? 0 : m.keys();
    });
    meters.gauge("iptv.redis.restores", "times Redis was restored from the mirror", this, v -> {
      MirrorStatus m = mirror;
      return m == null ? 0 : m.restores();
    });
  }

  private double local(String field) {
    JsonObject l = reporter == null ? null : reporter.local();
    Object v = l == null ? null : l.getValue(field);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private Future<Void> reportNode() {
    if (reporting) {
      return Future.succeededFuture();
    }
    reporting = true;
    return reporter.report().<Void>mapEmpty()
      .recover(err -> {
        log.warn("cannot sample this host: {}", err.toString());
        return Future.succeededFuture();
      })
      .onComplete(ar -> reporting = false);
  }

  /** The periodic census: the gauges, and the dashboard's chart and push (its listener). */
  private void tick() {
    if (ticking) {
      return;
    }
    ticking = true;
    census.tick()
      .onFailure(err -> log.debug("census failed: {}", err.toString()))
      .onComplete(ar -> ticking = false);
  }

  /** The mirror's status for the gauges; never fails. */
  private Future<Void> askMirror() {
    if (askingMirror) {
      return Future.succeededFuture();
    }
    askingMirror = true;
    return MirrorView.ask(vertx, HealthCheck.CHECK_TIMEOUT_MS)
      .transform(ar -> {
        mirror = ar.succeeded() ? ar.result() : null;
        askingMirror = false;
        return Future.<Void>succeededFuture();
      });
  }

  /** Stream events and limit hits: the meters; a full disk fails health for a while. */
  private void onEvent(MonitorEvents.Heard heard) {
    if (heard.event() instanceof StreamEvent se) {
      if (se.kind() == StreamEvent.Kind.DISK_FULL) {
        check.diskFull(se, heard.json());
      }
      meters.streamEvent(se.kind(), se.node(), se.mode());
    } else if (heard.event() instanceof LimitHit) {
      meters.limitHit();
    }
  }

  private void stats(RoutingContext ctx) {
    Future<JsonObject> servers = ServersStatus.ask(vertx, ServersStatus.TIMEOUT_MS);
    census.current(1000)
      .compose(s -> Future.all(reporter.nodes(), servers).map(all -> StatsView.build(all.resultAt(0), s, all.resultAt(1))))
      .recover(err -> Future.failedFuture(new ApiException(503, "stats unavailable: Redis: " + err.getMessage())))
      .onSuccess(body -> Http.sendJson(ctx, 200, body))
      .onFailure(ctx::fail);
  }
}
