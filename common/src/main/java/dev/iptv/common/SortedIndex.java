package dev.iptv.common;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A sorted index of a Redis set ({@code users:all} → {@code users:by_name}, {@code channels:all} →
 * {@code channels:by_id}), so that a page of the list costs one {@code ZRANGE} of that page
 * (O(log n + page)) instead of reading, or sorting, the whole set.
 *
 * <p>The write scripts that add to or remove from the set do the same to the index in the same
 * step. Whatever else writes the set (monitor-service restoring Redis from PostgreSQL, an operator
 * with redis-cli) does not know the index: every page read compares the two sizes in the same
 * step, and when they differ the index is rebuilt first, in small steps that never block Redis for
 * long ({@code SSCAN} of the set, then {@code ZSCAN} of the index, {@value #STEP} entries a step,
 * each step a script that checks the set again, so a concurrent write is never undone). An index
 * entry found without its record while a page is read is pruned at once.
 */
public final class SortedIndex {

  private static final Logger log = LoggerFactory.getLogger(SortedIndex.class);

  private static final LuaScript PAGE = LuaScript.resource(SortedIndex.class, "lua/index_page.lua");
  private static final LuaScript ADD = LuaScript.resource(SortedIndex.class, "lua/index_add.lua");
  private static final LuaScript PRUNE = LuaScript.resource(SortedIndex.class, "lua/index_prune.lua");
  static final int STEP = 1000;

  /** Where an id goes in the index: its score and its member (the order is score, then member bytes). */
  public record Entry(long score, String member) {
  }

  /** One page: the size of the whole set, and the ids of the page in index order. */
  public record Slice(long count, List<String> ids) {
  }

  private final RedisAPI redis;
  private final String setKey;
  private final String indexKey;
  private final Function<String, Entry> entryOf;
  private final Function<String, String> idOf;
  private final AtomicReference<Future<Void>> rebuilding = new AtomicReference<>();

  /**
   * @param entryOf the index entry of an id (the write scripts must write the same)
   * @param idOf    the id of an index member
   */
  public SortedIndex(RedisAPI redis, String setKey, String indexKey, Function<String, Entry> entryOf,
                     Function<String, String> idOf) {
    this.redis = redis;
    this.setKey = setKey;
    this.indexKey = indexKey;
    this.entryOf = entryOf;
    this.idOf = idOf;
  }

  public String key() {
    return indexKey;
  }

  /** The entry of {@code id}, for the write scripts' arguments. */
  public Entry entry(String id) {
    return entryOf.apply(id);
  }

  /** {@code limit} ids from rank {@code offset}, with the set's size; the index is rebuilt first when it does not match the set. */
  public Future<Slice> page(long offset, int limit) {
    return read(offset, limit).compose(read -> {
      if (read.matches()) {
        return Future.succeededFuture(read.slice());
      }
      log.info("{} holds {} entries, {} holds {}: rebuilding the index", indexKey, read.indexed(), setKey,
        read.slice().count());
      return rebuild(read.indexed() > 0).compose(v -> read(offset, limit)).map(Read::slice);
    });
  }

  private record Read(Slice slice, long indexed) {
    boolean matches() {
      return slice.count() == indexed;
    }
  }

  private Future<Read> read(long offset, int limit) {
    long last = limit == 0 ? offset : (offset > Long.MAX_VALUE - limit ? Long.MAX_VALUE : offset + limit - 1);
    return PAGE.run(redis, List.of(setKey, indexKey), List.of(Long.toString(offset), Long.toString(last),
      Integer.toString(limit))).map(r -> {
        List<String> ids = new ArrayList<>(Math.max(0, r.size() - 2));
        for (int i = 2; i < r.size(); i++) {
          ids.add(idOf.apply(r.get(i).toString()));
        }
        return new Read(new Slice(r.get(0).toLong(), ids), r.get(1).toLong());
      });
  }

  /** Removes the entries of these ids when they are no longer in the set (records found missing). */
  public Future<Long> prune(List<String> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(0L);
    }
    List<String> args = new ArrayList<>(ids.size() * 2);
    for (String id : ids) {
      args.add(entryOf.apply(id).member());
      args.add(id);
    }
    return PRUNE.run(redis, List.of(setKey, indexKey), args).map(Response::toLong);
  }

  /**
   * Brings the index to the set's members; one rebuild at a time, shared by the pages waiting for
   * it. {@code prune}: also remove entries whose id left the set (not needed for an index that was
   * empty).
   */
  public Future<Void> rebuild(boolean prune) {
    while (true) {
      Future<Void> running = rebuilding.get();
      if (running != null && !running.isComplete()) {
        return running;
      }
      Promise<Void> mine = Promise.promise();
      if (rebuilding.compareAndSet(running, mine.future())) {
        long started = System.nanoTime();
        addFrom("0", 0).compose(added -> (prune ? pruneFrom("0", 0) : Future.succeededFuture(0L)).map(pruned -> {
          log.info("{} rebuilt from {}: {} entries added, {} removed, in {} ms", indexKey, setKey, added, pruned,
            (System.nanoTime() - started) / 1_000_000);
          return (Void) null;
        })).onComplete(mine);
        return mine.future();
      }
    }
  }

  private Future<Long> addFrom(String cursor, long added) {
    return redis.sscan(List.of(setKey, cursor, "COUNT", Integer.toString(STEP))).compose(r -> {
      String next = r.get(0).toString();
      List<String> args = new ArrayList<>();
      for (Response m : r.get(1)) {
        String id = m.toString();
        Entry e = entryOf.apply(id);
        args.add(id);
        args.add(Long.toString(e.score()));
        args.add(e.member());
      }
      Future<Long> step = args.isEmpty() ? Future.succeededFuture(0L)
        : ADD.run(redis, List.of(setKey, indexKey), args).map(Response::toLong);
      return step.compose(n -> "0".equals(next) ? Future.succeededFuture(added + n) : addFrom(next, added + n));
    });
  }

  private Future<Long> pruneFrom(String cursor, long pruned) {
    return redis.zscan(List.of(indexKey, cursor, "COUNT", Integer.toString(STEP))).compose(r -> {
      String next = r.get(0).toString();
      List<String> args = new ArrayList<>();
      Response pairs = r.get(1);
      for (int i = 0; i < pairs.size(); i += 2) {
        String member = pairs.get(i).toString();
        args.add(member);
        args.add(idOf.apply(member));
      }
      Future<Long> step = args.isEmpty() ? Future.succeededFuture(0L)
        : PRUNE.run(redis, List.of(setKey, indexKey), args).map(Response::toLong);
      return step.compose(n -> "0".equals(next) ? Future.succeededFuture(pruned + n) : pruneFrom(next, pruned + n));
    });
  }
}
