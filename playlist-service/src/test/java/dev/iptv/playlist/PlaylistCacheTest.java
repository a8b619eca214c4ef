package dev.iptv.playlist;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("The playlist cache")
class PlaylistCacheTest {

  /** A loader whose builds the test completes by hand. */
  private static final class Loader {
    final List<Promise<Playlist>> builds = new ArrayList<>();
    final List<Long> generations = new ArrayList<>();

    Future<Playlist> load(long generation) {
      Promise<Playlist> p = Promise.promise();
      builds.add(p);
      generations.add(generation);
      return p.future();
    }

    void finish(int i) {
      builds.get(i).complete(Playlist.render(List.of(), "http://x", System.nanoTime(), generations.get(i)));
    }
  }

  @Test
  @DisplayName("concurrent requests share one build, and are then served from memory")
  void noStampede() {
    Loader loader = new Loader();
    PlaylistCache cache = new PlaylistCache(loader::load, 60);
    List<Future<Playlist>> waiting = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      waiting.add(cache.get());
    }
    assertEquals(1, loader.builds.size());
    loader.finish(0);
    waiting.forEach(f -> assertTrue(f.succeeded()));
    assertSame(waiting.get(0).result(), waiting.get(99).result());
    assertSame(waiting.get(0).result(), cache.get().result());
    assertEquals(1, loader.builds.size());
  }

  @Test
  @DisplayName("an invalidation during a build queues exactly one more build, whose list is the one served")
  void invalidationDuringBuild() {
    Loader loader = new Loader();
    PlaylistCache cache = new PlaylistCache(loader::load, 60);
    Future<Playlist> first = cache.get();
    cache.invalidate();
    List<Future<Playlist>> after = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      after.add(cache.get());
      cache.invalidate();
    }
    Future<Playlist> last = cache.get();
    assertEquals(1, loader.builds.size(), "nothing runs in parallel");
    loader.finish(0);
    assertTrue(first.succeeded());
    assertFalse(last.isComplete(), "requests after the invalidation wait for the next build");
    assertEquals(2, loader.builds.size(), "one queued build for all the invalidations");
    assertEquals(11, loader.generations.get(1));
    loader.finish(1);
    assertTrue(last.succeeded());
    after.forEach(f -> assertSame(last.result(), f.result()));
    assertSame(last.result(), cache.get().result());
  }

  @Test
  @DisplayName("an expired list is rebuilt before it is served; a failed build falls back to the last list")
  void ageAndFailure() throws InterruptedException {
    Loader loader = new Loader();
    PlaylistCache cache = new PlaylistCache(loader::load, 1);
    Future<Playlist> first = cache.get();
    loader.finish(0);
    Thread.sleep(1100);   // time is the subject: the list ages past its 1 s
    Future<Playlist> second = cache.get();
    assertFalse(second.isComplete());
    assertEquals(2, loader.builds.size());
    loader.builds.get(1).fail(new IllegalStateException("redis away"));
    assertSame(first.result(), second.result());
  }
}
