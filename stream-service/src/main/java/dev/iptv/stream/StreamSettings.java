package dev.iptv.stream;

import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;

/**
 * The settings of stream-service, read once from the deployment config (every name, default and
 * meaning is declared in {@link Config}); {@link #from} fails naming a bad one.
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
 * @param redisUrl       {@code IPTV_REDIS_URL}
 * @param adminToken     {@code IPTV_ADMIN_TOKEN}, the bearer of the stream API
 * @param stallSegments  a stream whose newest segment is older than this many segment lengths is stalled (0: off)
 * @param stallMinSpeed  a stream whose FFmpeg runs slower than this times real time over the window is stalled (0: off)
 * @param stallSpeedWindowMs the window of that speed
 * @param sources        the slate and the source checks
 */
public record StreamSettings(Path hlsDir, Path ffmpegLogDir, String ffmpeg, String node, long idleTimeoutMs,
                             long startTimeoutMs, int hlsTimeS, int hlsListSize, long leaseMs, long stopGraceMs,
                             int restartMax, String segmentSecret, long proofTtlS, int maxStreams,
                             int userStartsPerMin, String redisUrl, String adminToken, int stallSegments,
                             double stallMinSpeed, long stallSpeedWindowMs, SourceSettings sources) {

  /**
   * The default of {@code IPTV_MAX_STREAMS} per core ({@link Config#MAX_STREAMS_PER_CORE}). Sized for
   * copy streams: one FFmpeg copying a 5.4 Mbit/s channel into HLS measured 1.2 % of a core and 19 MB
   * of private memory (31 MB PSS), so 20 per core spend about a quarter of the CPU and 0.4 GB per core
   * on FFmpeg (and 110 Mbit/s of ingress), leaving the rest to nginx, the JVM and the viewers. A
   * transcoded channel costs about a core: set the limit lower where many channels transcode.
   */
  public static final int MAX_STREAMS_PER_CORE = Config.MAX_STREAMS_PER_CORE;

  public static StreamSettings from(JsonObject config) {
    Path hls = Path.of(Config.string(config, Config.HLS_DIR)).toAbsolutePath().normalize();
    return new StreamSettings(hls,
      Path.of(Config.effective(config, Config.FFMPEG_LOG_DIR)).toAbsolutePath().normalize(),
      Config.string(config, Config.FFMPEG),
      Config.effective(config, Config.NODE_NAME),
      positive(config, Config.IDLE_TIMEOUT_S) * 1000L,
      positive(config, Config.START_TIMEOUT_S) * 1000L,
      positive(config, Config.HLS_TIME_S),
      positive(config, Config.HLS_LIST_SIZE),
      positive(config, Config.STREAM_LEASE_S) * 1000L,
      positive(config, Config.STOP_GRACE_S) * 1000L,
      positive(config, Config.RESTART_MAX),
      Config.segmentSecret(config),
      positive(config, Config.SEGMENT_PROOF_TTL_S),
      positive(Config.MAX_STREAMS, effectiveInt(config, Config.MAX_STREAMS)),
      notNegative(Config.USER_STARTS_PER_MIN, Config.integer(config, Config.USER_STARTS_PER_MIN)),
      Config.string(config, Config.REDIS_URL),
      Config.string(config, Config.ADMIN_TOKEN),
      notNegative(Config.STALL_SEGMENTS, Config.integer(config, Config.STALL_SEGMENTS)),
      speed(Config.decimal(config, Config.STALL_MIN_SPEED)),
      window(positive(config, Config.STALL_SPEED_WINDOW_S)) * 1000L,
      SourceSettings.from(config));
  }

  /** How old the newest segment of a stalled stream is, in ms (0: never). */
  public long stallAfterMs() {
    return stallSegments * hlsTimeS * 1000L;
  }

  /** FFmpeg reports its progress once a second and {@link FfmpegLog} keeps {@link FfmpegLog#MAX_PROGRESS} reports. */
  private static int window(int s) {
    if (s > FfmpegLog.MAX_PROGRESS) {
      throw new IllegalArgumentException(Config.STALL_SPEED_WINDOW_S + " must be at most " + FfmpegLog.MAX_PROGRESS + ", got " + s);
    }
    return s;
  }

  private static double speed(double v) {
    if (v < 0 || v >= 10) {
      throw new IllegalArgumentException(Config.STALL_MIN_SPEED + " must be 0 (off) or a speed below 10, such as 0.8, got " + v);
    }
    return v;
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

  private static int positive(JsonObject config, String env) {
    return positive(env, Config.integer(config, env));
  }

  private static int positive(String env, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(env + " must be positive, got " + value);
    }
    return value;
  }

  private static int effectiveInt(JsonObject config, String env) {
    String v = Config.effective(config, env);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(env + " must be a whole number, got '" + v + "'");
    }
  }

  private static int notNegative(String env, int value) {
    if (value < 0) {
      throw new IllegalArgumentException(env + " must be 0 (no limit) or more, got " + value);
    }
    return value;
  }
}
