package dev.iptv.stream;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;

/**
 * The settings of stream-service, read once from the deployment config. The suite-wide names
 * live in {@link Config}; the ones only this service reads are declared here in the same style
 * (environment variable, config-file key without {@code IPTV_} in lower case with dots, default).
 *
 * @param hlsDir         where FFmpeg writes {@code stream_{id}.m3u8} and {@code stream_{id}_N.ts}
 * @param ffmpegLogDir   where each FFmpeg's stderr goes (never inside the HLS dir: it may name
 *                       upstream credentials)
 * @param ffmpeg         the FFmpeg binary
 * @param node           this node's name (stream:{id}:node)
 * @param idleTimeoutMs  stop a stream this long after its last viewer poll
 * @param startTimeoutMs give up starting after this long
 * @param hlsTimeS       segment length
 * @param hlsListSize    segments in the live playlist
 * @param leaseMs        owner lease ({@code stream:{id}:owner}), renewed every third of it
 * @param stopGraceMs    SIGTERM to SIGKILL
 * @param restartMax     consecutive failed restarts before a watched stream is given up
 * @param segmentSecret  secret of segment proofs
 * @param proofTtlS      validity of a segment proof
 * @param maxStreams     channels this instance runs at once, running and starting ({@code IPTV_MAX_STREAMS})
 * @param userStartsPerMin cold starts one user may cause per minute across the cluster, 0: no limit
 */
public record StreamSettings(Path hlsDir, Path ffmpegLogDir, String ffmpeg, String node, long idleTimeoutMs,
                             long startTimeoutMs, int hlsTimeS, int hlsListSize, long leaseMs, long stopGraceMs,
                             int restartMax, String segmentSecret, long proofTtlS, int maxStreams,
                             int userStartsPerMin) {

  /**
   * The default of {@code IPTV_MAX_STREAMS} per core. Sized for copy streams: one FFmpeg copying a
   * 5.4 Mbit/s channel into HLS measured 1.2 % of a core and 19 MB of private memory (31 MB PSS), so
   * 20 per core spend about a quarter of the CPU and 0.4 GB per core on FFmpeg (and 110 Mbit/s of
   * ingress), leaving the rest to nginx, the JVM and the viewers. A transcoded channel costs about a
   * core: set the limit lower where many channels transcode.
   */
  public static final int MAX_STREAMS_PER_CORE = 20;

  /** Segment length in seconds (the seed's 4). Shorter starts faster and costs more requests. */
  public static final String HLS_TIME_S = "IPTV_HLS_TIME_S";
  /** Segments kept in the live playlist (the seed's 6). */
  public static final String HLS_LIST_SIZE = "IPTV_HLS_LIST_SIZE";
  /** Where FFmpeg stderr logs go; default {@code {tmp}/iptv-ffmpeg-logs}. */
  public static final String FFMPEG_LOG_DIR = "IPTV_FFMPEG_LOG_DIR";
  /** Owner lease of a running stream, in seconds. */
  public static final String STREAM_LEASE_S = "IPTV_STREAM_LEASE_S";
  /** Seconds between SIGTERM and SIGKILL when stopping FFmpeg. */
  public static final String STOP_GRACE_S = "IPTV_STOP_GRACE_S";
  /** Consecutive failed restarts of a watched stream before it is given up. */
  public static final String RESTART_MAX = "IPTV_RESTART_MAX";

  public static StreamSettings from(JsonObject config) {
    Path hls = Path.of(Config.string(config, Config.HLS_DIR)).toAbsolutePath().normalize();
    String logDir = own(config, FFMPEG_LOG_DIR, null);
    Path logs = logDir == null
      ? Path.of(System.getProperty("java.io.tmpdir"), "iptv-ffmpeg-logs",
        Integer.toHexString(hls.toString().hashCode()))
      : Path.of(logDir);
    String node = Config.string(config, Config.NODE_NAME);
    return new StreamSettings(hls, logs.toAbsolutePath().normalize(), Config.string(config, Config.FFMPEG),
      node == null || node.isBlank() ? hostName() : node.trim(),
      positive(config, Config.IDLE_TIMEOUT_S, Config.integer(config, Config.IDLE_TIMEOUT_S)) * 1000L,
      positive(config, Config.START_TIMEOUT_S, Config.integer(config, Config.START_TIMEOUT_S)) * 1000L,
      positive(config, HLS_TIME_S, ownInt(config, HLS_TIME_S, 4)),
      positive(config, HLS_LIST_SIZE, ownInt(config, HLS_LIST_SIZE, 6)),
      positive(config, STREAM_LEASE_S, ownInt(config, STREAM_LEASE_S, 10)) * 1000L,
      positive(config, STOP_GRACE_S, ownInt(config, STOP_GRACE_S, 3)) * 1000L,
      positive(config, RESTART_MAX, ownInt(config, RESTART_MAX, 8)),
      Config.segmentSecret(config),
      positive(config, Config.SEGMENT_PROOF_TTL_S, Config.integer(config, Config.SEGMENT_PROOF_TTL_S)),
      positive(config, Config.MAX_STREAMS, ownInt(config, Config.MAX_STREAMS,
        MAX_STREAMS_PER_CORE * Runtime.getRuntime().availableProcessors())),
      notNegative(Config.USER_STARTS_PER_MIN, Config.integer(config, Config.USER_STARTS_PER_MIN)));
  }

  /** The playlist FFmpeg writes for a channel. */
  public Path playlist(String id) {
    return hlsDir.resolve("stream_" + id + ".m3u8");
  }

  public Path segmentPattern(String id) {
    return hlsDir.resolve("stream_" + id + "_%05d.ts");
  }

  public Path ffmpegLog(String id) {
    return ffmpegLogDir.resolve("stream_" + id + ".log");
  }

  /** How often idle streams are looked for. */
  public long idleCheckMs() {
    return Math.max(500, Math.min(10_000, idleTimeoutMs / 5));
  }

  private static String own(JsonObject config, String env, String def) {
    Object v = config.getValue(Config.key(env));
    return v == null || v.toString().isBlank() ? def : v.toString().trim();
  }

  private static int ownInt(JsonObject config, String env, int def) {
    String s = own(config, env, null);
    if (s == null) {
      return def;
    }
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(env + " must be a whole number, got '" + s + "'");
    }
  }

  private static int positive(JsonObject config, String env, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(env + " must be positive, got " + value);
    }
    return value;
  }

  private static int notNegative(String env, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(env + " must be 0 (no limit) or more, got " + value);
    }
    return value;
  }

  private static String hostName() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) {
      return h.trim();
    }
    try {
      return java.nio.file.Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
    } catch (java.io.IOException | RuntimeException e) {
      try {
        return java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException ex) {
        return "localhost";
      }
    }
  }
}
