package dev.iptv.stream;

import dev.iptv.stream.ProbePolicy.Probe;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * FFmpeg's argument list for one attempt at running a channel (SPEC section 8, seed 002 "FFmpeg
 * Command Structure"). A list for {@link ProcessBuilder}, never a shell line: the source URL is one
 * argument whatever it holds.
 *
 * <p>Choices, beyond the seed:
 * <ul>
 *   <li>fast start: the probe of {@link ProbePolicy} (1 MB / 0.7 s; the seed's 5 MB / 5 s only for
 *       sources known to need it), the packets read while probing written out rather than dropped
 *       (no {@code -fflags nobuffer}: dropping them made the first segment wait for the key frame
 *       after the probe, a second more), and {@code -hls_init_time 1} so the first segments are one
 *       second long: the first playlist exists about a second after the first key frame;</li>
 *   <li>{@code -hls_flags delete_segments+independent_segments+temp_file+omit_endlist}: no event
 *       playlist and no split_by_time (a live sliding window of {@code -hls_list_size} segments that
 *       always begin on a key frame); temp_file so nobody ever reads a half-written playlist or
 *       segment; {@code -hls_delete_threshold} keeps a segment {@value #DELETE_THRESHOLD} segments
 *       longer than the playlist lists it, for players that read the playlist just before; omit_endlist so that an FFmpeg stopped to be replaced (a stall, a switch of source)
 *       leaves a playlist players keep polling rather than one that tells them the stream ended;</li>
 *   <li>{@code append_list} only for such a replacement ({@code append}): the new FFmpeg reads the
 *       playlist the old one left, goes on with its segment numbers from its media sequence, and puts
 *       {@code #EXT-X-DISCONTINUITY} before its first segment, so a player's session carries on;</li>
 *   <li>{@code -progress pipe:2 -stats_period 1}: FFmpeg's progress ({@code out_time_us}) once a second
 *       into its log, from which {@link FfmpegLog#speedOver} tells a stream slower than real time;</li>
 *   <li>{@code -start_number} from the clock (tenths of a second), so a restarted stream never
 *       reuses a segment name a player or a CDN may have cached;</li>
 *   <li>{@code -protocol_whitelist} by scheme: an HTTP source cannot make FFmpeg open local files
 *       or other protocols (an HLS source's nested URIs included);</li>
 *   <li>transcode: libx264 veryfast zerolatency at the preset's bitrate, key frames every segment
 *       ({@code -g} from the frame rate and {@code -force_key_frames} on the segment clock),
 *       {@code -sc_threshold 0}, AAC stereo 48 kHz; or, for a channel naming a profile of
 *       {@code /api/transcode-profiles}, that profile's checked values ({@link dev.iptv.stream.limits.TranscodeProfile#args}).</li>
 * </ul>
 */
public final class FfmpegCommand {

  /** Segments kept on disk after they leave the playlist ({@code -hls_delete_threshold}). */
  static final int DELETE_THRESHOLD = 3;

  /** Copy or transcode, as recorded in stream:{id}:mode. */
  public enum Mode {
    COPY, TRANSCODE;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Mode fromWire(String s) {
      return "transcode".equals(s) ? TRANSCODE : COPY;
    }
  }

  private FfmpegCommand() {
  }

  /**
   * @param quality preset for {@link Mode#TRANSCODE}, ignored for copy
   * @param probe   how much of the source FFmpeg reads before it writes
   * @param fps     the source's frame rate if known (from an earlier attempt), else 0
   */
  static List<String> build(StreamSettings s, ChannelSpec channel, String source, Mode mode, Quality quality,
                            Probe probe, double fps, long startNumber) {
    return build(s, channel, source, mode, quality, probe, fps, startNumber, false);
  }

  /**
   * @param append go on with the playlist a replaced FFmpeg left ({@code append_list}); then
   *               {@code startNumber} should be that playlist's media sequence
   */
  static List<String> build(StreamSettings s, ChannelSpec channel, String source, Mode mode, Quality quality,
                            Probe probe, double fps, long startNumber, boolean append) {
    List<String> a = new ArrayList<>();
    a.add(s.ffmpeg());
    a.addAll(List.of("-nostdin", "-hide_banner", "-loglevel", "info", "-nostats", "-stats_period", "1",
      "-progress", "pipe:2"));
    a.addAll(inputOptions(channel, source, 15_000_000, true));
    a.addAll(probe.args());
    a.addAll(List.of("-fflags", "+discardcorrupt"));
    a.addAll(List.of("-i", source));
    a.addAll(List.of("-map", "0:v:0?", "-map", "0:a?", "-sn", "-dn"));
    if (mode == Mode.COPY) {
      a.addAll(List.of("-c", "copy"));
    } else if (channel.custom() != null) {
      a.addAll(channel.custom().args(gop(s, fps), "expr:gte(t,n_forced*" + s.hlsTimeS() + ")"));
    } else {
      int gop = gop(s, fps);
      a.addAll(List.of("-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p",
        "-vf", "scale=-2:" + quality.height,
        "-b:v", quality.videoKbps + "k", "-maxrate", quality.videoKbps + "k", "-bufsize", (2 * quality.videoKbps) + "k",
        "-g", String.valueOf(gop), "-keyint_min", String.valueOf(gop), "-sc_threshold", "0",
        "-force_key_frames", "expr:gte(t,n_forced*" + s.hlsTimeS() + ")",
        "-c:a", "aac", "-b:a", quality.audioKbps + "k", "-ar", "48000", "-ac", "2"));
    }
    a.addAll(hlsOutput(s, channel.id(), startNumber, append));
    return a;
  }

  /**
   * The options FFmpeg (or ffprobe) needs before {@code -i source}: the protocols the scheme may
   * use, reconnects (FFmpeg's, not a check's) and the read timeout, the channel's user agent and headers.
   */
  static List<String> inputOptions(ChannelSpec channel, String source, long timeoutUs, boolean reconnect) {
    List<String> a = new ArrayList<>();
    String t = String.valueOf(timeoutUs);
    String scheme = source.substring(0, source.indexOf(':')).toLowerCase(Locale.ROOT);
    switch (scheme) {
      case "http", "https" -> {
        a.addAll(List.of("-protocol_whitelist", "http,https,tcp,tls,crypto"));
        if (reconnect) {
          a.addAll(List.of("-reconnect", "1", "-reconnect_streamed", "1", "-reconnect_delay_max", "5"));
        }
        a.addAll(List.of("-rw_timeout", t));
        if (channel.userAgent() != null) {
          a.addAll(List.of("-user_agent", channel.userAgent()));
        }
        if (!channel.headers().isEmpty()) {
          a.addAll(List.of("-headers", headers(channel.headers())));
        }
      }
      case "rtsp", "rtsps" -> {
        a.addAll(List.of("-protocol_whitelist", "rtsp,rtsps,rtp,srtp,udp,tcp,tls"));
        a.addAll(List.of("-rtsp_transport", "tcp", "-timeout", t));
        if (channel.userAgent() != null) {
          a.addAll(List.of("-user_agent", channel.userAgent()));
        }
      }
      case "rtmp", "rtmps" -> {
        a.addAll(List.of("-protocol_whitelist", "rtmp,rtmps,rtmpt,rtmpts,tcp,tls"));
        a.addAll(List.of("-rw_timeout", t));
      }
      case "udp", "rtp" -> a.addAll(List.of("-protocol_whitelist", "udp,rtp", "-rw_timeout", t,
        "-fifo_size", "1000000", "-overrun_nonfatal", "1"));
      case "srt" -> a.addAll(List.of("-protocol_whitelist", "srt", "-rw_timeout", t));
      default -> throw new IllegalArgumentException("unsupported source scheme " + scheme);
    }
    return a;
  }

  /**
   * The HLS output every FFmpeg of a channel writes, the slate's too ({@link ChannelSlate}):
   * segments of {@code IPTV_HLS_TIME_S}, a sliding window, {@code omit_endlist}, and with
   * {@code append} the playlist a replaced FFmpeg left goes on (a discontinuity before the new segments).
   */
  static List<String> hlsOutput(StreamSettings s, String id, long startNumber, boolean append) {
    List<String> a = new ArrayList<>();
    a.addAll(List.of("-max_muxing_queue_size", "1024"));
    a.addAll(List.of("-f", "hls", "-hls_time", String.valueOf(s.hlsTimeS())));
    if (s.hlsTimeS() > 1 && !append) {
      a.addAll(List.of("-hls_init_time", "1"));
    }
    a.addAll(List.of("-hls_list_size", String.valueOf(s.hlsListSize()),
      "-hls_flags", "delete_segments+independent_segments+temp_file+omit_endlist" + (append ? "+append_list" : ""),
      // A segment that has just left the playlist stays on disk for a few more: a player that
      // read the playlist just before it moved on still gets it (404s for slow players otherwise).
      "-hls_delete_threshold", String.valueOf(DELETE_THRESHOLD),
      "-start_number", String.valueOf(startNumber),
      "-hls_segment_filename", s.segmentPattern(id).toString(),
      s.playlist(id).toString()));
    return a;
  }

  /** Frames between key frames: one segment at the source's frame rate (25 when unknown). */
  private static int gop(StreamSettings s, double fps) {
    return (int) Math.max(1, Math.round((fps > 0 && fps <= 120 ? fps : 25) * s.hlsTimeS()));
  }

  /** A segment number no earlier run of this channel has used: tenths of a second since the epoch. */
  public static long startNumber(long epochMillis) {
    return epochMillis / 100;
  }

  /** {@code Name: value\r\n} each, as FFmpeg's {@code -headers} wants them. */
  static String headers(Map<String, String> headers) {
    StringBuilder b = new StringBuilder();
    headers.forEach((k, v) -> b.append(k).append(": ").append(v).append("\r\n"));
    return b.toString();
  }

  /** The channel id of an FFmpeg argument list writing {@code hlsDir/stream_{id}.m3u8}, or null. */
  public static String channelOf(List<String> argv, Path hlsDir) {
    String prefix = hlsDir.toString() + "/stream_";
    for (String arg : argv) {
      if (arg.startsWith(prefix) && arg.endsWith(".m3u8")) {
        String id = arg.substring(prefix.length(), arg.length() - 5);
        if (ChannelSpec.ID.matcher(id).matches()) {
          return id;
        }
      }
    }
    return null;
  }
}
