package dev.iptv.common;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Every setting of the suite: its environment variable, its config-file key and its default.
 *
 * <p>The config-file key is the variable's name without {@code IPTV_}, lower case, with dots for
 * underscores ({@code IPTV_HTTP_PORT} is {@code http.port}). Precedence: environment, then the
 * file named by {@code IPTV_CONFIG} (a Java properties file), then the default. The resolved
 * settings travel to every verticle as its deployment config, keyed by the config-file key.
 */
public final class Config {

  public static final String HTTP_PORT = "IPTV_HTTP_PORT";
  public static final String PUBLIC_URL = "IPTV_PUBLIC_URL";
  public static final String ADMIN_TOKEN = "IPTV_ADMIN_TOKEN";
  public static final String DEMO = "IPTV_DEMO";
  public static final String REDIS_URL = "IPTV_REDIS_URL";
  public static final String PG_URL = "IPTV_PG_URL";
  public static final String HLS_DIR = "IPTV_HLS_DIR";
  public static final String FFMPEG = "IPTV_FFMPEG";
  public static final String FFPROBE = "IPTV_FFPROBE";
  public static final String IDLE_TIMEOUT_S = "IPTV_IDLE_TIMEOUT_S";
  public static final String START_TIMEOUT_S = "IPTV_START_TIMEOUT_S";
  public static final String AUTH_PORT = "IPTV_AUTH_PORT";
  public static final String PLAYLIST_PORT = "IPTV_PLAYLIST_PORT";
  public static final String STREAM_PORT = "IPTV_STREAM_PORT";
  public static final String MONITOR_PORT = "IPTV_MONITOR_PORT";
  public static final String BIND_HOST = "IPTV_BIND_HOST";
  /** All-in-one server: event loops serving IPTV_HTTP_PORT; 0 means one per core. */
  public static final String HTTP_EVENT_LOOPS = "IPTV_HTTP_EVENT_LOOPS";
  /** Every HTTP server (SPEC 11): a connection silent this long, or waiting this long for its next request, is closed. */
  public static final String HTTP_IDLE_TIMEOUT_S = "IPTV_HTTP_IDLE_TIMEOUT_S";
  /** Every HTTP server: a new connection must have sent a complete request head within this (slowloris). */
  public static final String HTTP_HEADER_TIMEOUT_S = "IPTV_HTTP_HEADER_TIMEOUT_S";
  /** Every HTTP server: open connections at most; past that a new one is closed at once. */
  public static final String HTTP_MAX_CONNECTIONS = "IPTV_HTTP_MAX_CONNECTIONS";
  public static final String TOKEN_GRACE_S = "IPTV_TOKEN_GRACE_S";
  /** auth-service: seconds a viewer session keeps its slot after its last poll (at most 60, SPEC 2). */
  public static final String SESSION_WINDOW_S = "IPTV_SESSION_WINDOW_S";
  public static final String PASSWORD_HASH_ITERATIONS = "IPTV_PASSWORD_HASH_ITERATIONS";
  public static final String PLAYLIST_CACHE_S = "IPTV_PLAYLIST_CACHE_S";
  public static final String NODE_NAME = "IPTV_NODE_NAME";
  public static final String CLUSTER_HOST = "IPTV_CLUSTER_HOST";
  public static final String CLUSTER_PORT = "IPTV_CLUSTER_PORT";
  public static final String CLUSTER_MEMBERS = "IPTV_CLUSTER_MEMBERS";
  public static final String CLUSTER_NAME = "IPTV_CLUSTER_NAME";
  public static final String SEGMENT_SECRET = "IPTV_SEGMENT_SECRET";
  public static final String SEGMENT_PROOF_TTL_S = "IPTV_SEGMENT_PROOF_TTL_S";
  public static final String CONFIG_FILE = "IPTV_CONFIG";
  /** monitor-service: UDP port (loopback by default) where nginx sends its segment log as syslog. */
  public static final String SEGMENT_LOG_PORT = "IPTV_SEGMENT_LOG_PORT";
  /** monitor-service: nginx's segment log as a local file to follow (buffered writes: the cheap way). */
  public static final String SEGMENT_LOG_FILE = "IPTV_SEGMENT_LOG_FILE";
  /** monitor-service: interface of the segment-log UDP listener. */
  public static final String SEGMENT_LOG_HOST = "IPTV_SEGMENT_LOG_HOST";
  /** monitor-service: days of history kept in PostgreSQL (a daily purge). */
  public static final String HISTORY_RETENTION_DAYS = "IPTV_HISTORY_RETENTION_DAYS";
  /** monitor-service: {@code true} serves GET /metrics without the admin bearer. */
  public static final String METRICS_PUBLIC = "IPTV_METRICS_PUBLIC";
  /** monitor-service: PostgreSQL schema for its tables (created when missing); unset: the server's search_path. */
  public static final String PG_SCHEMA = "IPTV_PG_SCHEMA";
  /** monitor-service: seconds between full reconciliations of the Redis mirror in PostgreSQL. */
  public static final String MIRROR_RECONCILE_S = "IPTV_MIRROR_RECONCILE_S";
  /** CDN or proxy CIDRs (comma-separated) whose client-address header is believed (SPEC section 11). */
  public static final String REAL_IP_FROM = "IPTV_REAL_IP_FROM";
  /** The header those proxies carry the client's address in. */
  public static final String REAL_IP_HEADER = "IPTV_REAL_IP_HEADER";
  /** nginx front: its {@code listen} value (default: IPTV_HTTP_PORT). */
  public static final String NGINX_LISTEN = "IPTV_NGINX_LISTEN";
  /** nginx front: another access_log target for segment records (a syslog target, or off). */
  public static final String SEGMENT_LOG = "IPTV_SEGMENT_LOG";
  /**
   * stream-service: channels one stream node runs at once (running plus starting); unset: 20 per
   * core (see StreamSettings#MAX_STREAMS_PER_CORE). Beyond it a cold start gets 503 Capacity reached.
   */
  public static final String MAX_STREAMS = "IPTV_MAX_STREAMS";
  /** stream-service: cold starts one user may cause per minute, cluster-wide (0: no limit). */
  public static final String USER_STARTS_PER_MIN = "IPTV_USER_STARTS_PER_MIN";
  /** monitor-service: health fails ({@code disk}) while IPTV_HLS_DIR's file system has less free space (MiB). */
  public static final String DISK_MIN_FREE_MB = "IPTV_DISK_MIN_FREE_MB";

  /** Defaults that work on one machine. Absent here means "unset" (for example PG_URL). */
  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put(HTTP_PORT, "8080");
    DEFAULTS.put(AUTH_PORT, "8081");
    DEFAULTS.put(PLAYLIST_PORT, "8082");
    DEFAULTS.put(STREAM_PORT, "8083");
    DEFAULTS.put(MONITOR_PORT, "8084");
    DEFAULTS.put(BIND_HOST, "0.0.0.0");
    DEFAULTS.put(HTTP_EVENT_LOOPS, "0");
    DEFAULTS.put(HTTP_IDLE_TIMEOUT_S, "60");
    DEFAULTS.put(HTTP_HEADER_TIMEOUT_S, "10");
    DEFAULTS.put(HTTP_MAX_CONNECTIONS, "10000");
    DEFAULTS.put(REDIS_URL, "redis://127.0.0.1:6379");
    DEFAULTS.put(HLS_DIR, Path.of(System.getProperty("java.io.tmpdir"), "iptv-hls").toString());
    DEFAULTS.put(FFMPEG, "ffmpeg");
    DEFAULTS.put(FFPROBE, "ffprobe");
    DEFAULTS.put(IDLE_TIMEOUT_S, "300");
    DEFAULTS.put(START_TIMEOUT_S, "15");
    DEFAULTS.put(TOKEN_GRACE_S, "86400");
    DEFAULTS.put(SESSION_WINDOW_S, "60");
    DEFAULTS.put(PASSWORD_HASH_ITERATIONS, "120000");
    DEFAULTS.put(PLAYLIST_CACHE_S, "30");
    DEFAULTS.put(CLUSTER_HOST, "127.0.0.1");
    DEFAULTS.put(CLUSTER_PORT, "5701");
    DEFAULTS.put(CLUSTER_MEMBERS, "127.0.0.1");
    DEFAULTS.put(CLUSTER_NAME, "iptv");
    DEFAULTS.put(DEMO, "false");
    DEFAULTS.put(SEGMENT_PROOF_TTL_S, "120");
    DEFAULTS.put(SEGMENT_LOG_PORT, "8514");
    DEFAULTS.put(SEGMENT_LOG_HOST, "127.0.0.1");
    DEFAULTS.put(HISTORY_RETENTION_DAYS, "30");
    DEFAULTS.put(METRICS_PUBLIC, "false");
    DEFAULTS.put(MIRROR_RECONCILE_S, "300");
    DEFAULTS.put(REAL_IP_HEADER, "X-Forwarded-For");
    DEFAULTS.put(USER_STARTS_PER_MIN, "10");
    DEFAULTS.put(DISK_MIN_FREE_MB, "256");
  }

  // EPG (playlist-service, SPEC section 10): guide sources imported from XMLTV URLs.
  /** Largest guide accepted, in MiB, both as downloaded and as XML once gunzipped. */
  public static final String EPG_MAX_MB = "IPTV_EPG_MAX_MB";
  /** Days a programme is kept after its end (catch-up lists); later ones are not imported. */
  public static final String EPG_PAST_DAYS = "IPTV_EPG_PAST_DAYS";
  /** Days ahead of now a programme is imported; later ones are left out. */
  public static final String EPG_FUTURE_DAYS = "IPTV_EPG_FUTURE_DAYS";
  /** Seconds between two looks, on every playlist-service instance, for EPG sources due to refresh. */
  public static final String EPG_CHECK_S = "IPTV_EPG_CHECK_S";
  /** Seconds an EPG download may take to connect or stay silent before its import fails. */
  public static final String EPG_TIMEOUT_S = "IPTV_EPG_TIMEOUT_S";

  static {
    DEFAULTS.put(EPG_MAX_MB, "1024");
    DEFAULTS.put(EPG_PAST_DAYS, "3");
    DEFAULTS.put(EPG_FUTURE_DAYS, "14");
    DEFAULTS.put(EPG_CHECK_S, "60");
    DEFAULTS.put(EPG_TIMEOUT_S, "60");
  }

  private Config() {
  }

  /** {@code IPTV_HTTP_PORT} → {@code http.port}. */
  public static String key(String env) {
    String bare = env.startsWith("IPTV_") ? env.substring(5) : env;
    return bare.toLowerCase(Locale.ROOT).replace('_', '.');
  }

  /** Every known setting, for the README table and for checks. */
  public static Map<String, String> defaults() {
    return Map.copyOf(DEFAULTS);
  }

  /** Resolves the settings from the process environment and the optional config file. */
  public static JsonObject load() {
    return load(System.getenv());
  }

  public static JsonObject load(Map<String, String> env) {
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
    DEFAULTS.forEach((name, def) -> out.put(key(name), def));
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

  public static boolean bool(JsonObject config, String env) {
    String s = string(config, env);
    return s != null && (s.equalsIgnoreCase("true") || s.equals("1") || s.equalsIgnoreCase("yes"));
  }
}
