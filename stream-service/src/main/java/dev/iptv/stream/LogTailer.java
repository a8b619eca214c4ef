package dev.iptv.stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Drains FFmpeg stderr continuously on one worker thread into each process's {@link FfmpegLog}.
 *
 * <p>FFmpeg's stderr goes to a file ({@code O_APPEND}) rather than a pipe: a pipe dies with the JVM
 * and takes FFmpeg with it (SIGPIPE on its next log line), which would make a crashed or restarted
 * stream-service drop every stream instead of adopting it. The file is truncated when it grows past
 * {@link #MAX_BYTES}, so it stays small however long the stream runs.
 */
final class LogTailer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LogTailer.class);
  static final long MAX_BYTES = 512 * 1024;
  private static final long PERIOD_MS = 100;

  private static final class Tail {
    final Path file;
    final FfmpegLog sink;
    long position;
    final StringBuilder partial = new StringBuilder();

    Tail(Path file, FfmpegLog sink, long position) {
      this.file = file;
      this.sink = sink;
      this.position = position;
    }
  }

  private final Map<FfmpegLog, Tail> tails = new ConcurrentHashMap<>();
  private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "ffmpeg-stderr");
    t.setDaemon(true);
    return t;
  });

  LogTailer() {
    thread.scheduleWithFixedDelay(this::drainAll, PERIOD_MS, PERIOD_MS, TimeUnit.MILLISECONDS);
  }

  /** The position {@code bytes} before the end of {@code file}, 0 when shorter or absent (blocking, no link followed). */
  static long lastBytes(Path file, long bytes) {
    try {
      return Math.max(0, Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).size() - bytes);
    } catch (IOException e) {
      return 0;
    }
  }

  /** Starts draining {@code file} into {@code sink}, from {@code fromPosition}. */
  void follow(Path file, FfmpegLog sink, long fromPosition) {
    tails.put(sink, new Tail(file, sink, fromPosition));
  }

  /** Reads what is left (blocking: call off the event loop) and stops following. */
  void finish(FfmpegLog sink) {
    Tail t = tails.remove(sink);
    if (t != null) {
      synchronized (t) {
        drain(t, true);
      }
    }
  }

  private void drainAll() {
    for (Tail t : tails.values()) {
      synchronized (t) {
        try {
          drain(t, false);
        } catch (RuntimeException e) {
          // A failure must not end the schedule (it would stop every other process's drain too).
          log.warn("cannot read {}: {}", t.file, e.toString());
        }
      }
    }
  }

  private void drain(Tail t, boolean last) {
    // Never through a symbolic link, and never created here: only the file FFmpeg writes.
    try (FileChannel ch = FileChannel.open(t.file, StandardOpenOption.READ, StandardOpenOption.WRITE,
      LinkOption.NOFOLLOW_LINKS)) {
      long len = ch.size();
      if (len < t.position) {
        t.position = 0;
      }
      if (len > t.position) {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(len - t.position, 256 * 1024));
        while (buf.hasRemaining() && ch.read(buf, t.position + buf.position()) > 0) {
          // Until the buffer is full or the file ends.
        }
        t.position += buf.position();
        String text = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
          char c = text.charAt(i);
          if (c == '\n' || c == '\r') {
            t.partial.append(text, start, i);
            t.sink.accept(t.partial.toString());
            t.partial.setLength(0);
            start = i + 1;
          }
        }
        t.partial.append(text, start, text.length());
        if (t.partial.length() > 4096) {
          t.sink.accept(t.partial.toString());
          t.partial.setLength(0);
        }
      }
      if (last && t.partial.length() > 0) {
        t.sink.accept(t.partial.toString());
        t.partial.setLength(0);
      }
      if (!last && t.position >= MAX_BYTES && t.position == ch.size()) {
        ch.truncate(0);
        t.position = 0;
      }
    } catch (IOException e) {
      if (!last) {
        log.debug("cannot read {}: {}", t.file, e.toString());
      }
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
