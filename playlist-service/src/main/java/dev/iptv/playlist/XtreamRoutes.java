package dev.iptv.playlist;

import dev.iptv.common.ApiException;
import dev.iptv.common.Http;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.PasswordCheck;
import dev.iptv.contract.AuthContract.PasswordRequest;
import dev.iptv.playlist.epg.EpgStore;
import dev.iptv.playlist.epg.GuideChannel;
import dev.iptv.playlist.epg.XmltvWriter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.RedisAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;

/**
 * The Xtream Codes API IPTV apps speak (openapi.yaml, tag {@code xtream}; field shapes as real panels send them):
 *
 * <ul>
 *   <li>{@code GET|POST /player_api.php}: the login payload ({@link XtreamPayload}) and the live
 *       actions, from the list build's {@link XtreamLineup} and the guide ({@link EpgStore});</li>
 *   <li>{@code GET|POST /get.php}: the M3U with {@code /live/U/P/{id}.ts|.m3u8} URLs;</li>
 *   <li>{@code GET /xmltv.php}: the guide of the active channels;</li>
 *   <li>{@code GET /live/U/P/{id}[.ts|.m3u8]} and {@code /U/P/{id}[.ts|.m3u8]}: {@code 302} to the
 *       channel's token URL ({@code /live/stream_{id}.m3u8?token=} for {@code .m3u8}, the MPEG-TS
 *       {@code /live/stream_{id}.ts?token=} otherwise; SPEC sections 2 and 10), which checks
 *       the session, starts the channel (or sends a direct channel to its source) and counts the
 *       viewer. Until MPEG-TS output exists, {@code .ts} and extension-less URLs go there too.</li>
 * </ul>
 *
 * <p>Credentials are checked by auth-service ({@link AuthContract#PASSWORD}: PBKDF2 once, then from
 * memory; failed attempts limited per client address). Wrong credentials: {@code player_api.php}
 * answers {@code 200 {"user_info":{"auth":0}}} whatever the action (every client reads it as a
 * refusal at login), the other paths {@code 401 ERROR: ...}; too many failures: {@code 429}. Safe on any event loop: no state but
 * immutable settings.
 */
final class XtreamRoutes {

  private static final Logger log = LoggerFactory.getLogger(XtreamRoutes.class);

  private static final long AUTH_TIMEOUT_MS = 5_000;
  private static final int MAX_EPG_LIMIT = 100;
  private static final String CREDENTIALS = "(?<u>[^/]{1,64})/(?<p>[^/]{1,256})/(?<id>[0-9]{1,19})(?:\\.(?<ext>ts|m3u8))?";
  /** The short live form; never a path of the suite's own ({@code /api/channels/1} is not user "api"). */
  static final String SHORT_LIVE = "^/(?!api/|live/|playlist/|dashboard|internal/|metrics)" + CREDENTIALS + "$";
  static final String LIVE = "^/live/" + CREDENTIALS + "$";

  private final Vertx vertx;
  private final PlaylistCache cache;
  private final EpgStore guide;
  private final XtreamPayload payload;
  private final String publicUrl;
  private final Function<HttpServerRequest, String> clientIp;

  XtreamRoutes(Vertx vertx, PlaylistCache cache, EpgStore guide, RedisAPI redis, String publicUrl, int sessionWindowS,
               Function<HttpServerRequest, String> clientIp) {
    this.vertx = vertx;
    this.cache = cache;
    this.guide = guide;
    this.publicUrl = publicUrl;
    this.clientIp = clientIp;
    this.payload = new XtreamPayload(redis, publicUrl, sessionWindowS);
  }

  void mount(Router router) {
    BodyHandler form = BodyHandler.create(false).setBodyLimit(64 * 1024);
    router.route("/player_api.php").method(HttpMethod.GET).method(HttpMethod.POST).handler(form).handler(this::playerApi);
    router.route("/get.php").method(HttpMethod.GET).method(HttpMethod.POST).handler(form).handler(this::m3u);
    router.route("/xmltv.php").method(HttpMethod.GET).method(HttpMethod.POST).handler(form).handler(this::xmltv);
    router.routeWithRegex(LIVE).setName("/live/{username}/{password}/{stream}").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::live);
    router.routeWithRegex(SHORT_LIVE).setName("/{username}/{password}/{stream}").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::live);
  }

  // --- credentials -----------------------------------------------------------------------------

  private static String param(RoutingContext ctx, String name) {
    List<String> v = ctx.queryParam(name);
    if (!v.isEmpty()) {
      return v.get(0);
    }
    return ctx.request().method() == HttpMethod.POST ? ctx.request().getFormAttribute(name) : null;
  }

  /** auth-service's verdict on the pair; missing credentials are wrong without asking. */
  private Future<PasswordCheck> login(RoutingContext ctx, String username, String password) {
    if (username == null || password == null || username.isEmpty() || password.isEmpty()) {
      return Future.succeededFuture(PasswordCheck.of(PasswordCheck.Status.WRONG));
    }
    JsonObject ask = new PasswordRequest(username, password, clientIp.apply(ctx.request())).toJson();
    return vertx.eventBus().<JsonObject>request(AuthContract.PASSWORD, ask, new DeliveryOptions().setSendTimeout(AUTH_TIMEOUT_MS))
      .map(m -> PasswordCheck.fromJson(m.body()))
      .recover(err -> {
        log.warn("password check for {} failed: {}", username, err.toString());
        return Future.failedFuture(new ApiException(503, "ERROR: Authentication unavailable, retry later"));
      });
  }

  // --- player_api.php --------------------------------------------------------------------------

  private void playerApi(RoutingContext ctx) {
    String username = param(ctx, "username");
    String password = param(ctx, "password");
    login(ctx, username, password).onSuccess(check -> {
      switch (check.status()) {
        case THROTTLED -> throttled(ctx, true);
        case WRONG -> Http.sendJson(ctx, 200, new JsonObject().put("user_info", new JsonObject().put("auth", 0)));
        default -> action(ctx, check, password);
      }
    }).onFailure(err -> Http.sendError(ctx, 503, err.getMessage()));
  }

  private void action(RoutingContext ctx, PasswordCheck check, String password) {
    String action = param(ctx, "action");
    boolean active = check.status() == PasswordCheck.Status.VALID;
    switch (action == null ? "" : action) {
      case "get_live_categories" -> lineup(ctx, l -> active ? l.categories() : empty());
      case "get_live_streams" -> {
        String category = param(ctx, "category_id");
        if (category != null && !category.isEmpty() && !category.matches("[0-9]{1,19}")) {
          Http.sendError(ctx, 400, "category_id must be digits");
          return;
        }
        lineup(ctx, l -> active ? l.streams(category) : empty());
      }
      case "get_vod_categories", "get_vod_streams", "get_series_categories", "get_series" -> sendJson(ctx, empty());
      case "get_short_epg", "get_simple_data_table" -> epg(ctx, active, action.equals("get_short_epg"));
      default -> payload.login(check, password).onSuccess(o -> Http.sendJson(ctx, 200, o))
        .onFailure(err -> Http.sendError(ctx, 503, "user sessions unavailable, retry later"));
    }
  }

  private static Buffer empty() {
    return Buffer.buffer(XtreamLineup.EMPTY_ARRAY);
  }

  private void lineup(RoutingContext ctx, Function<XtreamLineup, Buffer> body) {
    cache.get().onSuccess(p -> sendJson(ctx, body.apply(p.xtream()))).onFailure(err -> {
      log.warn("channel list unavailable: {}", err.toString());
      Http.sendError(ctx, 503, "channel list unavailable, retry later");
    });
  }

  private static void sendJson(RoutingContext ctx, Buffer body) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json").putHeader(HttpHeaders.CACHE_CONTROL, "private, no-cache")
      .end(body);
  }

  /** {@code get_short_epg} (now and next, {@code limit} 1-100, default 4) or {@code get_simple_data_table} (the window). */
  private void epg(RoutingContext ctx, boolean active, boolean shortEpg) {
    String streamId = param(ctx, "stream_id");
    if (streamId == null || !streamId.matches("[0-9]{1,19}")) {
      Http.sendError(ctx, 400, "stream_id must be digits");
      return;
    }
    String rawLimit = param(ctx, "limit");
    int limit = 4;
    if (rawLimit != null && !rawLimit.isEmpty()) {
      if (!rawLimit.matches("[0-9]{1,3}") || Integer.parseInt(rawLimit) < 1 || Integer.parseInt(rawLimit) > MAX_EPG_LIMIT) {
        Http.sendError(ctx, 400, "limit must be a whole number from 1 to " + MAX_EPG_LIMIT);
        return;
      }
      limit = Integer.parseInt(rawLimit);
    }
    int n = limit;
    Instant now = Instant.now();
    cache.get().compose(p -> {
      Channel c = active ? p.xtream().channel(streamId) : null;
      if (c == null) {
        return Future.succeededFuture(new JsonObject().put("epg_listings", new JsonArray()));
      }
      String id = c.guideId();
      return (shortEpg ? guide.upcoming(id, now, n) : guide.programmes(id, guide.defaultFrom(now), guide.defaultTo(now)))
        .map(list -> XtreamPayload.listings(list, c.id(), now, !shortEpg));
    }).onSuccess(o -> Http.sendJson(ctx, 200, o)).onFailure(err -> {
      log.warn("guide unavailable: {}", err.toString());
      Http.sendError(ctx, 503, "guide unavailable, retry later");
    });
  }

  private static void throttled(RoutingContext ctx, boolean json) {
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "60");
    if (json) {
      Http.sendError(ctx, 429, "too many failed logins from this address: retry in a minute");
    } else {
      Http.sendText(ctx, 429, "ERROR: Too many failed logins, retry later");
    }
  }

  /**
   * Sends the plain-text refusal of get.php, xmltv.php and the stream paths (401 wrong, 403 disabled
   * or expired, 429 throttled) and answers true; false when the user may go on.
   */
  private static boolean refused(RoutingContext ctx, PasswordCheck check) {
    switch (check.status()) {
      case VALID -> {
        return false;
      }
      case THROTTLED -> throttled(ctx, false);
      case DISABLED -> Http.sendText(ctx, 403, "ERROR: Account disabled");
      case EXPIRED -> Http.sendText(ctx, 403, "ERROR: Account expired");
      default -> Http.sendText(ctx, 401, "ERROR: Invalid username or password");
    }
    return true;
  }

  private void textError(RoutingContext ctx, Throwable err) {
    if (!ctx.response().ended()) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
      Http.sendText(ctx, 503, err instanceof ApiException ? err.getMessage() : "ERROR: Unavailable, retry later");
    }
  }

  // --- get.php ---------------------------------------------------------------------------------

  private void m3u(RoutingContext ctx) {
    String username = param(ctx, "username");
    String password = param(ctx, "password");
    String type = param(ctx, "type");
    String output = param(ctx, "output");
    boolean plus = type == null || type.isEmpty() || type.equals("m3u_plus");
    if (!plus && !type.equals("m3u")) {
      Http.sendError(ctx, 400, "type must be m3u_plus or m3u");
      return;
    }
    String ext = output == null || output.isEmpty() || output.equals("ts") || output.equals("mpegts") ? ".ts"
      : output.equals("m3u8") || output.equals("hls") ? ".m3u8" : null;
    if (ext == null) {
      Http.sendError(ctx, 400, "output must be ts, m3u8 or hls");
      return;
    }
    login(ctx, username, password).onSuccess(check -> {
      if (refused(ctx, check)) {
        return;
      }
      String u = path(username);
      String p = path(password);
      String guideUrl = publicUrl + "/xmltv.php?username=" + query(username) + "&password=" + query(password);
      byte[] header = ("#EXTM3U url-tvg=\"" + guideUrl + "\" x-tvg-url=\"" + guideUrl + "\"\n").getBytes(StandardCharsets.UTF_8);
      byte[] urlStart = (publicUrl + "/live/" + u + "/" + p + "/").getBytes(StandardCharsets.UTF_8);
      byte[] extension = ext.getBytes(StandardCharsets.US_ASCII);
      cache.get()
        .compose(pl -> vertx.executeBlocking(() -> pl.xtream().m3u(plus, header, urlStart, extension), false))
        .onSuccess(body -> ctx.response()
          .putHeader(HttpHeaders.CONTENT_TYPE, M3u.CONTENT_TYPE)
          .putHeader(HttpHeaders.CACHE_CONTROL, "private, no-cache")
          .putHeader("Content-Disposition", "attachment; filename=\"playlist_" + username + (plus ? "_plus" : "") + ".m3u\"")
          .end(body))
        .onFailure(err -> textError(ctx, err));
    }).onFailure(err -> textError(ctx, err));
  }

  /** A credential as one path segment: percent-encoded where it is not a plain character. */
  static String path(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String query(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  // --- xmltv.php -------------------------------------------------------------------------------

  private void xmltv(RoutingContext ctx) {
    String username = param(ctx, "username");
    login(ctx, username, param(ctx, "password")).onSuccess(check -> {
      if (refused(ctx, check)) {
        return;
      }
      Instant now = Instant.now();
      cache.get().compose(p -> {
        List<GuideChannel> channels = p.xtream().channels().stream()
          .map(c -> new GuideChannel(c.guideId(), c.name(), c.logo())).toList();
        ctx.response().setChunked(true).putHeader(HttpHeaders.CONTENT_TYPE, XmltvWriter.CONTENT_TYPE)
          .putHeader(HttpHeaders.CACHE_CONTROL, "private, no-cache");
        return guide.writeXmltv(channels, guide.defaultFrom(now), guide.defaultTo(now), ctx.response());
      }).onFailure(err -> {
        log.warn("guide for {} not written: {}", username, err.toString());
        if (ctx.response().headWritten()) {
          ctx.response().reset();
        } else {
          ctx.response().setChunked(false);
          textError(ctx, err);
        }
      });
    }).onFailure(err -> textError(ctx, err));
  }

  // --- live URLs -------------------------------------------------------------------------------

  /**
   * {@code /live/U/P/{id}[.ext]} and {@code /U/P/{id}[.ext]}: the credentials and the channel
   * checked, then {@code 302} to the token URL, which does the rest (session, start, direct mode).
   */
  private void live(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    login(ctx, ctx.pathParam("u"), ctx.pathParam("p")).onSuccess(check -> {
      if (refused(ctx, check)) {
        return;
      }
      if (check.token() == null || !AuthContract.lookupable(check.token())) {
        Http.sendText(ctx, 403, "ERROR: This account has no player token");
        return;
      }
      cache.get().onSuccess(p -> {
        Channel c = p.xtream().channel(id);
        if (c == null) {
          Http.sendText(ctx, 404, "ERROR: Channel not found");
          return;
        }
        // .m3u8: the HLS playlist; .ts and no extension: the continuous MPEG-TS stream.
        String ext = "m3u8".equals(ctx.pathParam("ext")) ? ".m3u8" : ".ts";
        ctx.response().setStatusCode(302)
          .putHeader(HttpHeaders.LOCATION, publicUrl + "/live/stream_" + c.id() + ext + "?token=" + check.token())
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
          .putHeader("Access-Control-Allow-Origin", "*")
          .end();
      }).onFailure(err -> textError(ctx, err));
    }).onFailure(err -> textError(ctx, err));
  }
}
