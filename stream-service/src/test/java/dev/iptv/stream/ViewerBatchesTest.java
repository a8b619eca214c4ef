package dev.iptv.stream;

import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.MonitorContract.SegmentBatch;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The segments a JVM served reach monitor-service as one sum per viewer and batch: every answer and
 * byte counted once, whatever threads add while a batch leaves, and different viewers kept apart.
 */
class ViewerBatchesTest {

  private Vertx vertx;
  private MessageConsumer<JsonObject> consumer;
  private final ConcurrentLinkedQueue<SegmentBatch> received = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    consumer = vertx.eventBus().consumer(MonitorContract.SEGMENTS_SERVED, m -> received.add(SegmentBatch.fromJson(m.body())));
    await(consumer.completion());
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
  }

  @Test
  @DisplayName("answers added from four threads while batches leave are summed per viewer: none lost, none counted twice")
  void sumsPerViewerUnderConcurrentBatches() throws Exception {
    ViewerBatches batches = new ViewerBatches(vertx, null, 100);
    int perThread = 50_000;
    List<String> addresses = List.of("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5");
    CountDownLatch done = new CountDownLatch(addresses.size());
    for (String ip : addresses) {
      Thread t = new Thread(() -> {
        for (int i = 0; i < perThread; i++) {
          // Two players behind each address: the same User-Agent on two channels, and a refused answer.
          batches.served(SegmentServed.now("101", 1_000, ip, "ann", "VLC/3.0.20"));
          batches.served(SegmentServed.now("102", 10, ip, "ann", "VLC/3.0.20"));
          if (i % 10 == 0) {
            batches.served(new SegmentServed("101", 0, ip, "ann", "VLC/3.0.20", 403, System.currentTimeMillis() / 1000.0));
          }
        }
        done.countDown();
      }, "player-" + ip);
      t.start();
    }
    while (done.getCount() > 0) {
      batches.sendServed(); // a batch leaves while the players keep adding
      TestEnv.pause(2);
    }
    batches.sendServed();

    long answers = (long) addresses.size() * (2L * perThread + perThread / 10);
    eventually(java.time.Duration.ofSeconds(10), "every batch delivered",
      () -> received.stream().flatMap(b -> b.records().stream()).mapToLong(SegmentServed::count).sum() == answers);
    List<SegmentServed> all = received.stream().flatMap(b -> b.records().stream()).toList();
    Map<String, long[]> byViewer = all.stream().collect(Collectors.groupingBy(
      r -> r.channelId() + " " + r.ip() + " " + r.status(),
      Collectors.reducing(new long[2], r -> new long[] {r.count(), r.bytes()}, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]})));
    assertEquals(addresses.size() * 3, byViewer.size(), "one series per channel, address and status: " + byViewer.keySet());
    for (String ip : addresses) {
      assertEquals(perThread, byViewer.get("101 " + ip + " 200")[0]);
      assertEquals(1_000L * perThread, byViewer.get("101 " + ip + " 200")[1]);
      assertEquals(perThread, byViewer.get("102 " + ip + " 200")[0]);
      assertEquals(10L * perThread, byViewer.get("102 " + ip + " 200")[1]);
      assertEquals(perThread / 10, byViewer.get("101 " + ip + " 403")[0]);
    }
    // Sums, not one record per answer: far fewer records than answers.
    assertTrue(all.size() < answers / 20, all.size() + " records for " + answers + " answers");
    assertTrue(all.stream().allMatch(r -> "ann".equals(r.username()) && "VLC/3.0.20".equals(r.userAgent())));
  }
}
