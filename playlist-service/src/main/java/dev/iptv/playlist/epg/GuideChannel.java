package dev.iptv.playlist.epg;

import io.vertx.core.json.JsonObject;

/**
 * One of our channels as the guide sees it: the XMLTV channel id its programmes are filed under,
 * and the name and logo the written guide shows for it.
 *
 * <p>The id is the channel's {@code epg_channel_id} (SPEC section 10: the XMLTV id, also written as
 * the playlist's {@code tvg-id}); a channel without one is matched by its own {@code channel_id}, which
 * is what its playlist entry carries as {@code tvg-id} today, so a guide that uses our channel ids
 * works without any mapping.
 *
 * @param epgChannelId the XMLTV channel id (never blank)
 * @param name         display name, or null (then the id is shown)
 * @param logo         logo URL, or null; written into the guide only when it is absolute http(s)
 */
public record GuideChannel(String epgChannelId, String name, String logo) {

  public static final String EPG_CHANNEL_ID = "epg_channel_id";

  public GuideChannel {
    if (epgChannelId == null || epgChannelId.isBlank()) {
      throw new IllegalArgumentException("epgChannelId is blank");
    }
  }

  /** From a channel's JSON ({@code channel:{id}}), read leniently; null when it names no id at all. */
  public static GuideChannel fromJson(JsonObject channel) {
    String id = idOf(channel);
    if (id == null) {
      return null;
    }
    return new GuideChannel(id, channel.getValue("name") instanceof String n ? n : null,
      channel.getValue("logo") instanceof String l ? l : null);
  }

  /** The XMLTV id a channel's programmes are kept under: {@code epg_channel_id}, else {@code channel_id}. */
  public static String idOf(JsonObject channel) {
    if (channel == null) {
      return null;
    }
    if (channel.getValue(EPG_CHANNEL_ID) instanceof String s && !s.isBlank()) {
      return s.strip();
    }
    Object id = channel.getValue("channel_id");
    if (id instanceof String s && !s.isBlank()) {
      return s.strip();
    }
    if (id instanceof Number n) {
      return n.toString();
    }
    return null;
  }
}
