package dev.iptv.common;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.function.Supplier;

/**
 * Reaching a verticle's state from another thread with public Vert.x API only: the work runs on the
 * context that owns the state ({@link Context#runOnContext}), and its outcome is handed back on the
 * caller's context, so a request handler on one of the all-in-one front's event loops, or another of
 * the monitor's verticles, never touches state confined to a different event loop.
 */
public final class OnContext {

  private OnContext() {
  }

  /** Runs {@code work} on {@code owner}; the future completes on the calling context (when there is one). */
  public static <T> Future<T> call(Context owner, Supplier<Future<T>> work) {
    Context caller = Vertx.currentContext();
    Promise<T> answer = Promise.promise();
    owner.runOnContext(v -> {
      Future<T> f;
      try {
        f = work.get();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        if (caller == null || caller == owner) {
          answer.handle(ar);
        } else {
          caller.runOnContext(x -> answer.handle(ar));
        }
      });
    });
    return answer.future();
  }
}
