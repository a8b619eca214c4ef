package dev.iptv.monitor.nodes;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads this machine's figures from the kernel: CPU from {@code /proc/stat} (the busy share of the
 * time between two samples), memory from {@code /proc/meminfo} (used = total - available), disk of
 * the file system holding the HLS folder, network from {@code /proc/net/dev} (every interface but
 * loopback, since boot), uptime from {@code /proc/uptime}, load from {@code /proc/loadavg}.
 *
 * <p>{@link #sample()} reads files, so it runs on a worker thread ({@code executeBlocking}), never
 * on an event loop. It is called from one periodic task at a time; the CPU delta keeps the previous
 * counters, so the first sample reports the average since boot.
 */
public final class HostSampler {

  static final double GIB = 1024.0 * 1024 * 1024;

  private final Path proc;
  private final Path diskPath;
  private final long jvmStartMillis;
  private long[] lastCpu;

  /** @param proc the proc file system ({@code /proc}); @param diskPath a path on the disk to watch */
  public HostSampler(Path proc, Path diskPath, long jvmStartMillis) {
    this.proc = proc;
    this.diskPath = diskPath;
    this.jvmStartMillis = jvmStartMillis;
  }

  /** One reading of the host, as the node's figures (the keys of {@code GET /api/stats}). */
  synchronized JsonObject sample() throws IOException {
    long[] cpu = cpuCounters(Files.readAllLines(proc.resolve("stat")));
    double cpuPercent = cpuPercent(lastCpu, cpu);
    lastCpu = cpu;
    Memory mem = memory(Files.readAllLines(proc.resolve("meminfo")));
    long[] net = network(Files.readAllLines(proc.resolve("net/dev")));
    double uptimeS = firstNumber(Files.readString(proc.resolve("uptime")));
    double load1 = firstNumber(Files.readString(proc.resolve("loadavg")));
    Disk disk = disk(diskPath);
    return new JsonObject()
      .put("cpu_percent", round1(cpuPercent))
      .put("cores", Runtime.getRuntime().availableProcessors())
      .put("load_1m", round2(load1))
      .put("memory_percent", round1(mem.percent()))
      .put("memory_used_gb", round2(mem.usedBytes() / GIB))
      .put("memory_total_gb", round2(mem.totalBytes / GIB))
      .put("disk_percent", round1(disk.percent()))
      .put("disk_used_gb", round2(disk.usedBytes() / GIB))
      .put("disk_total_gb", round2(disk.totalBytes / GIB))
      .put("network_recv_gb", round3(net[0] / GIB))
      .put("network_sent_gb", round3(net[1] / GIB))
      .put("uptime_hours", round2(uptimeS / 3600.0))
      .put("service_uptime_hours", round3((System.currentTimeMillis() - jvmStartMillis) / 3_600_000.0))
      .put("jvm_heap_used_mb", round1((Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / 1048576.0));
  }

  // --- parsing, kept pure for tests -------------------------------------------------------------

  /**
   * The aggregate line of /proc/stat as {busy, total} jiffies. Total is user + nice + system +
   * idle + iowait + irq + softirq + steal (guest time is already inside user and nice).
   */
  static long[] cpuCounters(List<String> stat) {
    for (String line : stat) {
      if (line.startsWith("cpu ")) {
        String[] f = line.trim().split("\\s+");
        long total = 0;
        for (int i = 1; i <= 8 && i < f.length; i++) {
          total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
        return new long[] {total - idle, total};
      }
    }
    throw new IllegalStateException("no aggregate cpu line in /proc/stat");
  }

  /** Busy share between two counter readings, in percent; since boot when there is no previous one. */
  static double cpuPercent(long[] previous, long[] now) {
    long busy = previous == null ? now[0] : now[0] - previous[0];
    long total = previous == null ? now[1] : now[1] - previous[1];
    if (total <= 0) {
      return 0;
    }
    return Math.max(0, Math.min(100, 100.0 * busy / total));
  }

  record Memory(long totalBytes, long availableBytes) {
    long usedBytes() {
      return Math.max(0, totalBytes - availableBytes);
    }

    double percent() {
      return totalBytes <= 0 ? 0 : 100.0 * usedBytes() / totalBytes;
    }
  }

  static Memory memory(List<String> meminfo) {
    long total = -1;
    long available = -1;
    long free = 0;
    long buffers = 0;
    long cached = 0;
    for (String line : meminfo) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = line.substring(0, colon);
      long kib;
      try {
        kib = Long.parseLong(line.substring(colon + 1).trim().split("\\s+")[0]);
      } catch (NumberFormatException e) {
        continue;
      }
      switch (name) {
        case "MemTotal" -> total = kib;
        case "MemAvailable" -> available = kib;
        case "MemFree" -> free = kib;
        case "Buffers" -> buffers = kib;
        case "Cached" -> cached = kib;
        default -> {
        }
      }
    }
    if (total < 0) {
      throw new IllegalStateException("no MemTotal in /proc/meminfo");
    }
    if (available < 0) {
      available = free + buffers + cached; // kernels before 3.14
    }
    return new Memory(total * 1024, available * 1024);
  }

  /** {received, sent} bytes over every interface but loopback. */
  static long[] network(List<String> netDev) {
    long recv = 0;
    long sent = 0;
    for (String line : netDev) {
      int colon = line.indexOf(':');
      if (colon < 0 || line.contains("|")) {
        continue;
      }
      String iface = line.substring(0, colon).trim();
      if (iface.equals("lo")) {
        continue;
      }
      String[] f = line.substring(colon + 1).trim().split("\\s+");
      if (f.length < 9) {
        continue;
      }
      recv += Long.parseLong(f[0]);
      sent += Long.parseLong(f[8]);
    }
    return new long[] {recv, sent};
  }

  public record Disk(long totalBytes, long freeBytes, long availableBytes) {
    long usedBytes() {
      return Math.max(0, totalBytes - freeBytes);
    }

    /** As df reports it: used over what non-root users could have (used + available). */
    double percent() {
      long base = usedBytes() + availableBytes;
      return base <= 0 ? 0 : 100.0 * usedBytes() / base;
    }
  }

  /** The file system holding {@code path}, or its nearest existing parent (the HLS folder may not exist yet). */
  public static Disk disk(Path path) throws IOException {
    Path p = path.toAbsolutePath();
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p == null) {
      p = Path.of("/");
    }
    FileStore store = Files.getFileStore(p);
    return new Disk(store.getTotalSpace(), store.getUnallocatedSpace(), store.getUsableSpace());
  }

  static double firstNumber(String text) {
    String t = text.trim();
    int sp = t.indexOf(' ');
    return Double.parseDouble(sp < 0 ? t : t.substring(0, sp));
  }

  static double round1(double v) {
    return Math.round(v * 10.0) / 10.0;
  }

  static double round2(double v) {
    return Math.round(v * 100.0) / 100.0;
  }

  static double round3(double v) {
    return Math.round(v * 1000.0) / 1000.0;
  }
}
