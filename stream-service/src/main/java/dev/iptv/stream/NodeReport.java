package dev.iptv.stream;

import dev.iptv.common.Epoch;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.ServerContract;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * This stream node's own report for placement (SPEC section 9), {@code node:{name}:stream}: its
 * instance (where {@link dev.iptv.contract.StreamContract#ensureAddress} reaches it), public URL,
 * {@code IPTV_MAX_STREAMS}, running streams, CPU (between two reports, from {@code /proc/stat}),
 * memory ({@code /proc/meminfo}, {@code MemAvailable}), load ({@code /proc/loadavg}) and the disk
 * of {@code IPTV_HLS_DIR} (used percent of its file system). Written every
 * {@value ServerContract#NODE_REPORT_S} s, so a node with no monitor-service of its own
 * ({@code bin/iptv node}) is listed and placed on; it also joins {@code nodes:all} and refreshes
 * {@code node:{name}:last_seen}. Read on a worker; the timer runs on the verticle's context.
 */
final class NodeReport {

  private static final Logger log = LoggerFactory.getLogger(NodeReport.class);

  private final Vertx vertx;
  private final Redis redis;
  private final String node;
  private final String instance;
  private final String publicUrl;
  private final int maxStreams;
  private final IntSupplier streams;
  private final Path proc;
  private final Path hlsDir;
  private long[] lastCpu;
  private long timer = -1;
  private boolean failing;
  private boolean namesakeLogged;

  NodeReport(Vertx vertx, Redis redis, StreamSettings s, String instance, String publicUrl, IntSupplier streams, Path proc) {
    this.vertx = vertx;
    this.redis = redis;
    this.node = s.node();
    this.instance = instance;
    this.publicUrl = publicUrl;
    this.maxStreams = s.maxStreams();
    this.streams = streams;
    this.proc = proc;
    this.hlsDir = s.hlsDir();
  }

  /** Reports now and every {@value ServerContract#NODE_REPORT_S} s; the first report's future. */
  Future<Void> start() {
    timer = vertx.setPeriodic(ServerContract.NODE_REPORT_S * 1000L, t -> report());
    return report();
  }

  /** Stops reporting and removes the report: the node takes no more channels. */
  Future<Void> close() {
    vertx.cancelTimer(timer);
    return redis.send(Request.cmd(Command.DEL).arg(ServerContract.nodeStreamKey(node))).<Void>mapEmpty().otherwiseEmpty();
  }

  Future<Void> report() {
    return vertx.executeBlocking(this::sample, true).compose(figures -> {
      long now = System.currentTimeMillis();
      JsonObject o = figures.put("name", node).put("instance", instance).put("public_url", publicUrl)
        .put("max_streams", maxStreams).put("streams", streams.getAsInt()).put("updated", Epoch.seconds(now));
      // The report replaced is read first, in the same batch (SET ... GET needs Redis 6.2).
      return redis.batch(List.of(
        Request.cmd(Command.GET).arg(ServerContract.nodeStreamKey(node)),
        Request.cmd(Command.SET).arg(ServerContract.nodeStreamKey(node)).arg(o.encode())
          .arg("EX").arg(ServerContract.NODE_REPORT_TTL_S),
        Request.cmd(Command.SET).arg(MonitorContract.nodeLastSeenKey(node)).arg(Epoch.text(now))
          .arg("EX").arg(MonitorContract.NODE_LAST_SEEN_TTL_S),
        Request.cmd(Command.SADD).arg(MonitorContract.NODES_ALL).arg(node)));
    }).onSuccess(this::checkNamesake).<Void>mapEmpty().onSuccess(v -> failing = false).recover(err -> {
      if (!failing) {
        log.warn("node {}: cannot write its report for placement: {}", node, err.toString());
        failing = true;
      }
      return Future.succeededFuture();
    });
  }

  /**
   * The report this one replaced: another instance reporting under our name with another public URL
   * is another node given the same IPTV_NODE_NAME (one would wait for the other's files in its own
   * folder): said loudly, once.
   */
  private void checkNamesake(List<Response> replies) {
    Response previous = replies.isEmpty() ? null : replies.get(0);
    if (previous == null || namesakeLogged) {
      return;
    }
    try {
      JsonObject o = new JsonObject(previous.toString());
      String url = o.getString("public_url");
      if (!instance.equals(o.getString("instance")) && url != null && !url.equals(publicUrl)) {
        namesakeLogged = true;
        log.error("another stream-service ({}, {}) reports under this node's name {}: give each node its own {}",
          o.getString("instance"), url, node, dev.iptv.common.Config.NODE_NAME);
      }
    } catch (RuntimeException e) {
      // Not a report of ours: written over.
    }
  }

  /**
   * CPU since the last sample and memory in use, in percent (0 where /proc cannot be read); the
   * 1-minute load and the HLS folder's disk in use (absent where they cannot be read).
   */
  private JsonObject sample() {
    JsonObject out = new JsonObject();
    try {
      out.put("load_1m", Double.parseDouble(Files.readString(proc.resolve("loadavg")).trim().split("\\s+")[0]));
    } catch (IOException | RuntimeException e) {
      log.debug("node {}: cannot read the load: {}", node, e.toString());
    }
    try {
      FileStore store = Files.getFileStore(hlsDir);
      long total = store.getTotalSpace();
      if (total > 0) {
        out.put("disk_percent", Math.round(1000.0 * (total - store.getUsableSpace()) / total) / 10.0);
      }
    } catch (IOException | RuntimeException e) {
      log.debug("node {}: cannot read the disk of {}: {}", node, hlsDir, e.toString());
    }
    return cpuAndMemory(out);
  }

  private JsonObject cpuAndMemory(JsonObject out) {
    double cpu = 0;
    double mem = 0;
    try {
      String[] w = Files.readAllLines(proc.resolve("stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < w.length && i <= 8; i++) {
        total += Long.parseLong(w[i]);
      }
      long idle = Long.parseLong(w[4]) + (w.length > 5 ? Long.parseLong(w[5]) : 0);
      long[] now = {total - idle, total};
      if (lastCpu != null && now[1] > lastCpu[1]) {
        cpu = 100.0 * (now[0] - lastCpu[0]) / (now[1] - lastCpu[1]);
      }
      lastCpu = now;
      long memTotal = 0;
      long memAvailable = 0;
      for (String line : Files.readAllLines(proc.resolve("meminfo"))) {
        String[] f = line.trim().split("\\s+");
        if (f.length >= 2 && f[0].equals("MemTotal:")) {
          memTotal = Long.parseLong(f[1]);
        } else if (f.length >= 2 && f[0].equals("MemAvailable:")) {
          memAvailable = Long.parseLong(f[1]);
        }
      }
      mem = memTotal == 0 ? 0 : 100.0 * (memTotal - memAvailable) / memTotal;
    } catch (IOException | RuntimeException e) {
      log.debug("node {}: cannot read {}: {}", node, proc, e.toString());
    }
    return out.put("cpu_percent", Math.round(cpu * 10) / 10.0).put("memory_percent", Math.round(mem * 10) / 10.0);
  }
}
