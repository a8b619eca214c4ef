package dev.iptv.monitor.nodes;

import dev.iptv.common.RedisReads;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ChannelSchema;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.common.OnContext;
import dev.iptv.common.Redact;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Counts what runs, cluster-wide, from Redis: the streams (a stream runs while
 * {@code stream:{id}:pid} exists, found by SCAN), their node and mode, their viewers (members of
 * {@code stream:{id}:viewers} scored within the last {@link StreamContract#VIEWER_WINDOW_S} s) and their
 * bandwidth, computed from samples of the cluster-wide {@code stream:{id}:bytes} counter over the
 * last {@link #BANDWIDTH_WINDOW_MS} ms and written back as {@code stream:{id}:bandwidth}.
 *
 * <p>A census is taken on its owner's event loop (the health and stats verticle's), one at a time
 * (callers share the one in flight). Its {@link Snapshot}s are immutable and published through a
 * volatile field: {@link #latest()} and {@link #current} may be called from any thread (a scrape, a
 * request on another event loop, the dashboard), a fresh census being taken on the owner's loop.
 */
public final class StreamCensus {

  static final long BANDWIDTH_WINDOW_MS = 10_000;

  /**
   * One running stream; {@code source} is the URL it plays now, redacted ({@link Redact#url}: scheme,
   * host, last path element), or null while unknown; {@code slate} while it shows the slate
   * ({@code stream:{id}:slate}: every source failed), answered as {@code "state": "slate"} (else {@code "live"}).
   */
  public record Stream(String channelId, String name, Long pid, Double started, String node, String mode,
                       int viewers, long bytes, double bandwidth, long restarts, String source, boolean slate) {

    public JsonObject toJson() {
      return new JsonObject().put("channel_id", channelId).put("name", name).put("pid", pid)
        .put("started", started).put("node", node).put("mode", mode).put("viewers", viewers)
        .put("bytes", bytes).put("bandwidth_bps", Math.round(bandwidth)).put("restarts", restarts)
        .put("source", source).put("state", slate ? "slate" : "live");
    }
  }

  /** The streams at one moment (immutable). */
  public record Snapshot(long takenAtMillis, List<Stream> streams) {

    public static final Snapshot EMPTY = new Snapshot(0, List.of());

    public int activeStreams() {
      return streams.size();
    }

    public int viewers() {
      return streams.stream().mapToInt(Stream::viewers).sum();
    }

    public double bandwidth() {
      return streams.stream().mapToDouble(Stream::bandwidth).sum();
    }

    public long streamsOn(String node) {
      return streams.stream().filter(s -> node.equals(s.node())).count();
    }

    public int viewersOn(String node) {
      return streams.stream().filter(s -> node.equals(s.node())).mapToInt(Stream::viewers).sum();
    }
  }

  private static final int FIELDS = 10;

  private final Context owner;
  private final Redis redis;
  private final Consumer<Snapshot> listener;
  private final List<Consumer<Snapshot>> periodic = new CopyOnWriteArrayList<>();
  private final Map<String, Deque<long[]>> byteSamples = new HashMap<>();
  private volatile Snapshot latest = Snapshot.EMPTY;
  private Future<Snapshot> inFlight;

  /**
   * @param owner    the context the census is taken on
   * @param listener told of every census taken, on the owner's context (the per-channel gauges)
   */
  public StreamCensus(Context owner, Redis redis, Consumer<Snapshot> listener) {
    this.owner = owner;
    this.redis = redis;
    this.listener = listener;
  }

  /** The latest census taken, possibly {@link Snapshot#EMPTY}; from any thread. */
  public Snapshot latest() {
    return latest;
  }

  /**
   * The latest census if younger than {@code maxAgeMs}, else a new one taken on the owner's context
   * (shared with any in flight); from any thread, completing on the caller's context.
   */
  public Future<Snapshot> current(long maxAgeMs) {
    Snapshot last = latest;
    if (System.currentTimeMillis() - last.takenAtMillis() <= maxAgeMs) {
      return Future.succeededFuture(last);
    }
    return OnContext.call(owner, () -> take(false));
  }

  /**
   * Also tells {@code listener} of every periodic census ({@link #tick}), on the owner's context: a
   * listener on another event loop hops to its own.
   */
  public void onPeriodic(Consumer<Snapshot> listener) {
    periodic.add(listener);
  }

  public void removePeriodic(Consumer<Snapshot> listener) {
    periodic.remove(listener);
  }

  /**
   * The periodic census, on the owner's context only: each stream's bandwidth written back to Redis,
   * and the periodic listeners told.
   */
  public Future<Snapshot> tick() {
    return take(true).onSuccess(s -> periodic.forEach(l -> l.accept(s)));
  }

  /** Takes a census, on the owner's context only; {@code publish}: also write each stream's bandwidth back to Redis. */
  public Future<Snapshot> take(boolean publish) {
    if (inFlight != null) {
      return inFlight;
    }
    Future<Snapshot> f = RedisReads.scan(redis, StreamContract.PID_SCAN)
      .compose(keys -> read(keys, publish))
      .onSuccess(s -> {
        latest = s;
        listener.accept(s);
      })
      .onComplete(ar -> inFlight = null);
    inFlight = f.isComplete() ? null : f;
    return f;
  }

  private Future<Snapshot> read(Set<String> pidKeys, boolean publish) {
    List<String> ids = new ArrayList<>();
    for (String k : pidKeys) {
      String id = StreamContract.channelOfPidKey(k);
      if (id != null) {
        ids.add(id);
      }
    }
    long now = System.currentTimeMillis();
    if (ids.isEmpty()) {
      byteSamples.clear();
      return Future.succeededFuture(new Snapshot(now, List.of()));
    }
    List<String> keys = new ArrayList<>(ids.size() * FIELDS);
    for (String id : ids) {
      keys.add(StreamContract.pidKey(id));
      keys.add(StreamContract.startedKey(id));
      keys.add(StreamContract.nodeKey(id));
      keys.add(StreamContract.modeKey(id));
      keys.add(MonitorContract.bytesKey(id));
      keys.add(MonitorContract.bandwidthKey(id));
      keys.add(ChannelContract.channelKey(id));
      keys.add(StreamContract.restartsKey(id));
      keys.add(StreamContract.sourceKey(id));
      keys.add(StreamContract.slateKey(id));
    }
    String min = Long.toString(now / 1000 - StreamContract.VIEWER_WINDOW_S);
    List<Request> counts = new ArrayList<>(ids.size());
    for (String id : ids) {
      counts.add(Request.cmd(Command.ZCOUNT).arg(StreamContract.viewersKey(id)).arg(min).arg("+inf"));
    }
    return RedisReads.mget(redis, keys).compose(values -> redis.batch(counts).compose(viewerCounts -> {
      List<Stream> streams = new ArrayList<>(ids.size());
      List<Request> writes = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        String id = ids.get(i);
        int o = i * FIELDS;
        long bytes = nonNegative(RedisReads.parseLong(values.get(o + 4)));
        Double local = rate(id, now, bytes);
        double bandwidth;
        if (local != null) {
          bandwidth = local;
          if (publish) {
            writes.add(Request.cmd(Command.SET).arg(MonitorContract.bandwidthKey(id)).arg(Math.round(local))
              .arg("EX").arg(MonitorContract.BANDWIDTH_TTL_S));
          }
        } else {
          Double shared = RedisReads.parseDouble(values.get(o + 5));
          bandwidth = shared == null ? 0 : shared;
        }
        streams.add(new Stream(id, channelName(values.get(o + 6)), RedisReads.parseLong(values.get(o)),
          RedisReads.parseDouble(values.get(o + 1)), values.get(o + 2), values.get(o + 3),
          (int) RedisReads.longOr(viewerCounts.get(i), 0), bytes, bandwidth, nonNegative(RedisReads.parseLong(values.get(o + 7))),
          values.get(o + 8) == null ? null : Redact.url(values.get(o + 8)), values.get(o + 9) != null));
      }
      byteSamples.keySet().retainAll(ids);
      streams.sort(Comparator.comparing(Stream::channelId, StreamCensus::compareIds));
      Snapshot snapshot = new Snapshot(now, List.copyOf(streams));
      if (writes.isEmpty()) {
        return Future.succeededFuture(snapshot);
      }
      return redis.batch(writes).map(ignored -> snapshot);
    }));
  }

  /**
   * Bytes per second from this census's samples of the counter: against the oldest sample within
   * the window, at least one second old; null before there is one.
   */
  private Double rate(String id, long now, long bytes) {
    Deque<long[]> samples = byteSamples.computeIfAbsent(id, k -> new ArrayDeque<>());
    if (!samples.isEmpty() && samples.peekLast()[1] > bytes) {
      samples.clear(); // the counter was reset (Redis lost it)
    }
    while (!samples.isEmpty() && now - samples.peekFirst()[0] > BANDWIDTH_WINDOW_MS + 500) {
      samples.pollFirst();
    }
    Double rate = null;
    long[] oldest = samples.peekFirst();
    if (oldest != null && now - oldest[0] >= 1000) {
      rate = (bytes - oldest[1]) * 1000.0 / (now - oldest[0]);
    }
    samples.addLast(new long[] {now, bytes});
    return rate;
  }

  private static long nonNegative(Long v) {
    return v == null || v < 0 ? 0 : v;
  }

  private static String channelName(String json) {
    if (json == null) {
      return null;
    }
    try {
      Object name = new JsonObject(json).getValue(ChannelSchema.NAME);
      return name == null ? null : name.toString();
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  /** Numeric ids in numeric order, others after them in text order. */
  public static int compareIds(String a, String b) {
    boolean na = !a.isEmpty() && a.length() < 19 && a.chars().allMatch(Character::isDigit);
    boolean nb = !b.isEmpty() && b.length() < 19 && b.chars().allMatch(Character::isDigit);
    if (na && nb) {
      return Long.compare(Long.parseLong(a), Long.parseLong(b));
    }
    if (na != nb) {
      return na ? -1 : 1;
    }
    return a.compareTo(b);
  }
}
