package dev.iptv.contract;

import io.vertx.core.json.JsonArray;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The channel record's fields and limits for the code, and the rules for what reaches FFmpeg's
 * command line (source URLs, user agent, headers). The admin API's checks of a channel body are the
 * {@code ChannelCreate} and {@code ChannelUpdate} schemas of the repository's {@code openapi.yaml}
 * (applied by {@code dev.iptv.common.ApiDocument}; these limits must agree with them), plus
 * {@link #validSourceUrl} for what a pattern cannot hold (the URI syntax). stream-service reads stored
 * records with the same rules ({@link #validSourceUrl}, {@link #validUserAgent}, {@link #validHeader})
 * and drops what fails; everyone reads {@code is_active} with {@link #active}.
 *
 * <ul>
 *   <li>{@code channel_id}: {@link ChannelContract#ID}, required</li>
 *   <li>{@code name}: non-empty string of at most {@value #MAX_NAME} characters, required</li>
 *   <li>{@code source_url}: {@link #URL_RULE}, required</li>
 *   <li>{@code logo}, {@code category}: strings of at most {@value #MAX_TEXT} characters</li>
 *   <li>{@code quality}: {@link #QUALITIES}, default {@value #DEFAULT_QUALITY}</li>
 *   <li>{@code order}, {@code category_order}: integers (64-bit)</li>
 *   <li>{@code is_active}: boolean, default true</li>
 *   <li>{@code backup_urls}: at most {@value #MAX_BACKUPS} URLs of the source URL rule</li>
 *   <li>{@code user_agent}: at most {@value #MAX_USER_AGENT} characters, no control character</li>
 *   <li>{@code headers}: at most {@value #MAX_HEADERS}; names HTTP tokens, values at most
 *       {@value #MAX_TEXT} characters, no control character</li>
 *   <li>{@code transcode_profile}: {@link #PROFILES}, default {@value #DEFAULT_PROFILE}, or the name of a
 *       profile of {@code /api/transcode-profiles} ({@link ProviderContract#NAME})</li>
 *   <li>{@code provider}: the provider of {@code source_url} ({@link ProviderContract#NAME}); backups
 *       belong to the provider whose hosts hold their host</li>
 *   <li>{@code auto_restart_hours}: a number of hours above 0, at most {@value #MAX_AUTO_RESTART_HOURS}
 *       (decimals allowed): the running channel is restarted after that much uptime</li>
 *   <li>{@code direct}: boolean, default false: players get {@code 302} to {@code source_url}, no FFmpeg</li>
 *   <li>{@code epg_channel_id}: the XMLTV channel id (also the playlists' {@code tvg-id}), 1 to
 *       {@value #MAX_EPG_ID} characters, no control character, no {@code "}</li>
 *   <li>{@code server}: the name of an SSH server or stream node ({@link ServerContract#NAME}) the
 *       channel is forced onto; absent or null: placed on the least loaded one</li>
 *   <li>{@code source_priorities}: one integer 0 to {@value #MAX_PRIORITY} per source, the first for
 *       {@code source_url}, then one per {@code backup_urls} entry in order: lower is tried first, equals
 *       keep their order, a source without one has its position (0 the primary, 1 the first backup ...)</li>
 * </ul>
 */
public final class ChannelSchema {

  public static final String CHANNEL_ID = "channel_id";
  public static final String NAME = "name";
  public static final String SOURCE_URL = "source_url";
  public static final String LOGO = "logo";
  public static final String CATEGORY = "category";
  public static final String QUALITY = "quality";
  public static final String ORDER = "order";
  public static final String CATEGORY_ORDER = "category_order";
  public static final String IS_ACTIVE = "is_active";
  public static final String BACKUP_URLS = "backup_urls";
  public static final String USER_AGENT = "user_agent";
  public static final String HEADERS = "headers";
  public static final String TRANSCODE_PROFILE = "transcode_profile";
  public static final String DIRECT = "direct";
  public static final String EPG_CHANNEL_ID = "epg_channel_id";
  public static final String PROVIDER = "provider";
  public static final String AUTO_RESTART_HOURS = "auto_restart_hours";
  public static final int MAX_AUTO_RESTART_HOURS = 8760;
  /** The server or stream node the channel must run on (SPEC section 9); absent: placed by load. */
  public static final String SERVER = "server";
  public static final int MAX_EPG_ID = 255;
  /** One priority per source: {@code source_url}'s, then each backup's (issue 12 item 2). */
  public static final String SOURCE_PRIORITIES = "source_priorities";
  public static final int MAX_PRIORITY = 1000;

  public static final String DEFAULT_QUALITY = "medium";
  public static final String DEFAULT_PROFILE = "auto";
  public static final Set<String> QUALITIES = Set.of("low", "medium", "high");
  public static final Set<String> PROFILES = Set.of("auto", "copy", "low", "medium", "high");

  /** Source URL schemes (openapi.yaml: {@code ChannelCreate.source_url}). */
  public static final Set<String> SCHEMES = Set.of("http", "https", "rtmp", "rtsp", "udp", "srt");
  public static final int MAX_URL = 2048;
  public static final int MAX_NAME = 512;
  public static final int MAX_TEXT = 2048;
  public static final int MAX_BACKUPS = 16;
  public static final int MAX_HEADERS = 32;
  public static final int MAX_USER_AGENT = 512;
  public static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}");
  public static final String URL_RULE = "an absolute http, https, rtmp, rtsp, udp or srt URL with a host,"
    + " without spaces or control characters, at most " + MAX_URL + " characters";

  private ChannelSchema() {
  }

  // --- reading stored records ----------------------------------------------------------------------

  /**
   * {@code is_active} as the seed's PHP read it: absent is true; false, "false", 0, "0", "" and
   * unreadable text are false; true, "true", "1", "yes", "on" and other numbers are true.
   */
  public static boolean active(Object isActive) {
    if (isActive == null || isActive instanceof Boolean b && b) {
      return true;
    }
    if (isActive instanceof Number n) {
      return n.doubleValue() != 0;
    }
    if (isActive instanceof String s) {
      return switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true", "1", "yes", "on" -> true;
        default -> false;
      };
    }
    return false;
  }

  /**
   * A source URL FFmpeg may open: an allowed scheme followed by {@code ://} and a host, at most
   * {@value #MAX_URL} characters, no whitespace or control character, so nothing FFmpeg could read
   * as an option, a local file or a nested protocol ({@code concat:}, {@code subfile,}, ...).
   */
  public static boolean validSourceUrl(String s) {
    return urlProblem(s) == null;
  }

  /** A User-Agent sent to the source. */
  public static boolean validUserAgent(String s) {
    return s != null && s.length() <= MAX_USER_AGENT && headerValue(s);
  }

  /** A request header sent to the source. */
  public static boolean validHeader(String name, String value) {
    return name != null && HEADER_NAME.matcher(name).matches() && value != null && value.length() <= MAX_TEXT
      && headerValue(value);
  }

  // --- stored values ---------------------------------------------------------------------------------

  /** A stored {@code auto_restart_hours}, or 0 (never) when absent or not valid. */
  public static double restartHours(Object v) {
    double h = v instanceof Number n ? n.doubleValue() : Double.NaN;
    return h > 0 && h <= MAX_AUTO_RESTART_HOURS ? h : 0;
  }

  /** {@code epg_channel_id}: the XMLTV id, trimmed; at most {@value #MAX_EPG_ID} characters, no control character or {@code "}. */
  public static String epgChannelId(Object v) {
    String s = v instanceof String t ? t.strip() : null;
    if (s == null || s.isEmpty() || s.length() > MAX_EPG_ID || s.indexOf('"') >= 0 || !headerValue(s) || s.indexOf('\t') >= 0) {
      throw new BadMessage(EPG_CHANNEL_ID, "must be a non-empty string of at most " + MAX_EPG_ID
        + " characters without quotes, tabs, line breaks or control characters");
    }
    return s;
  }

  /** A stored {@code server} that is a valid name, else null (placed by load). */
  public static String storedServer(Object v) {
    return v instanceof String s && ServerContract.isName(s) ? s : null;
  }

  /** True for a stored {@code direct} that is the boolean true (anything else is not direct). */
  public static boolean isDirect(Object v) {
    return Boolean.TRUE.equals(v);
  }

  /** {@code source_priorities}: at most one integer 0-{@value #MAX_PRIORITY} per possible source. */
  public static List<Integer> sourcePriorities(Object v) {
    if (!(v instanceof JsonArray a) || a.size() > MAX_BACKUPS + 1) {
      throw new BadMessage(SOURCE_PRIORITIES, "must be an array of at most " + (MAX_BACKUPS + 1)
        + " integers: the priority of source_url, then of each backup_urls entry (lower is tried first)");
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      Object p = a.getValue(i);
      if (!(p instanceof Integer || p instanceof Long) || ((Number) p).longValue() < 0
        || ((Number) p).longValue() > MAX_PRIORITY) {
        throw new BadMessage(SOURCE_PRIORITIES, SOURCE_PRIORITIES + "[" + i + "] must be an integer from 0 to " + MAX_PRIORITY);
      }
      out.add(((Number) p).intValue());
    }
    return List.copyOf(out);
  }

  /** A stored priority when it is a valid one, else {@code position} (the source's place in the list). */
  public static int storedPriority(Object v, int position) {
    return (v instanceof Integer || v instanceof Long) && ((Number) v).longValue() >= 0
      && ((Number) v).longValue() <= MAX_PRIORITY ? ((Number) v).intValue() : position;
  }

  // --- rules -----------------------------------------------------------------------------------------

  /** Null when {@code s} is a valid source URL; else "" or, for an unparseable URI, " (why)". */
  private static String urlProblem(String s) {
    if (s == null || s.isEmpty() || s.length() > MAX_URL || !visible(s)) {
      return "";
    }
    try {
      URI uri = new URI(s);
      String scheme = uri.getScheme();
      if (scheme == null || !SCHEMES.contains(scheme.toLowerCase(Locale.ROOT))
        || !s.regionMatches(true, 0, scheme + "://", 0, scheme.length() + 3)
        || uri.getRawAuthority() == null || uri.getRawAuthority().isEmpty()) {
        return "";
      }
      return null;
    } catch (URISyntaxException e) {
      return " (" + e.getReason() + ")";
    }
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
