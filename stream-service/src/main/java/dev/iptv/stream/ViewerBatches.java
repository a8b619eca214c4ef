package dev.iptv.stream;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.MonitorContract.SegmentBatch;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.StreamContract;
import dev.iptv.contract.StreamContract.ViewerPoll;
import dev.iptv.contract.StreamContract.ViewerPollBatch;
import dev.iptv.stream.viewers.ViewerTouches;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the player side records per request, sent in batches: the segments served (HLS segments,
 * TS segments written) to monitor-service, and the viewers' touches (polls, connected TS viewers)
 * to Redis, auth-service and the monitor. Thread-safe: every front event loop records.
 */
final class ViewerBatches {

  private static final Logger log = LoggerFactory.getLogger(ViewerBatches.class);

  /** Touches of admitted sessions go to Redis (and the monitor) in one batch this often. */
  static final long TOUCH_BATCH_MS = 1_000;
  static final long SERVED_BATCH_MS = 500;
  private static final int SERVED_BATCH_MAX = 20_000;

  private final Vertx vertx;
  private final StreamStore store;
  /**
   * Segments this JVM served since the last batch went to monitor-service, one sum per viewer (any
   * event loop adds). A record per answer lived until the batch left: at 18,000 answers a second
   * they outlived the young generation's collections and filled the old one (a full collection
   * every second or two under load); a viewer's sum is one small record however fast it plays.
   */
  private final ConcurrentHashMap<ServedKey, SegmentServed> served = new ConcurrentHashMap<>();
  private final ViewerTouches touches;
  private long servedTimer = -1;
  private long touchTimer = -1;

  ViewerBatches(Vertx vertx, StreamStore store, int maxSessions) {
    this.vertx = vertx;
    this.store = store;
    this.touches = new ViewerTouches(maxSessions);
  }

  void start() {
    servedTimer = vertx.setPeriodic(SERVED_BATCH_MS, t -> sendServed());
    touchTimer = vertx.setPeriodic(TOUCH_BATCH_MS, t -> sendTouches());
  }

  /** Stops batching and sends what is left. */
  void close() {
    vertx.cancelTimer(servedTimer);
    vertx.cancelTimer(touchTimer);
    sendServed();
    sendTouches();
  }

  void served(SegmentServed record) {
    served.merge(new ServedKey(record.channelId(), record.ip(), record.username(), record.userAgent(), record.status()),
      record, SegmentServed::plus);
  }

  void touched(ViewerTouches.Touch touch) {
    touches.record(touch);
  }

  /**
   * The segments served since the last call, to monitor-service in one message: one event-bus
   * delivery per {@value #SERVED_BATCH_MS} ms instead of one per segment, which cost this server a
   * third of its segment throughput.
   */
  void sendServed() {
    List<SegmentServed> batch = new ArrayList<>();
    for (ServedKey v : served.keySet()) {
      if (batch.size() >= SERVED_BATCH_MAX) {
        break; // the rest go with the next batch
      }
      // remove() takes the sum whole: an answer added after it starts the next batch's sum.
      SegmentServed sum = served.remove(v);
      if (sum != null) {
        batch.add(sum);
      }
    }
    if (!batch.isEmpty()) {
      vertx.eventBus().send(MonitorContract.SEGMENTS_SERVED, SegmentBatch.of(batch).toJson());
    }
  }

  /**
   * The polls since the last batch, written once: one Redis pipeline for the channels' viewers and
   * last access, one message to auth-service for the sessions' slots, one to the monitor for the
   * polls. Per poll this was an event-bus request, a Lua script and a pipeline.
   */
  void sendTouches() {
    List<ViewerTouches.Touch> batch = touches.drain();
    if (batch.isEmpty()) {
      return;
    }
    Map<String, Set<String>> byChannel = new HashMap<>();
    Map<String, AuthContract.SessionTouches.Touched> slots = new HashMap<>();
    List<ViewerPoll> polls = new ArrayList<>(batch.size());
    for (ViewerTouches.Touch t : batch) {
      byChannel.computeIfAbsent(t.channelId(), k -> new HashSet<>()).add(t.sessionId());
      slots.putIfAbsent(t.sessionId(), new AuthContract.SessionTouches.Touched(t.username(), t.sessionId()));
      polls.add(new ViewerPoll(t.username(), t.channelId(), t.ip(), t.userAgent(), t.atMs() / 1000.0));
    }
    store.touchAll(byChannel).onFailure(err -> log.debug("cannot record {} polls: {}", batch.size(), err.toString()));
    vertx.eventBus().send(AuthContract.SESSION_TOUCHES, new AuthContract.SessionTouches(new ArrayList<>(slots.values())).toJson());
    vertx.eventBus().publish(StreamContract.VIEWER_POLLS, new ViewerPollBatch(polls).toJson());
  }

  /** Whose answers a batch sums: one viewer of one channel, and the answer's status. */
  private record ServedKey(String channelId, String ip, String username, String userAgent, int status) {
  }
}
