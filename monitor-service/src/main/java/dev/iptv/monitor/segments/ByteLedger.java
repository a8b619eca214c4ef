package dev.iptv.monitor.segments;

import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.monitor.MonitorMeters;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Accounts the bytes segments served (successful answers only): per channel into the cluster-wide Redis counter
 * {@code stream:{id}:bytes} (summed in memory, one INCRBY per channel per flush), into the
 * per-channel Prometheus counters, into this node's own 10-second bandwidth, and on to the viewer
 * history. Runs on the segment accounting verticle's event loop.
 */
final class ByteLedger {

  private static final Logger log = LoggerFactory.getLogger(ByteLedger.class);
  private static final int WINDOW_S = 10;
  /** Channels whose bytes wait for the next INCRBY at most (kept while Redis is away). */
  static final int MAX_PENDING = 20_000;

  private final Redis redis;
  private final MonitorMeters meters;
  private final Consumer<SegmentServed> history;
  private Map<String, Long> pending = new HashMap<>();
  /** Bytes per second for the last WINDOW_S + 2 seconds, indexed by epoch second modulo the length. */
  private final long[] buckets = new long[WINDOW_S + 2];
  private final long[] bucketSecond = new long[WINDOW_S + 2];
  private long records;
  private long dropped;
  private boolean flushFailing;

  ByteLedger(Redis redis, MonitorMeters meters, Consumer<SegmentServed> history) {
    this.redis = redis;
    this.meters = meters;
    this.history = history;
  }

  /** Answered segment requests ({@link SegmentServed#count()}); only successful answers (2xx) count as bytes served. */
  void record(SegmentServed r) {
    records += r.count();
    if (r.status() < 200 || r.status() >= 300) {
      meters.counter("iptv.segment.errors", "segment requests answered with an error", "status",
        MonitorMeters.statusLabel(r.status())).increment(r.count());
      return;
    }
    if (r.bytes() > 0) {
      if (pending.size() < MAX_PENDING || pending.containsKey(r.channelId())) {
        pending.merge(r.channelId(), r.bytes(), Long::sum);
      } else {
        dropped++; // Redis away for long, or a flood of channel ids: the byte counter is not grown further
      }
      long second = System.currentTimeMillis() / 1000;
      int i = (int) (second % buckets.length);
      if (bucketSecond[i] != second) {
        bucketSecond[i] = second;
        buckets[i] = 0;
      }
      buckets[i] += r.bytes();
    }
    meters.served(r.channelId(), r.bytes(), r.count());
    history.accept(r);
  }

  /** Records whose bytes could not wait for Redis (more channels pending than {@link #MAX_PENDING}). */
  long dropped() {
    return dropped;
  }

  /** Channels waiting for the next flush. */
  int pendingChannels() {
    return pending.size();
  }

  /** Records accounted since start. */
  long records() {
    return records;
  }

  /** Bytes per second this node served over the last ten whole seconds. */
  long bandwidth() {
    long now = System.currentTimeMillis() / 1000;
    long sum = 0;
    for (int i = 0; i < buckets.length; i++) {
      long age = now - bucketSecond[i];
      if (age >= 1 && age <= WINDOW_S) {
        sum += buckets[i];
      }
    }
    return sum / WINDOW_S;
  }

  /** Adds the summed bytes to Redis; what fails to go is kept for the next flush. */
  Future<Void> flush() {
    if (pending.isEmpty()) {
      return Future.succeededFuture();
    }
    Map<String, Long> batch = pending;
    pending = new HashMap<>();
    List<Request> requests = new ArrayList<>(batch.size());
    batch.forEach((id, bytes) -> requests.add(Request.cmd(Command.INCRBY).arg(MonitorContract.bytesKey(id)).arg(bytes)));
    return redis.batch(requests)
      .<Void>map(r -> {
        if (flushFailing) {
          log.info("byte counters reach Redis again");
          flushFailing = false;
        }
        return null;
      })
      .recover(err -> {
        batch.forEach((id, bytes) -> {
          if (pending.size() < MAX_PENDING || pending.containsKey(id)) {
            pending.merge(id, bytes, Long::sum);
          } else {
            dropped++;
          }
        });
        if (!flushFailing) {
          log.warn("cannot add served bytes to Redis (kept, retried): {}", err.toString());
          flushFailing = true;
        }
        return Future.succeededFuture();
      });
  }
}
