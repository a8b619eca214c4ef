package dev.iptv.common;

import io.vertx.core.json.JsonObject;

/**
 * One segment request answered by a node, for byte accounting and viewer history: what nginx logs
 * per segment ({@code log_format iptv_segments}) and what a JVM that serves segments itself sends
 * to {@link Addresses#SEGMENTS_SERVED}.
 *
 * <p>Wire shape: {@code {"channel_id": "48681", "bytes": 1880000, "ip": "203.0.113.7"}}, plus when
 * known {@code "username"}, {@code "user_agent"}, {@code "status"} (HTTP status, default 200) and
 * {@code "ts"} (epoch seconds with fraction, default: when received).
 *
 * @param channelId the channel's id (digits)
 * @param bytes     body bytes sent
 * @param ip        the client address
 * @param username  the viewer, or null when unknown (nginx does not know it)
 * @param userAgent the client's User-Agent, or null
 * @param status    the HTTP status of the answer
 * @param ts        epoch seconds when it was served
 */
public record SegmentServed(String channelId, long bytes, String ip, String username, String userAgent,
                            int status, double ts) {

  public static final String CHANNEL_ID = "channel_id";
  public static final String BYTES = "bytes";
  public static final String IP = "ip";
  public static final String USERNAME = "username";
  public static final String USER_AGENT = "user_agent";
  public static final String STATUS = "status";
  public static final String TS = "ts";
  /** A batch of records in one message: {@code {"records": [record, ...]}}. */
  public static final String BATCH = "records";

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
    return o;
  }

  /**
   * Reads the wire shape; fails with {@link IllegalArgumentException} naming the field when the
   * channel id is not digits, bytes is not a non-negative whole number or the ip is missing.
   */
  public static SegmentServed fromJson(JsonObject o) {
    Object channel = o.getValue(CHANNEL_ID);
    String id = channel == null ? null : channel.toString();
    if (id == null || id.isEmpty() || id.length() > 20 || !id.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IllegalArgumentException(CHANNEL_ID + " must be digits");
    }
    Object b = o.getValue(BYTES);
    if (!(b instanceof Number n) || n.longValue() < 0 || n.doubleValue() != Math.floor(n.doubleValue())) {
      throw new IllegalArgumentException(BYTES + " must be a whole number >= 0");
    }
    Object ip = o.getValue(IP);
    if (!(ip instanceof String s) || s.isBlank() || s.length() > 64) {
      throw new IllegalArgumentException(IP + " must be the client address");
    }
    Object status = o.getValue(STATUS);
    Object ts = o.getValue(TS);
    return new SegmentServed(id, n.longValue(), s, text(o.getValue(USERNAME), 64), text(o.getValue(USER_AGENT), 512),
      status instanceof Number sn ? sn.intValue() : 200,
      ts instanceof Number tn && tn.doubleValue() > 0 ? tn.doubleValue() : System.currentTimeMillis() / 1000.0);
  }

  private static String text(Object v, int max) {
    if (!(v instanceof String s) || s.isEmpty()) {
      return null;
    }
    return s.length() > max ? s.substring(0, max) : s;
  }
}
