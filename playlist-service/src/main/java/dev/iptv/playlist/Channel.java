package dev.iptv.playlist;

import dev.iptv.contract.ChannelSchema;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static dev.iptv.contract.ChannelSchema.BACKUP_URLS;
import static dev.iptv.contract.ChannelSchema.CATEGORY;
import static dev.iptv.contract.ChannelSchema.CATEGORY_ORDER;
import static dev.iptv.contract.ChannelSchema.CHANNEL_ID;
import static dev.iptv.contract.ChannelSchema.DEFAULT_PROFILE;
import static dev.iptv.contract.ChannelSchema.DEFAULT_QUALITY;
import static dev.iptv.contract.ChannelSchema.HEADERS;
import static dev.iptv.contract.ChannelSchema.IS_ACTIVE;
import static dev.iptv.contract.ChannelSchema.LOGO;
import static dev.iptv.contract.ChannelSchema.NAME;
import static dev.iptv.contract.ChannelSchema.ORDER;
import static dev.iptv.contract.ChannelSchema.QUALITY;
import static dev.iptv.contract.ChannelSchema.SOURCE_URL;
import static dev.iptv.contract.ChannelSchema.TRANSCODE_PROFILE;
import static dev.iptv.contract.ChannelSchema.USER_AGENT;

/**
 * A channel as {@code channel:{id}} holds it (seed layout, SPEC section 5; fields and rules:
 * {@link dev.iptv.contract.ChannelSchema}) plus the optional
 * fields stream-service reads: {@code backup_urls}, {@code user_agent}, {@code headers},
 * {@code transcode_profile}.
 *
 * @param id               digits; the key's id
 * @param name             display name
 * @param sourceUrl        upstream URL
 * @param logo             logo URL or path, may be empty
 * @param category         group title, may be empty
 * @param quality          low, medium or high
 * @param order            position within its category
 * @param categoryOrder    position of its category
 * @param active           false: left out of playlists, not started
 * @param backupUrls       tried in order when the source fails; null when none
 * @param userAgent        sent to the source; null when none
 * @param headers          sent to the source; null when none
 * @param transcodeProfile auto, copy, low, medium, high or the name of a profile of /api/transcode-profiles
 * @param direct           true: players are sent to the source itself (302), no FFmpeg
 * @param epgChannelId     the XMLTV channel id, or null (then the channel id stands for it)
 * @param provider         the provider of the source URL (limits its concurrent streams), or null
 * @param autoRestartHours hours of uptime after which the running channel is restarted, or null
 * @param server           the SSH server or stream node it is forced onto, or null (placed by load)
 * @param sourcePriorities {@code source_priorities}: source_url's priority, then each backup's; null when none
 */
record Channel(String id, String name, String sourceUrl, String logo, String category, String quality,
               long order, long categoryOrder, boolean active, List<String> backupUrls, String userAgent,
               Map<String, String> headers, String transcodeProfile, boolean direct, String epgChannelId,
               String provider, Double autoRestartHours, String server, List<Integer> sourcePriorities) {

  /** Playlist order (SPEC section 2): category_order, then order, then the id as a number. */
  static final Comparator<Channel> PLAYLIST_ORDER = Comparator.comparingLong(Channel::categoryOrder)
    .thenComparingLong(Channel::order)
    .thenComparing(Channel::id, Channel::compareIds);

  /** Ids as numbers (without parsing: they may exceed a long), then as text. */
  static int compareIds(String a, String b) {
    String x = stripZeros(a);
    String y = stripZeros(b);
    int c = x.length() != y.length() ? Integer.compare(x.length(), y.length()) : x.compareTo(y);
    return c != 0 ? c : a.compareTo(b);
  }

  static String stripZeros(String s) {
    int i = 0;
    while (i < s.length() - 1 && s.charAt(i) == '0') {
      i++;
    }
    return s.substring(i);
  }

  /** The JSON of {@code channel:{id}}, and what the admin API answers. */
  JsonObject toJson() {
    JsonObject o = new JsonObject().put(CHANNEL_ID, id).put(NAME, name).put(SOURCE_URL, sourceUrl).put(LOGO, logo)
      .put(CATEGORY, category).put(QUALITY, quality).put(ORDER, order).put(CATEGORY_ORDER, categoryOrder)
      .put(IS_ACTIVE, active);
    if (backupUrls != null) {
      o.put(BACKUP_URLS, new JsonArray(new ArrayList<>(backupUrls)));
    }
    if (userAgent != null) {
      o.put(USER_AGENT, userAgent);
    }
    if (headers != null) {
      o.put(HEADERS, new JsonObject(new LinkedHashMap<>(headers)));
    }
    o.put(TRANSCODE_PROFILE, transcodeProfile);
    if (direct) {
      o.put(ChannelSchema.DIRECT, true); // absent means false: records without it stay as they were
    }
    if (epgChannelId != null) {
      o.put(ChannelSchema.EPG_CHANNEL_ID, epgChannelId);
    }
    if (provider != null) {
      o.put(ChannelSchema.PROVIDER, provider);
    }
    if (autoRestartHours != null) {
      o.put(ChannelSchema.AUTO_RESTART_HOURS, autoRestartHours);
    }
    if (server != null) {
      o.put(ChannelSchema.SERVER, server);
    }
    if (sourcePriorities != null) {
      o.put(ChannelSchema.SOURCE_PRIORITIES, new JsonArray(new ArrayList<>(sourcePriorities)));
    }
    return o;
  }

  /** The id the guide files this channel under: {@code epg_channel_id}, else the channel id. */
  String guideId() {
    return epgChannelId != null ? epgChannelId : id;
  }

  /**
   * A stored record read as it is: written by the seed's server, an older release or redis-cli
   * ({@code "order": "1"}, no {@code is_active}, numbers for names). The key's id wins over the
   * record's. Nothing here is checked for safety: the playlist escapes what it writes, and
   * stream-service checks what reaches FFmpeg.
   */
  static Channel fromStored(String id, JsonObject o) {
    List<String> backups = null;
    if (o.getValue(BACKUP_URLS) instanceof JsonArray a) {
      backups = new ArrayList<>();
      for (Object v : a) {
        if (v instanceof String s) {
          backups.add(s);
        }
      }
    }
    Map<String, String> headers = null;
    if (o.getValue(HEADERS) instanceof JsonObject h) {
      headers = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : h) {
        if (e.getValue() != null) {
          headers.put(e.getKey(), e.getValue().toString());
        }
      }
    }
    Object active = o.getValue(IS_ACTIVE);
    String quality = text(o.getValue(QUALITY));
    String profile = text(o.getValue(TRANSCODE_PROFILE));
    return new Channel(id, orEmpty(text(o.getValue(NAME))), orEmpty(text(o.getValue(SOURCE_URL))),
      orEmpty(text(o.getValue(LOGO))), orEmpty(text(o.getValue(CATEGORY))),
      quality == null || quality.isBlank() ? DEFAULT_QUALITY : quality.trim().toLowerCase(Locale.ROOT),
      number(o.getValue(ORDER)), number(o.getValue(CATEGORY_ORDER)), ChannelSchema.active(active),
      backups, text(o.getValue(USER_AGENT)), headers,
      profile == null || profile.isBlank() ? DEFAULT_PROFILE : profileName(profile.trim()),
      ChannelSchema.isDirect(o.getValue(ChannelSchema.DIRECT)), epgId(o.getValue(ChannelSchema.EPG_CHANNEL_ID)),
      o.getValue(ChannelSchema.PROVIDER) instanceof String p ? p : null,
      ChannelSchema.restartHours(o.getValue(ChannelSchema.AUTO_RESTART_HOURS)) > 0
        ? ChannelSchema.restartHours(o.getValue(ChannelSchema.AUTO_RESTART_HOURS)) : null,
      ChannelSchema.storedServer(o.getValue(ChannelSchema.SERVER)), storedPriorities(o.getValue(ChannelSchema.SOURCE_PRIORITIES)));
  }

  /** A stored source_priorities that passes the rule; null otherwise (stream-service reads each entry leniently). */
  private static List<Integer> storedPriorities(Object v) {
    try {
      return v == null ? null : ChannelSchema.sourcePriorities(v);
    } catch (dev.iptv.contract.BadMessage e) {
      return null;
    }
  }

  /** A built-in profile in lower case; a named one as it is. */
  private static String profileName(String s) {
    String lower = s.toLowerCase(Locale.ROOT);
    return ChannelSchema.PROFILES.contains(lower) ? lower : s;
  }

  /** A stored epg_channel_id that passes the rule, trimmed; null otherwise. */
  private static String epgId(Object v) {
    try {
      return v == null ? null : ChannelSchema.epgChannelId(v);
    } catch (dev.iptv.contract.BadMessage e) {
      return null;
    }
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  /** Strings, numbers and booleans as text; null otherwise. */
  static String text(Object v) {
    return v instanceof String || v instanceof Number || v instanceof Boolean ? v.toString() : null;
  }

  /** A whole number from a number or numeric text; 0 when there is none. */
  static long number(Object v) {
    try {
      if (v instanceof Number n) {
        return new BigDecimal(n.toString()).longValue();
      }
      if (v instanceof String s && !s.isBlank()) {
        return new BigDecimal(s.trim()).longValue();
      }
    } catch (NumberFormatException e) {
      return 0;
    }
    return 0;
  }
}
