package dev.iptv.monitor.nodes;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostSamplerTest {

  @Test
  @DisplayName("CPU busy share comes from the difference of two /proc/stat readings, idle and iowait counting as idle")
  void cpuDelta() {
    long[] a = HostSampler.cpuCounters(List.of("cpu  100 0 50 800 50 0 0 0 0 0", "cpu0 1 2 3 4"));
    long[] b = HostSampler.cpuCounters(List.of("cpu  160 0 90 900 50 0 0 0 7 0"));
    assertArrayEquals(new long[] {150, 1000}, a);
    // b: busy 160 + 90 = 250 of 1200 (guest time 7 is inside user already)
    assertEquals(100.0 * (250 - 150) / (1200 - 1000), HostSampler.cpuPercent(a, b), 1e-9);
    assertEquals(15.0, HostSampler.cpuPercent(null, a), 1e-9, "without a previous reading: since boot");
  }

  @Test
  @DisplayName("memory used is total minus available, and the network sums every interface but loopback")
  void memoryAndNetwork() {
    HostSampler.Memory m = HostSampler.memory(List.of("MemTotal:       8000000 kB", "MemFree:  1000 kB",
      "MemAvailable:   2000000 kB"));
    assertEquals(6000000L * 1024, m.usedBytes());
    assertEquals(75.0, m.percent(), 1e-9);
    long[] net = HostSampler.network(List.of(
      "Inter-|   Receive                                                |  Transmit",
      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed",
      "    lo: 999 1 0 0 0 0 0 0 999 1 0 0 0 0 0 0",
      "  eth0: 1000 5 0 0 0 0 0 0 300 3 0 0 0 0 0 0",
      "  eth1: 24 1 0 0 0 0 0 0 76 1 0 0 0 0 0 0"));
    assertArrayEquals(new long[] {1024, 376}, net);
  }

  @Test
  @DisplayName("a real sample of this machine has every figure of the stats contract within its range")
  void realSample() throws Exception {
    HostSampler sampler = new HostSampler(Path.of("/proc"), Path.of("/tmp/does-not-exist-yet/hls"), System.currentTimeMillis());
    sampler.sample();
    Thread.sleep(200);   // time is the subject: the CPU share is the difference of two readings apart
    long[] before = interfaceBytes();
    JsonObject s = sampler.sample();
    long[] after = interfaceBytes();
    for (String key : List.of("cpu_percent", "memory_percent", "disk_percent")) {
      double v = s.getDouble(key);
      assertTrue(v >= 0 && v <= 100, key + " = " + v);
    }
    assertTrue(s.getDouble("memory_used_gb") > 0);
    assertTrue(s.getDouble("memory_total_gb") >= s.getDouble("memory_used_gb"));
    assertTrue(s.getDouble("disk_total_gb") > 0);
    // The machine's own counters, read here without the sampler: its figures lie between two readings.
    assertBetween(gib(before[0]), s.getDouble("network_recv_gb"), gib(after[0]), "network_recv_gb");
    assertBetween(gib(before[1]), s.getDouble("network_sent_gb"), gib(after[1]), "network_sent_gb");
    assertTrue(s.getDouble("uptime_hours") > 0);
    assertTrue(s.getInteger("cores") >= 1);
  }

  /** Bytes received and sent by every interface but loopback, from /proc/net/dev (columns 1 and 9). */
  private static long[] interfaceBytes() throws Exception {
    long[] total = new long[2];
    for (String line : Files.readAllLines(Path.of("/proc/net/dev"))) {
      int colon = line.indexOf(':');
      if (colon < 0 || line.substring(0, colon).trim().equals("lo") || line.contains("|")) {
        continue;
      }
      String[] columns = line.substring(colon + 1).trim().split("\\s+");
      total[0] += Long.parseLong(columns[0]);
      total[1] += Long.parseLong(columns[8]);
    }
    return total;
  }

  private static double gib(long bytes) {
    return bytes / (1024.0 * 1024 * 1024);
  }

  /** {@code value}, rounded to three decimals, between the two readings (rounded the same way). */
  private static void assertBetween(double low, double value, double high, String what) {
    assertTrue(value >= Math.floor(low * 1000) / 1000 && value <= Math.ceil(high * 1000) / 1000,
      what + " = " + value + ", the machine says " + low + " to " + high);
  }
}
