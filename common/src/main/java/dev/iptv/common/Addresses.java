package dev.iptv.common;

/**
 * Event-bus addresses: the only way the services talk to each other. Local in the all-in-one
 * server, clustered over Hazelcast otherwise.
 */
public final class Addresses {

  /**
   * auth-service answers token checks. Request: {@code {"token": "..."}}. Reply: see
   * {@link TokenCheck}.
   */
  public static final String AUTH_VALIDATE = "iptv.auth.validate";

  /**
   * auth-service admits a viewer session: request {@code {"token", "ip", "user_agent", "channel_id",
   * "hold"}}; reply as {@link #AUTH_VALIDATE}, with status {@code limit} when the user already
   * watches from {@code max_connections} other live sessions. A session is one token on one client
   * (IP and User-Agent); it lives while it polls and is freed IPTV_SESSION_WINDOW_S (at most 60 s)
   * after its last request. {@code "hold": false} (a playlist download) checks without taking a slot.
   */
  public static final String AUTH_SESSION = "iptv.auth.session";

  /** Published when a viewer is refused for max_connections: {@code {"event":"limit_hit","username","channel_id","ts"}}. */
  public static final String LIMIT_EVENTS = "iptv.auth.limit";

  /**
   * Published (to every node) when channels change: {@code {"channel_id", "origin"}} (origin: the
   * writing playlist-service instance, which has already refreshed its own list).
   */
  public static final String CHANNELS_CHANGED = "iptv.channels.changed";

  /** Published when a user or token changes: {@code {"username", "token", "old_token"}}. */
  public static final String USERS_CHANGED = "iptv.users.changed";

  /** stream-service: start a channel. Request {@code {"channel_id"}}; reply the stream status. */
  public static final String STREAM_START = "iptv.stream.start";

  /** stream-service: stop a channel. Request {@code {"channel_id", "reason"}}. */
  public static final String STREAM_STOP = "iptv.stream.stop";

  /** Published by stream-service on lifecycle events (started, stopped, failed, restarted). */
  public static final String STREAM_EVENTS = "iptv.stream.events";

  /**
   * Bytes a node served from one segment request, for accounting (monitor-service): send (not
   * publish) {@link SegmentServed#toJson()}, {@code {"channel_id","bytes","ip"}} plus optional
   * {@code "username","user_agent","status","ts"}, or a batch of them {@code {"records": [...]}}
   * (what stream-service sends, twice a second). nginx reports the same records in its segment log.
   */
  public static final String SEGMENTS_SERVED = "iptv.segments.served";

  /**
   * Published by stream-service at every admitted live playlist poll, so that segment records that
   * come without a user (nginx's) can be given one: {@code {"username","channel_id","ip",
   * "user_agent","ts"}}.
   */
  public static final String VIEWER_POLLS = "iptv.viewers.polls";

  /**
   * Published by monitor-service on its own events, for dashboards:
   * {@code {"event":"redis_restored","node","keys","ts"}} when it put back the panel's data after
   * Redis lost it.
   */
  public static final String MONITOR_EVENTS = "iptv.monitor.events";

  private Addresses() {
  }
}
