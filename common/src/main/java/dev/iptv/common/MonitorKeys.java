package dev.iptv.common;

/**
 * Redis keys monitor-service writes (and the stream keys it reads), in the {@code kind:{id}:field}
 * style of {@link Keys}.
 *
 * <ul>
 *   <li>{@code node:{name}:stats}: the node's latest figures (JSON, see monitor-service
 *       {@code HostStats}), TTL {@link #NODE_STATS_TTL_S} s: present means the node is alive.</li>
 *   <li>{@code node:{name}:last_seen}: epoch seconds of its last report, TTL one day, so a node
 *       that stopped reporting shows as down for a day and is then forgotten.</li>
 *   <li>{@code nodes:all}: set of node names that report.</li>
 *   <li>{@code stream:{id}:bytes}: bytes served for the channel, all nodes together (INCRBY).</li>
 *   <li>{@code stream:{id}:bandwidth}: bytes per second served over the last 10 s, TTL 15 s.</li>
 *   <li>{@code iptv:sentinel}: {@code g{generation}:{node}:{nonce}} while Redis holds the panel's
 *       data, {@code restoring:...} while an older Redis is brought to PostgreSQL's state; absent
 *       when Redis lost its data (see {@link MirrorSentinel}).</li>
 * </ul>
 */
public final class MonitorKeys {

  public static final String NODES_ALL = "nodes:all";
  public static final String SENTINEL = "iptv:sentinel";
  public static final int NODE_STATS_TTL_S = 15;
  public static final int NODE_LAST_SEEN_TTL_S = 86_400;
  /** SCAN pattern of running streams: a stream runs while its pid key exists (seed layout). */
  public static final String STREAM_PID_PATTERN = "stream:*:pid";

  private MonitorKeys() {
  }

  public static String nodeStats(String node) {
    return "node:" + node + ":stats";
  }

  public static String nodeLastSeen(String node) {
    return "node:" + node + ":last_seen";
  }

  public static String streamBytes(String id) {
    return "stream:" + id + ":bytes";
  }

  public static String streamBandwidth(String id) {
    return "stream:" + id + ":bandwidth";
  }

  /** Sorted set of viewer sessions scored by their last poll (epoch seconds); stream-service writes it. */
  public static String streamViewers(String id) {
    return "stream:" + id + ":viewers";
  }

  /** The node running the stream; stream-service writes it. */
  public static String streamNode(String id) {
    return "stream:" + id + ":node";
  }

  /** {@code copy} or {@code transcode}; stream-service writes it. */
  public static String streamMode(String id) {
    return "stream:" + id + ":mode";
  }

  /** The channel id in {@code stream:{id}:pid}, or null when the key is not one. */
  public static String channelOfPidKey(String key) {
    if (!key.startsWith("stream:") || !key.endsWith(":pid")) {
      return null;
    }
    String id = key.substring(7, key.length() - 4);
    return !id.isEmpty() && id.indexOf(':') < 0 ? id : null;
  }
}
