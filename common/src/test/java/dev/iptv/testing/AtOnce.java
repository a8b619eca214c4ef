package dev.iptv.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Calls made at the same moment, each on a thread of its own, released together (a crowd of
 * players asking for a cold channel): their answers in the order of the calls, each within 60 s.
 * A call that throws fails the test with its own exception.
 */
public final class AtOnce {

  private AtOnce() {
  }

  public static <T> List<T> call(List<Callable<T>> calls) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(calls.size());
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> answers = new ArrayList<>();
      for (Callable<T> c : calls) {
        answers.add(pool.submit(() -> {
          go.await();
          return c.call();
        }));
      }
      go.countDown();
      List<T> out = new ArrayList<>();
      for (int i = 0; i < answers.size(); i++) {
        try {
          out.add(answers.get(i).get(60, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          if (e.getCause() instanceof Exception cause) {
            throw cause;
          }
          if (e.getCause() instanceof Error error) {
            throw error;
          }
          throw e;
        } catch (TimeoutException e) {
          throw new AssertionError("call " + i + " of " + calls.size() + " made at once: no answer within 60 s");
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** {@code n} times the same call, at once. */
  public static <T> List<T> call(int n, Callable<T> call) throws Exception {
    List<Callable<T>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(call);
    }
    return call(calls);
  }
}
