package dev.iptv.stream;

import io.vertx.core.Future;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The live playlists' text in memory, so a poll costs no file read: each channel's text is read
 * once after each rewrite by FFmpeg (every segment, 1-4 s) whatever the number of pollers, and
 * dropped when the folder's file events ({@link PlaylistWatcher}) say it was written again. A read
 * that overlaps a rewrite is not kept (a write counter per channel), so a stale text never stays.
 * Where the folder cannot be watched, a text is kept {@value #UNWATCHED_MS} ms at most; even with
 * events, at most {@value #WATCHED_MS} ms (a missed event costs no more).
 *
 * <p>Thread-safe: polls come from every event loop; the watcher's thread tells of writes.
 */
final class PlaylistTexts {

  static final long WATCHED_MS = 5_000;
  static final long UNWATCHED_MS = 500;

  private record Cached(String text, long version, long readAtMs) {
  }

  private final Function<String, Future<String>> read;
  private final Map<String, Cached> texts = new ConcurrentHashMap<>();
  private final Map<String, Long> writes = new ConcurrentHashMap<>();
  private final Map<String, Future<String>> reading = new ConcurrentHashMap<>();
  private volatile boolean watched;

  PlaylistTexts(Function<String, Future<String>> read) {
    this.read = read;
  }

  void watched(boolean watched) {
    this.watched = watched;
  }

  /** FFmpeg wrote channel {@code id}'s playlist (null: anything may have been written). */
  void written(String id) {
    if (id == null) {
      writes.replaceAll((k, v) -> v + 1);
      texts.clear();
      return;
    }
    writes.merge(id, 1L, Long::sum);
    texts.remove(id);
  }

  Future<String> get(String id) {
    long now = System.currentTimeMillis();
    long version = writes.getOrDefault(id, 0L);
    Cached c = texts.get(id);
    if (c != null && c.version() == version && now - c.readAtMs() < (watched ? WATCHED_MS : UNWATCHED_MS)) {
      return Future.succeededFuture(c.text());
    }
    Future<String> inFlight = reading.get(id);
    if (inFlight != null) {
      return inFlight;
    }
    Future<String> f = read.apply(id);
    reading.put(id, f);
    f.onComplete(ar -> {
      reading.remove(id, f);
      if (ar.succeeded() && writes.getOrDefault(id, 0L) == version) {
        texts.put(id, new Cached(ar.result(), version, now));
      }
    });
    return f;
  }

  void forget(String id) {
    texts.remove(id);
    writes.remove(id);
  }
}
