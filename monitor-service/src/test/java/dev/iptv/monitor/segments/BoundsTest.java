package dev.iptv.monitor.segments;

import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.monitor.MonitorMeters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** State keyed by what segment records carry (channel ids, statuses) stays bounded under a flood. */
class BoundsTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    registry.close();
    await(vertx.close());
  }

  private static SegmentServed record(String channel, int status) {
    return new SegmentServed(channel, 10, "198.51.100.7", "u", "VLC/3", status, System.currentTimeMillis() / 1000.0);
  }

  @Test
  @DisplayName("per-channel counters stop at MAX_CHANNEL_SERIES channels; the rest are counted under channel=other")
  void channelSeries() {
    MonitorMeters meters = new MonitorMeters(registry);
    int extra = 500;
    for (int i = 0; i < MonitorMeters.MAX_CHANNEL_SERIES + extra; i++) {
      meters.served(Integer.toString(i), 10, 1);
    }
    meters.served("0", 10, 1); // a channel seen early keeps its own series
    assertEquals(MonitorMeters.MAX_CHANNEL_SERIES + 1, registry.find("iptv.served").counters().size());
    Counter other = registry.find("iptv.served").tag("channel", MonitorMeters.OTHER).counter();
    assertEquals(extra * 10.0, other.count());
    assertEquals(20.0, registry.find("iptv.served").tag("channel", "0").counter().count());
  }

  @Test
  @DisplayName("error statuses from records are labelled as HTTP statuses or 'other', never by any number sent")
  void statuses() {
    ByteLedger ledger = new ByteLedger(Redis.createClient(vertx, "redis://127.0.0.1:1"), new MonitorMeters(registry), r -> {
    });
    for (int status = 600; status < 5_600; status++) {
      ledger.record(record("1", status));
    }
    ledger.record(record("1", 404));
    assertEquals(2, registry.find("iptv.segment.errors").counters().size());
    assertEquals(5_000.0, registry.find("iptv.segment.errors").tag("status", "other").counter().count());
  }

  @Test
  @DisplayName("bytes waiting for Redis are kept for at most MAX_PENDING channels; the rest are counted as dropped")
  void pendingBytes() {
    ByteLedger ledger = new ByteLedger(Redis.createClient(vertx, "redis://127.0.0.1:1"), new MonitorMeters(registry), r -> {
    });
    for (int i = 0; i < ByteLedger.MAX_PENDING + 100; i++) {
      ledger.record(record(Integer.toString(i), 200));
    }
    ledger.record(record("0", 200)); // a channel already waiting still adds up
    assertEquals(ByteLedger.MAX_PENDING, ledger.pendingChannels());
    assertEquals(100, ledger.dropped());
  }
}
