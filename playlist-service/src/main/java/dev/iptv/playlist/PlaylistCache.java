package dev.iptv.playlist;

import dev.iptv.common.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * The rendered channel list, kept ready in memory.
 *
 * <ul>
 *   <li><b>Invalidation.</b> {@link #invalidate()} (a channel changed, here or on any node) bumps a
 *       generation; the next request waits for a list built after it, so an API change shows at
 *       once.</li>
 *   <li><b>Age.</b> A list older than the maximum age is rebuilt before it is served again, so edits
 *       made with redis-cli show within that age; past 80 % of it, a request triggers a rebuild in
 *       the background and is served the current list, so under load nobody waits.</li>
 *   <li><b>No stampede.</b> At most one build runs at a time: requests that need a fresher list share
 *       the running build, or, when it started before the last invalidation, the one queued after
 *       it (one, however many invalidations and requests arrive meanwhile).</li>
 *   <li><b>Failure.</b> When a build fails (Redis away) the last list is served if there is one.</li>
 * </ul>
 *
 * <p>Threading, without locks: the builds and their bookkeeping belong to the owner context (the
 * playlist verticle's). Requests arrive on any event loop (the all-in-one front has several): a fresh
 * list is served from an immutable {@link Playlist} behind a volatile field, without crossing a
 * thread; a request that needs a new list enters the owner context ({@link OnContext}) and is answered
 * on its own. The generation is an atomic counter, so an invalidation is seen by the very next
 * request, on whichever loop.
 */
final class PlaylistCache {

  private static final Logger log = LoggerFactory.getLogger(PlaylistCache.class);

  private final Context owner;
  private final LongFunction<Future<Playlist>> loader;
  private final long maxAgeNanos;
  private final long refreshAheadNanos;
  private final AtomicLong generation = new AtomicLong();

  /** The newest list built; written on the owner context only. */
  private volatile Playlist current;
  /** A background rebuild has been asked for and has not yet begun (limits hops under load). */
  private volatile boolean refreshAsked;

  // Owner context only.
  private Future<Playlist> inflight;
  private long inflightGeneration;
  private Future<Playlist> queued;

  /**
   * @param owner      the context that runs the builds (the verticle's)
   * @param loader     builds a list for a generation (stamping it with that generation and the
   *                   time its reads began); called on {@code owner}
   * @param maxAgeSeconds the oldest list served; 0 rebuilds for every request (still one at a time)
   */
  PlaylistCache(Context owner, LongFunction<Future<Playlist>> loader, int maxAgeSeconds) {
    this.owner = owner;
    this.loader = loader;
    this.maxAgeNanos = Math.max(0, maxAgeSeconds) * 1_000_000_000L;
    this.refreshAheadNanos = maxAgeNanos * 4 / 5;
  }

  /** A list no older than the maximum age and built after the last invalidation; from any thread. */
  Future<Playlist> get() {
    Playlist p = current;
    if (p != null && p.generation() == generation.get()) {
      long age = System.nanoTime() - p.builtAtNanos();
      if (age < maxAgeNanos) {
        if (age >= refreshAheadNanos && !refreshAsked) {
          refreshAsked = true;
          owner.runOnContext(v -> refreshAhead());
        }
        return Future.succeededFuture(p);
      }
    }
    return OnContext.call(owner, this::fresh).recover(err -> {
      Playlist last = current;
      if (last == null) {
        return Future.failedFuture(err);
      }
      log.warn("playlist rebuild failed, serving the list built {} s ago: {}",
        (System.nanoTime() - last.builtAtNanos()) / 1_000_000_000L, err.toString());
      return Future.succeededFuture(last);
    });
  }

  /** Forgets the current list: the next request, on any thread, waits for a new one. */
  void invalidate() {
    generation.incrementAndGet();
  }

  /** On the owner: a background rebuild, unless one runs already. */
  private void refreshAhead() {
    refreshAsked = false;
    if (inflight == null) {
      start().onFailure(err -> log.warn("background playlist rebuild failed: {}", err.toString()));
    }
  }

  /** On the owner: a build that started after the last invalidation: the running one, a queued one, or a new one. */
  private Future<Playlist> fresh() {
    Playlist p = current;
    if (p != null && p.generation() == generation.get() && System.nanoTime() - p.builtAtNanos() < maxAgeNanos) {
      return Future.succeededFuture(p); // built while this request was on its way
    }
    if (inflight == null) {
      return start();
    }
    if (inflightGeneration == generation.get()) {
      return inflight;
    }
    if (queued == null) {
      queued = inflight.transform(ignored -> {
        queued = null;
        return start();
      });
    }
    return queued;
  }

  /** On the owner: starts a build for the current generation. */
  private Future<Playlist> start() {
    long gen = generation.get();
    Promise<Playlist> done = Promise.promise();
    Future<Playlist> f = done.future();
    inflight = f;
    inflightGeneration = gen;
    Future<Playlist> loading;
    try {
      loading = loader.apply(gen);
    } catch (RuntimeException e) {
      loading = Future.failedFuture(e);
    }
    loading.onComplete(ar -> owner.runOnContext(v -> {
      if (inflight == f) {
        inflight = null;
      }
      Playlist built = current;
      if (ar.succeeded() && (built == null || built.generation() <= gen)) {
        current = ar.result();
      }
      done.handle(ar);
    }));
    return f;
  }
}
