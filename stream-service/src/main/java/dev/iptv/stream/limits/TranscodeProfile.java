package dev.iptv.stream.limits;

import dev.iptv.common.ApiException;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A transcode profile of {@code /api/transcode-profiles} (seed 000 "Transcode Profiles"), which a
 * channel's {@code transcode_profile} may name. Every value is from a list or a bounded number, so
 * nothing of it is free-form on FFmpeg's command line; extra parameters only from {@link #EXTRAS}.
 *
 * @param videoKbps   0: the encoder's default (libx264 with its CRF); ignored for copy
 * @param audioKbps   0: the encoder's default
 * @param width       0 with height 0: the source's size
 * @param extras      allowed extra parameter → its checked value
 */
public record TranscodeProfile(String name, String videoCodec, String audioCodec, int videoKbps, int audioKbps,
                               int width, int height, String preset, Map<String, String> extras) {

  public static final int MIN_VIDEO_KBPS = 100;
  public static final int MAX_VIDEO_KBPS = 50_000;
  public static final int MIN_AUDIO_KBPS = 32;
  public static final int MAX_AUDIO_KBPS = 512;
  public static final int MAX_WIDTH = 3840;
  public static final int MAX_HEIGHT = 2160;
  /** The extra parameters allowed, each with its values (a list, or a range "min..max"), as openapi.yaml's {@code extra_params}. */
  public static final Map<String, String> EXTRAS = allowedExtras();

  static final String VIDEO_CODEC = "video_codec";
  static final String AUDIO_CODEC = "audio_codec";
  static final String VIDEO_BITRATE = "video_bitrate";
  static final String AUDIO_BITRATE = "audio_bitrate";
  static final String RESOLUTION = "resolution";
  static final String PRESET = "preset";
  static final String EXTRA_PARAMS = "extra_params";
  private static final Pattern RES = Pattern.compile("(\\d{2,4})x(\\d{2,4})");
  private static final Pattern RATE = Pattern.compile("(\\d{1,6})([kKmM]?)");

  private static Map<String, String> allowedExtras() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("tune", "film,animation,grain,stillimage,fastdecode,zerolatency");
    m.put("profile", "baseline,main,high");
    m.put("level", "3.0,3.1,4.0,4.1,4.2,5.0,5.1");
    m.put("crf", "0..51");
    m.put("framerate", "1..60");
    m.put("audio_channels", "1..2");
    m.put("audio_sample_rate", "44100,48000");
    m.put("deinterlace", "true,false");
    return Map.copyOf(m);
  }

  /** True when it copies both video and audio: the channel runs in copy mode. */
  public boolean copiesAll() {
    return "copy".equals(videoCodec) && "copy".equals(audioCodec);
  }

  /**
   * FFmpeg's codec arguments for this profile.
   *
   * @param gop         frames between key frames (one segment)
   * @param keyFramesAt FFmpeg's {@code -force_key_frames} expression of the segment clock
   */
  public List<String> args(int gop, String keyFramesAt) {
    List<String> a = new ArrayList<>();
    if ("copy".equals(videoCodec)) {
      a.addAll(List.of("-c:v", "copy"));
    } else {
      a.addAll(List.of("-c:v", videoCodec, "-preset", preset, "-pix_fmt", "yuv420p"));
      String tune = extras.get("tune");
      if (tune != null) {
        a.addAll(List.of("-tune", tune));
      }
      if (extras.containsKey("profile")) {
        a.addAll(List.of("-profile:v", extras.get("profile")));
      }
      if (extras.containsKey("level")) {
        a.addAll(List.of("-level", extras.get("level")));
      }
      List<String> filters = new ArrayList<>();
      if ("true".equals(extras.get("deinterlace"))) {
        filters.add("yadif");
      }
      if (width > 0) {
        filters.add("scale=" + width + ":" + height);
      }
      if (!filters.isEmpty()) {
        a.addAll(List.of("-vf", String.join(",", filters)));
      }
      if (extras.containsKey("framerate")) {
        a.addAll(List.of("-r", extras.get("framerate")));
      }
      if (videoKbps > 0) {
        a.addAll(List.of("-b:v", videoKbps + "k", "-maxrate", videoKbps + "k", "-bufsize", (2 * videoKbps) + "k"));
      } else if (extras.containsKey("crf")) {
        a.addAll(List.of("-crf", extras.get("crf")));
      }
      a.addAll(List.of("-g", String.valueOf(gop), "-keyint_min", String.valueOf(gop), "-sc_threshold", "0",
        "-force_key_frames", keyFramesAt));
    }
    if ("copy".equals(audioCodec)) {
      a.addAll(List.of("-c:a", "copy"));
    } else {
      a.addAll(List.of("-c:a", audioCodec));
      if (audioKbps > 0) {
        a.addAll(List.of("-b:a", audioKbps + "k"));
      }
      a.addAll(List.of("-ar", extras.getOrDefault("audio_sample_rate", "48000"),
        "-ac", extras.getOrDefault("audio_channels", "2")));
    }
    return a;
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("name", name).put(VIDEO_CODEC, videoCodec).put(AUDIO_CODEC, audioCodec);
    if (videoKbps > 0) {
      o.put(VIDEO_BITRATE, videoKbps + "k");
    }
    if (audioKbps > 0) {
      o.put(AUDIO_BITRATE, audioKbps + "k");
    }
    if (width > 0) {
      o.put(RESOLUTION, width + "x" + height);
    }
    if (preset != null) {
      o.put(PRESET, preset);
    }
    o.put(EXTRA_PARAMS, new JsonObject(new LinkedHashMap<>(extras)));
    return o;
  }

  /** A stored profile, or null when unreadable (it was checked when stored). */
  public static TranscodeProfile fromStored(String raw) {
    try {
      JsonObject o = new JsonObject(raw);
      return fromBody(o.getString("name"), o);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * A profile from a body openapi.yaml's {@code TranscodeProfileInput} or {@code TranscodeProfileUpdate}
   * accepted (names, codecs, presets, the forms of bitrates and resolution and every extra parameter are
   * checked there by {@code ApiDocument}), or from its stored JSON. What a schema cannot hold stays here,
   * 400 naming the field: the range of a bitrate or a resolution written as text ("5M", "1280x720"), and
   * the cross-field rules of a {@code copy} codec.
   */
  public static TranscodeProfile fromBody(String name, JsonObject body) {
    String video = body.getString(VIDEO_CODEC, "libx264");
    String audio = body.getString(AUDIO_CODEC, "aac");
    boolean copyVideo = "copy".equals(video);
    int vk = kbps(body.getValue(VIDEO_BITRATE), VIDEO_BITRATE, MIN_VIDEO_KBPS, MAX_VIDEO_KBPS);
    int ak = kbps(body.getValue(AUDIO_BITRATE), AUDIO_BITRATE, MIN_AUDIO_KBPS, MAX_AUDIO_KBPS);
    int w = 0;
    int h = 0;
    String res = body.getString(RESOLUTION);
    if (res != null) {
      Matcher m = RES.matcher(res);
      if (!m.matches() || (w = Integer.parseInt(m.group(1))) < 64 || w > MAX_WIDTH
        || (h = Integer.parseInt(m.group(2))) < 64 || h > MAX_HEIGHT || w % 2 != 0 || h % 2 != 0) {
        throw ApiException.badRequest(RESOLUTION + ": must be WIDTHxHEIGHT, even numbers, width 64 to " + MAX_WIDTH
          + ", height 64 to " + MAX_HEIGHT + " (e.g. 1280x720)");
      }
    }
    String preset = body.getString(PRESET);
    Map<String, String> extras = extraParams(body.getJsonObject(EXTRA_PARAMS));
    if (copyVideo && (vk > 0 || w > 0 || preset != null || extras.keySet().stream().anyMatch(k -> !k.startsWith("audio_")))) {
      throw ApiException.badRequest(VIDEO_CODEC + ": copy takes no video_bitrate, resolution, preset or video"
        + " extra_params");
    }
    if ("copy".equals(audio) && (ak > 0 || extras.keySet().stream().anyMatch(k -> k.startsWith("audio_")))) {
      throw ApiException.badRequest(AUDIO_CODEC + ": copy takes no audio_bitrate or audio extra_params");
    }
    return new TranscodeProfile(name, video, audio, vk, ak, w, h, copyVideo ? null : preset == null ? "veryfast" : preset,
      extras);
  }

  /** A bitrate in kbit/s (a number of kbit/s, or text like "800k" or "5M": its range is checked here); 0 when absent. */
  private static int kbps(Object v, String field, int min, int max) {
    if (v == null) {
      return 0;
    }
    long k = -1;
    if (v instanceof Number n) {
      k = n.longValue();
    } else if (v instanceof String s) {
      Matcher m = RATE.matcher(s);
      if (m.matches()) {
        k = Long.parseLong(m.group(1)) * (m.group(2).equalsIgnoreCase("m") ? 1000 : 1);
      }
    }
    if (k < min || k > max) {
      throw ApiException.badRequest(field + ": must be a bitrate from " + min + "k to " + max + "k (a number of kbit/s,"
        + " or text like \"" + min * 2 + "k\")");
    }
    return (int) k;
  }

  /** The extra parameters as text (the schema allows only {@link #EXTRAS}, each with its values); deinterlace false dropped. */
  private static Map<String, String> extraParams(JsonObject o) {
    if (o == null) {
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String key : o.fieldNames()) {
      Object val = o.getValue(key);
      String text = val instanceof Number n ? Long.toString(n.longValue()) : val.toString();
      out.put(key, EXTRAS.get(key).contains("..") ? Integer.toString(Integer.parseInt(text)) : text);
    }
    if ("false".equals(out.get("deinterlace"))) {
      out.remove("deinterlace");
    }
    return Map.copyOf(out);
  }
}
