package dev.iptv.contract;

import java.util.regex.Pattern;

/**
 * The servers registry (SPEC section 9): SSH servers registered through {@code /api/servers}, driven
 * over SSH by stream-service. Stream nodes are not stored here: they appear by their
 * {@link MonitorContract#nodeStatsKey} reports.
 *
 * <p>Redis: {@code servers:all} (set of names), {@code server:{name}} (the server's JSON, no
 * secret), {@code server:{name}:credentials} (its {@code ssh_private_key} or {@code ssh_password},
 * JSON, never returned by the API), {@code server:{name}:health} (the latest health read over SSH,
 * TTL {@value #HEALTH_TTL_S} s), {@code server:{name}:watcher} (the instance reading its health,
 * PX lease) and {@code server:{name}:ffmpeg} (hash channel id → the FFmpeg started there:
 * {@code {"pid", "started", "output"}}).
 */
public final class ServerContract {

  /** A server's (and a node's) name: what the API path and the keys carry. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  public static final String SERVERS_ALL = "servers:all";

  /**
   * Request/reply, any stream-service: any body → {@code {"servers": [...], "count"}}, the rows of
   * {@code GET /api/servers} (every SSH server, then every stream node that reports). The monitor's
   * {@code /api/stats} and dashboard show them.
   */
  public static final String LIST = "iptv.servers.list";
  public static final int HEALTH_TTL_S = 30;

  public static final String KIND_NODE = "node";
  public static final String KIND_SSH = "ssh";
  public static final String ONLINE = "online";
  public static final String OFFLINE = "offline";
  public static final String DISABLED = "disabled";

  /**
   * A stream node's own report, written by its stream-service every {@value #NODE_REPORT_S} s with a
   * TTL of {@value #NODE_REPORT_TTL_S} s (present: the node takes channels): {@code {"name",
   * "instance", "public_url", "max_streams", "streams", "cpu_percent", "memory_percent", "load_1m",
   * "disk_percent", "updated"}} ({@code disk_percent}: the file system of its {@code IPTV_HLS_DIR}).
   * Placement reads it; {@code GET /api/servers} shows it with the monitor's {@code node:{name}:stats}.
   */
  public static String nodeStreamKey(String name) {
    return "node:" + name + ":stream";
  }

  public static final int NODE_REPORT_S = 2;
  public static final int NODE_REPORT_TTL_S = 10;

  public static boolean isName(String s) {
    return s != null && NAME.matcher(s).matches();
  }

  public static String serverKey(String name) {
    return "server:" + name;
  }

  public static String credentialsKey(String name) {
    return serverKey(name) + ":credentials";
  }

  public static String healthKey(String name) {
    return serverKey(name) + ":health";
  }

  public static String watcherKey(String name) {
    return serverKey(name) + ":watcher";
  }

  public static String ffmpegKey(String name) {
    return serverKey(name) + ":ffmpeg";
  }

  private ServerContract() {
  }
}
