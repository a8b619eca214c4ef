package dev.iptv.monitor.segments;

import dev.iptv.contract.MonitorContract.SegmentServed;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * nginx's segment log as a local file ({@code access_log FILE iptv_segments buffer=64k flush=1s}):
 * nginx writes hundreds of records per write instead of one datagram per segment, which keeps the
 * accounting off the segment path. Followed every {@link #POLL_MS} ms on a worker thread; the
 * records are handed to the sink on the segment accounting verticle's event loop.
 *
 * <p>The file is kept small: once read past {@link #TRUNCATE_AT} bytes it is truncated (nginx
 * appends with O_APPEND, so it writes on at the new end). Records nginx appends between the last
 * read and the truncation are lost: a few lines in every {@value #TRUNCATE_AT} bytes. A file
 * replaced (rotated) or shortened by someone else is read again from its start.
 */
final class SegmentLogFile {

  private static final Logger log = LoggerFactory.getLogger(SegmentLogFile.class);
  static final long POLL_MS = 500;
  static final long TRUNCATE_AT = 64L * 1024 * 1024;
  /** Bytes read per poll at most, so a backlog never holds a worker long. */
  private static final int MAX_READ = 4 * 1024 * 1024;

  private final Vertx vertx;
  private final Path file;
  private final SegmentRecords records;
  private long timer = -1;
  private boolean busy;
  private long position;
  private Object fileKey;
  private String error;
  private volatile boolean cannotTruncate;
  /** A line cut by the end of the last read: completed by the next one. */
  private byte[] partial = new byte[0];

  private final long truncateAt;

  SegmentLogFile(Vertx vertx, Path file, Consumer<SegmentServed> sink, Counter rejected) {
    this(vertx, file, sink, rejected, TRUNCATE_AT);
  }

  SegmentLogFile(Vertx vertx, Path file, Consumer<SegmentServed> sink, Counter rejected, long truncateAt) {
    this.truncateAt = truncateAt;
    this.vertx = vertx;
    this.file = file;
    this.records = new SegmentRecords(sink, rejected);
  }

  /** Starts following from the file's current end (what is there was counted by a predecessor). */
  Future<Void> start() {
    return vertx.executeBlocking(() -> {
      try {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        position = a.size();
        fileKey = a.fileKey();
      } catch (NoSuchFileException e) {
        position = 0;
      }
      return null;
    }, false).<Void>mapEmpty().onComplete(ar -> {
      log.info("segment log: following nginx's {}", file);
      timer = vertx.setPeriodic(POLL_MS, id -> poll());
    });
  }

  private void poll() {
    if (busy) {
      return;
    }
    busy = true;
    vertx.executeBlocking(this::read, false).onComplete(ar -> {
      busy = false;
      if (ar.failed()) {
        if (error == null) {
          log.warn("segment log: cannot read {}: {}", file, ar.cause().toString());
        }
        error = "cannot read " + file + ": " + ar.cause().getMessage();
        return;
      }
      error = null;
      for (String line : ar.result()) {
        records.accept(line, file);
      }
    });
  }

  /** On a worker: the complete lines appended since the last read. */
  private List<String> read() throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return List.of();
    }
    if (a.size() < position || (fileKey != null && !fileKey.equals(a.fileKey()))) {
      position = 0;   // replaced or shortened by someone else: its start is new
      partial = new byte[0];
    }
    fileKey = a.fileKey();
    List<String> lines = new ArrayList<>();
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long end = raf.length();
      if (end <= position) {
        return lines;
      }
      int n = (int) Math.min(end - position, MAX_READ);
      byte[] chunk = new byte[partial.length + n];
      System.arraycopy(partial, 0, chunk, 0, partial.length);
      raf.seek(position);
      raf.readFully(chunk, partial.length, n);
      position += n;
      int start = 0;
      for (int i = 0; i < chunk.length; i++) {
        if (chunk[i] == '\n') {
          lines.add(new String(chunk, start, i - start, StandardCharsets.UTF_8));
          start = i + 1;
        }
      }
      partial = Arrays.copyOfRange(chunk, start, chunk.length);
      if (partial.length > 64 * 1024) {
        partial = new byte[0];   // no line is that long: junk
      }
      if (position >= truncateAt && position == raf.length() && !cannotTruncate) {
        try (FileChannel w = FileChannel.open(file, StandardOpenOption.WRITE)) {
          w.truncate(0);
          position = 0;
        } catch (IOException e) {
          cannotTruncate = true;
          log.warn("segment log: cannot truncate {} ({}): rotate it with logrotate and nginx -s reopen", file, e.toString());
        }
      }
    }
    return lines;
  }

  JsonObject health() {
    JsonObject o = new JsonObject().put("ok", error == null).put("file", file.toString()).put("lines", records.received());
    if (error != null) {
      o.put("error", error);
    }
    return o;
  }

  void close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }
}
