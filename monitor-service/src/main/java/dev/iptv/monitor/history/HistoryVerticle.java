package dev.iptv.monitor.history;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ApiException;
import dev.iptv.common.Config;
import dev.iptv.common.Http;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.monitor.MonitorEvents;
import dev.iptv.monitor.MonitorSettings;
import dev.iptv.pg.Db;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * The history in PostgreSQL ({@link History}): stream sessions and every event from the event bus,
 * viewer sessions from the segments the segment accounting verticle hands over, served to
 * {@code GET /api/history/streams|viewers|events}.
 *
 * <p>Owns, on its event loop: the migrations at start (retried every {@value #PG_RETRY_START_MS} ms
 * until the first start completes, then every {@value #PG_RETRY_MS} ms while PostgreSQL is away), the
 * writer's queue flushed every second, the viewer sessions collected every 10 s, the maintenance
 * hourly (purge once a day), and at an orderly stop every queued row written. Read from any thread:
 * {@link #db()}, {@link #notReady()}, {@link #on()}, {@link #queueDepth()} (volatile fields) and the
 * history routes, whose queries touch only the pool.
 */
public final class HistoryVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(HistoryVerticle.class);

  /** The PostgreSQL schema migrations of the history ({@code db/migrations/history/}). */
  public static final String MIGRATIONS = "history";
  static final long PG_RETRY_MS = 10_000;
  static final long PG_RETRY_START_MS = 2_000;
  /** An orderly stop writes what is queued for at most this long. */
  static final long STOP_DEADLINE_MS = 10_000;

  private final MonitorSettings settings;
  private final List<Long> timers = new ArrayList<>();
  private volatile Db db;
  private volatile History history;
  private volatile String notReady;
  private volatile int queueDepth;
  private boolean started;
  private long lastPgLog;

  public HistoryVerticle(MonitorSettings settings) {
    this.settings = settings;
    this.notReady = "history is off: set " + Config.PG_URL;
  }

  /** The history's database, or null without {@code IPTV_PG_URL}; from any thread. */
  public Db db() {
    return db;
  }

  /** Why the history cannot be read or written now, or null when it can; from any thread. */
  public String notReady() {
    return notReady;
  }

  /** History is on (PostgreSQL reached and migrated); from any thread. */
  public boolean on() {
    return history != null;
  }

  /** Statements waiting for PostgreSQL, as of the last flush; from any thread. */
  public int queueDepth() {
    return queueDepth;
  }

  /** Segments served (their users named where known): viewer sessions, on this verticle's loop. */
  public void segments(List<SegmentServed> records) {
    if (db != null && !records.isEmpty()) {
      context.runOnContext(v -> {
        History h = history;
        if (h != null) {
          records.forEach(h::segment);
        }
      });
    }
  }

  @Override
  public Future<?> start() {
    Future<Void> pg;
    if (!settings.pg()) {
      log.warn("{} is not set: history is off", Config.PG_URL);
      pg = Future.succeededFuture();
    } else {
      db = Db.create(vertx, settings.pgUrl(), settings.pgSchema(), "iptv-monitor");
      notReady = "history is not ready: PostgreSQL " + db.where() + " not reached yet";
      pg = migrate();
    }
    return Future.join(pg, MonitorEvents.listen(vertx, heard -> {
      History h = history;
      if (h != null) {
        h.event(heard.json());
      }
    })).onSuccess(v -> {
      started = true;
      timers.add(vertx.setPeriodic(1000, id -> {
        History h = history;
        if (h != null) {
          h.flush();
          queueDepth = h.queueDepth();
        }
      }));
      timers.add(vertx.setPeriodic(10_000, id -> {
        if (history != null) {
          history.collectViewers(false);
        }
      }));
      timers.add(vertx.setPeriodic(60_000, 3_600_000, id -> {
        if (history != null) {
          history.maintenance().onFailure(err -> log.warn("history maintenance failed: {}", err.toString()));
        }
      }));
    });
  }

  private Future<Void> migrate() {
    return db.migrate(MIGRATIONS)
      .<Void>map(version -> {
        history = new History(db, settings.historyRetentionDays());
        notReady = null;
        log.info("history on: PostgreSQL {} at schema version {}", db.where(), version);
        return null;
      })
      .recover(err -> {
        notReady = "history is not ready: PostgreSQL " + db.where() + ": " + err.getMessage();
        long retry = started ? PG_RETRY_MS : PG_RETRY_START_MS;
        long now = System.currentTimeMillis();
        if (now - lastPgLog > 60_000) {
          lastPgLog = now;
          log.warn("{}; retrying every {} s", notReady, retry / 1000);
        }
        timers.add(vertx.setTimer(retry, id -> migrate()));
        return Future.succeededFuture();
      });
  }

  /**
   * Everything queued is written: the viewer sessions closed now and the history rows (after any
   * flush in flight, until empty), within a deadline.
   */
  @Override
  public Future<?> stop() {
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    History h = history;
    Future<Void> drained = Future.succeededFuture();
    if (h != null) {
      h.collectViewers(true);
      drained = h.drain(System.currentTimeMillis() + STOP_DEADLINE_MS)
        .timeout(STOP_DEADLINE_MS + 1000, TimeUnit.MILLISECONDS).recover(err -> Future.succeededFuture());
    }
    return drained.eventually(() -> db == null ? Future.succeededFuture() : db.close());
  }

  /** Its routes on the monitor's router. */
  public void routes(Router router, Handler<RoutingContext> admin) {
    router.get("/api/history/streams").handler(admin).handler(ctx -> page(ctx, "historyStreams", History::streams));
    router.get("/api/history/viewers").handler(admin).handler(ctx -> page(ctx, "historyViewers", History::viewers));
    router.get("/api/history/events").handler(admin).handler(ctx -> page(ctx, "historyEvents", History::events));
  }

  /** The query parameters are checked from openapi.yaml ({@code operationId}), then the page is read. */
  private void page(RoutingContext ctx, String operationId, BiFunction<History, JsonObject, Future<JsonObject>> query) {
    History h = history;
    if (h == null) {
      ctx.fail(new ApiException(503, notReady));
      return;
    }
    ApiDocument.load(vertx).compose(doc -> query.apply(h, doc.query(ctx, operationId)))
      .onSuccess(body -> Http.sendJson(ctx, 200, body))
      .onFailure(ctx::fail);
  }
}
