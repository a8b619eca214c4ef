package dev.iptv.playlist;

import dev.iptv.common.ApiException;
import dev.iptv.contract.BadMessage;
import dev.iptv.contract.ChannelSchema;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
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
 * The channel fields of one admin request, checked strictly by the rules of {@link ChannelSchema}:
 * each field present must have its type and form, or the request ends in {@code 400 {"error"}}
 * naming it before anything is written. Everything that later reaches FFmpeg's command line (URLs,
 * user agent, headers) is checked here first, by the rules stream-service reads them with. Unknown
 * fields are ignored; a JSON {@code null} counts as absent, except for the optional
 * {@code backup_urls}, {@code user_agent}, {@code headers} and {@code epg_channel_id}, where it removes them.
 */
final class ChannelPatch {

  private final Map<String, Object> given = new LinkedHashMap<>();
  private final Set<String> cleared = new java.util.HashSet<>();

  private ChannelPatch() {
  }

  /** A channel id from a path: digits, or 400. */
  static String pathId(String raw) {
    try {
      return ChannelSchema.pathId(raw);
    } catch (BadMessage e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  static ChannelPatch parse(JsonObject body) {
    try {
      return read(body);
    } catch (BadMessage e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  private static ChannelPatch read(JsonObject body) {
    ChannelPatch p = new ChannelPatch();
    for (String field : body.fieldNames()) {
      Object v = body.getValue(field);
      if (v == null) {
        if (field.equals(BACKUP_URLS) || field.equals(USER_AGENT) || field.equals(HEADERS)
          || field.equals(ChannelSchema.EPG_CHANNEL_ID) || field.equals(ChannelSchema.PROVIDER)
          || field.equals(ChannelSchema.AUTO_RESTART_HOURS)
          || field.equals(ChannelSchema.SERVER) || field.equals(ChannelSchema.SOURCE_PRIORITIES)) {
          p.cleared.add(field);
        }
        continue;
      }
      switch (field) {
        case CHANNEL_ID -> p.given.put(field, ChannelSchema.bodyId(v));
        case NAME -> p.given.put(field, ChannelSchema.name(v));
        case SOURCE_URL -> p.given.put(field, ChannelSchema.sourceUrl(v, SOURCE_URL));
        case LOGO, CATEGORY -> p.given.put(field, ChannelSchema.text(v, field));
        case QUALITY -> p.given.put(field, ChannelSchema.oneOf(v, field, ChannelSchema.QUALITIES));
        case TRANSCODE_PROFILE -> p.given.put(field, ChannelSchema.transcodeProfile(v));
        case ChannelSchema.PROVIDER -> p.given.put(field, ChannelSchema.provider(v));
        case ChannelSchema.AUTO_RESTART_HOURS -> p.given.put(field, ChannelSchema.autoRestartHours(v));
        case ORDER, CATEGORY_ORDER -> p.given.put(field, ChannelSchema.integer(v, field));
        case IS_ACTIVE -> p.given.put(field, ChannelSchema.isActive(v));
        case BACKUP_URLS -> p.given.put(field, ChannelSchema.backupUrls(v));
        case USER_AGENT -> p.given.put(field, ChannelSchema.userAgent(v));
        case HEADERS -> p.given.put(field, ChannelSchema.headers(v));
        case ChannelSchema.DIRECT -> p.given.put(field, ChannelSchema.direct(v));
        case ChannelSchema.EPG_CHANNEL_ID -> p.given.put(field, ChannelSchema.epgChannelId(v));
        case ChannelSchema.SERVER -> p.given.put(field, ChannelSchema.server(v));
        // issue 12 item 2 (wp-slate): one priority per source
        case ChannelSchema.SOURCE_PRIORITIES -> p.given.put(field, ChannelSchema.sourcePriorities(v));
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
