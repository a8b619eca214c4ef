package dev.iptv.playlist;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ApiException;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ChannelSchema;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static dev.iptv.contract.ChannelSchema.BACKUP_URLS;
import static dev.iptv.contract.ChannelSchema.CATEGORY;
import static dev.iptv.contract.ChannelSchema.CATEGORY_ORDER;
import static dev.iptv.contract.ChannelSchema.CHANNEL_ID;
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
 * The channel fields of one admin request. The body has passed its schema in the repository's
 * {@code openapi.yaml} ({@code ChannelCreate} or {@code ChannelUpdate}, checked by {@link ApiDocument}),
 * so each field present has its type and form, including everything that later reaches FFmpeg's
 * command line (URLs, user agent, headers). What is left here is what a schema cannot hold: a
 * source URL must also parse as a URI by the rule stream-service reads it with
 * ({@link ChannelSchema#validSourceUrl}), the id must match the path, the stored channel must stay
 * usable; and the normal forms (a numeric id as digits, {@code quality} and built-in profiles in
 * lower case, {@code epg_channel_id} trimmed). Unknown fields are ignored; a JSON {@code null}
 * counts as absent, except for the optional fields of {@link #CLEARABLE}, where it removes them.
 */
final class ChannelPatch {

  /** Fields a {@code null} removes. */
  private static final Set<String> CLEARABLE = Set.of(BACKUP_URLS, USER_AGENT, HEADERS, ChannelSchema.EPG_CHANNEL_ID,
    ChannelSchema.PROVIDER, ChannelSchema.AUTO_RESTART_HOURS, ChannelSchema.SERVER, ChannelSchema.SOURCE_PRIORITIES);

  private final Map<String, Object> given = new LinkedHashMap<>();
  private final Set<String> cleared = new java.util.HashSet<>();

  private ChannelPatch() {
  }

  /** The fields of a body its schema has accepted, in their normal forms. */
  static ChannelPatch parse(JsonObject body) {
    ChannelPatch p = new ChannelPatch();
    for (String field : body.fieldNames()) {
      Object v = body.getValue(field);
      if (v == null) {
        if (CLEARABLE.contains(field)) {
          p.cleared.add(field);
        }
        continue;
      }
      switch (field) {
        case CHANNEL_ID -> p.given.put(field, ChannelContract.idOf(v));
        case NAME, LOGO, CATEGORY, USER_AGENT, ChannelSchema.PROVIDER, ChannelSchema.SERVER -> p.given.put(field, v);
        case SOURCE_URL -> p.given.put(field, sourceUrl((String) v, SOURCE_URL));
        case QUALITY -> p.given.put(field, ((String) v).trim().toLowerCase(Locale.ROOT));
        case TRANSCODE_PROFILE -> p.given.put(field, profile((String) v));
        case ChannelSchema.AUTO_RESTART_HOURS -> p.given.put(field, ((Number) v).doubleValue());
        case ORDER, CATEGORY_ORDER -> p.given.put(field, new BigDecimal(v.toString()).longValueExact());
        case IS_ACTIVE, ChannelSchema.DIRECT -> p.given.put(field, v);
        case BACKUP_URLS -> {
          List<String> urls = new ArrayList<>();
          JsonArray a = (JsonArray) v;
          for (int i = 0; i < a.size(); i++) {
            urls.add(sourceUrl(a.getString(i), BACKUP_URLS + "[" + i + "]"));
          }
          p.given.put(field, List.copyOf(urls));
        }
        case HEADERS -> {
          Map<String, String> headers = new LinkedHashMap<>();
          ((JsonObject) v).forEach(e -> headers.put(e.getKey(), (String) e.getValue()));
          p.given.put(field, headers);
        }
        case ChannelSchema.EPG_CHANNEL_ID -> p.given.put(field, ((String) v).strip());
        // issue 12 item 2 (wp-slate): one priority per source
        case ChannelSchema.SOURCE_PRIORITIES -> p.given.put(field, ChannelSchema.sourcePriorities(v));
        default -> {
          // unknown fields are ignored
        }
      }
    }
    return p;
  }

  /** A source URL the schema accepted that also parses as stream-service will read it. */
  private static String sourceUrl(String url, String field) {
    if (!ChannelSchema.validSourceUrl(url)) {
      throw ApiException.badRequest(field + " must be " + ChannelSchema.URL_RULE + " (a valid URI)");
    }
    return url;
  }

  /** A built-in profile in lower case, a named one as given; trimmed. */
  private static String profile(String s) {
    String t = s.trim();
    return ChannelSchema.PROFILES.contains(t.toLowerCase(Locale.ROOT)) ? t.toLowerCase(Locale.ROOT) : t;
  }

  /** A new channel from this patch (POST): channel_id, name and source_url are required. */
  Channel create() {
    for (String required : List.of(CHANNEL_ID, NAME, SOURCE_URL)) {
      if (!given.containsKey(required)) {
        throw ApiException.badRequest(required + " is required");
      }
    }
    return apply(new Channel((String) given.get(CHANNEL_ID), "", "", "", "", ChannelSchema.DEFAULT_QUALITY, 0, 0, true,
      null, null, null, ChannelSchema.DEFAULT_PROFILE, false, null, null, null, null, null));
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
    if (!ChannelSchema.validSourceUrl(merged.sourceUrl())) {
      throw ApiException.badRequest(SOURCE_URL + " must be " + ChannelSchema.URL_RULE + ": the stored one is not, send a new one");
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
      (String) given.getOrDefault(TRANSCODE_PROFILE, c.transcodeProfile()),
      (Boolean) given.getOrDefault(ChannelSchema.DIRECT, c.direct()),
      cleared.contains(ChannelSchema.EPG_CHANNEL_ID) ? null
        : (String) given.getOrDefault(ChannelSchema.EPG_CHANNEL_ID, c.epgChannelId()),
      cleared.contains(ChannelSchema.PROVIDER) ? null : (String) given.getOrDefault(ChannelSchema.PROVIDER, c.provider()),
      cleared.contains(ChannelSchema.AUTO_RESTART_HOURS) ? null
        : (Double) given.getOrDefault(ChannelSchema.AUTO_RESTART_HOURS, c.autoRestartHours()),
      cleared.contains(ChannelSchema.SERVER) ? null : (String) given.getOrDefault(ChannelSchema.SERVER, c.server()),
      // issue 12 item 2 (wp-slate)
      cleared.contains(ChannelSchema.SOURCE_PRIORITIES) ? null
        : (List<Integer>) given.getOrDefault(ChannelSchema.SOURCE_PRIORITIES, c.sourcePriorities()));
  }
}
