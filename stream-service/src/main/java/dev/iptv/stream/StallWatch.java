package dev.iptv.stream;

import io.vertx.core.Vertx;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * Watches one playing FFmpeg of a {@link ChannelRun} for a stall, and says so once:
 * <ul>
 *   <li>its newest segment is older than {@code IPTV_STALL_SEGMENTS} segment lengths: a source that
 *       keeps its connection open and sends nothing (FFmpeg's reconnect options keep it waiting, and
 *       its read timeout reconnects to the same silence), or an FFmpeg that hangs. The playlist's
 *       writes are heard from the folder's file events ({@link HlsFolder#watch}); before a stall is
 *       declared the playlist's modification time is read, in case an event was missed;</li>
 *   <li>its output advanced slower than {@code IPTV_STALL_MIN_SPEED} times real time over the last
 *       {@code IPTV_STALL_SPEED_WINDOW_S} ({@link FfmpegLog#speedOver}, from {@code -progress}): a
 *       source that trickles below real time, whose viewers would buffer every few seconds.</li>
 * </ul>
 * What follows (a restart, then the next source) is {@link SourceSwitch}'s to decide. Runs on the
 * verticle's context.
 */
final class StallWatch {

  private final Vertx vertx;
  private final StreamSettings s;
  private final String id;
  private final FfmpegProcess p;
  private final Consumer<String> onStall;
  private final Subscription written;
  private final long timer;
  private long lastWriteMs = System.currentTimeMillis();
  private boolean reading;
  private boolean over;

  private StallWatch(StreamParts parts, String id, FfmpegProcess p, Consumer<String> onStall) {
    this.vertx = parts.vertx();
    this.s = parts.settings();
    this.id = id;
    this.p = p;
    this.onStall = onStall;
    boolean on = s.stallAfterMs() > 0 || s.stallMinSpeed() > 0;
    this.written = on ? parts.hls().watch(id, parts.context(), () -> lastWriteMs = System.currentTimeMillis()) : () -> { };
    this.timer = on ? vertx.setPeriodic(Math.max(250, Math.min(1000, s.hlsTimeS() * 500L)), t -> check()) : -1;
    this.over = !on;
  }

  /** Watches {@code p}, which plays now; {@code onStall} is told why, once. */
  static StallWatch start(StreamParts parts, String id, FfmpegProcess p, Consumer<String> onStall) {
    return new StallWatch(parts, id, p, onStall);
  }

  /** Stops watching (the process is replaced or stopped). */
  void cancel() {
    over = true;
    written.cancel();
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void check() {
    if (over || reading) {
      return;
    }
    if (!p.alive()) {
      cancel();
      return;
    }
    long now = System.currentTimeMillis();
    if (s.stallMinSpeed() > 0) {
      double speed = p.log().speedOver(s.stallSpeedWindowMs(), now);
      if (!Double.isNaN(speed) && speed < s.stallMinSpeed()) {
        stalled(String.format(Locale.ROOT, "FFmpeg ran at %.2fx real time over the last %d s (IPTV_STALL_MIN_SPEED %s)",
          speed, s.stallSpeedWindowMs() / 1000, s.stallMinSpeed()));
        return;
      }
    }
    if (s.stallAfterMs() > 0 && now - lastWriteMs > s.stallAfterMs()) {
      // No event for that long: the file's own time decides (an event may have been missed).
      reading = true;
      vertx.fileSystem().lprops(s.playlist(id).toString()).onComplete(ar -> {
        reading = false;
        if (ar.succeeded()) {
          lastWriteMs = Math.max(lastWriteMs, ar.result().lastModifiedTime());
        }
        long age = System.currentTimeMillis() - lastWriteMs;
        if (!over && p.alive() && age > s.stallAfterMs()) {
          stalled(String.format(Locale.ROOT, "no new segment for %.1f s (IPTV_STALL_SEGMENTS %d x %d s segments)",
            age / 1000.0, s.stallSegments(), s.hlsTimeS()));
        }
      });
    }
  }

  private void stalled(String why) {
    cancel();
    onStall.accept(why);
  }
}
