package dev.iptv.stream.servers;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A server's health read over SSH from {@code /proc} in one round trip (a script fed to
 * {@code sh -s}, so no process's command line holds the HLS path but FFmpeg's): CPU over a quarter
 * second of {@code /proc/stat}, memory from {@code /proc/meminfo} ({@code MemAvailable}), load,
 * the HLS folder's disk, and the PIDs of our FFmpeg processes (command line starting with the
 * server's ffmpeg and naming its HLS folder).
 */
final class ServerHealth {

  private ServerHealth() {
  }

  static String script(ServerSpec spec) {
    String hls = ShellQuote.quote(spec.hlsDir() + "/stream_");
    return "head -n 1 /proc/stat\n"
      + "sleep 0.25\n"
      + "head -n 1 /proc/stat\n"
      + "echo @@\n"
      + "grep -E '^(MemTotal|MemAvailable):' /proc/meminfo\n"
      + "echo @@\n"
      + "cat /proc/loadavg\n"
      + "echo @@\n"
      + "df -Pk " + ShellQuote.quote(spec.hlsDir()) + " 2>/dev/null | tail -n 1\n"
      + "echo @@\n"
      + "bin=" + ShellQuote.quote(spec.ffmpeg()) + "\n"
      + "for f in $(printf '%s\\n' " + hls + " | grep -alFf - /proc/[0-9]*/cmdline 2>/dev/null); do\n"
      + "  a0=$(tr '\\000' '\\n' < \"$f\" 2>/dev/null | head -n 1)\n"
      + "  if [ \"$a0\" = \"$bin\" ]; then p=${f#/proc/}; echo ${p%/cmdline}; fi\n"
      + "done\n"
      + "echo @@end\n";
  }

  /** Reads the server now: {@code status} online and its figures. */
  static JsonObject read(SshLink link) {
    SshLink.Result r = link.exec("sh -s", script(link.spec()));
    if (!r.out().contains("@@end")) {
      throw new SshFailure("the health script failed on " + link.spec().sshHost() + ": " + r.tail());
    }
    return parse(r.out());
  }

  static JsonObject parse(String out) {
    String[] parts = out.split("@@\n?");
    String[] stat = parts[0].strip().split("\n");
    double cpu = 0;
    if (stat.length >= 2) {
      long[] a = cpu(stat[0]);
      long[] b = cpu(stat[1]);
      long total = b[1] - a[1];
      cpu = total <= 0 ? 0 : 100.0 * (b[0] - a[0]) / total;
    }
    long memTotal = 0;
    long memAvailable = 0;
    for (String line : parts[1].strip().split("\n")) {
      String[] w = line.trim().split("\\s+");
      if (w.length >= 2 && w[0].equals("MemTotal:")) {
        memTotal = Long.parseLong(w[1]);
      } else if (w.length >= 2 && w[0].equals("MemAvailable:")) {
        memAvailable = Long.parseLong(w[1]);
      }
    }
    String[] load = parts[2].trim().split("\\s+");
    String[] df = parts[3].trim().split("\\s+");
    double disk = 0;
    if (df.length >= 4 && df[2].matches("\\d+") && df[3].matches("\\d+")) {
      long used = Long.parseLong(df[2]);
      long avail = Long.parseLong(df[3]);
      disk = used + avail == 0 ? 0 : 100.0 * used / (used + avail);
    }
    JsonArray pids = new JsonArray();
    for (String line : parts[4].strip().split("\n")) {
      if (line.matches("\\d{1,10}")) {
        pids.add(Long.parseLong(line));
      }
    }
    return new JsonObject()
      .put("status", "online")
      .put("cpu_percent", round1(cpu))
      .put("memory_percent", round1(memTotal == 0 ? 0 : 100.0 * (memTotal - memAvailable) / memTotal))
      .put("memory_total_gb", Math.round(memTotal / 1048576.0 * 100) / 100.0)
      .put("load_1m", load.length > 0 && load[0].matches("[0-9.]+") ? Double.parseDouble(load[0]) : 0.0)
      .put("disk_percent", round1(disk))
      .put("ffmpeg_running", pids.size())
      .put("ffmpeg_pids", pids);
  }

  /** {busy, total} jiffies of the aggregate cpu line. */
  private static long[] cpu(String line) {
    String[] w = line.trim().split("\\s+");
    List<Long> v = new ArrayList<>();
    for (int i = 1; i < w.length && i <= 8; i++) {
      v.add(Long.parseLong(w[i]));
    }
    long total = v.stream().mapToLong(Long::longValue).sum();
    long idle = v.get(3) + (v.size() > 4 ? v.get(4) : 0);
    return new long[] {total - idle, total};
  }

  private static double round1(double v) {
    return Math.round(v * 10) / 10.0;
  }
}
