package dev.iptv.playlist;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p>Thread-safe: in the all-in-one server requests arrive on the front server's event loops,
 * invalidations on this verticle's. The lock is held for a few field accesses, never for I/O.
 */
final class PlaylistCache {

  private static final Logger log = LoggerFactory.getLogger(PlaylistCache.class);

  private final LongFunction<Future<Playlist>> loader;
  private final long maxAgeNanos;
  private final long refreshAheadNanos;

  private Playlist current;
  private long generation;
  private Future<Playlist> inflight;
  private long inflightGeneration;
  private Future<Playlist> queued;

  /**
   * @param loader     builds a list for a generation (stamping it with that generation and the
   *                   time its reads began)
   * @param maxAgeSeconds the oldest list served; 0 rebuilds for every request (still one at a time)
   */
  PlaylistCache(LongFunction<Future<Playlist>> loader, int maxAgeSeconds) {
    this.loader = loader;
    this.maxAgeNanos = Math.max(0, maxAgeSeconds) * 1_000_000_000L;
    this.refreshAheadNanos = maxAgeNanos * 4 / 5;
  }

  /** A list no older than the maximum age and built after the last invalidation. */
  Future<Playlist> get() {
    Future<Playlist> fresh;
    synchronized (this) {
      Playlist p = current;
      if (p != null && p.generation() == generation) {
        long age = System.nanoTime() - p.builtAtNanos();
        if (age < maxAgeNanos) {
          if (age >= refreshAheadNanos && inflight == null) {
            start().onFailure(err -> log.warn("background playlist rebuild failed: {}", err.toString()));
          }
          return Future.succeededFuture(p);
        }
      }
      fresh = fresh();
    }
    return fresh.recover(err -> {
      Playlist last = last();
      if (last == null) {
        return Future.failedFuture(err);
      }
      log.warn("playlist rebuild failed, serving the list built {} s ago: {}",
        (System.nanoTime() - last.builtAtNanos()) / 1_000_000_000L, err.toString());
      return Future.succeededFuture(last);
    });
  }

  /** Forgets the current list: the next request waits for a new one. */
  synchronized void invalidate() {
    generation++;
  }

  private synchronized Playlist last() {
    return current;
  }

  /** A build that started after the last invalidation: the running one, a queued one, or a new one. */
  private Future<Playlist> fresh() {
    if (inflight == null) {
      return start();
    }
    if (inflightGeneration == generation) {
      return inflight;
    }
    if (queued == null) {
      queued = inflight.transform(ignored -> {
        synchronized (this) {
          queued = null;
          return start();
        }
      });
    }
    return queued;
  }

  /** Starts a build for the current generation. Called with the lock held. */
  private Future<Playlist> start() {
    long gen = generation;
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
    loading.onComplete(ar -> {
      synchronized (this) {
        if (inflight == f) {
          inflight = null;
        }
        if (ar.succeeded() && (current == null || current.generation() <= gen)) {
          current = ar.result();
        }
      }
      done.handle(ar);
    });
    return f;
  }
}
