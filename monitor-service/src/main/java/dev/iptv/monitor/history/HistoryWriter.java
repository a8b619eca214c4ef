package dev.iptv.monitor.history;

import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Writes history off the request path: statements are queued as they happen and a periodic flush
 * sends them in order, one transaction per flush, consecutive statements of the same SQL as one
 * {@code executeBatch}. PostgreSQL away: the queue waits (bounded: the oldest rows go first, counted
 * and logged). A statement PostgreSQL refuses is isolated by replaying the flush one statement at a
 * time, and only that one is dropped. Runs on the verticle's event loop.
 */
final class HistoryWriter {

  private static final Logger log = LoggerFactory.getLogger(HistoryWriter.class);

  record Op(String sql, Tuple args) {
  }

  private final Pool pool;
  private final int capacity;
  private final int perFlush;
  private final Deque<Op> queue = new ArrayDeque<>();
  private boolean flushing;
  private Future<Void> inFlight = Future.succeededFuture();
  private boolean failing;
  private long written;
  private long dropped;
  private long lastDropLog;

  HistoryWriter(Pool pool, int capacity, int perFlush) {
    this.pool = pool;
    this.capacity = capacity;
    this.perFlush = perFlush;
  }

  void add(String sql, Tuple args) {
    if (queue.size() >= capacity) {
      queue.pollFirst();
      dropped++;
      long now = System.currentTimeMillis();
      if (now - lastDropLog > 60_000) {
        lastDropLog = now;
        log.warn("history queue full ({} statements): dropping the oldest; {} dropped so far", capacity, dropped);
      }
    }
    queue.addLast(new Op(sql, args));
  }

  int depth() {
    return queue.size();
  }

  long written() {
    return written;
  }

  long dropped() {
    return dropped;
  }

  /** Sends what is queued (up to the per-flush limit); completes when written or given back. */
  Future<Void> flush() {
    if (flushing || queue.isEmpty()) {
      return Future.succeededFuture();
    }
    flushing = true;
    List<Op> batch = new ArrayList<>(Math.min(queue.size(), perFlush));
    while (!queue.isEmpty() && batch.size() < perFlush) {
      batch.add(queue.pollFirst());
    }
    inFlight = pool.withTransaction(conn -> runs(conn, batch))
      .map(v -> {
        written += batch.size();
        if (failing) {
          log.info("history writes reach PostgreSQL again");
          failing = false;
        }
        return (Void) null;
      })
      .recover(err -> {
        if (err instanceof PgException) {
          return oneByOne(batch);
        }
        for (int i = batch.size() - 1; i >= 0; i--) {
          queue.addFirst(batch.get(i));
        }
        while (queue.size() > capacity) {
          queue.pollFirst();
          dropped++;
        }
        if (!failing) {
          log.warn("cannot write history to PostgreSQL (kept, retried): {}", err.toString());
          failing = true;
        }
        return Future.succeededFuture();
      })
      .onComplete(ar -> flushing = false);
    return inFlight;
  }

  /**
   * Writes everything queued, for an orderly stop: waits for a flush in flight, then flushes again
   * until the queue is empty, PostgreSQL stops taking rows, or {@code deadlineMillis} passes. Never
   * fails; what is left is logged.
   */
  Future<Void> drain(long deadlineMillis) {
    if (!flushing && queue.isEmpty()) {
      return Future.succeededFuture();
    }
    if (System.currentTimeMillis() >= deadlineMillis) {
      log.warn("history: {} statements not written at shutdown (deadline passed)", queue.size());
      return Future.succeededFuture();
    }
    long before = written + dropped;
    boolean waited = flushing;
    Future<Void> step = flushing ? inFlight : flush();
    return step.transform(ar -> {
      if (!waited && written + dropped == before && !queue.isEmpty()) {
        log.warn("history: {} statements not written at shutdown (PostgreSQL does not take them)", queue.size());
        return Future.succeededFuture();
      }
      return drain(deadlineMillis);
    });
  }

  private static Future<Void> runs(SqlConnection conn, List<Op> batch) {
    Future<Void> chain = Future.succeededFuture();
    int i = 0;
    while (i < batch.size()) {
      String sql = batch.get(i).sql();
      List<Tuple> run = new ArrayList<>();
      while (i < batch.size() && batch.get(i).sql().equals(sql)) {
        run.add(batch.get(i).args());
        i++;
      }
      chain = chain.compose(v -> conn.preparedQuery(sql).executeBatch(run).mapEmpty());
    }
    return chain;
  }

  /**
   * Replays a refused flush statement by statement, dropping only what PostgreSQL refuses; if the
   * connection goes meanwhile, what is left goes back to the queue.
   */
  private Future<Void> oneByOne(List<Op> batch) {
    return replay(batch, 0);
  }

  private Future<Void> replay(List<Op> batch, int from) {
    if (from >= batch.size()) {
      return Future.succeededFuture();
    }
    Op op = batch.get(from);
    return pool.preparedQuery(op.sql()).execute(op.args())
      .transform(ar -> {
        if (ar.succeeded()) {
          written++;
        } else if (ar.cause() instanceof PgException) {
          dropped++;
          log.error("history statement refused by PostgreSQL, dropped: {} ({})", ar.cause().getMessage(), op.sql());
        } else {
          for (int i = batch.size() - 1; i >= from; i--) {
            queue.addFirst(batch.get(i));
          }
          log.warn("history replay interrupted, kept for later: {}", ar.cause().toString());
          return Future.<Void>succeededFuture();
        }
        return replay(batch, from + 1);
      });
  }
}
