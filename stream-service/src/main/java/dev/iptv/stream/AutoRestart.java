package dev.iptv.stream;

import io.vertx.core.Vertx;

/**
 * {@code auto_restart_hours} (seed 000 "Auto-restart after configurable hours"): once an FFmpeg has
 * played that long, the run replaces it the way a stall does ({@link Occasion#SCHEDULED}: the same
 * source, the playlist and its players carried on), and a {@code restarted} event says
 * {@value #REASON}. The clock starts again with every FFmpeg that plays. Runs on the verticle's context.
 */
final class AutoRestart {

  static final String REASON = "scheduled";

  private final Vertx vertx;
  private long timer = -1;

  AutoRestart(Vertx vertx) {
    this.vertx = vertx;
  }

  /** {@code restart} after {@code afterMs} (0: never), unless {@link #cancel()}led or rescheduled first. */
  void schedule(long afterMs, Runnable restart) {
    cancel();
    if (afterMs > 0) {
      timer = vertx.setTimer(afterMs, t -> {
        timer = -1;
        restart.run();
      });
    }
  }

  void cancel() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }
}
