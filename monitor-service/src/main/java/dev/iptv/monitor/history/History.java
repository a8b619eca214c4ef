package dev.iptv.monitor.history;

import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import dev.iptv.pg.Db;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.function.Function;

/**
 * The history in PostgreSQL: stream sessions (a {@code started} event paired with its
 * {@code stopped} or {@code failed}, restarts counted), viewer sessions (from segment records),
 * and every event. Fed from the event bus and the segment log, written in batches by
 * {@link HistoryWriter}, purged after the retention, served to {@code /api/history/*}.
 *
 * <p>Every monitor instance hears every published event; the tables' unique keys make the same
 * event one row however many write it. Fed on the history verticle's event loop; the reads
 * ({@link #streams}, {@link #viewers}, {@link #events}) touch only the pool and run on any loop.
 */
public final class History {

  private static final Logger log = LoggerFactory.getLogger(History.class);

  private final Db db;
  private final int retentionDays;
  private final HistoryWriter writer;
  private final ViewerSessions viewers = new ViewerSessions();
  private long lastPurge;

  public History(Db db, int retentionDays) {
    this.db = db;
    this.retentionDays = retentionDays;
    this.writer = new HistoryWriter(db.pool(), 200_000, 5_000);
  }

  // --- feeding -------------------------------------------------------------------------------

  /**
   * A stream event {@code {"event","channel_id","node","mode","reason","ts"}} (also a limit hit or
   * a monitor event: anything with {@code event} and {@code ts}).
   */
  public void event(JsonObject e) {
    String kind = e.getString("event");
    if (kind == null) {
      return;
    }
    OffsetDateTime ts = time(e.getValue("ts"));
    String channel = str(e.getValue("channel_id"));
    String node = str(e.getValue("node"));
    JsonObject detail = e.copy();
    detail.remove("event");
    detail.remove("ts");
    detail.remove("channel_id");
    detail.remove("node");
    writer.add(HistorySql.INSERT_EVENT, Tuple.of(ts, kind, channel, node, detail));
    if (channel == null) {
      return;
    }
    String n = node == null ? "" : node;
    String mode = mode(e.getValue("mode"));
    String reason = str(e.getValue("reason"));
    Kind stream = Kind.fromWire(kind);
    if (stream == null) {
      return; // a limit hit or a mirror event: an event row only
    }
    switch (stream) {
      case STARTED -> {
        writer.add(HistorySql.CLOSE_SUPERSEDED, Tuple.of(channel, n, ts));
        writer.add(HistorySql.START_SESSION, Tuple.of(channel, n, ts, mode));
      }
      case STOPPED -> writer.add(HistorySql.STOP_SESSION, Tuple.of(channel, n, ts, reason == null ? stream.wire() : reason));
      case FAILED -> writer.add(HistorySql.STOP_SESSION, Tuple.of(channel, n, ts,
        reason == null ? stream.wire() : stream.wire() + ": " + reason));
      case RESTARTED -> writer.add(HistorySql.RESTART_SESSION, Tuple.of(channel, n, ts, mode));
      case DISK_FULL, STALLED, SWITCHED, SLATE_ON, SLATE_OFF -> {
        // an event row only (a stall's restart comes as its own restarted event)
      }
    }
  }

  public void segment(SegmentServed r) {
    viewers.observe(r);
  }

  /** Queues the viewer sessions that changed or ended; {@code closeAll} at shutdown. */
  public void collectViewers(boolean closeAll) {
    double now = System.currentTimeMillis() / 1000.0;
    for (ViewerSessions.Session s : viewers.drain(now, closeAll)) {
      writer.add(HistorySql.UPSERT_VIEWER, Tuple.of(s.id, s.username, s.channel, s.ip, s.userAgent,
        time(s.started), time(s.lastSeen), s.ended ? time(s.lastSeen) : null, s.bytes));
    }
  }

  public Future<Void> flush() {
    return writer.flush();
  }

  /** Everything queued written (waits for a flush in flight), until the deadline; for an orderly stop. */
  public Future<Void> drain(long deadlineMillis) {
    return writer.drain(deadlineMillis);
  }

  public int queueDepth() {
    return writer.depth();
  }

  public long written() {
    return writer.written();
  }

  public long dropped() {
    return writer.dropped();
  }

  public int openViewerSessions() {
    return viewers.open();
  }

  /** Closes orphaned viewer sessions and, once a day, deletes what is older than the retention. */
  public Future<Void> maintenance() {
    Future<Void> orphans = db.pool().query(HistorySql.CLOSE_ORPHAN_VIEWERS).execute().mapEmpty();
    long now = System.currentTimeMillis();
    if (now - lastPurge < 86_400_000L) {
      return orphans;
    }
    Tuple days = Tuple.of(retentionDays);
    return orphans
      .compose(v -> db.pool().preparedQuery(HistorySql.PURGE_EVENTS).execute(days))
      .compose(events -> db.pool().preparedQuery(HistorySql.PURGE_STREAMS).execute(days)
        .compose(streams -> db.pool().preparedQuery(HistorySql.PURGE_VIEWERS).execute(days)
          .map(viewerRows -> {
            lastPurge = now;
            log.info("history purge (older than {} days): {} events, {} stream sessions, {} viewer sessions deleted",
              retentionDays, events.rowCount(), streams.rowCount(), viewerRows.rowCount());
            return null;
          })));
  }

  // --- serving ---------------------------------------------------------------------------------

  public Future<JsonObject> streams(JsonObject query) {
    return page(query, HistorySql::streams, "streams", row -> new JsonObject()
      .put("id", row.getLong("id"))
      .put("channel_id", row.getString("channel"))
      .put("node", row.getString("node"))
      .put("started", iso(row.getOffsetDateTime("started")))
      .put("stopped", iso(row.getOffsetDateTime("stopped")))
      .put("reason", row.getString("reason"))
      .put("mode", row.getString("mode"))
      .put("restarts", row.getInteger("restarts")));
  }

  public Future<JsonObject> viewers(JsonObject query) {
    return page(query, HistorySql::viewers, "viewers", row -> new JsonObject()
      .put("id", row.getUUID("id").toString())
      .put("username", row.getString("username"))
      .put("channel_id", row.getString("channel"))
      .put("ip", row.getString("ip"))
      .put("user_agent", row.getString("user_agent"))
      .put("started", iso(row.getOffsetDateTime("started")))
      .put("last_seen", iso(row.getOffsetDateTime("last_seen")))
      .put("ended", iso(row.getOffsetDateTime("ended")))
      .put("bytes", row.getLong("bytes")));
  }

  public Future<JsonObject> events(JsonObject query) {
    return page(query, HistorySql::events, "events",
      row -> {
        Object detail = row.getValue("detail");
        return new JsonObject()
          .put("id", row.getLong("id"))
          .put("ts", iso(row.getOffsetDateTime("ts")))
          .put("event", row.getString("kind"))
          .put("channel_id", row.getString("channel"))
          .put("node", row.getString("node"))
          .put("detail", detail instanceof JsonObject o ? o : new JsonObject());
      });
  }

  private Future<JsonObject> page(JsonObject params, Function<HistoryFilter, HistorySql.Select> query,
                                  String name, Function<Row, JsonObject> mapper) {
    HistoryFilter filter;
    try {
      filter = HistoryFilter.of(params);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    HistorySql.Select select = query.apply(filter);
    return db.pool().preparedQuery(select.sql()).execute(Tuple.from(select.args())).map((RowSet<Row> rows) -> {
      JsonArray items = new JsonArray();
      rows.forEach(row -> items.add(mapper.apply(row)));
      return new JsonObject().put(name, items).put("count", items.size())
        .put("limit", filter.limit()).put("offset", filter.offset())
        .put("next_offset", items.size() == filter.limit() ? filter.offset() + items.size() : null);
    });
  }

  // --- values ----------------------------------------------------------------------------------

  static OffsetDateTime time(Object epochSeconds) {
    double secs = epochSeconds instanceof Number n ? n.doubleValue()
      : epochSeconds instanceof String s && s.matches("\\d{1,12}(\\.\\d+)?") ? Double.parseDouble(s)
      : System.currentTimeMillis() / 1000.0;
    long micros = Math.round(secs * 1_000_000);
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS).atOffset(ZoneOffset.UTC);
  }

  static OffsetDateTime time(double epochSeconds) {
    return time((Object) epochSeconds);
  }

  private static String iso(OffsetDateTime t) {
    return t == null ? null : t.withOffsetSameInstant(ZoneOffset.UTC).toString();
  }

  private static String str(Object v) {
    if (v == null) {
      return null;
    }
    String s = v.toString();
    return s.isEmpty() ? null : (s.length() > 128 ? s.substring(0, 128) : s);
  }

  private static String mode(Object v) {
    return "copy".equals(v) || "transcode".equals(v) ? (String) v : null;
  }
}
