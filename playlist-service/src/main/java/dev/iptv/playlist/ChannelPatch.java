package dev.iptv.playlist;

import dev.iptv.common.ApiException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.iptv.playlist.Channel.BACKUP_URLS;
import static dev.iptv.playlist.Channel.CATEGORY;
import static dev.iptv.playlist.Channel.CATEGORY_ORDER;
import static dev.iptv.playlist.Channel.CHANNEL_ID;
import static dev.iptv.playlist.Channel.HEADERS;
import static dev.iptv.playlist.Channel.IS_ACTIVE;
import static dev.iptv.playlist.Channel.LOGO;
import static dev.iptv.playlist.Channel.NAME;
import static dev.iptv.playlist.Channel.ORDER;
import static dev.iptv.playlist.Channel.QUALITY;
import static dev.iptv.playlist.Channel.SOURCE_URL;
import static dev.iptv.playlist.Channel.TRANSCODE_PROFILE;
import static dev.iptv.playlist.Channel.USER_AGENT;

/**
 * The channel fields of one admin request, checked strictly: each field present must have its
 * type and form, or the request ends in {@code 400 {"error"}} naming it before anything is written.
 * Everything that later reaches FFmpeg's command line (URLs, user agent, headers) is checked here
 * first. Unknown fields are ignored; a JSON {@code null} counts as absent, except for the optional
 * {@code backup_urls}, {@code user_agent} and {@code headers}, where it removes them.
 */
final class ChannelPatch {

  static final Pattern ID_FORM = Pattern.compile("[0-9]{1,19}");
  static final Set<String> SCHEMES = Set.of("http", "https", "rtmp", "rtsp", "udp", "srt");
  static final Set<String> QUALITIES = Set.of("low", "medium", "high");
  static final Set<String> PROFILES = Set.of("auto", "copy", "low", "medium", "high");
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
  static final int MAX_URL = 2048;
  private static final int MAX_NAME = 512;
  private static final int MAX_TEXT = 2048;
  private static final int MAX_BACKUPS = 16;
  private static final int MAX_HEADERS = 32;
  private static final int MAX_USER_AGENT = 512;
  private static final String URL_RULE = "an absolute http, https, rtmp, rtsp, udp or srt URL with a host,"
    + " without spaces or control characters, at most " + MAX_URL + " characters";

  private final Map<String, Object> given = new LinkedHashMap<>();
  private final Set<String> cleared = new java.util.HashSet<>();

  private ChannelPatch() {
  }

  /** A channel id from a path: digits, or 400. */
  static String pathId(String raw) {
    if (raw == null || !ID_FORM.matcher(raw).matches()) {
      throw ApiException.badRequest("channel_id must be digits (at most 19)");
    }
    return raw;
  }

  /** A channel id from a body: a string of digits or a whole number, or 400. */
  static String bodyId(Object v) {
    String id = null;
    if (v instanceof String s) {
      id = s;
    } else if (v instanceof Number n) {
      try {
        BigDecimal d = new BigDecimal(n.toString());
        id = d.signum() >= 0 ? d.toBigIntegerExact().toString() : null;
      } catch (ArithmeticException | NumberFormatException e) {
        id = null;
      }
    }
    if (id == null || !ID_FORM.matcher(id).matches()) {
      throw ApiException.badRequest("channel_id must be digits (a string of digits or a whole number, at most 19 digits)");
    }
    return id;
  }

  static ChannelPatch parse(JsonObject body) {
    ChannelPatch p = new ChannelPatch();
    for (String field : body.fieldNames()) {
      Object v = body.getValue(field);
      if (v == null) {
        if (field.equals(BACKUP_URLS) || field.equals(USER_AGENT) || field.equals(HEADERS)) {
          p.cleared.add(field);
        }
        continue;
      }
      switch (field) {
        case CHANNEL_ID -> p.given.put(field, bodyId(v));
        case NAME -> p.given.put(field, name(v));
        case SOURCE_URL -> p.given.put(field, url(v, SOURCE_URL));
        case LOGO, CATEGORY -> p.given.put(field, text(v, field, MAX_TEXT));
        case QUALITY -> p.given.put(field, oneOf(v, field, QUALITIES));
        case TRANSCODE_PROFILE -> p.given.put(field, oneOf(v, field, PROFILES));
        case ORDER, CATEGORY_ORDER -> p.given.put(field, integer(v, field));
        case IS_ACTIVE -> {
          if (!(v instanceof Boolean)) {
            throw ApiException.badRequest("is_active must be true or false");
          }
          p.given.put(field, v);
        }
        case BACKUP_URLS -> p.given.put(field, backups(v));
        case USER_AGENT -> p.given.put(field, userAgent(v));
        case HEADERS -> p.given.put(field, headers(v));
        default -> {
          // unknown fields are ignored
        }
      }
    }
    return p;
  }

  /** A new channel from this patch (POST): channel_id, name and source_url are required. */
  Channel create() {
    for (String required : List.of(CHANNEL_ID, NAME, SOURCE_URL)) {
      if (!given.containsKey(required)) {
        throw ApiException.badRequest(required + " is required");
      }
    }
    return apply(new Channel((String) given.get(CHANNEL_ID), "", "", "", "", Channel.DEFAULT_QUALITY, 0, 0, true,
      null, null, null, Channel.DEFAULT_PROFILE));
  }

  /** The stored channel with this patch applied (PUT); the path names the channel. */
  Channel applyTo(Channel stored) {
    Object id = given.get(CHANNEL_ID);
    if (id != null && !id.equals(stored.id())) {
      throw ApiException.badRequest("channel_id cannot be changed: it must match the path or be left out");
    }
    Channel merged = apply(stored);
    if (merged.name().isBlank()) {
      throw ApiException.badRequest("name is required: the stored channel has none");
    }
    try {
      url(merged.sourceUrl(), SOURCE_URL);
    } catch (ApiException e) {
      throw ApiException.badRequest("source_url must be " + URL_RULE + ": the stored one is not, send a new one");
    }
    return merged;
  }

  @SuppressWarnings("unchecked")
  private Channel apply(Channel c) {
    return new Channel(c.id(),
      (String) given.getOrDefault(NAME, c.name()),
      (String) given.getOrDefault(SOURCE_URL, c.sourceUrl()),
      (String) given.getOrDefault(LOGO, c.logo()),
      (String) given.getOrDefault(CATEGORY, c.category()),
      (String) given.getOrDefault(QUALITY, c.quality()),
      (Long) given.getOrDefault(ORDER, c.order()),
      (Long) given.getOrDefault(CATEGORY_ORDER, c.categoryOrder()),
      (Boolean) given.getOrDefault(IS_ACTIVE, c.active()),
      cleared.contains(BACKUP_URLS) ? null : (List<String>) given.getOrDefault(BACKUP_URLS, c.backupUrls()),
      cleared.contains(USER_AGENT) ? null : (String) given.getOrDefault(USER_AGENT, c.userAgent()),
      cleared.contains(HEADERS) ? null : (Map<String, String>) given.getOrDefault(HEADERS, c.headers()),
      (String) given.getOrDefault(TRANSCODE_PROFILE, c.transcodeProfile()));
  }

  // --- field checks ----------------------------------------------------------------------------

  private static String name(Object v) {
    if (!(v instanceof String s) || s.isBlank()) {
      throw ApiException.badRequest("name must be a non-empty string");
    }
    if (s.length() > MAX_NAME) {
      throw ApiException.badRequest("name must be at most " + MAX_NAME + " characters");
    }
    return s;
  }

  private static String text(Object v, String field, int max) {
    if (!(v instanceof String s)) {
      throw ApiException.badRequest(field + " must be a string");
    }
    if (s.length() > max) {
      throw ApiException.badRequest(field + " must be at most " + max + " characters");
    }
    return s;
  }

  private static String oneOf(Object v, String field, Set<String> allowed) {
    String s = v instanceof String t ? t.trim().toLowerCase(Locale.ROOT) : null;
    if (s == null || !allowed.contains(s)) {
      throw ApiException.badRequest(field + " must be one of " + allowed.stream().sorted().toList());
    }
    return s;
  }

  private static Long integer(Object v, String field) {
    if (v instanceof Number n) {
      try {
        return new BigDecimal(n.toString()).longValueExact();
      } catch (ArithmeticException | NumberFormatException e) {
        // fall through
      }
    }
    throw ApiException.badRequest(field + " must be an integer");
  }

  /** A source URL: an allowed scheme, a host, nothing FFmpeg could take for an option or a file. */
  static String url(Object v, String field) {
    if (!(v instanceof String s) || s.isEmpty() || s.length() > MAX_URL || !visible(s)) {
      throw ApiException.badRequest(field + " must be " + URL_RULE);
    }
    try {
      URI uri = new URI(s);
      String scheme = uri.getScheme();
      if (scheme == null || !SCHEMES.contains(scheme.toLowerCase(Locale.ROOT))
        || !s.regionMatches(true, 0, scheme + "://", 0, scheme.length() + 3)
        || uri.getRawAuthority() == null || uri.getRawAuthority().isEmpty()) {
        throw ApiException.badRequest(field + " must be " + URL_RULE);
      }
    } catch (URISyntaxException e) {
      throw ApiException.badRequest(field + " must be " + URL_RULE + " (" + e.getReason() + ")");
    }
    return s;
  }

  /** True when {@code s} has no whitespace and no control character of any kind. */
  private static boolean visible(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || Character.isISOControl(c) || Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        return false;
      }
    }
    return true;
  }

  private static List<String> backups(Object v) {
    if (!(v instanceof JsonArray a)) {
      throw ApiException.badRequest("backup_urls must be an array of URLs");
    }
    if (a.size() > MAX_BACKUPS) {
      throw ApiException.badRequest("backup_urls must hold at most " + MAX_BACKUPS + " URLs");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      out.add(url(a.getValue(i), "backup_urls[" + i + "]"));
    }
    return List.copyOf(out);
  }

  private static String userAgent(Object v) {
    if (!(v instanceof String s)) {
      throw ApiException.badRequest("user_agent must be a string");
    }
    if (s.length() > MAX_USER_AGENT || !headerValue(s)) {
      throw ApiException.badRequest("user_agent must be at most " + MAX_USER_AGENT
        + " characters without line breaks or control characters");
    }
    return s;
  }

  private static Map<String, String> headers(Object v) {
    if (!(v instanceof JsonObject o)) {
      throw ApiException.badRequest("headers must be an object of header names to string values");
    }
    if (o.size() > MAX_HEADERS) {
      throw ApiException.badRequest("headers must hold at most " + MAX_HEADERS + " headers");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : o.fieldNames()) {
      if (!HEADER_NAME.matcher(name).matches()) {
        throw ApiException.badRequest("headers: a header name must be an HTTP token (letters, digits, !#$%&'*+.^_`|~-),"
          + " at most 64 characters");
      }
      Object value = o.getValue(name);
      if (!(value instanceof String s) || s.length() > MAX_TEXT || !headerValue(s)) {
        throw ApiException.badRequest("headers: the value of " + name + " must be a string of at most " + MAX_TEXT
          + " characters without line breaks or control characters");
      }
      out.put(name, s);
    }
    return out;
  }

  /** No CR, LF, NUL or other control character (a tab is fine). */
  private static boolean headerValue(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\t' && (Character.isISOControl(c) || c == '\u2028' || c == '\u2029')) {
        return false;
      }
    }
    return true;
  }
}
