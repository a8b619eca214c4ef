package dev.iptv.monitor.health;

import dev.iptv.common.AdminBearer;
import dev.iptv.common.Epoch;
import dev.iptv.common.Http;
import dev.iptv.contract.StreamContract.StreamEvent;
import dev.iptv.monitor.MirrorView;
import dev.iptv.monitor.history.HistoryVerticle;
import dev.iptv.monitor.nodes.HostSampler;
import dev.iptv.monitor.segments.SegmentAccountingVerticle;
import dev.iptv.pg.Db;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.RedisAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /api/health}: {@code 200 {"status":"ok","timestamp"}} or
 * {@code 503 {"status":"degraded","timestamp"}} for anyone (load balancers); with the admin bearer
 * also the checks ({@code redis}, {@code postgresql}, {@code ffmpeg}, {@code disk}, {@code cluster},
 * {@code segment_log}, {@code mirror}), the failing and warning lists and this node's name (they name
 * the database, paths and node ids).
 *
 * <p>The handler runs on whichever event loop serves the request: it reads only what is safe from
 * any thread (the FFmpeg probe's cached answer, the last {@code disk_full} event, the history's
 * PostgreSQL state), asks the segment accounting verticle for its part on that verticle's loop and
 * the mirror over the event bus. {@link #diskFull} runs on the health verticle's loop.
 */
final class HealthCheck {

  private static final Logger log = LoggerFactory.getLogger(HealthCheck.class);

  /** A dependency check answers within this many milliseconds or counts as failing. */
  static final long CHECK_TIMEOUT_MS = 2000;
  /** A {@code disk_full} event fails the {@code disk} check of health for this long. */
  static final long DISK_FULL_HOLD_MS = 60_000;

  /** The last {@code disk_full} event heard, with when (immutable: read from any thread). */
  private record DiskFull(long atMillis, JsonObject event) {
  }

  private final Vertx vertx;
  private final RedisAPI redis;
  private final AdminBearer admin;
  private final String node;
  private final FfmpegProbe ffmpeg;
  private final Path hlsDir;
  private final long diskMinFreeBytes;
  private final ClusterManager cluster;
  private final HistoryVerticle history;
  private final SegmentAccountingVerticle segments;
  private volatile DiskFull lastDiskFull;

  /** @param cluster the cluster this JVM joined, or null (standalone) */
  HealthCheck(Vertx vertx, RedisAPI redis, AdminBearer admin, String node, FfmpegProbe ffmpeg, Path hlsDir,
              long diskMinFreeBytes, ClusterManager cluster, HistoryVerticle history, SegmentAccountingVerticle segments) {
    this.vertx = vertx;
    this.redis = redis;
    this.admin = admin;
    this.node = node;
    this.ffmpeg = ffmpeg;
    this.hlsDir = hlsDir;
    this.diskMinFreeBytes = diskMinFreeBytes;
    this.cluster = cluster;
    this.history = history;
    this.segments = segments;
  }

  /** A {@code disk_full} stream event: logged once per burst, and it fails the disk check for a while. */
  void diskFull(StreamEvent se, JsonObject e) {
    long now = System.currentTimeMillis();
    DiskFull last = lastDiskFull;
    if (last == null || now - last.atMillis() > 10_000) { // one line per burst: every channel of a full disk reports it
      log.error("disk full on node {} writing {} (channel {}): {}", se.node(), se.path(), se.channelId(), se.reason());
    }
    lastDiskFull = new DiskFull(now, e.copy());
  }

  void handle(RoutingContext ctx) {
    boolean details = admin.matches(ctx);
    Future<JsonObject> redisCheck = timed(redis.ping(List.of()).compose(reply -> reply != null
      && "PONG".equalsIgnoreCase(reply.toString()) ? Future.succeededFuture()
      : Future.failedFuture("unexpected PING reply: " + reply)));
    Db db = history.db();
    Future<JsonObject> pgCheck = db == null ? Future.succeededFuture(new JsonObject().put("enabled", false))
      : timed(db.ping(CHECK_TIMEOUT_MS)).map(c -> {
        String notReady = history.notReady();
        if (notReady != null && c.getBoolean("ok")) {
          c.put("ok", false).put("error", notReady);
        }
        return c;
      });
    Future<JsonObject> ffCheck = ffmpeg.current();
    Future<JsonObject> diskCheck = diskCheck();
    // Warnings and the mirror are shown with the details only: without them, nothing to ask.
    Future<JsonObject> segCheck = !details ? Future.succeededFuture(new JsonObject().put("ok", true))
      : segments.health().otherwise(err -> new JsonObject().put("ok", false).put("error", String.valueOf(err.getMessage())));
    Future<JsonObject> mirrorCheck = details ? MirrorView.json(vertx, CHECK_TIMEOUT_MS) : Future.succeededFuture();
    Future.join(List.of(redisCheck, pgCheck, ffCheck, diskCheck, segCheck, mirrorCheck)).onComplete(ar -> {
      JsonObject r = redisCheck.result();
      JsonObject p = pgCheck.result();
      JsonObject disk = diskCheck.result();
      JsonArray failing = new JsonArray();
      JsonArray warnings = new JsonArray();
      if (!r.getBoolean("ok")) {
        failing.add("redis");
      }
      if (db != null && !p.getBoolean("ok")) {
        failing.add("postgresql");
      }
      if (!disk.getBoolean("ok")) {
        failing.add("disk");
      }
      JsonObject ff = ffCheck.result();
      if (!ff.getBoolean("ok")) {
        warnings.add("ffmpeg");
      }
      JsonObject seg = segCheck.result();
      if (!seg.getBoolean("ok")) {
        warnings.add("segment_log");
      }
      JsonObject body = new JsonObject()
        .put("status", failing.isEmpty() ? "ok" : "degraded")
        .put("timestamp", Epoch.now());
      if (details) {
        body.put("node", node)
          .put("checks", new JsonObject()
            .put("redis", r)
            .put("postgresql", p)
            .put("ffmpeg", ff)
            .put("disk", disk)
            .put("cluster", cluster())
            .put("segment_log", seg)
            .put("mirror", mirrorCheck.result()));
        if (!failing.isEmpty()) {
          body.put("failing", failing);
        }
        if (!warnings.isEmpty()) {
          body.put("warnings", warnings);
        }
      }
      Http.sendJson(ctx, failing.isEmpty() ? 200 : 503, body);
    });
  }

  /**
   * The HLS folder's file system: failing while it has less than {@code IPTV_DISK_MIN_FREE_MB} free,
   * or for {@link #DISK_FULL_HOLD_MS} after a stream node reported {@code disk_full}. Never fails.
   */
  private Future<JsonObject> diskCheck() {
    long now = System.currentTimeMillis();
    DiskFull last = lastDiskFull;
    boolean recentFull = last != null && now - last.atMillis() <= DISK_FULL_HOLD_MS;
    JsonObject recent = recentFull ? last.event().copy() : null;
    return vertx.executeBlocking(() -> HostSampler.disk(hlsDir), false).transform(ar -> {
      JsonObject o = new JsonObject().put("path", hlsDir.toString()).put("min_free_mb", diskMinFreeBytes / 1048576);
      boolean ok = !recentFull;
      if (ar.succeeded()) {
        long free = ar.result().availableBytes();
        o.put("free_mb", free / 1048576);
        ok &= free >= diskMinFreeBytes;
      } else {
        o.put("error", String.valueOf(ar.cause().getMessage()));
      }
      if (recent != null) {
        o.put("disk_full", recent);
      }
      return Future.succeededFuture(o.put("ok", ok));
    });
  }

  /** A check's outcome with its latency; never fails. */
  private static Future<JsonObject> timed(Future<?> check) {
    long started = System.nanoTime();
    return check.timeout(CHECK_TIMEOUT_MS, TimeUnit.MILLISECONDS).transform(ar -> {
      JsonObject o = new JsonObject().put("ok", ar.succeeded())
        .put("latency_ms", Math.round((System.nanoTime() - started) / 10_000.0) / 100.0);
      if (ar.failed()) {
        o.put("error", String.valueOf(ar.cause().getMessage()));
      }
      return Future.succeededFuture(o);
    });
  }

  /** The cluster this JVM joined, as its cluster manager sees it (public SPI; handed over by the launcher). */
  private JsonObject cluster() {
    if (!vertx.isClustered()) {
      return new JsonObject().put("mode", "standalone");
    }
    JsonObject o = new JsonObject().put("mode", "clustered");
    if (cluster == null) {
      return o; // deployed without its cluster manager: members unknown
    }
    try {
      o.put("members", cluster.getNodes().size()).put("node_id", cluster.getNodeId()).put("ok", cluster.isActive());
    } catch (RuntimeException e) {
      o.put("ok", false).put("error", String.valueOf(e.getMessage()));
    }
    return o;
  }
}
