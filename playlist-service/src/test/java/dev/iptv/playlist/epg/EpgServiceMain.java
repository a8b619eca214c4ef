package dev.iptv.playlist.epg;

import dev.iptv.common.Config;
import dev.iptv.playlist.PlaylistVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static dev.iptv.testing.Await.await;

/**
 * playlist-service alone in a JVM of its own (started by {@link BigGuideImportTest} with a small
 * heap): deploys {@link PlaylistVerticle} on the port given, prints {@code READY}, samples the heap
 * every 10 ms (used, garbage included: the highest it went), and on a {@code STOP} line from stdin prints {@code HEAP {json}} and exits.
 */
public final class EpgServiceMain {

  private EpgServiceMain() {
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    Vertx vertx = Vertx.vertx();
    JsonObject config = EpgFixture.config(port, Map.of(Config.EPG_CHECK_S, "3600", Config.NODE_NAME, "small-heap"));
    await(vertx.deployVerticle(new PlaylistVerticle(), new DeploymentOptions().setConfig(config)));

    AtomicLong peakUsed = new AtomicLong();
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
          if (pool.getType() == MemoryType.HEAP) {
            used += pool.getUsage().getUsed();
          }
        }
        peakUsed.accumulateAndGet(used, Math::max);
        try {
          Thread.sleep(10);   // time is the subject: one sample every 10 ms
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "heap-sampler");
    sampler.setDaemon(true);
    sampler.start();
    System.out.println("READY");
    System.out.flush();

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null && !line.equals("STOP"); line = in.readLine()) {
      // wait
    }
    sampler.interrupt();
    long max = Runtime.getRuntime().maxMemory();
    System.out.println("HEAP " + new JsonObject().put("max_heap_mb", max >> 20).put("peak_used_mb", peakUsed.get() >> 20)
      .encode());
    System.out.flush();
    await(vertx.close());
    System.exit(0);
  }
}
