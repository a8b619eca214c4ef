package dev.iptv.playlist.epg;

import dev.iptv.contract.EpgContract;
import io.vertx.core.Context;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * An import's kept programmes on their way to Redis (filled on the worker thread that parses the
 * guide): ZADDs grouped by channel under the import's generation, one pipelined batch of
 * {@value #BATCH} in flight while the next fills; the Redis client is used on its own context.
 */
final class GuideBatches {

  static final int BATCH = 1000;

  private final Context context;
  private final Redis client;
  private final long generation;
  private final String ttl;
  private final Supplier<String> cancelled;
  private List<Programme> pending = new ArrayList<>(BATCH);
  private CompletableFuture<Void> inFlight = CompletableFuture.completedFuture(null);
  private final Set<String> channels = new HashSet<>();
  private volatile long channelCount;

  /**
   * @param context   where the Redis client is used (the importer's)
   * @param ttl       the keys' lifetime
   * @param cancelled the reason the import was cancelled, or null
   */
  GuideBatches(Context context, Redis client, long generation, Duration ttl, Supplier<String> cancelled) {
    this.context = context;
    this.client = client;
    this.generation = generation;
    this.ttl = Long.toString(ttl.toSeconds());
    this.cancelled = cancelled;
  }

  /** Channels with at least one kept programme so far (any thread). */
  long channelCount() {
    return channelCount;
  }

  void add(Programme p) throws IOException {
    pending.add(p);
    if (pending.size() >= BATCH) {
      flush();
    }
  }

  void flush() throws IOException {
    await();
    if (pending.isEmpty()) {
      return;
    }
    List<Programme> batch = pending;
    pending = new ArrayList<>(BATCH);
    inFlight = send(build(batch));
  }

  private List<Request> build(List<Programme> batch) {
    Map<String, Request> zadds = new LinkedHashMap<>();
    Request sadd = null;
    List<Request> expires = new ArrayList<>();
    for (Programme p : batch) {
      Request z = zadds.computeIfAbsent(p.channel(),
        c -> Request.cmd(Command.ZADD).arg(EpgContract.programmesKey(generation, c)));
      z.arg(p.start()).arg(p.member());
      if (channels.add(p.channel())) {
        if (sadd == null) {
          sadd = Request.cmd(Command.SADD).arg(EpgContract.guideChannelsKey(generation));
        }
        sadd.arg(p.channel());
        expires.add(Request.cmd(Command.EXPIRE).arg(EpgContract.programmesKey(generation, p.channel())).arg(ttl));
      }
    }
    channelCount = channels.size();
    List<Request> requests = new ArrayList<>(zadds.values());
    if (sadd != null) {
      requests.add(sadd);
      requests.add(Request.cmd(Command.EXPIRE).arg(EpgContract.guideChannelsKey(generation)).arg(ttl));
    }
    requests.addAll(expires);
    return requests;
  }

  /** The ids the guide named, for "seen but not ours" questions. */
  void seen(Set<String> ids) throws IOException {
    List<String> all = new ArrayList<>(ids);
    for (int i = 0; i < all.size(); i += BATCH) {
      await();
      Request sadd = Request.cmd(Command.SADD).arg(EpgContract.guideSeenKey(generation));
      all.subList(i, Math.min(all.size(), i + BATCH)).forEach(sadd::arg);
      inFlight = send(List.of(sadd, Request.cmd(Command.EXPIRE).arg(EpgContract.guideSeenKey(generation)).arg(ttl)));
    }
  }

  private CompletableFuture<Void> send(List<Request> requests) {
    CompletableFuture<Void> sent = new CompletableFuture<>();
    context.runOnContext(v -> client.batch(requests).onComplete(ar -> {
      if (ar.succeeded()) {
        sent.complete(null);
      } else {
        sent.completeExceptionally(ar.cause());
      }
    }));
    return sent;
  }

  void await() throws IOException {
    try {
      inFlight.get(2, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      throw new IOException("Redis refused the guide's programmes: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("Redis did not take the guide's programmes within 2 minutes", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
    String reason = cancelled.get();
    if (reason != null) {
      throw new InterruptedIOException(reason);
    }
  }

  void awaitQuietly() {
    try {
      inFlight.get(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      // the import fails anyway
    }
  }
}
