package dev.iptv.playlist;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.PasswordCheck;
import dev.iptv.playlist.epg.Programme;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;

/**
 * The JSON the Xtream API answers, with the types real panels send (research/xtream-api.md 1.2 and
 * 1.4): the login payload and EPG listings.
 *
 * <p>Times: {@code server_info.timezone} is this JVM's zone; {@code time_now} and every EPG
 * {@code start}/{@code stop} are wall clock in it ({@code yyyy-MM-dd HH:mm:ss}), so an app that
 * derives the server's offset from {@code time_now} and {@code timestamp_now} gets it right;
 * {@code *_timestamp} fields are epoch seconds (as strings, as panels send them). {@code end} is
 * what Xtream Codes' own {@code player_api.php} sends: epoch seconds in {@code get_short_epg} (the
 * row's raw end, beside the formatted {@code stop}; the {@code @iptv/xtream-api} client reads it as
 * such), wall clock in {@code get_simple_data_table}.
 */
final class XtreamPayload {

  /** What we serve, preferred first (a client without a preference takes the first). */
  static final List<String> OUTPUT_FORMATS = List.of("m3u8", "ts");
  private static final DateTimeFormatter WALL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

  private final RedisAPI redis;
  private final String host;
  private final String protocol;
  private final String port;
  private final int sessionWindowS;
  private final ZoneId zone = ZoneId.systemDefault();

  XtreamPayload(RedisAPI redis, String publicUrl, int sessionWindowS) {
    this.redis = redis;
    this.sessionWindowS = sessionWindowS;
    URI u = URI.create(publicUrl);
    this.protocol = "https".equalsIgnoreCase(u.getScheme()) ? "https" : "http";
    this.host = u.getHost() == null ? "localhost" : u.getHost();
    this.port = Integer.toString(u.getPort() > 0 ? u.getPort() : protocol.equals("https") ? 443 : 80);
  }

  /** The login payload of a known user (valid, disabled or expired), with their live session count. */
  Future<JsonObject> login(PasswordCheck check, String password) {
    double since = System.currentTimeMillis() / 1000.0 - sessionWindowS;
    return redis.zcount(AuthContract.sessionsKey(check.username()), Double.toString(since), "+inf")
      .map(r -> r == null ? 0L : r.toLong())
      .map(active -> new JsonObject().put("user_info", userInfo(check, password, active)).put("server_info", serverInfo()));
  }

  private static JsonObject userInfo(PasswordCheck c, String password, long activeCons) {
    String status = switch (c.status()) {
      case VALID -> "Active";
      case DISABLED -> "Disabled";
      default -> "Expired";
    };
    String exp = null;
    try {
      exp = c.expiresAt() == null ? null : Long.toString(Instant.parse(c.expiresAt()).getEpochSecond());
    } catch (RuntimeException e) {
      exp = null; // unreadable: shown as no date
    }
    return new JsonObject()
      .put("username", c.username())
      .put("password", password)
      .put("message", "")
      .put("auth", 1)
      .put("status", status)
      .put("exp_date", exp)
      .put("is_trial", "0")
      .put("active_cons", Long.toString(activeCons))
      .put("created_at", "0")
      .put("max_connections", Integer.toString(c.maxConnections()))
      .put("allowed_output_formats", new JsonArray(OUTPUT_FORMATS));
  }

  JsonObject serverInfo() {
    Instant now = Instant.now();
    boolean https = protocol.equals("https");
    return new JsonObject()
      .put("url", host)
      .put("port", https ? "80" : port)
      .put("https_port", https ? port : "443")
      .put("server_protocol", protocol)
      .put("rtmp_port", "0")
      .put("timezone", zone.getId())
      .put("timestamp_now", now.getEpochSecond())
      .put("time_now", WALL.format(now.atZone(zone)))
      .put("process", true);
  }

  /**
   * {@code {"epg_listings": [...]}}: title and description base64 (padded, of UTF-8); {@code table}
   * ({@code get_simple_data_table}) adds {@code now_playing} and {@code has_archive} (0: no catch-up).
   */
  static JsonObject listings(List<Programme> programmes, String channelId, Instant now, boolean table) {
    ZoneId zone = ZoneId.systemDefault();
    JsonArray rows = new JsonArray();
    long t = now.getEpochSecond();
    for (Programme p : programmes) {
      String start = WALL.format(p.startInstant().atZone(zone));
      String stop = WALL.format(p.stopInstant().atZone(zone));
      JsonObject row = new JsonObject()
        .put("id", Long.toString(p.start()))
        .put("epg_id", "0")
        .put("title", b64(p.title()))
        .put("lang", p.lang() == null ? "" : p.lang())
        .put("start", start)
        .put("end", table ? stop : Long.toString(p.stop()))
        .put("stop", stop)
        .put("description", b64(p.description()))
        .put("channel_id", p.channel())
        .put("stream_id", channelId)
        .put("start_timestamp", Long.toString(p.start()))
        .put("stop_timestamp", Long.toString(p.stop()));
      if (table) {
        row.put("now_playing", p.airsAt(t) ? 1 : 0).put("has_archive", 0);
      }
      rows.add(row);
    }
    return new JsonObject().put("epg_listings", rows);
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString((s == null ? "" : s).getBytes(StandardCharsets.UTF_8));
  }
}
