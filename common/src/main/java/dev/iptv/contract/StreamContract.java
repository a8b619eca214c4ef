package dev.iptv.contract;

import dev.iptv.common.Epoch;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;

/**
 * stream-service's contract: channels started on demand, one FFmpeg per channel across the
 * cluster. Its addresses, its messages and its Redis keys.
 *
 * <p>Redis: the seed's {@code stream:{id}:pid}, {@code :started}, {@code :source},
 * {@code :resolved_source}, {@code :last_access} (SPEC section 5), and what the project adds:
 * {@code stream:{id}:owner} ({@code {node}/{instance}} holding the lease: {@code SET NX PX}, renewed
 * while it runs, so a start happens once across the cluster), {@code :node}, {@code :mode}
 * ({@code copy} or {@code transcode}), {@code :restarts}, {@code :viewers} (sorted set: session id →
 * epoch seconds of its last poll). All of them exist only while the stream runs. Plus
 * {@code user:{username}:starts}: the user's cold starts of the last minute (score epoch ms), and
 * {@code stream:{id}:probe}: how FFmpeg probes each of the channel's sources, kept across runs.
 */
public final class StreamContract {

  // --- event-bus addresses -----------------------------------------------------------------------

  /** Request/reply, answered where the channel runs or can start: {@link StartRequest} → {@link StreamStatus}. */
  public static final String START = "iptv.stream.start";

  /** Request/reply: {@link StopRequest} → {@link StopReply}; the instance that takes it stops the channel wherever it runs. */
  public static final String STOP = "iptv.stream.stop";

  /** Published by stream-service on lifecycle events: {@link StreamEvent}. */
  public static final String EVENTS = "iptv.stream.events";

  /**
   * Published at every admitted live playlist poll ({@link ViewerPoll}), so that segment records that
   * come without a user (nginx's) can be given one.
   */
  public static final String VIEWER_POLLS = "iptv.viewers.polls";

  /**
   * Where the one instance that owns a stream takes stop requests ({@link StopRequest} →
   * {@link StopReply}), stopping only what runs there: {@code iptv.stream.stop.{instance}}, the
   * instance being the value of {@code stream:{id}:owner}.
   */
  public static String stopAddress(String instance) {
    return STOP + "." + instance;
  }

  /**
   * Where the instance that owns a stream takes force-switch requests ({@link SwitchRequest} →
   * {@link SwitchReply}, or a failure whose code is the HTTP status): {@code iptv.stream.switch.{instance}}.
   */
  public static String switchAddress(String instance) {
    return "iptv.stream.switch." + instance;
  }

  /**
   * Where the instance that owns a stream answers for its FFmpeg log ({@link LogRequest} →
   * {@link LogReply}, or a failure whose code is the HTTP status): {@code iptv.stream.log.{instance}}.
   */
  public static String logAddress(String instance) {
    return "iptv.stream.log." + instance;
  }

  /**
   * Where an instance runs a channel placed on its node (SPEC section 9): {@link EnsureRequest} →
   * {@link StreamStatus} once it plays there (started, joined, or already running; never placed again),
   * or a failure whose code is the HTTP status: {@code iptv.stream.ensure.{instance}}.
   */
  public static String ensureAddress(String instance) {
    return "iptv.stream.ensure." + instance;
  }

  // --- Redis keys ----------------------------------------------------------------------------------

  /** SCAN pattern of running streams: a stream runs while its pid key exists. */
  public static final String PID_SCAN = "stream:*:pid";

  /** A viewer counts while it polled within this many seconds (SPEC section 2). */
  public static final int VIEWER_WINDOW_S = 60;

  public static String pidKey(String id) {
    return key(id, "pid");
  }

  public static String startedKey(String id) {
    return key(id, "started");
  }

  public static String sourceKey(String id) {
    return key(id, "source");
  }

  public static String resolvedSourceKey(String id) {
    return key(id, "resolved_source");
  }

  public static String lastAccessKey(String id) {
    return key(id, "last_access");
  }

  public static String ownerKey(String id) {
    return key(id, "owner");
  }

  public static String nodeKey(String id) {
    return key(id, "node");
  }

  public static String modeKey(String id) {
    return key(id, "mode");
  }

  public static String restartsKey(String id) {
    return key(id, "restarts");
  }

  public static String viewersKey(String id) {
    return key(id, "viewers");
  }

  /**
   * {@code stream:{id}:probe}: a hash, one field per source URL of the channel (the first 16 hex
   * digits of its SHA-256, never the URL), {@code quick} or {@code full}: how much FFmpeg must read
   * of that source before its streams are all known. Not a key of the running stream: it outlives
   * the run and expires a day after its last change.
   */
  public static String probeKey(String id) {
    return key(id, "probe");
  }

  /**
   * {@code stream:{id}:slate}: present while the running stream shows the slate (every source failed):
   * {@code {"since", "reason"}}. Deleted when a source plays again and with the stream.
   */
  public static String slateKey(String id) {
    return key(id, "slate");
  }

  /**
   * {@code stream:{id}:checks}: a hash, one field per source URL of the channel (16 hex digits of
   * its SHA-256, as {@link #probeKey}) → the source's last check {@code {"source", "checked", "ok",
   * "codecs", "error", "node"}} (the source without credentials). Kept across runs, expires a day
   * after its last check.
   */
  public static String checksKey(String id) {
    return key(id, "checks");
  }

  /** Every key of a running stream but its lease, seed keys first (all deleted when it stops). */
  public static String[] allKeys(String id) {
    return new String[] {pidKey(id), startedKey(id), sourceKey(id), resolvedSourceKey(id), lastAccessKey(id),
      nodeKey(id), modeKey(id), restartsKey(id), viewersKey(id), slateKey(id)};
  }

  /** The channel id in {@code stream:{id}:pid}, or null when the key is not one. */
  public static String channelOfPidKey(String key) {
    String prefix = "stream:";
    String suffix = ":pid";
    if (!key.startsWith(prefix) || !key.endsWith(suffix) || key.length() <= prefix.length() + suffix.length()) {
      return null;
    }
    String id = key.substring(prefix.length(), key.length() - suffix.length());
    return id.indexOf(':') < 0 ? id : null;
  }

  /** {@code user:{username}:starts}: the user's cold starts of the last minute, for {@code IPTV_USER_STARTS_PER_MIN}. */
  public static String userStartsKey(String username) {
    return AuthContract.userKey(username) + ":starts";
  }

  /** {@code stream:{id}:{field}}, for the keys of this contract and of the monitor's. */
  static String key(String id, String field) {
    return "stream:" + id + ":" + field;
  }

  // --- messages ------------------------------------------------------------------------------------

  private static final String F_CHANNEL_ID = ChannelSchema.CHANNEL_ID;
  private static final String F_REASON = "reason";
  private static final String F_NODE = "node";
  private static final String F_MODE = "mode";
  private static final String F_PATH = "path";
  private static final String F_PID = "pid";
  private static final String F_STATUS = "status";
  private static final String F_STARTED = "started";
  private static final String F_STOPPED_HERE = "stopped_here";

  /** A channel id in a request: digits (a string, trimmed, or a whole number). */
  private static String requestId(JsonObject o) {
    Object v = o.getValue(F_CHANNEL_ID);
    String id = ChannelContract.idOf(v instanceof String s ? s.trim() : v);
    if (!ChannelContract.isId(id)) {
      throw new BadMessage(F_CHANNEL_ID, "is required: the channel's id (digits)");
    }
    return id;
  }

  /** {@link #START}'s request, and the body of {@code POST /api/stream/start}: {@code {"channel_id"}}. */
  public record StartRequest(String channelId) {

    public JsonObject toJson() {
      return new JsonObject().put(F_CHANNEL_ID, channelId);
    }

    /** Fails naming {@code channel_id} when it is not a channel id. */
    public static StartRequest fromJson(JsonObject o) {
      return new StartRequest(requestId(o));
    }
  }

  /**
   * {@link #ensureAddress}'s request: {@code {"channel_id", "username"}}; the username (charged one
   * start when theirs starts the channel) is absent for the admin API.
   */
  public record EnsureRequest(String channelId, String username) {

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put(F_CHANNEL_ID, channelId);
      return username == null ? o : o.put("username", username);
    }

    /** Fails naming {@code channel_id} when it is not a channel id. */
    public static EnsureRequest fromJson(JsonObject o) {
      return new EnsureRequest(requestId(o), o.getValue("username") instanceof String u ? u : null);
    }
  }

  /**
   * {@link #STOP}'s and {@link #stopAddress}'s request, and the body of {@code POST /api/stream/stop}:
   * {@code {"channel_id", "reason"}}; the reason defaults to {@value #DEFAULT_REASON}.
   */
  public record StopRequest(String channelId, String reason) {

    public static final String DEFAULT_REASON = "stop requested";

    public JsonObject toJson() {
      return new JsonObject().put(F_CHANNEL_ID, channelId).put(F_REASON, reason);
    }

    /** Fails naming {@code channel_id} when it is not a channel id. */
    public static StopRequest fromJson(JsonObject o) {
      String reason = Wire.text(o, F_REASON);
      return new StopRequest(requestId(o), reason == null ? DEFAULT_REASON : reason);
    }
  }

  /** The answer to a {@link StopRequest}: {@code {"channel_id", "stopped_here"}}. */
  public record StopReply(String channelId, boolean stoppedHere) {

    public JsonObject toJson() {
      return new JsonObject().put(F_CHANNEL_ID, channelId).put(F_STOPPED_HERE, stoppedHere);
    }

    public static StopReply fromJson(JsonObject o) {
      return new StopReply(Wire.text(o, F_CHANNEL_ID), Boolean.TRUE.equals(o.getValue(F_STOPPED_HERE)));
    }
  }

  /** {@link #switchAddress}'s request, and the body of {@code POST /api/stream/switch}: {@code {"channel_id"}}. */
  public record SwitchRequest(String channelId) {

    public JsonObject toJson() {
      return new JsonObject().put(F_CHANNEL_ID, channelId);
    }

    /** Fails naming {@code channel_id} when it is not a channel id. */
    public static SwitchRequest fromJson(JsonObject o) {
      return new SwitchRequest(requestId(o));
    }
  }

  /**
   * A channel moved to another source: {@code {"channel_id", "from", "to", "mode", "pid", "node"}},
   * the sources without credentials (scheme, host, port and the path's last element).
   */
  public record SwitchReply(String channelId, String from, String to, String mode, long pid, String node) {

    public JsonObject toJson() {
      return new JsonObject().put(F_CHANNEL_ID, channelId).put("from", from).put("to", to).put(F_MODE, mode)
        .put(F_PID, pid).put(F_NODE, node);
    }

    public static SwitchReply fromJson(JsonObject o) {
      return new SwitchReply(Wire.required(o, F_CHANNEL_ID), Wire.text(o, "from"), Wire.text(o, "to"),
        Wire.text(o, F_MODE), Wire.number(o, F_PID, 0).longValue(), Wire.text(o, F_NODE));
    }
  }

  /** {@link #logAddress}'s request: {@code {"channel_id", "lines"}} (1 to {@value #MAX_LINES}). */
  public record LogRequest(String channelId, int lines) {

    public static final int MAX_LINES = 200;
    public static final int DEFAULT_LINES = 100;

    public JsonObject toJson() {
      return new JsonObject().put(F_CHANNEL_ID, channelId).put("lines", lines);
    }

    /** Fails naming {@code channel_id} or {@code lines}. */
    public static LogRequest fromJson(JsonObject o) {
      Object n = o.getValue("lines");
      if (n != null && !(n instanceof Number num && num.intValue() == num.doubleValue()
        && num.intValue() >= 1 && num.intValue() <= MAX_LINES)) {
        throw new BadMessage("lines", "must be a whole number from 1 to " + MAX_LINES);
      }
      return new LogRequest(requestId(o), n == null ? DEFAULT_LINES : ((Number) n).intValue());
    }
  }

  /**
   * The tail of a running channel's FFmpeg log, credentials redacted: {@code {"channel_id", "node",
   * "pid", "source", "lines": [...]}}.
   */
  public record LogReply(String channelId, String node, long pid, String source, java.util.List<String> lines) {

    public JsonObject toJson() {
      return new JsonObject().put(F_CHANNEL_ID, channelId).put(F_NODE, node).put(F_PID, pid).put("source", source)
        .put("lines", new io.vertx.core.json.JsonArray(new java.util.ArrayList<>(lines)));
    }

    public static LogReply fromJson(JsonObject o) {
      java.util.List<String> lines = new java.util.ArrayList<>();
      if (o.getValue("lines") instanceof io.vertx.core.json.JsonArray a) {
        a.forEach(l -> lines.add(String.valueOf(l)));
      }
      return new LogReply(Wire.required(o, F_CHANNEL_ID), Wire.text(o, F_NODE), Wire.number(o, F_PID, 0).longValue(),
        Wire.text(o, "source"), lines);
    }
  }

  /**
   * A playable stream, the answer to {@link #START} and to {@code POST /api/stream/start}:
   * {@code {"channel_id", "pid", "node", "status", "mode", "started"}}.
   *
   * @param started epoch seconds
   * @param status  {@code started} when this request started it, {@code running} when it already ran
   */
  public record StreamStatus(String channelId, long pid, String node, String mode, double started, String status) {

    public static final String STARTED = "started";
    public static final String RUNNING = "running";

    public StreamStatus running() {
      return new StreamStatus(channelId, pid, node, mode, started, RUNNING);
    }

    public JsonObject toJson() {
      return new JsonObject().put(F_CHANNEL_ID, channelId).put(F_PID, pid).put(F_NODE, node).put(F_STATUS, status)
        .put(F_MODE, mode).put(F_STARTED, Epoch.seconds(Math.round(started * 1000)));
    }

    /** Fails naming {@code channel_id} or {@code pid} when missing. */
    public static StreamStatus fromJson(JsonObject o) {
      if (!(o.getValue(F_PID) instanceof Number pid)) {
        throw new BadMessage(F_PID, "must be a number");
      }
      return new StreamStatus(Wire.required(o, F_CHANNEL_ID), pid.longValue(), Wire.text(o, F_NODE),
        Wire.text(o, F_MODE), Wire.number(o, F_STARTED, 0).doubleValue(), Wire.text(o, F_STATUS));
    }
  }

  /**
   * {@link #EVENTS}: {@code {"event": "started|stopped|failed|restarted|stalled|switched|slate_on|slate_off", "channel_id", "node",
   * "mode", "reason", "ts"}}, or {@code {"event": "disk_full", "channel_id", "node", "path",
   * "reason", "ts"}} when a start meets a full disk under {@code IPTV_HLS_DIR} (once per start).
   */
  public record StreamEvent(Kind kind, String channelId, String node, String mode, String path, String reason,
                            BigDecimal ts) {

    /** What happened. */
    public enum Kind {
      STARTED("started"), STOPPED("stopped"), FAILED("failed"), RESTARTED("restarted"), DISK_FULL("disk_full"),
      /** No new segment for {@code IPTV_STALL_SEGMENTS} segment lengths, or FFmpeg slower than real time. */
      STALLED("stalled"),
      /** The channel plays from another of its sources than before (a stall, a death, an operator's switch). */
      SWITCHED("switched"),
      /** Every source failed while watched: the viewers get the generated slate, the sources are tried again. */
      SLATE_ON("slate_on"),
      /** A source plays again: the slate is replaced by the live stream. */
      SLATE_OFF("slate_off");

      private final String wire;

      Kind(String wire) {
        this.wire = wire;
      }

      public String wire() {
        return wire;
      }

      /** The kind a wire value names, or null. */
      public static Kind fromWire(Object value) {
        for (Kind k : values()) {
          if (k.wire.equals(value)) {
            return k;
          }
        }
        return null;
      }
    }

    /** A lifecycle event (not {@code disk_full}) now. */
    public static StreamEvent of(Kind kind, String channelId, String node, String mode, String reason) {
      return new StreamEvent(kind, channelId, node, mode, null, reason, Epoch.now());
    }

    /** A full disk at {@code path} now. */
    public static StreamEvent diskFull(String channelId, String node, String path, String reason) {
      return new StreamEvent(Kind.DISK_FULL, channelId, node, null, path, reason, Epoch.now());
    }

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put(Wire.EVENT, kind.wire()).put(F_CHANNEL_ID, channelId).put(F_NODE, node);
      if (kind == Kind.DISK_FULL) {
        o.put(F_PATH, path);
      } else {
        o.put(F_MODE, mode);
      }
      return o.put(F_REASON, reason).put(Wire.TS, ts);
    }

    /** Fails naming {@code event} (not a kind) or {@code channel_id} (not an id); the rest may be absent. */
    public static StreamEvent fromJson(JsonObject o) {
      Kind kind = Kind.fromWire(o.getValue(Wire.EVENT));
      if (kind == null) {
        throw new BadMessage(Wire.EVENT, "must be started, stopped, failed, restarted, stalled, switched, slate_on, slate_off or disk_full");
      }
      String id = ChannelContract.idOf(o.getValue(F_CHANNEL_ID));
      if (!ChannelContract.isId(id)) {
        throw new BadMessage(F_CHANNEL_ID, "must be digits (at most 19)");
      }
      Number ts = Wire.number(o, Wire.TS, null);
      return new StreamEvent(kind, id, Wire.lenientText(o.getValue(F_NODE)), Wire.lenientText(o.getValue(F_MODE)),
        Wire.lenientText(o.getValue(F_PATH)), Wire.lenientText(o.getValue(F_REASON)),
        ts == null ? null : new BigDecimal(ts.toString()));
    }
  }

  /** {@link #VIEWER_POLLS}: {@code {"username", "channel_id", "ip", "user_agent", "ts"}}. */
  public record ViewerPoll(String username, String channelId, String ip, String userAgent, double ts) {

    private static final String F_USERNAME = "username";
    private static final String F_IP = "ip";
    private static final String F_USER_AGENT = "user_agent";

    public JsonObject toJson() {
      return new JsonObject().put(F_USERNAME, username).put(F_CHANNEL_ID, channelId).put(F_IP, ip)
        .put(F_USER_AGENT, userAgent).put(Wire.TS, ts);
    }

    /**
     * Fails naming {@code username} (not 1-64 characters), {@code channel_id} or {@code ip} (not
     * strings); {@code user_agent} defaults to "", {@code ts} to now.
     */
    public static ViewerPoll fromJson(JsonObject o) {
      if (!(o.getValue(F_USERNAME) instanceof String user) || user.isEmpty() || user.length() > 64) {
        throw new BadMessage(F_USERNAME, "must be a string of 1-64 characters");
      }
      if (!(o.getValue(F_CHANNEL_ID) instanceof String channel)) {
        throw new BadMessage(F_CHANNEL_ID, "must be a string");
      }
      if (!(o.getValue(F_IP) instanceof String ip)) {
        throw new BadMessage(F_IP, "must be a string");
      }
      String ua = Wire.text(o, F_USER_AGENT);
      return new ViewerPoll(user, channel, ip, ua == null ? "" : ua,
        Wire.number(o, Wire.TS, System.currentTimeMillis() / 1000.0).doubleValue());
    }
  }

  /**
   * The admitted polls of one interval, as one message: {@code {"polls": [ViewerPoll, ...]}}
   * (stream-service publishes one a second instead of one per poll). {@link #read} takes a batch or
   * a single poll.
   */
  public record ViewerPollBatch(java.util.List<ViewerPoll> polls) {

    public static final String POLLS = "polls";

    public JsonObject toJson() {
      io.vertx.core.json.JsonArray a = new io.vertx.core.json.JsonArray();
      polls.forEach(p -> a.add(p.toJson()));
      return new JsonObject().put(POLLS, a);
    }

    /** The readable polls of a batch, or of a single poll; malformed ones are dropped. */
    public static java.util.List<ViewerPoll> read(JsonObject o) {
      Iterable<Object> raw = o != null && o.getValue(POLLS) instanceof io.vertx.core.json.JsonArray a ? a
        : java.util.Collections.singletonList(o);
      java.util.List<ViewerPoll> out = new java.util.ArrayList<>();
      for (Object r : raw) {
        if (r instanceof JsonObject j) {
          try {
            out.add(ViewerPoll.fromJson(j));
          } catch (BadMessage e) {
            // one bad entry costs only itself
          }
        }
      }
      return out;
    }
  }

  private StreamContract() {
  }
}
