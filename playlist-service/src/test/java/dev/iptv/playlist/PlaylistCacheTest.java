package dev.iptv.playlist;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The cache as the all-in-one server uses it: its builds belong to an owner context, requests come
 * from other event loops.
 */
@DisplayName("The playlist cache")
class PlaylistCacheTest {

  private static final Duration WITHIN = Duration.ofSeconds(10);

  /** A loader whose builds the test completes by hand; it records the thread each build ran on. */
  private static final class Loader {
    final List<Promise<Playlist>> builds = new CopyOnWriteArrayList<>();
    final List<Long> generations = new CopyOnWriteArrayList<>();
    final List<Context> contexts = new CopyOnWriteArrayList<>();

    Future<Playlist> load(long generation) {
      Promise<Playlist> p = Promise.promise();
      contexts.add(Vertx.currentContext());
      generations.add(generation);
      builds.add(p);
      return p.future();
    }

    void finish(int i) {
      builds.get(i).complete(Playlist.render(List.of(), "http://x", System.nanoTime(), generations.get(i)));
    }
  }

  private Vertx vertx;
  private Context owner;
  private Context front;

  @BeforeEach
  void contexts() {
    vertx = Vertx.vertx();
    owner = vertx.getOrCreateContext();
    front = vertx.getOrCreateContext();
    assertNotSame(owner, front);
  }

  @AfterEach
  void close() {
    await(vertx.close());
  }

  /** Runs {@code work} on {@code context} and returns its value, once it has run. */
  private static <T> T on(Context context, Supplier<T> work) {
    Promise<T> done = Promise.promise();
    context.runOnContext(v -> done.complete(work.get()));
    return await(done.future());
  }

  /** Returns once every task queued on the owner so far has run. */
  private void drainOwner() {
    on(owner, () -> null);
  }

  @Test
  @DisplayName("requests from another event loop share one build on the owner, then are served without a hop")
  void noStampede() {
    Loader loader = new Loader();
    PlaylistCache cache = new PlaylistCache(owner, loader::load, 60);
    List<Future<Playlist>> waiting = on(front, () -> {
      List<Future<Playlist>> all = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        all.add(cache.get());
      }
      return all;
    });
    drainOwner();
    assertEquals(1, loader.builds.size());
    assertSame(owner, loader.contexts.get(0), "the build runs on the owner context");
    loader.finish(0);
    eventually(WITHIN, "all 100 requests answered", () -> waiting.stream().allMatch(Future::succeeded));
    assertSame(waiting.get(0).result(), waiting.get(99).result());
    Future<Playlist> served = on(front, cache::get);
    assertTrue(served.isComplete(), "a fresh list is answered on the caller's loop, at once");
    assertSame(waiting.get(0).result(), served.result());
    assertEquals(1, loader.builds.size());
  }

  @Test
  @DisplayName("an invalidation during a build queues exactly one more build, whose list is the one served")
  void invalidationDuringBuild() {
    Loader loader = new Loader();
    PlaylistCache cache = new PlaylistCache(owner, loader::load, 60);
    Future<Playlist> first = on(front, cache::get);
    drainOwner();
    cache.invalidate(); // from the test's thread: invalidations come from any thread
    List<Future<Playlist>> after = on(front, () -> {
      List<Future<Playlist>> all = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        all.add(cache.get());
        cache.invalidate();
      }
      return all;
    });
    Future<Playlist> last = on(front, cache::get);
    drainOwner();
    assertEquals(1, loader.builds.size(), "nothing runs in parallel");
    loader.finish(0);
    eventually(WITHIN, "the first request answered", first::succeeded);
    eventually(WITHIN, "one queued build started", () -> loader.builds.size() == 2);
    drainOwner();
    assertFalse(last.isComplete(), "requests after the invalidation wait for the next build");
    assertEquals(2, loader.builds.size(), "one queued build for all the invalidations");
    assertEquals(11, loader.generations.get(1));
    loader.finish(1);
    eventually(WITHIN, "the last request answered", last::succeeded);
    eventually(WITHIN, "every request answered", () -> after.stream().allMatch(Future::isComplete));
    after.forEach(f -> assertSame(last.result(), f.result()));
    assertSame(last.result(), on(front, cache::get).result());
  }

  @Test
  @DisplayName("an invalidation is seen by the very next request on another loop")
  void invalidationIsSeenAtOnce() {
    Loader loader = new Loader();
    PlaylistCache cache = new PlaylistCache(owner, loader::load, 60);
    Future<Playlist> first = on(front, cache::get);
    drainOwner();
    loader.finish(0);
    eventually(WITHIN, "the first list", first::succeeded);
    on(owner, () -> {
      cache.invalidate();
      return null;
    });
    Future<Playlist> next = on(front, cache::get);
    assertFalse(next.isComplete(), "the old list is not served after the invalidation");
    eventually(WITHIN, "a new build", () -> loader.builds.size() == 2);
    loader.finish(1);
    eventually(WITHIN, "the new list", next::succeeded);
    assertNotSame(first.result(), next.result());
  }

  @Test
  @DisplayName("an expired list is rebuilt before it is served; a failed build falls back to the last list")
  void ageAndFailure() throws InterruptedException {
    Loader loader = new Loader();
    PlaylistCache cache = new PlaylistCache(owner, loader::load, 1);
    Future<Playlist> first = on(front, cache::get);
    drainOwner();
    loader.finish(0);
    eventually(WITHIN, "the first list", first::succeeded);
    Thread.sleep(1100);   // time is the subject: the list ages past its 1 s
    Future<Playlist> second = on(front, cache::get);
    drainOwner();
    assertFalse(second.isComplete());
    assertEquals(2, loader.builds.size());
    loader.builds.get(1).fail(new IllegalStateException("redis away"));
    eventually(WITHIN, "the fallback", second::isComplete);
    assertSame(first.result(), second.result());
  }

  @Test
  @DisplayName("past 80 % of its age a list is still served at once, and rebuilt in the background")
  void refreshAhead() throws InterruptedException {
    Loader loader = new Loader();
    PlaylistCache cache = new PlaylistCache(owner, loader::load, 1);
    Future<Playlist> first = on(front, cache::get);
    drainOwner();
    loader.finish(0);
    eventually(WITHIN, "the first list", first::succeeded);
    Thread.sleep(850);   // time is the subject: 85 % of the list's 1 s
    Future<Playlist> served = on(front, cache::get);
    assertTrue(served.isComplete(), "served at once");
    assertSame(first.result(), served.result());
    eventually(WITHIN, "a background build", () -> loader.builds.size() == 2);
    loader.finish(1);
    eventually(WITHIN, "the new list served", () -> on(front, cache::get).result() != first.result());
  }
}
