package dev.iptv.testing;

import io.vertx.core.Context;
import io.vertx.core.Future;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Vert.x future's result for a JUnit test thread: waits at most {@link #WITHIN} (or the time
 * given), and rethrows the future's own failure, so a test can assert on it
 * ({@code assertThrows(IllegalStateException.class, () -> await(f))}). A future that does not
 * complete in time fails the test saying what was awaited and for how long. Never on an event
 * loop: the loop would wait for itself.
 */
public final class Await {

  /** How long {@link #await(Future)} waits: long enough for an FFmpeg start or a guide import. */
  public static final Duration WITHIN = Duration.ofSeconds(60);

  private Await() {
  }

  public static <T> T await(Future<T> future) {
    return await(future, WITHIN);
  }

  public static <T> T await(Future<T> future, Duration within) {
    return await(null, future, within);
  }

  /**
   * The result of {@code future}; {@code what} names it when it does not complete in time (null:
   * the test's line that awaited it).
   */
  public static <T> T await(String what, Future<T> future, Duration within) {
    if (Context.isOnEventLoopThread()) {
      throw new IllegalStateException("await(" + named(what) + ") on an event loop would block it");
    }
    try {
      return future.toCompletionStage().toCompletableFuture().get(within.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable failure = e.getCause();
      if (failure instanceof RuntimeException re) {
        throw re;
      }
      if (failure instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException(named(what) + " failed: " + failure, failure);
    } catch (TimeoutException e) {
      throw new AssertionError(named(what) + " did not complete within " + seconds(within));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while awaiting " + named(what), e);
    }
  }

  private static String named(String what) {
    return what != null ? what : "the future awaited at " + caller();
  }

  /** Where the test called the kit: the first frame outside it (file and line). */
  static String caller() {
    return StackWalker.getInstance().walk(frames -> frames
      .filter(f -> !f.getClassName().startsWith(Await.class.getPackageName() + "."))
      .findFirst().map(f -> f.getFileName() + ":" + f.getLineNumber()).orElse("?"));
  }

  static String seconds(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
