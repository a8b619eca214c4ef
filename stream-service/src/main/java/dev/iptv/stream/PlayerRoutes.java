package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.common.Http;
import dev.iptv.common.SegmentProof;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.SessionRequest;
import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.contract.AuthContract.TokenRequest;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.AuthContract.UserChanged;
import dev.iptv.contract.BadMessage;
import dev.iptv.stream.viewers.AdmittedSessions;
import dev.iptv.stream.viewers.ViewerTouches;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The player side of stream-service (openapi.yaml, tag {@code players}; FFmpeg as SPEC section 8 says):
 *
 * <ul>
 *   <li>{@code GET /live/stream_{id}.m3u8?token=T}: the viewer's session admitted by auth-service,
 *       the channel checked ({@link ChannelGate}), started on demand, and its playlist with every
 *       segment URI carrying a proof;</li>
 *   <li>{@code GET /live/stream_{id}.ts?token=T}: the same admission, then the channel's continuous
 *       MPEG-TS ({@link TsFanout}, SPEC section 10);</li>
 *   <li>{@code GET /live/stream_{id}_{n}.ts?e=&n=&t=&s=}: the segment, when its proof holds (nginx
 *       checks proofs itself; this is the all-in-one server's equivalent);</li>
 *   <li>{@code GET /live/_slate/limit_{n}_{T}s_{i}.ts}: with {@code IPTV_LIMIT_SLATE}, the segments of
 *       the slate a poll refused by max_connections gets instead of 403 ({@link LimitSlate});</li>
 *   <li>{@code GET /internal/auth?token=&channel=}: nginx {@code auth_request}, 204 with
 *       {@code X-Segment-Proof} or 403; mounted only on the service's own port, answered to loopback
 *       peers only.</li>
 * </ul>
 *
 * <p>Safe on any event loop (the all-in-one front serves the router from several): the handlers
 * keep no state of their own but the batches of served segments and touches, and reach channel state only
 * through {@link StreamManager} and {@link ChannelGate}, which are.
 */
final class PlayerRoutes {

  private static final Logger log = LoggerFactory.getLogger(PlayerRoutes.class);

  static final String PLAYLIST_PATH = "/live/stream_(?<id>" + ChannelContract.ID_REGEX + ")\\.m3u8";
  static final String TS_PATH = "/live/stream_(?<id>" + ChannelContract.ID_REGEX + ")\\.ts";
  static final String SEGMENT_PATH = "/live/stream_(?<id>" + ChannelContract.ID_REGEX + ")_(?<n>\\d{1,20})\\.ts";
  static final String PROOF_HEADER = "X-Segment-Proof";
  static final String MPEGURL = "application/vnd.apple.mpegurl";
  private static final long AUTH_TIMEOUT_MS = 5_000;
  /** An admitted session is answered from memory this long, then asked to auth-service again. */
  static final long RECHECK_MS = 30_000;
  /** Admitted sessions and pending touches kept at most (a flood of sessions only costs re-asking). */
  static final int MAX_SESSIONS = 200_000;
  /** Touches of admitted sessions go to Redis (and the monitor) in one batch this often. */
  /** Players retry a channel that could not start after this many seconds. */
  static final String RETRY_AFTER_S = "5";
  /** Not a failure: a redirect was sent (direct channel, or its owner's front: ends the chain without a playlist). */
  private static final Exception DIRECT_SENT = new Exception("direct channel redirected", null, false, false) {
  };

  private final Vertx vertx;
  private final StreamSettings settings;
  private final StreamStore store;
  private final StreamManager manager;
  private final HlsFolder hls;
  private final ChannelGate gate;
  private final TsFanout ts;
  private final SegmentProof proofs;
  private final Function<HttpServerRequest, String> clientIp;
  private final OwnerFront owners;
  private final ServerPlaylists serverPlaylists;
  private final AtomicBoolean sessionFallbackLogged = new AtomicBoolean();
  private final AdmittedSessions sessions = new AdmittedSessions(RECHECK_MS, MAX_SESSIONS);
  private final ViewerBatches batches;
  /** The slate for polls refused by max_connections ({@code IPTV_LIMIT_SLATE}; off: 403). */
  private final LimitSlate limitSlate;
  private MessageConsumer<JsonObject> revocations;

  /** The viewer of a request, worked out once: its token, address, player and session id. */
  private record Viewer(String token, String ip, String userAgent, String sessionId) {
  }

  PlayerRoutes(Vertx vertx, StreamSettings settings, StreamStore store, StreamManager manager, HlsFolder hls,
               ChannelGate gate, Function<HttpServerRequest, String> clientIp, OwnerFront owners,
               ServerPlaylists serverPlaylists) {
    this.vertx = vertx;
    this.settings = settings;
    this.store = store;
    this.manager = manager;
    this.hls = hls;
    this.gate = gate;
    this.ts = new TsFanout(vertx, settings, hls);
    this.batches = new ViewerBatches(vertx, store, MAX_SESSIONS);
    this.proofs = new SegmentProof(settings.segmentSecret(), settings.proofTtlS());
    this.clientIp = clientIp;
    this.owners = owners;
    this.serverPlaylists = serverPlaylists;
    this.limitSlate = new LimitSlate(vertx, settings);
  }

  /**
   * Mounts the player routes, each named by its path in {@code openapi.yaml}; {@code withFrontAuth}:
   * nginx's {@code /internal/auth} answers (the service's own port only). On the all-in-one front,
   * which mounts the router for everyone with no nginx, that route passes the request on (404).
   */
  void mount(Router router, boolean withFrontAuth) {
    router.getWithRegex(PLAYLIST_PATH).setName("/live/stream_{id}.m3u8").handler(this::playlist);
    router.getWithRegex(SEGMENT_PATH).setName("/live/stream_{id}_{segment}.ts").handler(this::segment);
    router.getWithRegex(TS_PATH).setName("/live/stream_{id}.ts").handler(this::tsStream);
    // Always mounted (like nginx's location): nothing there to serve until a slate was made.
    limitSlate.mount(router);
    router.get("/internal/auth").handler(withFrontAuth ? this::internalAuth : RoutingContext::next);
  }

  /** Starts the batches (segments served, viewer touches) and the revocation consumer; once. */
  void start() {
    batches.start();
    // A token changed, deleted or disabled through the API is asked again at its next poll.
    revocations = vertx.eventBus().consumer(AuthContract.USERS_CHANGED, m -> {
      try {
        UserChanged c = UserChanged.fromJson(m.body());
        sessions.revokeToken(c.token());
        sessions.revokeToken(c.oldToken());
        sessions.revokeUser(c.username());
      } catch (BadMessage e) {
        log.debug("unreadable user change: {}", e.getMessage());
      }
    });
  }

  /** Stops batching and sends what is left. */
  Future<Void> close() {
    ts.close();
    batches.close();
    return revocations == null ? Future.succeededFuture() : revocations.unregister();
  }

  /** Channels with TS viewers on this instance, and how many. */
  Map<String, Integer> tsViewers() {
    return ts.viewers();
  }

  /** Ready once the revocation consumer is registered (across the cluster). */
  Future<Void> ready() {
    return revocations == null ? Future.succeededFuture() : revocations.completion();
  }

  private void playlist(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Viewer viewer = viewer(ctx.request(), ctx.request().getParam("token"));
    admitted(ctx, viewer, id)
      .compose(username -> playable(id, username)
        .onSuccess(listing -> {
          String body = Playlists.signSegments(listing.text(), id, proofQuery(viewer, id), listing.segmentBase());
          ctx.response()
            .putHeader(HttpHeaders.CONTENT_TYPE, MPEGURL)
            .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
            .putHeader("Access-Control-Allow-Origin", "*")
            .end(body);
          touch(viewer, id, username);
        }))
      .onFailure(err -> {
        if (err instanceof LimitSlate.Refused refused && settings.sources().limitSlate()) {
          // Not a viewer: no session was admitted and none is touched; a deleted channel stays 404.
          watchable(id).onSuccess(v -> limitSlate.answer(ctx, refused)).onFailure(e -> playerError(ctx, e));
        } else {
          playerError(ctx, err);
        }
      });
  }

  /**
   * {@code GET /live/stream_{id}.ts?token=T} (SPEC section 10): admitted exactly like a playlist
   * poll, started on demand, then the channel's continuous MPEG-TS ({@link TsFanout}) for as long as
   * the viewer reads; touched like a polling player while connected, counted per segment written.
   */
  private void tsStream(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Viewer viewer = viewer(ctx.request(), ctx.request().getParam("token"));
    admitted(ctx, viewer, id)
      .compose(username -> tsPlayable(id, username))
      .onSuccess(username -> tsJoin(ctx, viewer, id, username))
      .onFailure(err -> {
        if (err instanceof LimitSlate.Refused refused && settings.sources().limitSlate()) {
          // The slate until a slot frees, then the channel on the same connection (no session meanwhile).
          watchable(id).onSuccess(v -> limitSlate.answerTs(ctx, refused, () -> admittedLater(viewer, id),
            username -> tsJoin(ctx, viewer, id, username))).onFailure(e -> playerError(ctx, e));
        } else {
          playerError(ctx, err);
        }
      });
  }

  /**
   * A slated TS viewer admitted again: its username once admitted, the channel active, playing here
   * and not direct; {@link LimitSlate.Refused} while the limit still refuses it; any other failure (a
   * redirect it would need, the channel gone) ends its slate, and its reconnection gets the answer.
   */
  private Future<String> admittedLater(Viewer viewer, String id) {
    return admit(viewer, id)
      .compose(check -> check.valid() ? watchable(id).map(check.username()) : Future.failedFuture(refusal(check)))
      .compose(username -> gate.state(id).compose(state -> state.direct() != null
        ? Future.<String>failedFuture(new ApiException(409, "direct channel"))
        : manager.ensure(id, username).compose(owners::of).compose(front -> front != null
          ? Future.<String>failedFuture(new ApiException(409, "runs on another node"))
          : tsPlayable(id, username))));
  }

  /** The channel started for {@code username} and playing where its TS output can be made: the username. */
  private Future<String> tsPlayable(String id, String username) {
    return playable(id, username).compose(listing -> listing.segmentBase().isEmpty()
      ? Future.succeededFuture(username)
      : Future.failedFuture(new ApiException(503, "ERROR: Channel plays on an SSH server: use its HLS playlist")));
  }

  /** The channel's continuous MPEG-TS for an admitted viewer, for as long as it reads ({@link TsFanout}). */
  private void tsJoin(RoutingContext ctx, Viewer viewer, String id, String username) {
    touch(viewer, id, username);
    ts.join(id, ctx.request(), new TsFanout.Hooks() {
      @Override
      public void touch() {
        PlayerRoutes.this.touch(viewer, id, username);
      }

      @Override
      public Future<Boolean> stillAdmitted() {
        // Unavailable auth or channel state keeps the viewer; a refusal or a gone channel does not.
        return watchable(id).compose(v -> admit(viewer, id)).map(TokenCheck::valid)
          .recover(err -> Future.succeededFuture(!(err instanceof ApiException api && api.status() == 404)));
      }

      @Override
      public void served(long bytes) {
        batches.served(SegmentServed.now(id, bytes, viewer.ip(), username, viewer.userAgent()));
      }
    });
  }

  /**
   * The viewer's username once their session is admitted and the channel is active; a direct
   * channel's redirect is sent here (the chain then ends with {@link #DIRECT_SENT}).
   */
  private Future<String> admitted(RoutingContext ctx, Viewer viewer, String id) {
    return admit(viewer, id)
      .compose(check -> check.valid() ? watchable(id).map(check.username()) : Future.failedFuture(refusal(check)))
      // Direct mode (SPEC section 10): the player goes to the source itself; no FFmpeg, still counted.
      .compose(username -> gate.state(id).compose(state -> state.direct() == null ? Future.succeededFuture(username)
        : redirected(ctx, viewer, id, username, state.direct())))
      // Runs on another stream node: the player goes to its front, token and all (SPEC section 9).
      .compose(username -> manager.ensure(id, username).compose(owners::of).compose(front -> front == null
        ? Future.succeededFuture(username) : redirected(ctx, viewer, id, username, front + ctx.request().uri())));
  }

  /** The 403 of a refused token check; a max_connections refusal is {@link LimitSlate.Refused} (the slate may answer it). */
  private static ApiException refusal(TokenCheck check) {
    return check.status() == TokenCheck.Status.LIMIT
      ? new LimitSlate.Refused(check.status().playerError(), check.maxConnections())
      : new ApiException(403, check.status().playerError());
  }

  /** Sends the player elsewhere (counted as a poll); ends the chain without a playlist. */
  private Future<String> redirected(RoutingContext ctx, Viewer viewer, String id, String username, String location) {
    OwnerFront.redirect(ctx, location);
    touch(viewer, id, username);
    return Future.failedFuture(DIRECT_SENT);
  }

  private Viewer viewer(HttpServerRequest req, String token) {
    String ip = clientIp.apply(req);
    String ua = Http.userAgent(req);
    return new Viewer(token, ip, ua, token == null ? null : AuthContract.sessionId(token, ip, ua));
  }

  /**
   * The channel's playlist once it plays (started on demand, {@code username} charged when theirs
   * is the start), here or from its SSH server ({@link ServerPlaylists#listing}); read again after
   * one more ensure when it vanished in between (a restart).
   */
  private Future<ServerPlaylists.Listing> playable(String id, String username) {
    return manager.ensure(id, username).compose(info -> serverPlaylists.listing(info, hls)
      .recover(err -> manager.ensure(id, username).compose(again -> serverPlaylists.listing(again, hls))));
  }

  /**
   * nginx auth_request: may this token poll this channel (active, token valid, within the user's
   * connections)? 204 with a segment proof, or 403. Answers the local front only.
   */
  private void internalAuth(RoutingContext ctx) {
    if (!loopbackPeer(ctx.request())) {
      Http.sendError(ctx, 403, "/internal/auth answers the local front (nginx on this machine) only");
      return;
    }
    String id = ctx.request().getParam("channel");
    if (!ChannelContract.isId(id)) {
      ctx.response().setStatusCode(403).end();
      return;
    }
    Viewer viewer = viewer(ctx.request(), ctx.request().getParam("token"));
    // A deleted or inactive channel is refused before any session is admitted for it.
    watchable(id).compose(v -> admit(viewer, id)).onComplete(ar -> {
      if (ar.succeeded() && ar.result().valid()) {
        ctx.response().setStatusCode(204)
          .putHeader(PROOF_HEADER, proofQuery(viewer, id))
          .end();
        touch(viewer, id, ar.result().username());
      } else {
        boolean refused = ar.succeeded() || ar.cause() instanceof ApiException api && api.status() == 404;
        ctx.response().setStatusCode(refused ? 403 : 503).end();
      }
    });
  }

  /** Succeeds when the channel exists and is active ({@link ChannelGate}: a few seconds stale at most), else 404. */
  private Future<Void> watchable(String id) {
    return gate.open(id).compose(open -> open ? Future.succeededFuture()
      : Future.failedFuture(ApiException.notFound("unknown or inactive channel " + id)), err -> {
        log.warn("channel {}: cannot read its state: {}", id, err.toString());
        return Future.failedFuture(new ApiException(503, "ERROR: Channel state unavailable"));
      });
  }

  /** The peer is this machine (nginx in front of this port), never a remote client. */
  private static boolean loopbackPeer(HttpServerRequest req) {
    SocketAddress peer = req.remoteAddress();
    if (peer == null || !peer.isInetSocket() || peer.hostAddress() == null || peer.hostAddress().isEmpty()) {
      return false;
    }
    try {
      // A literal address: no name lookup.
      return InetAddress.getByName(peer.hostAddress()).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private void segment(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String name = "stream_" + id + "_" + ctx.pathParam("n") + ".ts";
    HttpServerRequest req = ctx.request();
    SegmentProof.Verdict verdict = proofs.check(id, req.getParam("e"), req.getParam("n"), req.getParam("t"),
      req.getParam("s"), System.currentTimeMillis() / 1000);
    if (verdict != SegmentProof.Verdict.OK) {
      Http.sendText(ctx, 403, verdict.playerError() + "\n");
      return;
    }
    sendSegment(ctx, settings.hlsDir().resolve(name).toString())
      .onSuccess(v -> batches.served(SegmentServed.now(id, ctx.response().bytesWritten(), clientIp.apply(req),
        null, req.getHeader(HttpHeaders.USER_AGENT))));
  }

  /**
   * An MPEG-TS segment by sendfile(2) straight from its folder (no read into memory, no extra stat on
   * a worker); a missing file answers {@code 404 not found}, a failure once sending has begun resets
   * the stream. Succeeds once the file is sent.
   */
  static Future<Void> sendSegment(RoutingContext ctx, String file) {
    return ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "video/mp2t")
      .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=60")
      .putHeader("Access-Control-Allow-Origin", "*")
      .sendFile(file)
      .onFailure(err -> {
        if (!ctx.response().headWritten()) {
          ctx.response().headers().remove(HttpHeaders.CACHE_CONTROL).set(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8");
          Http.sendText(ctx, 404, "not found\n");
        } else {
          ctx.response().reset();
        }
      });
  }

  /**
   * The viewer's session admitted by auth-service (token valid, within max_connections); falls back
   * to a plain token check while no auth-service answers session requests.
   */
  private Future<TokenCheck> admit(Viewer viewer, String id) {
    String token = viewer.token();
    if (token == null || token.isBlank() || token.length() > 256) {
      return Future.succeededFuture(TokenCheck.unknown());
    }
    long now = System.currentTimeMillis();
    AdmittedSessions.Admitted known = sessions.get(viewer.sessionId(), now);
    if (known != null && known.token().equals(token)) {
      return Future.succeededFuture(new TokenCheck(TokenCheck.Status.VALID, known.username(), known.maxConnections(), null));
    }
    JsonObject session = new SessionRequest(token, viewer.ip(), viewer.userAgent(), id, true).toJson();
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(AUTH_TIMEOUT_MS);
    return vertx.eventBus().<JsonObject>request(AuthContract.SESSION, session, opts)
      .recover(err -> {
        if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
          if (sessionFallbackLogged.compareAndSet(false, true)) {
            log.warn("no auth-service answers {}: checking tokens only, without connection limits",
              AuthContract.SESSION);
          }
          return vertx.eventBus().request(AuthContract.VALIDATE, new TokenRequest(token).toJson(), opts);
        }
        return Future.failedFuture(err);
      })
      .map(m -> {
        TokenCheck check = TokenCheck.fromJson(m.body());
        sessions.admitted(viewer.sessionId(), token, check, now);
        return check;
      })
      .recover(err -> {
        log.warn("token check for {} failed: {}", Http.mask(token), err.toString());
        return Future.failedFuture(new ApiException(503, "ERROR: Authentication unavailable"));
      });
  }

  /**
   * A viewer poll, remembered for the next batch ({@link ViewerBatches}): the session's slot, the
   * channel's viewers and last access, and who polls (the monitor names nginx's segment records by it).
   */
  private void touch(Viewer viewer, String id, String username) {
    if (username != null && viewer.sessionId() != null) {
      batches.touched(new ViewerTouches.Touch(viewer.sessionId(), username, id, viewer.ip(), viewer.userAgent(),
        System.currentTimeMillis()));
    }
  }

  /** The segment proof for this poll: bound to the channel and to the viewer's session. */
  private String proofQuery(Viewer viewer, String id) {
    return proofs.query(id, viewer.sessionId(), System.currentTimeMillis() / 1000);
  }

  /** The one error mapping of the player side: SPEC texts, 503 with Retry-After. */
  private void playerError(RoutingContext ctx, Throwable err) {
    if (err == DIRECT_SENT) {
      return;
    }
    int status = err instanceof ApiException api ? api.status() : 500;
    if (err instanceof StartRefused refused) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(refused.retryAfterS()))
        .putHeader("Access-Control-Allow-Origin", "*");
      Http.sendText(ctx, status, refused.playerText());
      return;
    }
    String text = switch (status) {
      case 403 -> err.getMessage();
      case 404 -> "ERROR: Channel not found";
      case 503 -> err.getMessage() != null && err.getMessage().startsWith("ERROR:") ? err.getMessage()
        : "ERROR: Stream unavailable, retry later";
      default -> "ERROR: Internal error";
    };
    if (status == 500) {
      log.error("{} failed", ctx.request().path(), err);
    }
    if (status == 503) {
      ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_S);
    }
    ctx.response().putHeader("Access-Control-Allow-Origin", "*");
    Http.sendText(ctx, status, text);
  }
}
