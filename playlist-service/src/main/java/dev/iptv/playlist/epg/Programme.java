package dev.iptv.playlist.epg;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * One programme of the guide, as kept: what apps show (title, sub-title, description, categories,
 * icon, episode numbers) and its times in epoch seconds (UTC).
 *
 * @param channel     the XMLTV channel id it belongs to (our channel's {@code epg_channel_id})
 * @param start       start, epoch seconds
 * @param stop        end, epoch seconds (after start)
 * @param title       never blank
 * @param lang        the title's language, or null
 * @param subTitle    or null
 * @param description or null
 * @param categories  possibly empty
 * @param icon        an image URL, or null
 * @param episodes    episode numbers as {@code [system, value]}, possibly empty
 */
public record Programme(String channel, long start, long stop, String title, String lang, String subTitle,
                        String description, List<String> categories, String icon, List<Episode> episodes) {

  /** An {@code <episode-num system="...">value</episode-num>}. */
  public record Episode(String system, String value) {
  }

  public Programme {
    categories = categories == null ? List.of() : List.copyOf(categories);
    episodes = episodes == null ? List.of() : List.copyOf(episodes);
  }

  public Instant startInstant() {
    return Instant.ofEpochSecond(start);
  }

  public Instant stopInstant() {
    return Instant.ofEpochSecond(stop);
  }

  /** On the air at {@code epochSecond}. */
  public boolean airsAt(long epochSecond) {
    return start <= epochSecond && epochSecond < stop;
  }

  /** The sorted-set member: compact JSON without the channel (the key names it). */
  String member() {
    JsonObject o = new JsonObject().put("s", start).put("e", stop).put("t", title);
    putIf(o, "l", lang);
    putIf(o, "st", subTitle);
    putIf(o, "d", description);
    putIf(o, "i", icon);
    if (!categories.isEmpty()) {
      o.put("c", new JsonArray(new ArrayList<>(categories)));
    }
    if (!episodes.isEmpty()) {
      JsonArray eps = new JsonArray();
      episodes.forEach(e -> eps.add(new JsonArray().add(e.system()).add(e.value())));
      o.put("ep", eps);
    }
    return o.encode();
  }

  /** Reads a member back; null when it is not one of ours. */
  static Programme fromMember(String channel, String member) {
    JsonObject o;
    try {
      o = new JsonObject(member);
    } catch (RuntimeException e) {
      return null;
    }
    if (!(o.getValue("s") instanceof Number s) || !(o.getValue("e") instanceof Number e)
      || !(o.getValue("t") instanceof String t)) {
      return null;
    }
    List<String> cats = new ArrayList<>();
    if (o.getValue("c") instanceof JsonArray a) {
      a.forEach(c -> {
        if (c instanceof String str) {
          cats.add(str);
        }
      });
    }
    List<Episode> eps = new ArrayList<>();
    if (o.getValue("ep") instanceof JsonArray a) {
      a.forEach(x -> {
        if (x instanceof JsonArray pair && pair.size() == 2 && pair.getValue(0) instanceof String sys
          && pair.getValue(1) instanceof String val) {
          eps.add(new Episode(sys, val));
        }
      });
    }
    return new Programme(channel, s.longValue(), e.longValue(), t, text(o, "l"), text(o, "st"), text(o, "d"), cats,
      text(o, "i"), eps);
  }

  private static String text(JsonObject o, String field) {
    return o.getValue(field) instanceof String s ? s : null;
  }

  private static void putIf(JsonObject o, String field, String value) {
    if (value != null && !value.isEmpty()) {
      o.put(field, value);
    }
  }
}
