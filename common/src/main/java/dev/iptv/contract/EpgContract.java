package dev.iptv.contract;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/**
 * The EPG's contract (playlist-service, SPEC section 10): the guide sources the panel registers,
 * their imports, the event-bus address imports report on, and the Redis keys of sources and guides.
 *
 * <p>Redis:
 * <ul>
 *   <li>{@code epg:sources}: set of source names; {@code epg:source:{name}}: the source, {@link Source} JSON.</li>
 *   <li>{@code epg:source:{name}:import}: its last finished import, {@link ImportStatus} JSON.</li>
 *   <li>{@code epg:source:{name}:progress}: the import in flight, {@link ImportProgress} JSON, rewritten
 *       every second, TTL {@value #PROGRESS_TTL_S} s (absent: no import in flight).</li>
 *   <li>{@code epg:source:{name}:lock}: the instance importing the source ({@code node:nonce}), PX
 *       {@value #LOCK_TTL_MS} ms renewed while it works: one import of a source at a time, cluster-wide.</li>
 *   <li>{@code epg:source:{name}:generations}: set of the source's guide generations still in Redis
 *       (the current one, one being imported, an old one waiting to be deleted).</li>
 *   <li>{@code epg:generations}: hash source name → the generation readers use. An import writes a new
 *       generation beside the current one and switches this field when it succeeded: readers never see
 *       a half-imported or empty guide.</li>
 *   <li>{@code epg:generation}: counter of generations (INCR), so a generation number is never reused.</li>
 *   <li>{@code guide:{generation}:programmes:{epg_channel_id}}: sorted set of one channel's programmes
 *       (score: start, epoch seconds; member: the programme, compact JSON).</li>
 *   <li>{@code guide:{generation}:channels}: set of the channel ids that generation holds programmes for;
 *       {@code guide:{generation}:seen}: every channel id the source's guide named.</li>
 * </ul>
 * Every {@code guide:*} key carries a TTL (the retention of programmes) so that a generation left
 * by a crashed import goes away by itself.
 */
public final class EpgContract {

  // --- event-bus address ---------------------------------------------------------------------------

  /**
   * Published by the importing instance: {@link ImportEvent}, {@code import_started}, then
   * {@code import_progress} about every second, then {@code import_finished} or {@code import_failed}.
   */
  public static final String EVENTS = "iptv.epg.events";

  public static final String IMPORT_STARTED = "import_started";
  public static final String IMPORT_PROGRESS = "import_progress";
  public static final String IMPORT_FINISHED = "import_finished";
  public static final String IMPORT_FAILED = "import_failed";

  // --- source names --------------------------------------------------------------------------------

  public static final String NAME_REGEX = "[A-Za-z0-9_.-]{1,64}";
  public static final Pattern NAME = Pattern.compile(NAME_REGEX);

  public static boolean isName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  // --- Redis keys ----------------------------------------------------------------------------------

  public static final String SOURCES = "epg:sources";
  public static final String GENERATIONS = "epg:generations";
  public static final String GENERATION_COUNTER = "epg:generation";
  public static final int PROGRESS_TTL_S = 30;
  public static final long LOCK_TTL_MS = 60_000;

  public static String sourceKey(String name) {
    return "epg:source:" + name;
  }

  public static String importKey(String name) {
    return sourceKey(name) + ":import";
  }

  public static String progressKey(String name) {
    return sourceKey(name) + ":progress";
  }

  public static String lockKey(String name) {
    return sourceKey(name) + ":lock";
  }

  public static String sourceGenerationsKey(String name) {
    return sourceKey(name) + ":generations";
  }

  public static String guideChannelsKey(long generation) {
    return "guide:" + generation + ":channels";
  }

  public static String guideSeenKey(long generation) {
    return "guide:" + generation + ":seen";
  }

  public static String programmesKey(long generation, String epgChannelId) {
    return "guide:" + generation + ":programmes:" + epgChannelId;
  }

  // --- records -------------------------------------------------------------------------------------

  /**
   * A guide source: {@code {"name", "url", "refresh_hours", "created_at"}} (ISO-8601). The URL may
   * carry credentials (userinfo or query): it is shown to the admin API only, never logged or
   * published in full.
   */
  public record Source(String name, String url, int refreshHours, Instant createdAt) {

    public static final String NAME = "name";
    public static final String URL = "url";
    public static final String REFRESH_HOURS = "refresh_hours";
    public static final String CREATED_AT = "created_at";

    public JsonObject toJson() {
      return new JsonObject().put(NAME, name).put(URL, url).put(REFRESH_HOURS, refreshHours)
        .put(CREATED_AT, createdAt == null ? null : createdAt.toString());
    }

    /** A stored source, read leniently; null when it is not one (no name or URL). */
    public static Source fromJson(JsonObject o) {
      if (o == null || !(o.getValue(NAME) instanceof String name) || !(o.getValue(URL) instanceof String url)) {
        return null;
      }
      int hours = o.getValue(REFRESH_HOURS) instanceof Number n ? n.intValue() : 24;
      return new Source(name, url, hours, instant(o.getValue(CREATED_AT)));
    }
  }

  /**
   * A finished import, {@code epg:source:{name}:import}: {@code {"status": "ok"|"failed", "node",
   * "started", "finished", "bytes" (as downloaded), "xml_bytes" (after gzip), "gzip", "channels_seen",
   * "channels_kept", "programmes_seen", "programmes_kept", "generation", "error"}}. A failed import
   * keeps the previous guide; {@code generation} is the guide readers use after it.
   */
  public record ImportStatus(String status, String node, Instant started, Instant finished, long bytes, long xmlBytes,
                             boolean gzip, long channelsSeen, long channelsKept, long programmesSeen, long programmesKept,
                             long generation, String error) {

    public static final String OK = "ok";
    public static final String FAILED = "failed";

    public boolean ok() {
      return OK.equals(status);
    }

    public JsonObject toJson() {
      return new JsonObject().put("status", status).put("node", node)
        .put("started", started == null ? null : started.toString())
        .put("finished", finished == null ? null : finished.toString())
        .put("bytes", bytes).put("xml_bytes", xmlBytes).put("gzip", gzip)
        .put("channels_seen", channelsSeen).put("channels_kept", channelsKept)
        .put("programmes_seen", programmesSeen).put("programmes_kept", programmesKept)
        .put("generation", generation).put("error", error);
    }

    public static ImportStatus fromJson(JsonObject o) {
      if (o == null) {
        return null;
      }
      return new ImportStatus(o.getString("status"), o.getString("node"), instant(o.getValue("started")),
        instant(o.getValue("finished")), num(o, "bytes"), num(o, "xml_bytes"), Boolean.TRUE.equals(o.getValue("gzip")),
        num(o, "channels_seen"), num(o, "channels_kept"), num(o, "programmes_seen"), num(o, "programmes_kept"),
        num(o, "generation"), o.getValue("error") instanceof String s ? s : null);
    }
  }

  /**
   * The import in flight, {@code epg:source:{name}:progress}: {@code {"node", "started", "bytes",
   * "xml_bytes", "programmes" (parsed), "programmes_kept", "generation"}}.
   */
  public record ImportProgress(String node, Instant started, long bytes, long xmlBytes, long programmes,
                               long programmesKept, long generation) {

    public JsonObject toJson() {
      return new JsonObject().put("node", node).put("started", started == null ? null : started.toString())
        .put("bytes", bytes).put("xml_bytes", xmlBytes).put("programmes", programmes)
        .put("programmes_kept", programmesKept).put("generation", generation);
    }

    public static ImportProgress fromJson(JsonObject o) {
      if (o == null) {
        return null;
      }
      return new ImportProgress(o.getString("node"), instant(o.getValue("started")), num(o, "bytes"),
        num(o, "xml_bytes"), num(o, "programmes"), num(o, "programmes_kept"), num(o, "generation"));
    }
  }

  /**
   * {@link #EVENTS}: {@code {"event", "source", "node", "bytes", "programmes", "programmes_kept",
   * "error", "ts"}} ({@code ts} epoch seconds; {@code error} on {@code import_failed} only). Never the
   * source's URL.
   */
  public record ImportEvent(String event, String source, String node, long bytes, long programmes, long programmesKept,
                            String error, double ts) {

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put("event", event).put("source", source).put("node", node).put("bytes", bytes)
        .put("programmes", programmes).put("programmes_kept", programmesKept).put("ts", ts);
      if (error != null) {
        o.put("error", error);
      }
      return o;
    }

    public static ImportEvent fromJson(JsonObject o) {
      return new ImportEvent(o.getString("event"), o.getString("source"), o.getString("node"), num(o, "bytes"),
        num(o, "programmes"), num(o, "programmes_kept"), o.getValue("error") instanceof String s ? s : null,
        o.getValue("ts") instanceof Number n ? n.doubleValue() : 0);
    }
  }

  private static long num(JsonObject o, String field) {
    return o.getValue(field) instanceof Number n ? n.longValue() : 0;
  }

  private static Instant instant(Object v) {
    if (!(v instanceof String s)) {
      return null;
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private EpgContract() {
  }
}
