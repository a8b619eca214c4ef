package dev.iptv.common;

import dev.iptv.common.Setting.Type;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Every {@code IPTV_*} setting of the suite, declared once: its environment variable (the constant's
 * value), its type, its default, who reads it and what it means ({@link Setting}).
 *
 * <p>The config-file key is the variable's name without {@code IPTV_}, lower case, with dots for
 * underscores ({@code IPTV_HTTP_PORT} is {@code http.port}). Precedence: environment, then the
 * file named by {@code IPTV_CONFIG} (a Java properties file), then the default. The resolved
 * settings travel to every verticle as its deployment config, keyed by the config-file key; each
 * service reads them into its typed settings record at start ({@code AuthSettings},
 * {@code PlaylistSettings}, {@code StreamSettings}, {@code MonitorSettings}, {@link HttpSettings},
 * {@link ClusterSettings}), which fails naming the setting. {@code java -jar iptv.jar settings}
 * prints them resolved for {@code bin/iptv}.
 */
public final class Config {

  private static final List<Setting> SETTINGS = new ArrayList<>();
  private static final String ALL = "all";
  private static final String AUTH = "auth-service";
  private static final String PLAYLIST = "playlist-service";
  private static final String STREAM = "stream-service";
  private static final String MONITOR = "monitor-service";
  private static final String MIRROR = "mirror-service";
  private static final String MONITOR_AND_MIRROR = "monitor-service, mirror-service";
  private static final String SERVER = "server";
  private static final String CLUSTER = "cluster";
  private static final String NGINX = "nginx front";

  // --- the suite ---------------------------------------------------------------------------------

  public static final String CONFIG_FILE = declare("IPTV_CONFIG", Type.PATH, null, null, ALL,
    "an optional Java properties file of settings (keys: the variable without IPTV_, lower case, dots)");
  public static final String ADMIN_TOKEN = declare("IPTV_ADMIN_TOKEN", Type.SECRET, null, null, ALL,
    "bearer for /api (16 characters or more)");
  public static final String DEMO = declare("IPTV_DEMO", Type.BOOL, "false", SERVER,
    "true: start without an admin token, with a random one printed once");
  public static final String REDIS_URL = declare("IPTV_REDIS_URL", Type.URL, "redis://127.0.0.1:6379", ALL,
    "Redis (a database number may follow)");
  public static final String PG_URL = declare("IPTV_PG_URL", Type.URL, null, null, ALL,
    "PostgreSQL: history and the durable copy of the panel's data; unset: both off");
  public static final String NODE_NAME = declare("IPTV_NODE_NAME", Type.TEXT, null, null, ALL,
    "this node's name in Redis and the API; unset: the host name");
  public static final String REAL_IP_FROM = declare("IPTV_REAL_IP_FROM", Type.LIST, null, null, ALL,
    "CDN or proxy CIDRs (comma-separated) whose client-address header is believed (SPEC section 11)");
  public static final String REAL_IP_HEADER = declare("IPTV_REAL_IP_HEADER", Type.TEXT, "X-Forwarded-For", ALL,
    "the header those proxies carry the client's address in");

  // --- HTTP ----------------------------------------------------------------------------------------

  public static final String HTTP_PORT = declare("IPTV_HTTP_PORT", Type.PORT, "8080", SERVER,
    "all-in-one port; in bin/iptv cluster, nginx's port");
  public static final String PUBLIC_URL = declare("IPTV_PUBLIC_URL", Type.URL, null, "http://localhost:{IPTV_HTTP_PORT}",
    PLAYLIST, "base URL written into playlists");
  public static final String AUTH_PORT = declare("IPTV_AUTH_PORT", Type.PORT, "8081", CLUSTER,
    "auth-service's own port in cluster mode");
  public static final String PLAYLIST_PORT = declare("IPTV_PLAYLIST_PORT", Type.PORT, "8082", CLUSTER,
    "playlist-service's own port in cluster mode");
  public static final String STREAM_PORT = declare("IPTV_STREAM_PORT", Type.PORT, "8083", CLUSTER,
    "stream-service's own port in cluster mode");
  public static final String MONITOR_PORT = declare("IPTV_MONITOR_PORT", Type.PORT, "8084", CLUSTER,
    "monitor-service's own port in cluster mode");
  public static final String BIND_HOST = declare("IPTV_BIND_HOST", Type.TEXT, "0.0.0.0", ALL,
    "interface the HTTP servers bind");
  /** All-in-one server: event loops serving IPTV_HTTP_PORT; 0 means one per core. */
  public static final String HTTP_EVENT_LOOPS = declare("IPTV_HTTP_EVENT_LOOPS", Type.INT, "0", SERVER,
    "event loops serving the all-in-one port (one HTTP server each); 0: one per core");
  /** Every HTTP server (SPEC 11): a connection silent this long, or waiting this long for its next request, is closed. */
  public static final String HTTP_IDLE_TIMEOUT_S = declare("IPTV_HTTP_IDLE_TIMEOUT_S", Type.INT, "60", ALL,
    "every HTTP server: a connection silent this long is closed");
  /** Every HTTP server: a new connection must have sent a complete request head within this (slowloris). */
  public static final String HTTP_HEADER_TIMEOUT_S = declare("IPTV_HTTP_HEADER_TIMEOUT_S", Type.INT, "10", ALL,
    "every HTTP server: a new connection must send a complete request head within this");
  /** Every HTTP server: open connections at most; past that a new one is closed at once. */
  public static final String HTTP_MAX_CONNECTIONS = declare("IPTV_HTTP_MAX_CONNECTIONS", Type.INT, "10000", ALL,
    "every HTTP server: open connections at most");

  // --- auth-service and playlist-service -----------------------------------------------------------

  public static final String TOKEN_GRACE_S = declare("IPTV_TOKEN_GRACE_S", Type.INT, "86400", AUTH,
    "a token key outlives expires_at by this much, so expired is told from unknown");
  /** auth-service: seconds a viewer session keeps its slot after its last poll (at most 60, SPEC 2). */
  public static final String SESSION_WINDOW_S = declare("IPTV_SESSION_WINDOW_S", Type.INT, "60", AUTH,
    "a viewer session holds its max_connections slot this long after its last poll (5-60)");
  public static final String PASSWORD_HASH_ITERATIONS = declare("IPTV_PASSWORD_HASH_ITERATIONS", Type.INT, "120000",
    AUTH, "PBKDF2-SHA256 iterations for stored password hashes");
  public static final String LOGIN_FAILURES_PER_MIN = declare("IPTV_LOGIN_FAILURES_PER_MIN", Type.INT, "10", AUTH,
    "failed username/password logins (Xtream API) one client address may make per minute; beyond: refused unchecked");
  public static final String LOGIN_CACHE_SIZE = declare("IPTV_LOGIN_CACHE_SIZE", Type.INT, "100000", AUTH,
    "verified username/password pairs remembered (as keyed hashes) so a request skips PBKDF2");
  public static final String PLAYLIST_CACHE_S = declare("IPTV_PLAYLIST_CACHE_S", Type.INT, "30", PLAYLIST,
    "the rendered channel list is also rebuilt when older than this");
  // EPG (playlist-service, SPEC section 10): guide sources imported from XMLTV URLs.
  public static final String EPG_MAX_MB = declare("IPTV_EPG_MAX_MB", Type.INT, "1024", PLAYLIST,
    "largest EPG guide accepted (MiB), as downloaded and as XML once gunzipped");
  public static final String EPG_PAST_DAYS = declare("IPTV_EPG_PAST_DAYS", Type.INT, "3", PLAYLIST,
    "days a programme is kept after its end (catch-up lists)");
  public static final String EPG_FUTURE_DAYS = declare("IPTV_EPG_FUTURE_DAYS", Type.INT, "14", PLAYLIST,
    "days ahead of now programmes are imported");
  public static final String EPG_CHECK_S = declare("IPTV_EPG_CHECK_S", Type.INT, "60", PLAYLIST,
    "how often every playlist-service instance looks for EPG sources due to refresh");
  public static final String EPG_TIMEOUT_S = declare("IPTV_EPG_TIMEOUT_S", Type.INT, "60", PLAYLIST,
    "an EPG download that takes this long to connect, or stays silent this long, fails");

  // --- stream-service ------------------------------------------------------------------------------

  public static final String HLS_DIR = declare("IPTV_HLS_DIR", Type.PATH,
    Path.of(System.getProperty("java.io.tmpdir"), "iptv-hls").toString(), "{java.io.tmpdir}/iptv-hls", STREAM,
    "where FFmpeg writes HLS (nginx and the monitor's disk check read it too)");
  public static final String FFMPEG = declare("IPTV_FFMPEG", Type.PATH, "ffmpeg", STREAM, "the FFmpeg binary");
  public static final String FFPROBE = declare("IPTV_FFPROBE", Type.PATH, "ffprobe", STREAM, "the ffprobe binary");
  public static final String IDLE_TIMEOUT_S = declare("IPTV_IDLE_TIMEOUT_S", Type.INT, "300", STREAM,
    "stop a stream this long after its last viewer");
  public static final String START_TIMEOUT_S = declare("IPTV_START_TIMEOUT_S", Type.INT, "15", STREAM,
    "give up starting a stream after this long");
  /**
   * stream-service: channels one stream node runs at once (running plus starting); unset:
   * {@link #MAX_STREAMS_PER_CORE} per core. Beyond it a cold start gets 503 Capacity reached.
   */
  public static final String MAX_STREAMS = declare("IPTV_MAX_STREAMS", Type.INT, null, null, STREAM,
    "channels one stream-service instance runs at once; unset: 20 per core");
  /** stream-service: cold starts one user may cause per minute, cluster-wide (0: no limit). */
  public static final String USER_STARTS_PER_MIN = declare("IPTV_USER_STARTS_PER_MIN", Type.INT, "10", STREAM,
    "cold starts one user may cause per minute, cluster-wide; 0: no limit");
  /** Segment length in seconds (the seed's 4). Shorter starts faster and costs more requests. */
  public static final String HLS_TIME_S = declare("IPTV_HLS_TIME_S", Type.INT, "4", STREAM, "segment length in seconds");
  /** Segments kept in the live playlist (the seed's 6). */
  public static final String HLS_LIST_SIZE = declare("IPTV_HLS_LIST_SIZE", Type.INT, "6", STREAM,
    "segments in the live playlist");
  /** Owner lease of a running stream, in seconds. */
  public static final String STREAM_LEASE_S = declare("IPTV_STREAM_LEASE_S", Type.INT, "10", STREAM,
    "a stream's owner lease in Redis (one FFmpeg per channel, cluster-wide)");
  /** Seconds between SIGTERM and SIGKILL when stopping FFmpeg. */
  public static final String STOP_GRACE_S = declare("IPTV_STOP_GRACE_S", Type.INT, "3", STREAM,
    "SIGTERM to SIGKILL when stopping FFmpeg");
  /** Consecutive failed restarts of a watched stream before it is given up. */
  public static final String RESTART_MAX = declare("IPTV_RESTART_MAX", Type.INT, "8", STREAM,
    "consecutive failed restarts of a watched stream before giving up");
  /** A running stream whose newest segment is older than this many segment lengths is stalled (0: off). */
  public static final String STALL_SEGMENTS = declare("IPTV_STALL_SEGMENTS", Type.INT, "3", STREAM,
    "a running stream whose newest segment is older than this many segment lengths is stalled: restarted, then moved to its next source; 0: off");
  /** A running FFmpeg slower than this times real time over the speed window is stalled (0: off). */
  public static final String STALL_MIN_SPEED = declare("IPTV_STALL_MIN_SPEED", Type.DECIMAL, "0.8", STREAM,
    "a running FFmpeg slower than this times real time over IPTV_STALL_SPEED_WINDOW_S is stalled; 0: off");
  /** The window over which FFmpeg's speed is measured, in seconds. */
  public static final String STALL_SPEED_WINDOW_S = declare("IPTV_STALL_SPEED_WINDOW_S", Type.INT, "20", STREAM,
    "the window over which FFmpeg's speed is measured");
  /** A watched channel whose every source fails shows a generated slate instead of going dead. */
  public static final String SLATE = declare("IPTV_SLATE", Type.BOOL, "true", STREAM,
    "a watched channel whose every source fails keeps its viewers on a generated \"temporarily unavailable\" picture (same playlist, a discontinuity) while its sources are tried again; false: restarts with backoff, then stop");
  /** A player refused by its user's max_connections gets a live slate stream saying so instead of 403. */
  public static final String LIMIT_SLATE = declare("IPTV_LIMIT_SLATE", Type.BOOL, "false", STREAM,
    "a playlist poll refused by the user's max_connections is answered with a live HLS slate (\"Connection limit reached\") instead of 403; the player holds no session and plays the channel at its first poll after a slot frees");
  /** While slated, the longest wait between two checks of the channel's sources. */
  public static final String SLATE_RETRY_MAX_S = declare("IPTV_SLATE_RETRY_MAX_S", Type.INT, "10", STREAM,
    "while a channel shows the slate its sources are checked again after 1 s, doubling up to this");
  /** How often the backups of running channels are checked with ffprobe (0: never). */
  public static final String SOURCE_CHECK_S = declare("IPTV_SOURCE_CHECK_S", Type.INT, "60", STREAM,
    "how often the backup sources of running channels are checked with ffprobe (a failover tries sources that failed their check last); 0: off");
  /** The longest ffprobe of a source check. */
  public static final String SOURCE_CHECK_TIMEOUT_S = declare("IPTV_SOURCE_CHECK_TIMEOUT_S", Type.INT, "8", STREAM,
    "a source check (ffprobe) that has not found the source's streams by then fails");
  /** Source checks running at once on one stream-service instance. */
  public static final String SOURCE_CHECK_CONCURRENCY = declare("IPTV_SOURCE_CHECK_CONCURRENCY", Type.INT, "2", STREAM,
    "source checks (ffprobe processes) one stream-service instance runs at once");
  /** How often the health of each SSH server is read over SSH (SPEC section 9). */
  public static final String SSH_HEALTH_S = declare("IPTV_SSH_HEALTH_S", Type.INT, "3", STREAM,
    "how often each SSH server's health is read over SSH; a server that cannot be read is offline");
  /** Connect and command timeout of SSH work. */
  public static final String SSH_TIMEOUT_S = declare("IPTV_SSH_TIMEOUT_S", Type.INT, "10", STREAM,
    "connect timeout and longest command of SSH work on a server");
  /** Where FFmpeg stderr logs go; default {@code {tmp}/iptv-ffmpeg-logs/{hash of the HLS dir}}. */
  public static final String FFMPEG_LOG_DIR = declare("IPTV_FFMPEG_LOG_DIR", Type.PATH, null,
    "{tmp}/iptv-ffmpeg-logs/...", STREAM, "FFmpeg's stderr files (outside the HLS folder)");
  public static final String SEGMENT_SECRET = declare("IPTV_SEGMENT_SECRET", Type.SECRET, null, null, ALL,
    "secret of segment proofs, shared by every node and nginx; unset: derived from the admin token");
  public static final String SEGMENT_PROOF_TTL_S = declare("IPTV_SEGMENT_PROOF_TTL_S", Type.INT, "120", STREAM,
    "how long a segment proof stays valid");

  // --- monitor-service -----------------------------------------------------------------------------

  /** monitor-service: UDP port (loopback by default) where nginx sends its segment log as syslog. */
  public static final String SEGMENT_LOG_PORT = declare("IPTV_SEGMENT_LOG_PORT", Type.INT, "8514", MONITOR,
    "UDP syslog listener for nginx's segment records; 0: off");
  /** monitor-service: interface of the segment-log UDP listener. */
  public static final String SEGMENT_LOG_HOST = declare("IPTV_SEGMENT_LOG_HOST", Type.TEXT, "127.0.0.1", MONITOR,
    "interface of that UDP listener");
  /** monitor-service: nginx's segment log as a local file to follow (buffered writes: the cheap way). */
  public static final String SEGMENT_LOG_FILE = declare("IPTV_SEGMENT_LOG_FILE", Type.PATH, null, null, MONITOR,
    "nginx's segment log file, followed by monitor-service (bin/iptv cluster: in its run folder)");
  /** monitor-service: days of history kept in PostgreSQL (a daily purge). */
  public static final String HISTORY_RETENTION_DAYS = declare("IPTV_HISTORY_RETENTION_DAYS", Type.INT, "30", MONITOR,
    "days of history kept in PostgreSQL");
  /** monitor-service: {@code true} serves GET /metrics without the admin bearer. */
  public static final String METRICS_PUBLIC = declare("IPTV_METRICS_PUBLIC", Type.BOOL, "false", MONITOR,
    "true: /metrics without the admin bearer");
  /** monitor-service and mirror-service: PostgreSQL schema for their tables (created when missing); unset: the server's search_path. */
  public static final String PG_SCHEMA = declare("IPTV_PG_SCHEMA", Type.TEXT, null, null, MONITOR_AND_MIRROR,
    "PostgreSQL schema of the history and mirror tables; unset: the server's search_path");
  /** mirror-service: seconds between full reconciliations of the Redis mirror in PostgreSQL. */
  public static final String MIRROR_RECONCILE_S = declare("IPTV_MIRROR_RECONCILE_S", Type.INT, "300", MIRROR,
    "seconds between full reconciliations of the PostgreSQL copy with Redis");
  /** monitor-service: health fails ({@code disk}) while IPTV_HLS_DIR's file system has less free space (MiB). */
  public static final String DISK_MIN_FREE_MB = declare("IPTV_DISK_MIN_FREE_MB", Type.INT, "256", MONITOR,
    "/api/health fails while the HLS folder's file system has less free space (MiB)");

  // --- the cluster and its front -------------------------------------------------------------------

  public static final String CLUSTER_HOST = declare("IPTV_CLUSTER_HOST", Type.TEXT, "127.0.0.1", CLUSTER,
    "address Hazelcast and the event bus bind and announce");
  public static final String CLUSTER_PORT = declare("IPTV_CLUSTER_PORT", Type.PORT, "5701", CLUSTER,
    "first Hazelcast port (the next free one is taken)");
  public static final String CLUSTER_MEMBERS = declare("IPTV_CLUSTER_MEMBERS", Type.LIST, "127.0.0.1", CLUSTER,
    "comma-separated host[:port] of members to join");
  public static final String CLUSTER_NAME = declare("IPTV_CLUSTER_NAME", Type.TEXT, "iptv", CLUSTER,
    "Hazelcast cluster name (separates suites on one network)");
  public static final String CLUSTER_BUS_PORT = declare("IPTV_CLUSTER_BUS_PORT", Type.PORT, "0", CLUSTER,
    "the event bus's port on IPTV_CLUSTER_HOST (0: a free one)");
  public static final String CLUSTER_SECRET = declare("IPTV_CLUSTER_SECRET", Type.SECRET, null, null, CLUSTER,
    "shared by every member (16 characters or more): the event bus runs over mutual TLS with a CA derived from it, and Hazelcast's cluster name carries a value derived from it");
  public static final String CLUSTER_CERT = declare("IPTV_CLUSTER_CERT", Type.PATH, null, null, CLUSTER,
    "this member's certificate (PEM) for the event bus's mutual TLS; with IPTV_CLUSTER_KEY and IPTV_CLUSTER_CA, instead of the derived ones");
  public static final String CLUSTER_KEY = declare("IPTV_CLUSTER_KEY", Type.PATH, null, null, CLUSTER,
    "this member's private key (PEM, PKCS#8 or PKCS#1)");
  public static final String CLUSTER_CA = declare("IPTV_CLUSTER_CA", Type.PATH, null, null, CLUSTER,
    "the CA certificates (PEM) the event bus trusts, and only those");
  /** nginx front: its {@code listen} value (default: IPTV_HTTP_PORT). */
  public static final String NGINX_LISTEN = declare("IPTV_NGINX_LISTEN", Type.TEXT, null, HTTP_PORT, NGINX,
    "nginx's listen value; unset: IPTV_HTTP_PORT");
  /** nginx front: where its workers write request bodies and the auth subrequest's cache. */
  public static final String NGINX_TEMP_DIR = declare("IPTV_NGINX_TEMP_DIR", Type.PATH, null, null, NGINX,
    "where nginx's workers write request bodies and the live poll's auth cache; unset: a folder of the front's own under the system temp folder");
  /** nginx front: another access_log target for segment records (a syslog target, or off). */
  public static final String SEGMENT_LOG = declare("IPTV_SEGMENT_LOG", Type.TEXT, null, null, NGINX,
    "another nginx access_log target for the segment records (syslog:..., or off); unset: the file");

  // --- bin/iptv's own, read by the shell before any JVM runs ---------------------------------------

  public static final String STATE_DIR = declare("IPTV_STATE_DIR", Type.PATH, null, "run/", Setting.SHELL,
    "where bin/iptv keeps nginx's run folder, logs and a private Redis");
  public static final String JAVA_OPTS = declare("IPTV_JAVA_OPTS", Type.TEXT, null, null, Setting.SHELL,
    "JVM options bin/iptv starts the jar with; unset: the serial collector, heap 32 MB growing to 1 GB (bin/iptv java-opts)");
  public static final String NO_BUILD = declare("IPTV_NO_BUILD", Type.TEXT, null, null, Setting.SHELL,
    "1: bin/iptv runs the existing jar without checking sources");
  public static final String SEGMENT_LOG_MAX_MB = declare("IPTV_SEGMENT_LOG_MAX_MB", Type.INT, "256", Setting.SHELL,
    "bin/iptv cluster empties the segment log file past this size even when nothing reads it");

  /** The default of {@link #MAX_STREAMS} per core (sized for copy streams: see StreamSettings). */
  public static final int MAX_STREAMS_PER_CORE = 20;

  /** Defaults that work on one machine. Absent here means "unset" (for example PG_URL). */
  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    for (Setting s : SETTINGS) {
      if (s.def() != null) {
        DEFAULTS.put(s.env(), s.def());
      }
    }
  }

  /** A setting whose README default is its literal default. */
  private static String declare(String env, Type type, String def, String owner, String meaning) {
    return declare(env, type, def, def, owner, meaning);
  }

  private static String declare(String env, Type type, String def, String shown, String owner, String meaning) {
    SETTINGS.add(new Setting(env, type, def, shown, owner, meaning));
    return env;
  }

  private Config() {
  }

  /** {@code IPTV_HTTP_PORT} → {@code http.port}. */
  public static String key(String env) {
    String bare = env.startsWith("IPTV_") ? env.substring(5) : env;
    return bare.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  /** Every declared setting, in declaration order. */
  public static List<Setting> settings() {
    return List.copyOf(SETTINGS);
  }

  /** The declared setting of this variable, or null. */
  public static Setting setting(String env) {
    for (Setting s : SETTINGS) {
      if (s.env().equals(env)) {
        return s;
      }
    }
    return null;
  }

  /** Every declared setting a resolved config holds has its type; else the first problem, naming the setting. */
  public static void check(JsonObject config) {
    for (Setting s : SETTINGS) {
      Object v = config.getValue(s.key());
      String problem = s.problem(v == null ? null : v.toString());
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }
  }

  /** Resolves the settings from the process environment and the optional config file. */
  public static JsonObject load() {
    return load(System.getenv());
  }

  public static JsonObject load(Map<String, String> env) {
    JsonObject out = new JsonObject();
    DEFAULTS.forEach((name, def) -> out.put(key(name), def));
    return out.mergeIn(given(env));
  }

  /**
   * What the environment and the {@code IPTV_CONFIG} file set, without defaults, keyed by the
   * config-file key (the environment wins over the file).
   */
  public static JsonObject given(Map<String, String> env) {
    Properties file = new Properties();
    String path = env.get(CONFIG_FILE);
    if (path != null && !path.isBlank()) {
      try (Reader in = Files.newBufferedReader(Path.of(path), StandardCharsets.UTF_8)) {
        file.load(in);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read config file " + path + ": " + e.getMessage(), e);
      }
    }
    JsonObject out = new JsonObject();
    for (String name : file.stringPropertyNames()) {
      out.put(name, file.getProperty(name).trim());
    }
    env.forEach((name, value) -> {
      if (name.startsWith("IPTV_") && !name.equals(CONFIG_FILE)) {
        out.put(key(name), value);
      }
    });
    return out;
  }

  // Typed reads from a verticle's config, with the documented defaults as fallback.

  public static String string(JsonObject config, String env) {
    Object v = config.getValue(key(env));
    if (v == null) {
      return DEFAULTS.get(env);
    }
    String s = v.toString();
    return s.isBlank() ? DEFAULTS.get(env) : s;
  }

  public static double decimal(JsonObject config, String env) {
    String s = string(config, env);
    try {
      double d = Double.parseDouble(s.trim());
      if (Double.isFinite(d)) {
        return d;
      }
    } catch (NumberFormatException | NullPointerException e) {
      // named below
    }
    throw new IllegalArgumentException(env + " must be a number such as 0.8, got '" + s + "'");
  }

  public static int integer(JsonObject config, String env) {
    String s = string(config, env);
    try {
      return Integer.parseInt(s.trim());
    } catch (NumberFormatException | NullPointerException e) {
      throw new IllegalArgumentException(env + " must be a whole number, got '" + s + "'");
    }
  }

  /**
   * The secret of segment proofs: {@code IPTV_SEGMENT_SECRET}, or, unset, one derived from the
   * admin token (hex SHA-256 of {@code "iptv-segment:" + token}) so every node and the nginx front
   * agree without another setting.
   */
  public static String segmentSecret(JsonObject config) {
    String set = string(config, SEGMENT_SECRET);
    if (set != null && !set.isBlank()) {
      return set;
    }
    String admin = string(config, ADMIN_TOKEN);
    if (admin == null) {
      throw new IllegalStateException(ADMIN_TOKEN + " is not set");
    }
    return java.util.HexFormat.of().formatHex(Http.sha256("iptv-segment:" + admin));
  }

  /**
   * The value a setting takes: as {@link #string}, and for a setting whose default is derived, the
   * derived value ({@code IPTV_PUBLIC_URL}, {@code IPTV_NGINX_LISTEN}, {@code IPTV_NODE_NAME},
   * {@code IPTV_MAX_STREAMS}, {@code IPTV_FFMPEG_LOG_DIR}, {@code IPTV_SEGMENT_SECRET}); null when unset.
   */
  public static String effective(JsonObject config, String env) {
    String set = string(config, env);
    if (set != null && !set.isBlank()) {
      return set.trim();
    }
    if (env.equals(PUBLIC_URL)) {
      return "http://localhost:" + integer(config, HTTP_PORT);
    } else if (env.equals(NGINX_LISTEN)) {
      return Integer.toString(integer(config, HTTP_PORT));
    } else if (env.equals(NODE_NAME)) {
      return hostName();
    } else if (env.equals(MAX_STREAMS)) {
      return Integer.toString(MAX_STREAMS_PER_CORE * Runtime.getRuntime().availableProcessors());
    } else if (env.equals(FFMPEG_LOG_DIR)) {
      Path hls = Path.of(string(config, HLS_DIR)).toAbsolutePath().normalize();
      return Path.of(System.getProperty("java.io.tmpdir"), "iptv-ffmpeg-logs", Integer.toHexString(hls.toString().hashCode()))
        .toString();
    } else if (env.equals(SEGMENT_SECRET)) {
      String admin = string(config, ADMIN_TOKEN);
      return admin == null || admin.isBlank() ? null : segmentSecret(config);
    }
    return null;
  }

  /** This machine's name: {@code HOSTNAME}, the kernel's host name, or the resolver's. */
  private static String hostName() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) {
      return h.trim();
    }
    try {
      return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
    } catch (IOException | RuntimeException e) {
      try {
        return java.net.InetAddress.getLocalHost().getHostName();
      } catch (IOException ex) {
        return "localhost";
      }
    }
  }

  public static boolean bool(JsonObject config, String env) {
    String s = string(config, env);
    return s != null && (s.equalsIgnoreCase("true") || s.equals("1") || s.equalsIgnoreCase("yes"));
  }
}
