package dev.iptv.stream;

import dev.iptv.contract.ChannelContract;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HLS folder ({@code IPTV_HLS_DIR}) as stream-service uses it: prepared private at start
 * ({@link PrivateFolders}, the FFmpeg-log folder too), each channel's files found and removed,
 * playlists read without following a link, free space asked, playlist writes told as they happen
 * ({@link PlaylistWatcher}). Every file system call runs on a worker; the methods answer futures
 * and may be called from any event loop.
 */
final class HlsFolder implements AutoCloseable {

  /**
   * Free bytes under which the HLS folder's file system counts as full. FFmpeg's HLS muxer (5.x)
   * says nothing when its writes fail with ENOSPC: it runs on and leaves empty files, so a start
   * that yields no segment also asks the file system.
   */
  static final long DISK_FULL_BYTES = 1024 * 1024;
  /** A channel's playlist, segments and FFmpeg's temp files. */
  private static final Pattern CHANNEL_FILE =
    Pattern.compile("stream_(" + ChannelContract.ID_REGEX + ")(?:\\.m3u8|_\\d+\\.ts)(?:\\.tmp)?");

  private final Vertx vertx;
  private final StreamSettings s;
  private volatile PlaylistWatcher watcher;
  private final PlaylistTexts texts;

  HlsFolder(Vertx vertx, StreamSettings settings) {
    this.vertx = vertx;
    this.s = settings;
    this.texts = new PlaylistTexts(this::readPlaylist);
  }

  /**
   * Creates or checks the HLS and FFmpeg-log folders (a folder that is a link or another user's
   * fails), then watches the HLS folder for playlists.
   */
  Future<Void> prepare() {
    return vertx.executeBlocking(() -> {
      PrivateFolders.prepareHls(s.hlsDir());
      PrivateFolders.prepareLogs(s.ffmpegLogDir());
      PlaylistWatcher w = PlaylistWatcher.start(s.hlsDir());
      w.onEveryWrite(texts::written);
      texts.watched(w.watching());
      watcher = w;
      return null;
    }, false);
  }

  /**
   * {@code action} runs on {@code context} each time channel {@code id}'s playlist is written (by any
   * FFmpeg writing into the folder, ours or another instance's), until cancelled. Silent before
   * {@link #prepare()} and where the folder cannot be watched: callers check every second as well.
   */
  Subscription watch(String id, Context context, Runnable action) {
    PlaylistWatcher w = watcher;
    return w == null ? () -> { } : w.watch(id, context, action);
  }

  /** Stops watching. */
  @Override
  public void close() {
    PlaylistWatcher w = watcher;
    if (w != null) {
      w.close();
    }
  }

  /** The channels that have any file in the folder. */
  Future<Set<String>> channelsWithFiles() {
    return vertx.executeBlocking(() -> {
      Set<String> ids = new HashSet<>();
      if (!Files.isDirectory(s.hlsDir())) {
        return ids;
      }
      try (DirectoryStream<Path> dir = Files.newDirectoryStream(s.hlsDir(), "stream_*")) {
        for (Path p : dir) {
          Matcher m = CHANNEL_FILE.matcher(p.getFileName().toString());
          if (m.matches()) {
            ids.add(m.group(1));
          }
        }
      }
      return ids;
    }, false);
  }

  /** Removes the channel's playlist, segments and temp files ({@code unlink}: a link goes, never its target). */
  Future<Void> removeFiles(String id) {
    texts.forget(id);
    return vertx.executeBlocking(() -> {
      removeFilesNow(id);
      return null;
    }, false);
  }

  /** {@link #removeFiles} on the calling thread (blocking: a worker's, never an event loop's). */
  void removeFilesNow(String id) throws IOException {
    if (!Files.isDirectory(s.hlsDir())) {
      return;
    }
    try (DirectoryStream<Path> dir = Files.newDirectoryStream(s.hlsDir(), "stream_" + id + "*")) {
      for (Path p : dir) {
        Matcher m = CHANNEL_FILE.matcher(p.getFileName().toString());
        if (m.matches() && m.group(1).equals(id)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** True once the channel's playlist exists and lists at least one segment (never read through a link). */
  Future<Boolean> playlistReady(String id) {
    return vertx.executeBlocking(() -> PrivateFolders.read(s.playlist(id)).contains(".ts"), false)
      .otherwise(false);
  }

  /** Where a playlist is: its media sequence and its last segment's URI. */
  record Tail(long mediaSequence, String lastSegment) {
  }

  /** The media sequence and last segment of a playlist's text, or null when it lists no segment. */
  static Tail tail(String text) {
    long sequence = -1;
    String last = null;
    for (String line : text.split("\n")) {
      String l = line.trim();
      if (l.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
        try {
          sequence = Long.parseLong(l.substring("#EXT-X-MEDIA-SEQUENCE:".length()).trim());
        } catch (NumberFormatException e) {
          sequence = -1;
        }
      } else if (!l.isEmpty() && !l.startsWith("#")) {
        last = l;
      }
    }
    return last == null || sequence < 0 ? null : new Tail(sequence, last);
  }

  /** {@link #tail} of the channel's playlist on the calling thread (blocking), null when there is none. */
  Tail tailNow(String id) {
    try {
      return tail(PrivateFolders.read(s.playlist(id)));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The last segment the channel's playlist lists, or null. */
  Future<String> lastSegment(String id) {
    return vertx.executeBlocking(() -> {
      Tail t = tailNow(id);
      return t == null ? null : t.lastSegment();
    }, false);
  }

  /**
   * The channel's playlist as players get it: from memory while FFmpeg has not rewritten it (the
   * folder's file events tell), read once for every poller after each rewrite ({@link PlaylistTexts}).
   */
  Future<String> playlistText(String id) {
    return texts.get(id);
  }

  Future<String> readPlaylist(String id) {
    return vertx.executeBlocking(() -> PrivateFolders.read(s.playlist(id)), false).map(text -> {
      if (!text.contains(".ts")) {
        throw new IllegalStateException("playlist of channel " + id + " lists no segment yet");
      }
      return text;
    });
  }

  /**
   * Whether the folder's file system is full (statvfs on a worker): a description when fewer than
   * {@link #DISK_FULL_BYTES} are left for us, else null.
   */
  Future<String> diskFull() {
    return vertx.executeBlocking(() -> {
      if (!Files.isDirectory(s.hlsDir())) {
        return null;
      }
      long free = s.hlsDir().toFile().getUsableSpace();
      return free < DISK_FULL_BYTES ? "no space left on device: " + free + " bytes free in " + s.hlsDir() : null;
    }, false);
  }
}
