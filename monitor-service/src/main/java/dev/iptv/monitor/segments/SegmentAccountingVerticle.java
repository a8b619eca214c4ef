package dev.iptv.monitor.segments;

import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.MonitorContract.SegmentBatch;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.StreamContract;
import dev.iptv.monitor.MonitorMeters;
import dev.iptv.monitor.MonitorSettings;
import dev.iptv.common.OnContext;
import dev.iptv.monitor.history.HistoryVerticle;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Segment accounting: the segments served, from nginx's segment log (a followed file,
 * {@link SegmentLogFile}, or syslog datagrams, {@link SegmentLog}) and from the JVMs that serve
 * segments themselves ({@link MonitorContract#SEGMENTS_SERVED}), counted into the byte ledger
 * ({@code stream:{id}:bytes}, the per-channel meters, this node's bandwidth) with their user named by
 * the viewer directory (stream-service's {@link StreamContract#VIEWER_POLLS}), and handed on to the
 * history's viewer sessions.
 *
 * <p>Owns all of it on its event loop: the ledger flushed every second, the directory pruned every
 * minute. Read from any thread: {@link #bandwidth()} (a volatile snapshot, refreshed every second);
 * {@link #health()} runs on this loop.
 */
public final class SegmentAccountingVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(SegmentAccountingVerticle.class);

  private final MonitorSettings settings;
  private final Redis redis;
  private final MonitorMeters meters;
  private final HistoryVerticle history;
  private final ViewerDirectory viewers = new ViewerDirectory();
  private final List<Long> timers = new ArrayList<>();
  private ByteLedger ledger;
  private SegmentLog segmentLog;
  private SegmentLogFile segmentFile;
  /** Records for the history, handed over at the end of the event-loop task that made them. */
  private List<SegmentServed> forHistory = new ArrayList<>();
  private volatile long bandwidth;

  /** @param redis the monitor's Redis client (the monitor closes it) */
  public SegmentAccountingVerticle(MonitorSettings settings, Redis redis, MonitorMeters meters, HistoryVerticle history) {
    this.settings = settings;
    this.redis = redis;
    this.meters = meters;
    this.history = history;
  }

  /** Bytes per second this node served over the last ten whole seconds, as of the last flush; from any thread. */
  public long bandwidth() {
    return bandwidth;
  }

  /** The segment log's part of health ({@code checks.segment_log}), read on this verticle's loop. */
  public Future<JsonObject> health() {
    return OnContext.call(context, () -> {
      JsonObject seg = segmentLog.health();
      if (segmentFile != null) {
        JsonObject file = segmentFile.health();
        seg.put("file", file);
        seg.put("ok", seg.getBoolean("ok") && file.getBoolean("ok"));
      }
      return Future.succeededFuture(seg);
    });
  }

  @Override
  public Future<?> start() {
    ledger = new ByteLedger(redis, meters, this::toHistory);
    // nginx's records (file or syslog) name no user: the viewer directory does.
    Consumer<SegmentServed> fromNginx = r -> ledger.record(viewers.resolve(r));
    Counter rejected = meters.counter("iptv.segment.log.rejected", "segment log lines that were not iptv_segments records");
    segmentLog = new SegmentLog(vertx, fromNginx, rejected);
    if (settings.segmentLogFile() != null) {
      segmentFile = new SegmentLogFile(vertx, settings.segmentLogFile(), fromNginx, rejected);
    }
    return Future.join(
        vertx.eventBus().<JsonObject>consumer(MonitorContract.SEGMENTS_SERVED, this::onSegments).completion(),
        vertx.eventBus().<JsonObject>consumer(StreamContract.VIEWER_POLLS, m -> viewers.poll(m.body())).completion(),
        segmentLog.listen(settings.segmentLogHost(), settings.segmentLogPort()),
        segmentFile == null ? Future.succeededFuture() : segmentFile.start())
      .onSuccess(v -> {
        timers.add(vertx.setPeriodic(1000, id -> {
          ledger.flush();
          bandwidth = ledger.bandwidth();
        }));
        timers.add(vertx.setPeriodic(60_000, id -> viewers.prune(System.currentTimeMillis() / 1000.0)));
      });
  }

  /** The bytes counted so far go to Redis; the syslog listener closes. */
  @Override
  public Future<?> stop() {
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    if (segmentFile != null) {
      segmentFile.close();
    }
    handOff();
    return ledger.flush().recover(err -> Future.succeededFuture()).eventually(segmentLog::close);
  }

  private void onSegments(Message<JsonObject> m) {
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
    if (history.db() == null) {
      return; // no history without IPTV_PG_URL
    }
    if (forHistory.isEmpty()) {
      context.runOnContext(v -> handOff()); // once the records of this datagram, poll or message are all in
    }
    forHistory.add(r);
  }

  private void handOff() {
    if (forHistory.isEmpty()) {
      return;
    }
    List<SegmentServed> batch = forHistory;
    forHistory = new ArrayList<>();
    history.segments(batch);
  }
}
