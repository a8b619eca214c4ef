package dev.iptv.common;

/**
 * Redis keys stream-service adds to the seed's {@code stream:{id}:*} layout ({@link Keys} has the
 * seed's five; {@link MonitorKeys} names node, mode and viewers for readers). All of them exist
 * only while the channel's stream runs and are deleted when it stops.
 *
 * <ul>
 *   <li>{@code stream:{id}:owner}: {@code {node}/{instance}} of the stream-service instance that runs
 *       the channel's FFmpeg: a lease ({@code SET NX PX}, renewed while it runs) that makes the start
 *       happen once across the cluster.</li>
 *   <li>{@code stream:{id}:node}: the node name ({@code IPTV_NODE_NAME}, default the host name).</li>
 *   <li>{@code stream:{id}:mode}: {@code copy} or {@code transcode}.</li>
 *   <li>{@code stream:{id}:restarts}: how often FFmpeg was restarted after dying while watched.</li>
 *   <li>{@code stream:{id}:viewers}: sorted set, member a hash of token, client IP and User-Agent,
 *       score the epoch seconds of its last poll; viewers are the members of the last 60 s.</li>
 * </ul>
 */
public final class StreamKeys {

  /** SCAN pattern of running streams: a stream runs while its pid key exists. */
  public static final String PID_PATTERN = "stream:*:pid";

  /** A viewer counts while it polled within this many seconds. */
  public static final int VIEWER_WINDOW_S = 60;

  private StreamKeys() {
  }

  public static String owner(String id) {
    return "stream:" + id + ":owner";
  }

  public static String node(String id) {
    return MonitorKeys.streamNode(id);
  }

  public static String mode(String id) {
    return MonitorKeys.streamMode(id);
  }

  public static String restarts(String id) {
    return "stream:" + id + ":restarts";
  }

  public static String viewers(String id) {
    return MonitorKeys.streamViewers(id);
  }

  /** Every key of a running stream, seed keys first. */
  public static String[] all(String id) {
    return new String[] {Keys.streamPid(id), Keys.streamStarted(id), Keys.streamSource(id),
      Keys.streamResolvedSource(id), Keys.streamLastAccess(id), node(id), mode(id), restarts(id), viewers(id)};
  }
}
