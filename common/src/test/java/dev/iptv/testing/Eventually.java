package dev.iptv.testing;

import java.time.Duration;
import java.util.function.Predicate;

/**
 * Waits for something to happen: a condition polled until it holds or a deadline passes, never a
 * fixed sleep. Polls quickly at first (10 ms), then every {@value #MAX_POLL_MS} ms at the most, and
 * once more at the deadline. A condition that throws (the server not up yet, an assertion inside
 * it) is tried again; when time is up the test fails naming what was awaited, the last value seen
 * and the last error (as the cause). A condition that knows waiting is pointless (the process it
 * waits for has died) throws {@link #stop(String)}: the wait fails at once.
 */
public final class Eventually {

  static final long MAX_POLL_MS = 200;

  /** A condition to poll; it may throw, which counts as "not yet". */
  @FunctionalInterface
  public interface Condition {
    boolean holds() throws Exception;
  }

  /** A value to read until it is the one awaited; it may throw, which counts as "not yet". */
  @FunctionalInterface
  public interface Probe<T> {
    T read() throws Exception;
  }

  /** Thrown by a condition to end the wait at once: what it waits for can no longer happen. */
  public static final class Stopped extends AssertionError {
    Stopped(String message) {
      super(message);
    }
  }

  private Eventually() {
  }

  /** Fails the wait at once (throw it from a condition): {@code throw Eventually.stop("nginx exited: ...")}. */
  public static Stopped stop(String why) {
    return new Stopped(why);
  }

  /** Returns once {@code condition} holds; fails after {@code within}. */
  public static void eventually(Duration within, String what, Condition condition) {
    eventually(within, what, condition::holds, Boolean.TRUE::equals);
  }

  /**
   * The first value {@code probe} reads that {@code done} accepts; fails after {@code within},
   * naming {@code what}, the last value read and the last error.
   */
  public static <T> T eventually(Duration within, String what, Probe<T> probe, Predicate<? super T> done) {
    long deadline = System.nanoTime() + within.toNanos();
    long pause = 10;
    boolean read = false;
    T last = null;
    Throwable error = null;
    while (true) {
      try {
        T value = probe.read();
        read = true;
        last = value;
        error = null;
        if (done.test(value)) {
          return value;
        }
      } catch (Stopped s) {
        throw s;
      } catch (Exception | AssertionError e) {
        error = e;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      TestEnv.pause(Math.min(pause, Math.max(1, left / 1_000_000)));
      pause = Math.min(pause * 2, MAX_POLL_MS);
    }
    String seen = read && !(last instanceof Boolean) ? "; last seen: " + brief(last) : "";
    String failed = error == null ? "" : "; last error: " + error;
    throw new AssertionError("not within " + Await.seconds(within) + ": " + what + seen + failed, error);
  }

  private static String brief(Object value) {
    String text = String.valueOf(value);
    return text.length() > 2000 ? text.substring(0, 2000) + "..." : text;
  }
}
