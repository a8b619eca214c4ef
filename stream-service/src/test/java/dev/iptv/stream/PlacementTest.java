package dev.iptv.stream;

import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.ServerContract;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The placement rule of SPEC section 9 read from the reports stream nodes write to Redis
 * ({@code node:{name}:stream}): eligible (online, streams below max_streams, CPU below 80 %,
 * memory below 90 %), fewest streams first; a forced node wins while online; this node when
 * nothing qualifies.
 */
class PlacementTest {

  private static final int DB = 12;
  private Vertx vertx;
  private RedisAPI redis;
  private Placement placement;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    redis = TestEnv.flushedRedis(vertx, DB);
    placement = new Placement(redis, "local");
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  private void report(String name, int streams, int max, double cpu, double mem) {
    JsonObject o = new JsonObject().put("name", name).put("instance", name + "/abcd").put("public_url", "http://" + name)
      .put("max_streams", max).put("streams", streams).put("cpu_percent", cpu).put("memory_percent", mem);
    await(redis.set(List.of(ServerContract.nodeStreamKey(name), o.encode(), "EX", "10")));
    await(redis.sadd(List.of(MonitorContract.NODES_ALL, name)));
  }

  private String placed(String forced) {
    Placement.Candidate c = await(placement.place(forced));
    return c == null ? null : c.name();
  }

  @Test
  @DisplayName("the least loaded eligible node wins: busy CPU, full memory and full max_streams are passed over")
  void leastLoaded() {
    report("local", 4, 10, 10, 10);
    report("a", 3, 10, 10, 10);
    report("b", 1, 10, 85, 10);   // CPU 85 %: not eligible
    report("c", 2, 2, 10, 10);    // full
    report("d", 1, 10, 10, 95);   // memory 95 %: not eligible
    report("e", 2, 10, 20, 10);
    assertEquals("e", placed(null));
    report("e", 3, 10, 20, 10);
    assertEquals("a", placed(null), "equal streams: lower CPU first");
    report("local", 1, 10, 10, 10);
    assertNull(placed(null), "this node is the least loaded: run here");
  }

  @Test
  @DisplayName("a forced node wins while it reports, even full; an offline or unknown one is placed by load")
  void forced() {
    report("local", 0, 10, 10, 10);
    report("full", 5, 5, 95, 95);
    assertEquals("full", placed("full"));
    assertNull(placed("gone"), "unknown: by load, and this node is least loaded");
    report("a", 0, 10, 5, 10);
    await(redis.del(List.of(ServerContract.nodeStreamKey("full"))));
    assertEquals("a", placed("full"), "its report expired: offline, placed by load");
    assertNull(placed("local"));
  }

  @Test
  @DisplayName("nothing qualifies (or nothing reports): this node")
  void nothingQualifies() {
    assertNull(placed(null));
    report("a", 10, 10, 10, 10);
    report("b", 0, 10, 80, 10);
    report("c", 0, 10, 10, 90);
    assertNull(placed(null));
  }
}
