package dev.iptv.monitor;

import dev.iptv.common.AdminBearer;
import dev.iptv.common.ApiException;
import dev.iptv.common.Config;
import dev.iptv.common.Epoch;
import dev.iptv.common.Http;
import dev.iptv.common.RedisSupport;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.LimitHit;
import dev.iptv.contract.BadMessage;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.MirrorContract.RedisRestored;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.MonitorContract.SegmentBatch;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.StreamContract;
import dev.iptv.contract.StreamContract.StreamEvent;
import dev.iptv.monitor.history.History;
import dev.iptv.monitor.mirror.RedisMirror;
import dev.iptv.monitor.pg.Db;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
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
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * monitor-service: health of the suite and its dependencies, the cluster's stats, Prometheus
 * metrics, the live dashboard, the bytes segments served, the history in PostgreSQL and the durable
 * mirror of the panel's data (SPEC sections 1 and 4).
 *
 * <p>Routes: {@code GET /api/health} (open), {@code GET /api/stats}, {@code GET /metrics} (admin
 * bearer unless {@code IPTV_METRICS_PUBLIC=true}), {@code GET /dashboard} (the page; it asks for the
 * admin token), {@code GET /api/events/stream} (server-sent events for the page),
 * {@code GET /api/history/streams|viewers|events}.
 *
 * <p>Periodic work, all off the request path: host sample and node report every
 * {@link #TICK_MS} ms (file reads on a worker), stream census and dashboard push every
 * {@link #TICK_MS} ms, byte counters and history flushed every second, viewer sessions every 10 s,
 * the mirror's sentinel every second and its reconciliation every {@code IPTV_MIRROR_RECONCILE_S},
 * FFmpeg every 5 minutes, history maintenance hourly (purge once a day).
 */
public class MonitorVerticle extends ServiceVerticle {

  private static final Logger log = LoggerFactory.getLogger(MonitorVerticle.class);

  /** A dependency check answers within this many milliseconds or counts as failing. */
  static final long CHECK_TIMEOUT_MS = 2000;
  static final long TICK_MS = 2000;
  static final long FFMPEG_PROBE_MS = 300_000;
  static final long PG_RETRY_MS = 10_000;
  /** PostgreSQL retried this often while a restore of Redis waits for it. */
  static final long PG_RETRY_PENDING_MS = 2_000;
  /** An orderly stop writes what is queued (history, mirror changes) for at most this long. */
  static final long STOP_DEADLINE_MS = 10_000;
  /** A {@code disk_full} event fails the {@code disk} check of health for this long. */
  static final long DISK_FULL_HOLD_MS = 60_000;

  private MonitorSettings settings;
  private Redis redisClient;
  private RedisAPI redis;
  private String node;
  private PrometheusMeterRegistry registry;
  private boolean ownRegistry;
  private MonitorMeters meters;
  private NodeReporter reporter;
  private StreamCensus census;
  private ByteLedger ledger;
  private final ViewerDirectory viewers = new ViewerDirectory();
  private SegmentLog segmentLog;
  private SegmentLogFile segmentFile;
  private FfmpegProbe ffmpeg;
  private EventHub hub;
  private Db db;
  private History history;
  private String historyError;
  private RedisMirror mirror;
  private DashboardPage dashboardPage;
  private final List<Long> timers = new ArrayList<>();
  private boolean reporting;
  private boolean ticking;
  private boolean started;
  private long lastPgLog;
  private AdminBearer adminBearer;
  private Path hlsDir;
  private long diskMinFreeBytes;
  private long lastDiskFullMs;
  private JsonObject lastDiskFull;

  @Override
  public String name() {
    return "monitor-service";
  }

  @Override
  protected Future<Router> setUp() {
    try {
      settings = MonitorSettings.from(config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    redisClient = RedisSupport.client(vertx, settings.redisUrl());
    redis = RedisAPI.api(redisClient);
    ffmpeg = new FfmpegProbe(vertx, settings.ffmpeg());
    ffmpeg.probe(); // cached for /api/health, which waits for this first answer if asked before it
    registry = Metrics.vertxRegistry();
    ownRegistry = registry == null;
    if (ownRegistry) {
      registry = Metrics.standalone();
      log.info("Vert.x metrics are not enabled in this JVM: /metrics serves the suite's own meters only");
    }
    meters = new MonitorMeters(registry);
    hub = new EventHub(context);
    adminBearer = new AdminBearer(settings.adminToken());
    hlsDir = settings.hlsDir();
    diskMinFreeBytes = settings.diskMinFreeBytes();
    census = new StreamCensus(redisClient, snapshot -> meters.channels(snapshot));

    return vertx.executeBlocking(() -> {
      node = Config.effective(config(), Config.NODE_NAME);
      return DashboardPage.load();
    }, false).compose(page -> {
      dashboardPage = page;
      mirror = new RedisMirror(redisClient, null, settings.pg(), node,
        event -> vertx.eventBus().publish(MirrorContract.EVENTS, event));
      reporter = new NodeReporter(vertx, redisClient, new HostSampler(Path.of("/proc"),
        settings.hlsDir(), System.currentTimeMillis()), node, () -> ledger.bandwidth());
      ledger = new ByteLedger(redisClient, meters, this::toHistory);
      // nginx's records (file or syslog) name no user: the viewer directory does.
      Consumer<SegmentServed> fromNginx = r -> ledger.record(viewers.resolve(r));
      Counter rejected = meters.counter("iptv.segment.log.rejected", "segment log lines that were not iptv_segments records");
      segmentLog = new SegmentLog(vertx, fromNginx, rejected);
      if (settings.segmentLogFile() != null) {
        segmentFile = new SegmentLogFile(vertx, settings.segmentLogFile(), fromNginx, rejected);
      }
      registerGauges();
      return Future.join(startHistory(), consumers(), segmentLog.listen(
          settings.segmentLogHost(), settings.segmentLogPort()),
        segmentFile == null ? Future.succeededFuture() : segmentFile.start(),
        reportNode(), census.take(true).recover(err -> Future.succeededFuture()));
    }).compose(v -> mirror.check().onComplete(ar -> mirror.reconcile())).map(v -> {
      started = true;
      startTimers();
      log.info("monitor-service ready on node {} (history {}, metrics registry {})", node,
        history != null ? "on: " + db.where() : db != null ? "waiting for PostgreSQL" : "off",
        ownRegistry ? "standalone" : Metrics.REGISTRY);
      return routes();
    });
  }

  private Router routes() {
    Router router = Router.router(vertx);
    Handler<RoutingContext> admin = Http.adminAuth(settings.adminToken());
    // Census, hub and reporter state belong to this verticle's event loop (see onOwnContext).
    Handler<RoutingContext> own = onOwnContext();
    router.get("/api/health").handler(own).handler(this::health);
    router.get("/api/stats").handler(own).handler(admin).handler(this::stats);
    if (settings.metricsPublic()) {
      router.get("/metrics").handler(own).handler(PrometheusScrapingHandler.create(registry));
    } else {
      router.get("/metrics").handler(own).handler(admin).handler(PrometheusScrapingHandler.create(registry));
    }
    router.get("/dashboard").handler(own).handler(this::dashboard);
    router.get("/api/events/stream").handler(own).handler(admin).handler(this::eventStream);
    router.get("/api/history/streams").handler(own).handler(admin).handler(ctx -> historyPage(ctx, History::streams));
    router.get("/api/history/viewers").handler(own).handler(admin).handler(ctx -> historyPage(ctx, History::viewers));
    router.get("/api/history/events").handler(own).handler(admin).handler(ctx -> historyPage(ctx, History::events));
    return router;
  }

  @Override
  protected Future<?> tearDown() {
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    if (segmentFile != null) {
      segmentFile.close();
    }
    hub.closeAll();
    // Everything queued is written: the bytes, the viewer sessions closed now, the history rows
    // (after any flush in flight, until empty) and the mirror's queued changes, within a deadline.
    long deadline = System.currentTimeMillis() + STOP_DEADLINE_MS;
    if (history != null) {
      history.collectViewers(true);
    }
    Future<Void> flushed = Future.join(ledger.flush(),
        history == null ? Future.succeededFuture() : history.drain(deadline), mirror.flush())
      .<Void>mapEmpty().recover(err -> Future.succeededFuture())
      .timeout(STOP_DEADLINE_MS + 1000, TimeUnit.MILLISECONDS).recover(err -> Future.succeededFuture())
      .onComplete(ar -> mirror.close());
    return flushed.eventually(() -> Future.join(segmentLog.close(), db == null ? Future.succeededFuture() : db.close()))
      .eventually(() -> {
        meters.close();
        if (ownRegistry) {
          registry.close();
        }
        redisClient.close();
        return Future.succeededFuture();
      });
  }

  // --- start -----------------------------------------------------------------------------------

  /** History on when IPTV_PG_URL is set: migrations at start, retried while PostgreSQL is away. */
  private Future<Void> startHistory() {
    String url = settings.pgUrl();
    if (url == null) {
      historyError = "history is off: set " + Config.PG_URL;
      log.warn("{} is not set: history, and restoring Redis after it loses its data, are off", Config.PG_URL);
      return Future.succeededFuture();
    }
    db = Db.create(vertx, url, settings.pgSchema());
    historyError = "history is not ready: PostgreSQL " + db.where() + " not reached yet";
    return migrate();
  }

  private Future<Void> migrate() {
    return db.migrate()
      .<Void>map(version -> {
        history = new History(db, settings.historyRetentionDays());
        historyError = null;
        log.info("history on: PostgreSQL {} at schema version {}", db.where(), version);
        mirror.attach(db);
        if (started) { // PostgreSQL came after start: a restore may wait for it
          mirror.check().onComplete(ar -> mirror.reconcile());
        }
        return null;
      })
      .recover(err -> {
        historyError = "history is not ready: PostgreSQL " + db.where() + ": " + err.getMessage();
        // Quick while a restore of Redis may wait for it (at start, before the first check: maybe).
        long retry = mirror.pending() || !started ? PG_RETRY_PENDING_MS : PG_RETRY_MS;
        long now = System.currentTimeMillis();
        if (now - lastPgLog > 60_000) {
          lastPgLog = now;
          log.warn("{}; retrying every {} s", historyError, retry / 1000);
        }
        timers.add(vertx.setTimer(retry, id -> migrate()));
        return Future.succeededFuture();
      });
  }

  private Future<Void> consumers() {
    return Future.join(List.of(
      vertx.eventBus().<JsonObject>consumer(StreamContract.EVENTS, m -> onEvent(m, StreamEvent::fromJson)).completion(),
      vertx.eventBus().<JsonObject>consumer(AuthContract.LIMIT_EVENTS, m -> onEvent(m, LimitHit::fromJson)).completion(),
      vertx.eventBus().<JsonObject>consumer(MirrorContract.EVENTS, m -> onEvent(m, RedisRestored::fromJson)).completion(),
      vertx.eventBus().<JsonObject>consumer(MonitorContract.SEGMENTS_SERVED, this::onSegment).completion(),
      vertx.eventBus().<JsonObject>consumer(StreamContract.VIEWER_POLLS, m -> viewers.poll(m.body())).completion(),
      vertx.eventBus().<JsonObject>consumer(AuthContract.USERS_CHANGED, m -> mirrorFeed(m, true)).completion(),
      vertx.eventBus().<JsonObject>consumer(ChannelContract.CHANNELS_CHANGED, m -> mirrorFeed(m, false)).completion()
    )).mapEmpty();
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
    meters.gauge("iptv.history.queue", "history statements waiting for PostgreSQL", this,
      v -> history == null ? 0 : history.queueDepth());
    meters.gauge("iptv.mirror.keys", "panel keys mirrored in PostgreSQL", this, v -> mirror == null ? 0 : mirror.rows());
    meters.gauge("iptv.redis.restores", "times Redis was restored from the mirror", this,
      v -> mirror == null ? 0 : mirror.restores());
  }

  private double local(String field) {
    JsonObject l = reporter == null ? null : reporter.local();
    Object v = l == null ? null : l.getValue(field);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private void startTimers() {
    timers.add(vertx.setPeriodic(TICK_MS, id -> reportNode()));
    timers.add(vertx.setPeriodic(TICK_MS, id -> tick()));
    timers.add(vertx.setPeriodic(1000, id -> {
      ledger.flush();
      if (history != null) {
        history.flush();
      }
      if (mirror != null) {
        mirror.check();
      }
    }));
    timers.add(vertx.setPeriodic(10_000, id -> {
      if (history != null) {
        history.collectViewers(false);
      }
    }));
    timers.add(vertx.setPeriodic(15_000, id -> hub.keepAlive()));
    timers.add(vertx.setPeriodic(60_000, id -> viewers.prune(System.currentTimeMillis() / 1000.0)));
    timers.add(vertx.setPeriodic(FFMPEG_PROBE_MS, id -> ffmpeg.probe()));
    timers.add(vertx.setPeriodic(settings.mirrorReconcileMs(), id -> mirror.reconcile()));
    timers.add(vertx.setPeriodic(60_000, 3_600_000, id -> {
      if (history != null) {
        history.maintenance().onFailure(err -> log.warn("history maintenance failed: {}", err.toString()));
      }
    }));
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

  /** The census, the gauges, the chart series and the dashboard push. */
  private void tick() {
    if (ticking) {
      return;
    }
    ticking = true;
    census.take(true)
      .compose(snapshot -> {
        hub.point(new JsonObject().put("t", Epoch.seconds(snapshot.takenAtMillis()))
          .put("bandwidth_bps", Math.round(snapshot.bandwidth())).put("viewers", snapshot.viewers())
          .put("streams", snapshot.activeStreams()));
        if (hub.clients() == 0) {
          return Future.succeededFuture();
        }
        return dashboardState(snapshot).map(state -> {
          hub.broadcast("stats", state.put("point", hub.lastPoint()));
          return null;
        });
      })
      .onFailure(err -> log.debug("census failed: {}", err.toString()))
      .onComplete(ar -> ticking = false);
  }

  // --- event bus -------------------------------------------------------------------------------

  /**
   * A stream, limit or mirror event, read by its contract ({@code read} fails naming a bad field):
   * meters, and as it came (with a {@code ts}) to the dashboard and the history.
   */
  private void onEvent(Message<JsonObject> m, Function<JsonObject, Record> read) {
    JsonObject body = m.body();
    Record event;
    try {
      event = read.apply(body == null ? new JsonObject() : body);
    } catch (BadMessage err) {
      log.debug("ignored an event on {}: {}", m.address(), err.getMessage());
      return;
    }
    JsonObject e = body.copy();
    if (!(e.getValue("ts") instanceof Number)) {
      e.put("ts", Epoch.now());
    }
    if (event instanceof StreamEvent se) {
      if (se.kind() == StreamEvent.Kind.DISK_FULL) {
        long now = System.currentTimeMillis();
        if (now - lastDiskFullMs > 10_000) { // one line per burst: every channel of a full disk reports it
          log.error("disk full on node {} writing {} (channel {}): {}", se.node(), se.path(), se.channelId(), se.reason());
        }
        lastDiskFullMs = now;
        lastDiskFull = e;
      }
      meters.streamEvent(se.kind(), se.node(), se.mode());
    } else if (event instanceof LimitHit) {
      meters.limitHit();
    }
    hub.event(e);
    if (history != null) {
      history.event(e);
    }
  }

  private void onSegment(Message<JsonObject> m) {
    if (m.body() == null) {
      return;
    }
    SegmentBatch batch = SegmentBatch.fromJson(m.body());
    batch.records().forEach(r -> ledger.record(viewers.resolve(r)));
    if (batch.rejected() > 0) {
      log.debug("ignored {} segment records: {}", batch.rejected(), batch.firstProblem());
    }
  }

  private void toHistory(SegmentServed r) {
    if (history != null) {
      history.segment(r);
    }
  }

  private void mirrorFeed(Message<JsonObject> m, boolean users) {
    if (mirror == null || m.body() == null) {
      return;
    }
    (users ? mirror.usersChanged(m.body()) : mirror.channelsChanged(m.body()))
      .onFailure(err -> log.warn("mirror: could not follow a {} change: {}", users ? "user" : "channel", err.toString()));
  }

  // --- handlers --------------------------------------------------------------------------------

  /**
   * {@code 200 {"status":"ok","timestamp"}} or {@code 503 {"status":"degraded","timestamp"}} for
   * anyone (load balancers); with the admin bearer also the checks, the failing and warning lists
   * and this node's name (they name the database, paths and node ids).
   */
  private void health(RoutingContext ctx) {
    boolean details = adminBearer.matches(ctx);
    Future<JsonObject> redisCheck = timed(redis.ping(List.of()).compose(reply -> reply != null
      && "PONG".equalsIgnoreCase(reply.toString()) ? Future.succeededFuture()
      : Future.failedFuture("unexpected PING reply: " + reply)));
    Future<JsonObject> pgCheck = db == null ? Future.succeededFuture(new JsonObject().put("enabled", false))
      : timed(db.ping(CHECK_TIMEOUT_MS)).map(c -> {
        if (history == null && c.getBoolean("ok")) {
          c.put("ok", false).put("error", historyError);
        }
        return c;
      });
    Future<JsonObject> ffCheck = ffmpeg.current();
    Future<JsonObject> diskCheck = diskCheck();
    Future.join(redisCheck, pgCheck, ffCheck, diskCheck).onComplete(ar -> {
      JsonObject r = redisCheck.result();
      JsonObject p = pgCheck.result();
      JsonObject disk = diskCheck.result();
      JsonArray failing = new JsonArray();
      JsonArray warnings = new JsonArray();
      if (!r.getBoolean("ok")) {
        failing.add("redis");
      }
      if (db != null && !p.getBoolean("ok")) {
        failing.add("postgresql");
      }
      if (!disk.getBoolean("ok")) {
        failing.add("disk");
      }
      JsonObject ff = ffCheck.result();
      if (!ff.getBoolean("ok")) {
        warnings.add("ffmpeg");
      }
      JsonObject seg = segmentLog.health();
      if (segmentFile != null) {
        seg.put("file", segmentFile.health());
        seg.put("ok", seg.getBoolean("ok") && segmentFile.health().getBoolean("ok"));
      }
      if (!seg.getBoolean("ok")) {
        warnings.add("segment_log");
      }
      JsonObject body = new JsonObject()
        .put("status", failing.isEmpty() ? "ok" : "degraded")
        .put("timestamp", Epoch.now());
      if (details) {
        body.put("node", node)
          .put("checks", new JsonObject()
            .put("redis", r)
            .put("postgresql", p)
            .put("ffmpeg", ff)
            .put("disk", disk)
            .put("cluster", cluster())
            .put("segment_log", seg)
            .put("mirror", mirror.status()));
        if (!failing.isEmpty()) {
          body.put("failing", failing);
        }
        if (!warnings.isEmpty()) {
          body.put("warnings", warnings);
        }
      }
      Http.sendJson(ctx, failing.isEmpty() ? 200 : 503, body);
    });
  }

  /**
   * The HLS folder's file system: failing while it has less than {@code IPTV_DISK_MIN_FREE_MB} free,
   * or for {@link #DISK_FULL_HOLD_MS} after a stream node reported {@code disk_full}. Never fails.
   */
  private Future<JsonObject> diskCheck() {
    long now = System.currentTimeMillis();
    boolean recentFull = lastDiskFull != null && now - lastDiskFullMs <= DISK_FULL_HOLD_MS;
    JsonObject recent = recentFull ? lastDiskFull.copy() : null;
    return vertx.executeBlocking(() -> HostSampler.disk(hlsDir), false).transform(ar -> {
      JsonObject o = new JsonObject().put("path", hlsDir.toString()).put("min_free_mb", diskMinFreeBytes / 1048576);
      boolean ok = !recentFull;
      if (ar.succeeded()) {
        long free = ar.result().availableBytes();
        o.put("free_mb", free / 1048576);
        ok &= free >= diskMinFreeBytes;
      } else {
        o.put("error", String.valueOf(ar.cause().getMessage()));
      }
      if (recent != null) {
        o.put("disk_full", recent);
      }
      return Future.succeededFuture(o.put("ok", ok));
    });
  }

  /** A check's outcome with its latency; never fails. */
  private static Future<JsonObject> timed(Future<?> check) {
    long started = System.nanoTime();
    return check.timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS).transform(ar -> {
      JsonObject o = new JsonObject().put("ok", ar.succeeded())
        .put("latency_ms", Math.round((System.nanoTime() - started) / 10_000.0) / 100.0);
      if (ar.failed()) {
        o.put("error", String.valueOf(ar.cause().getMessage()));
      }
      return Future.succeededFuture(o);
    });
  }

  private JsonObject cluster() {
    if (!vertx.isClustered()) {
      return new JsonObject().put("mode", "standalone");
    }
    ClusterManager cm = ((VertxInternal) vertx).clusterManager();
    JsonObject o = new JsonObject().put("mode", "clustered");
    try {
      o.put("members", cm.getNodes().size()).put("node_id", cm.getNodeId()).put("ok", cm.isActive());
    } catch (RuntimeException e) {
      o.put("ok", false).put("error", String.valueOf(e.getMessage()));
    }
    return o;
  }

  private void stats(RoutingContext ctx) {
    Future<StreamCensus.Snapshot> snapshot = census.current(1000);
    snapshot.compose(s -> reporter.nodes().map(nodes -> StatsView.build(nodes, s)))
      .recover(err -> Future.failedFuture(new ApiException(503, "stats unavailable: Redis: " + err.getMessage())))
      .onSuccess(body -> Http.sendJson(ctx, 200, body))
      .onFailure(ctx::fail);
  }

  private void dashboard(RoutingContext ctx) {
    ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "text/html; charset=utf-8")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .putHeader("Content-Security-Policy", dashboardPage.contentSecurityPolicy())
      .putHeader("Referrer-Policy", "no-referrer")
      .putHeader("X-Content-Type-Options", "nosniff")
      .end(dashboardPage.html());
  }

  private void eventStream(RoutingContext ctx) {
    census.current(TICK_MS)
      .compose(this::dashboardState)
      .onSuccess(state -> hub.open(ctx, state.put("series", hub.series()).put("events", hub.recent())))
      .onFailure(err -> ctx.fail(new ApiException(503, "dashboard data unavailable: Redis: " + err.getMessage())));
  }

  /** What the dashboard shows: the stats (with nodes), the streams, this node and its mirror. */
  private Future<JsonObject> dashboardState(StreamCensus.Snapshot snapshot) {
    return reporter.nodes().map(nodes -> {
      JsonArray streams = new JsonArray();
      snapshot.streams().forEach(s -> streams.add(s.toJson()));
      return new JsonObject()
        .put("node", node)
        .put("stats", StatsView.build(nodes, snapshot))
        .put("streams", streams)
        .put("mirror", mirror.status())
        .put("history", history != null);
    });
  }

  private void historyPage(RoutingContext ctx, BiFunction<History, MultiMap, Future<JsonObject>> query) {
    if (history == null) {
      ctx.fail(new ApiException(503, historyError));
      return;
    }
    query.apply(history, ctx.queryParams())
      .onSuccess(body -> Http.sendJson(ctx, 200, body))
      .onFailure(ctx::fail);
  }
}
