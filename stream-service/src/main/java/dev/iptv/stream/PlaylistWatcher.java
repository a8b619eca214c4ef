package dev.iptv.stream;

import dev.iptv.contract.ChannelContract;
import io.vertx.core.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells when a channel's playlist is (re)written in the HLS folder, from the kernel's file events
 * ({@link WatchService}: inotify on Linux) instead of reading the folder in a loop. FFmpeg writes
 * {@code stream_{id}.m3u8.tmp} and renames it ({@code hls_flags temp_file}), which is a creation of
 * {@code stream_{id}.m3u8}. An overflow of the kernel's queue wakes every listener.
 *
 * <p>One thread blocks on the watch service; listeners run on the context they name. Where the
 * folder cannot be watched the watcher stays silent and says so once: its users check the folder
 * every second as well, so they are late, never stuck.
 */
final class PlaylistWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PlaylistWatcher.class);
  private static final String PREFIX = "stream_";
  private static final String SUFFIX = ".m3u8";

  private record Listener(Context context, Runnable action) {
  }

  private final Path dir;
  private final Map<String, Set<Listener>> listeners = new ConcurrentHashMap<>();
  private final WatchService service;
  /** Told of every write, on the watcher's thread (cheap work only): the playlist text cache. */
  private volatile java.util.function.Consumer<String> everyWrite = id -> { };

  private PlaylistWatcher(Path dir, WatchService service) {
    this.dir = dir;
    this.service = service;
  }

  /** Starts watching {@code dir} (blocking: call from a worker); never fails, see the class comment. */
  static PlaylistWatcher start(Path dir) {
    WatchService service = null;
    try {
      service = FileSystems.getDefault().newWatchService();
      dir.register(service, StandardWatchEventKinds.ENTRY_CREATE);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot watch {} for playlists ({}): starts notice them within a second instead", dir, e.toString());
      close(service);
      service = null;
    }
    PlaylistWatcher watcher = new PlaylistWatcher(dir, service);
    if (service != null) {
      Thread t = new Thread(watcher::run, "hls-playlist-watch");
      t.setDaemon(true);
      t.start();
    }
    return watcher;
  }

  /** {@code action} runs on {@code context} each time channel {@code id}'s playlist is written, until cancelled. */
  Subscription watch(String id, Context context, Runnable action) {
    Listener l = new Listener(context, action);
    listeners.compute(id, (k, set) -> {
      Set<Listener> to = set != null ? set : ConcurrentHashMap.<Listener>newKeySet();
      to.add(l);
      return to;
    });
    return () -> listeners.computeIfPresent(id, (k, set) -> set.remove(l) && set.isEmpty() ? null : set);
  }

  private void run() {
    while (true) {
      WatchKey key;
      try {
        key = service.take();
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      }
      for (WatchEvent<?> event : key.pollEvents()) {
        if (event.kind() == StandardWatchEventKinds.OVERFLOW) {
          everyWrite.accept(null);
          listeners.keySet().forEach(this::fire);
        } else {
          String id = channelOf(event.context().toString());
          if (id != null) {
            fire(id);
          }
        }
      }
      if (!key.reset()) {
        log.warn("{} cannot be watched any more (removed?): starts notice playlists within a second instead", dir);
        return;
      }
    }
  }

  /** {@code action} is told the channel of every playlist write (or null for all, after an overflow), on the watcher's thread. */
  void onEveryWrite(java.util.function.Consumer<String> action) {
    everyWrite = action;
  }

  /** Whether kernel file events arrive (false: the folder could not be watched). */
  boolean watching() {
    return service != null;
  }

  private void fire(String id) {
    everyWrite.accept(id);
    Set<Listener> set = listeners.get(id);
    if (set != null) {
      for (Listener l : set) {
        l.context().runOnContext(v -> l.action().run());
      }
    }
  }

  /** The channel whose playlist {@code name} is, or null. */
  static String channelOf(String name) {
    if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) {
      return null;
    }
    String id = name.substring(PREFIX.length(), name.length() - SUFFIX.length());
    return ChannelContract.isId(id) ? id : null;
  }

  @Override
  public void close() {
    close(service);
  }

  private static void close(WatchService service) {
    if (service != null) {
      try {
        service.close();
      } catch (IOException e) {
        // Nothing left to release.
      }
    }
  }
}
