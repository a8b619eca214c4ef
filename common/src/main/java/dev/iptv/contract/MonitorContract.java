package dev.iptv.contract;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * monitor-service's contract: the segment records it accounts, and the Redis keys it writes.
 *
 * <p>Redis: {@code node:{name}:stats} (the node's latest figures, JSON, TTL
 * {@value #NODE_STATS_TTL_S} s: present means the node is alive), {@code node:{name}:last_seen}
 * (epoch seconds of its last report, TTL one day), {@code nodes:all} (set of node names that
 * report), {@code stream:{id}:bytes} (bytes served for the channel by every node, INCRBY, kept) and
 * {@code stream:{id}:bandwidth} (bytes per second over the last 10 s, TTL {@value #BANDWIDTH_TTL_S} s).
 */
public final class MonitorContract {

  // --- event-bus address ---------------------------------------------------------------------------

  /**
   * Send (not publish) to monitor-service: the segments a JVM served, {@link SegmentBatch} (what
   * stream-service sends, twice a second), or a single {@link SegmentServed}. nginx reports the same
   * records in its segment log.
   */
  public static final String SEGMENTS_SERVED = "iptv.segments.served";

  // --- Redis keys ----------------------------------------------------------------------------------

  public static final String NODES_ALL = "nodes:all";
  public static final int NODE_STATS_TTL_S = 15;
  public static final int NODE_LAST_SEEN_TTL_S = 86_400;
  public static final int BANDWIDTH_TTL_S = 15;

  public static String nodeStatsKey(String node) {
    return "node:" + node + ":stats";
  }

  public static String nodeLastSeenKey(String node) {
    return "node:" + node + ":last_seen";
  }

  public static String bytesKey(String id) {
    return StreamContract.key(id, "bytes");
  }

  public static String bandwidthKey(String id) {
    return StreamContract.key(id, "bandwidth");
  }

  /** The names of the operator's webhooks (a set). */
  public static final String WEBHOOKS_ALL = "webhooks:all";

  /** One webhook: {@code {"name", "url", "events", "secret", "enabled"}} (JSON). */
  public static String webhookKey(String name) {
    return "webhook:" + name;
  }

  /** A webhook's newest deliveries, newest first (a list of JSON, capped). */
  public static String webhookDeliveriesKey(String name) {
    return "webhook:" + name + ":deliveries";
  }

  /** Taken (SET NX, one hour) by the monitor that delivers one event to one webhook: one delivery however many monitors run. */
  public static String webhookClaimKey(String name, String eventId) {
    return "webhook:" + name + ":claim:" + eventId;
  }

  // --- event names of the monitor's own -------------------------------------------------------------

  /** A node's stats stopped arriving (webhooks): {@code {"event": "node_offline", "node", "last_seen", "ts"}}. */
  public static final String NODE_OFFLINE = "node_offline";
  /** A node that was offline reports again (webhooks). */
  public static final String NODE_ONLINE = "node_online";

  // --- messages ------------------------------------------------------------------------------------

  /**
   * One segment request answered by a node, for byte accounting and viewer history: what nginx logs
   * per segment ({@code log_format iptv_segments}) and what a JVM that serves segments itself sends.
   *
   * <p>Wire shape: {@code {"channel_id": "48681", "bytes": 1880000, "ip": "203.0.113.7"}}, plus when
   * known {@code "username"}, {@code "user_agent"}, {@code "status"} (HTTP status, default 200),
   * {@code "ts"} (epoch seconds with fraction, default: when received) and {@code "count"} (the
   * answers this record sums, default 1).
   *
   * @param username  the viewer, or null when unknown (nginx does not know it)
   * @param userAgent the client's User-Agent, or null
   * @param ts        epoch seconds when it was served (the last of them, for a sum)
   * @param count     how many answers to the same viewer (channel, address, user, User-Agent, status)
   *                  this record sums: a JVM that serves segments sends one record per viewer per batch,
   *                  {@code bytes} their total
   */
  public record SegmentServed(String channelId, long bytes, String ip, String username, String userAgent,
                              int status, double ts, long count) {

    public static final String COUNT = "count";

    /** One answer. */
    public SegmentServed(String channelId, long bytes, String ip, String username, String userAgent, int status, double ts) {
      this(channelId, bytes, ip, username, userAgent, status, ts, 1);
    }

    /** This record and {@code other}, the same viewer's: bytes and answers summed, the later time. */
    public SegmentServed plus(SegmentServed other) {
      return new SegmentServed(channelId, bytes + other.bytes, ip, username, userAgent, status, Math.max(ts, other.ts),
        count + other.count);
    }

    /** The same record for {@code user} (a viewer the segment's address was matched to). */
    public SegmentServed withUsername(String user) {
      return new SegmentServed(channelId, bytes, ip, user, userAgent, status, ts, count);
    }

    public static final String CHANNEL_ID = ChannelSchema.CHANNEL_ID;
    public static final String BYTES = "bytes";
    public static final String IP = "ip";
    public static final String USERNAME = "username";
    public static final String USER_AGENT = "user_agent";
    public static final String STATUS = "status";
    public static final String TS = Wire.TS;

    /** A 200 answer served now, with what a segment handler knows. */
    public static SegmentServed now(String channelId, long bytes, String ip, String username, String userAgent) {
      return new SegmentServed(channelId, bytes, ip, username, userAgent, 200, System.currentTimeMillis() / 1000.0);
    }

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put(CHANNEL_ID, channelId).put(BYTES, bytes).put(IP, ip)
        .put(STATUS, status).put(TS, ts);
      if (username != null) {
        o.put(USERNAME, username);
      }
      if (userAgent != null) {
        o.put(USER_AGENT, userAgent);
      }
      if (count != 1) {
        o.put(COUNT, count);
      }
      return o;
    }

    /**
     * Reads the wire shape; fails naming the field when the channel id is not one
     * ({@link ChannelContract#ID}), bytes is not a non-negative whole number or the ip is missing.
     */
    public static SegmentServed fromJson(JsonObject o) {
      Object channel = o.getValue(CHANNEL_ID);
      String id = channel == null ? null : channel.toString();
      if (!ChannelContract.isId(id)) {
        throw new BadMessage(CHANNEL_ID, "must be digits");
      }
      Object b = o.getValue(BYTES);
      if (!(b instanceof Number n) || n.longValue() < 0 || n.doubleValue() != Math.floor(n.doubleValue())) {
        throw new BadMessage(BYTES, "must be a whole number >= 0");
      }
      Object ip = o.getValue(IP);
      if (!(ip instanceof String s) || s.isBlank() || s.length() > 64) {
        throw new BadMessage(IP, "must be the client address");
      }
      Object status = o.getValue(STATUS);
      Object ts = o.getValue(TS);
      Object c = o.getValue(COUNT);
      if (c != null && (!(c instanceof Number cn) || cn.longValue() < 1 || cn.doubleValue() != Math.floor(cn.doubleValue()))) {
        throw new BadMessage(COUNT, "must be a whole number >= 1");
      }
      return new SegmentServed(id, n.longValue(), s, cut(o.getValue(USERNAME), 64), cut(o.getValue(USER_AGENT), 512),
        status instanceof Number sn ? sn.intValue() : 200,
        ts instanceof Number tn && tn.doubleValue() > 0 ? tn.doubleValue() : System.currentTimeMillis() / 1000.0,
        c == null ? 1 : ((Number) c).longValue());
    }

    private static String cut(Object v, int max) {
      if (!(v instanceof String s) || s.isEmpty()) {
        return null;
      }
      return s.length() > max ? s.substring(0, max) : s;
    }
  }

  /**
   * Several {@link SegmentServed} in one message: {@code {"records": [record, ...]}}.
   *
   * @param records  the readable records
   * @param rejected what was not a record (left out), with the first reason
   */
  public record SegmentBatch(List<SegmentServed> records, int rejected, String firstProblem) {

    public static final String RECORDS = "records";

    public static SegmentBatch of(List<SegmentServed> records) {
      return new SegmentBatch(records, 0, null);
    }

    public JsonObject toJson() {
      JsonArray a = new JsonArray();
      records.forEach(r -> a.add(r.toJson()));
      return new JsonObject().put(RECORDS, a);
    }

    /** A batch, or a single record read as a batch of one; records that are not readable are counted, not kept. */
    public static SegmentBatch fromJson(JsonObject o) {
      Iterable<Object> raw = o.getValue(RECORDS) instanceof JsonArray a ? a : List.of(o);
      List<SegmentServed> out = new ArrayList<>();
      int rejected = 0;
      String problem = null;
      for (Object r : raw) {
        try {
          out.add(SegmentServed.fromJson(Wire.object(r, RECORDS + "[]")));
        } catch (BadMessage e) {
          rejected++;
          problem = problem == null ? e.getMessage() : problem;
        }
      }
      return new SegmentBatch(out, rejected, problem);
    }
  }

  private MonitorContract() {
  }
}
