package dev.iptv.stream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What stream-service needs of a channel (playlist-service stores it as {@code channel:{id}} JSON).
 * Everything that ends up on FFmpeg's command line is checked here: sources must be absolute URLs
 * of an allowed scheme, header names HTTP tokens, values free of line breaks. What fails is dropped
 * with a warning, never passed on.
 *
 * @param id          the channel id (digits)
 * @param sources     {@code source_url} then {@code backup_urls}, in order, only valid ones
 * @param source      {@code source_url} as stored (for stream:{id}:source)
 * @param active      {@code is_active} (absent: true)
 * @param quality     the transcode preset of {@code quality}
 * @param profile     {@code transcode_profile}
 * @param userAgent   per-channel User-Agent, or null
 * @param headers     extra HTTP request headers
 */
public record ChannelSpec(String id, List<String> sources, String source, boolean active, Quality quality,
                          Profile profile, String userAgent, Map<String, String> headers) {

  private static final Logger log = LoggerFactory.getLogger(ChannelSpec.class);

  public static final Pattern ID = Pattern.compile("\\d{1,19}");
  static final Set<String> SCHEMES = Set.of("http", "https", "rtmp", "rtmps", "rtsp", "rtsps", "udp", "rtp", "srt");
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
  private static final int MAX_URL = 4096;
  private static final int MAX_VALUE = 2048;

  /** {@code transcode_profile}. */
  public enum Profile {
    /** Copy, fall back to transcoding at the channel's quality. */
    AUTO,
    /** Copy only. */
    COPY,
    LOW, MEDIUM, HIGH;

    static Profile parse(String s) {
      if (s == null || s.isBlank()) {
        return AUTO;
      }
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return AUTO;
      }
    }

    /** The preset a forced transcode uses, or null for auto/copy. */
    Quality forced() {
      return switch (this) {
        case LOW -> Quality.LOW;
        case MEDIUM -> Quality.MEDIUM;
        case HIGH -> Quality.HIGH;
        default -> null;
      };
    }
  }

  public static ChannelSpec fromJson(String id, JsonObject o) {
    List<String> sources = new ArrayList<>();
    String primary = o.getValue("source_url") instanceof String s ? s.trim() : null;
    addSource(id, sources, primary);
    if (o.getValue("backup_urls") instanceof JsonArray backups) {
      for (Object b : backups) {
        addSource(id, sources, b instanceof String s ? s.trim() : null);
      }
    }
    boolean isActive = active(o.getValue("is_active"));
    String ua = o.getValue("user_agent") instanceof String s && !s.isBlank() ? s.trim() : null;
    if (ua != null && !safeValue(ua)) {
      log.warn("channel {}: user_agent ignored: it holds a line break or is too long", id);
      ua = null;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    if (o.getValue("headers") instanceof JsonObject h) {
      for (String name : h.fieldNames()) {
        Object v = h.getValue(name);
        String value = v == null ? null : v.toString().trim();
        if (!HEADER_NAME.matcher(name).matches() || value == null || !safeValue(value)) {
          log.warn("channel {}: header '{}' ignored: not a valid HTTP header", id, HEADER_NAME.matcher(name).matches() ? name : "?");
          continue;
        }
        headers.put(name, value);
      }
    }
    return new ChannelSpec(id, List.copyOf(sources), primary, isActive,
      Quality.parse(o.getValue("quality") instanceof String q ? q : null),
      Profile.parse(o.getValue("transcode_profile") instanceof String p ? p : null), ua, Map.copyOf(headers));
  }

  /** {@code is_active} as the suite reads it: only false, "false" or 0 make a channel inactive (absent: active). */
  static boolean active(Object isActive) {
    return !(Boolean.FALSE.equals(isActive) || "false".equals(isActive) || Integer.valueOf(0).equals(isActive));
  }

  private static void addSource(String id, List<String> sources, String url) {
    if (url == null || url.isEmpty()) {
      return;
    }
    if (!validSource(url)) {
      log.warn("channel {}: source ignored: not an absolute {} URL", id, SCHEMES);
      return;
    }
    if (!sources.contains(url)) {
      sources.add(url);
    }
  }

  /**
   * True for an absolute URL of an allowed scheme with a host, and nothing FFmpeg could read as
   * an option, a local file or a nested protocol ({@code concat:}, {@code subfile,}, ...).
   */
  static boolean validSource(String url) {
    if (url.length() > MAX_URL || !safeValue(url) || url.startsWith("-")) {
      return false;
    }
    for (int i = 0; i < url.length(); i++) {
      char c = url.charAt(i);
      if (c <= ' ' || c == 0x7f) {
        return false;
      }
    }
    try {
      URI u = URI.create(url);
      String scheme = u.getScheme();
      return scheme != null && SCHEMES.contains(scheme.toLowerCase(Locale.ROOT)) && u.getRawAuthority() != null
        && !u.getRawAuthority().isEmpty() && url.regionMatches(true, 0, scheme + "://", 0, scheme.length() + 3);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean safeValue(String v) {
    return v.length() <= MAX_VALUE && v.indexOf('\r') < 0 && v.indexOf('\n') < 0 && v.indexOf('\0') < 0;
  }
}
