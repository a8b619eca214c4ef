package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.common.Epoch;
import dev.iptv.common.Http;
import dev.iptv.common.RedisSupport;
import dev.iptv.common.SegmentProof;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.SessionRequest;
import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.contract.AuthContract.TokenRequest;
import dev.iptv.contract.BadMessage;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ChannelContract.ChannelChanged;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.MonitorContract.SegmentBatch;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.StreamContract;
import dev.iptv.contract.StreamContract.StartRequest;
import dev.iptv.contract.StreamContract.StopReply;
import dev.iptv.contract.StreamContract.StopRequest;
import dev.iptv.contract.StreamContract.ViewerPoll;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * stream-service: on-demand FFmpeg behind the player-facing {@code /live/} URLs (SPEC sections 2,
 * 4, 5, 8).
 *
 * <ul>
 *   <li>{@code GET /live/stream_{id}.m3u8?token=T}: token check, start on demand (once across the
 *       cluster), the playlist with every segment URI carrying a proof;</li>
 *   <li>{@code GET /live/stream_{id}_{n}.ts?e=&s=}: the segment, when the proof holds (nginx checks
 *       proofs itself; this is the all-in-one server's equivalent);</li>
 *   <li>{@code GET /internal/auth?token=&channel=}: nginx {@code auth_request}: 204 with
 *       {@code X-Segment-Proof}, or 403; only on the service's own port (clustered mode, behind
 *       nginx) and only to loopback peers: the all-in-one router has no such route;</li>
 *   <li>{@code POST /api/stream/start|stop}, {@code GET /api/streams/active}: the admin API.</li>
 * </ul>
 */
public class StreamVerticle extends ServiceVerticle {

  private static final Logger log = LoggerFactory.getLogger(StreamVerticle.class);

  static final String PLAYLIST_PATH = "/live/stream_(?<id>" + ChannelContract.ID_REGEX + ")\\.m3u8";
  static final String SEGMENT_PATH = "/live/stream_(?<id>" + ChannelContract.ID_REGEX + ")_(?<n>\\d{1,20})\\.ts";
  static final String PROOF_HEADER = "X-Segment-Proof";
  static final String MPEGURL = "application/vnd.apple.mpegurl";
  private static final long AUTH_TIMEOUT_MS = 5_000;
  static final long SERVED_BATCH_MS = 500;
  private static final int SERVED_BATCH_MAX = 20_000;
  /** Players retry a channel that could not start after this many seconds. */
  static final String RETRY_AFTER_S = "5";

  private StreamSettings settings;
  private Redis redis;
  private StreamStore store;
  private StreamManager manager;
  private SegmentProof proofs;
  private ChannelGate gate;
  private MirrorContract.Probe sentinel;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final AtomicBoolean sessionFallbackLogged = new AtomicBoolean();
  /** Segments this JVM served since the last batch went to monitor-service (any event loop adds). */
  private final ConcurrentLinkedQueue<SegmentServed> served = new ConcurrentLinkedQueue<>();
  private long servedTimer = -1;

  @Override
  public String name() {
    return "stream-service";
  }

  @Override
  protected Future<Router> setUp() {
    try {
      settings = StreamSettings.from(config());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    proofs = new SegmentProof(settings.segmentSecret(), settings.proofTtlS());
    redis = RedisSupport.client(vertx, settings.redisUrl());
    store = new StreamStore(redis);
    byte[] raw = new byte[4];
    new SecureRandom().nextBytes(raw);
    String instance = settings.node() + "/" + HexFormat.of().formatHex(raw);
    sentinel = new MirrorContract.Probe(RedisAPI.api(redis)).start(vertx);
    manager = new StreamManager(vertx, context, settings, store, sentinel, instance);
    gate = new ChannelGate(store, sentinel);
    log.info("stream-service {} writes HLS to {} (idle {} s, start timeout {} s, segments {} s)", instance,
      settings.hlsDir(), settings.idleTimeoutMs() / 1000, settings.startTimeoutMs() / 1000, settings.hlsTimeS());

    Router router = Router.router(vertx);
    Handler<RoutingContext> admin = Http.adminAuth(settings.adminToken());
    router.getWithRegex(PLAYLIST_PATH).handler(this::playlist);
    router.getWithRegex(SEGMENT_PATH).handler(this::segment);
    if (config().getInteger(SERVE_PORT, 0) > 0) {
      // nginx's auth_request, on our own port only: the all-in-one front mounts this router for
      // everyone and has no nginx in front of it.
      router.get("/internal/auth").handler(this::internalAuth);
    }
    router.post("/api/stream/start").handler(admin).handler(Http.bodyHandler()).handler(this::apiStart);
    router.post("/api/stream/stop").handler(admin).handler(Http.bodyHandler()).handler(this::apiStop);
    router.get("/api/streams/active").handler(admin).handler(this::apiActive);

    servedTimer = vertx.setPeriodic(SERVED_BATCH_MS, t -> sendServed());
    consumers.add(vertx.eventBus().<JsonObject>consumer(ChannelContract.CHANNELS_CHANGED, this::onChannelChanged));
    consumers.add(vertx.eventBus().<JsonObject>consumer(StreamContract.START, this::onStartRequest));
    consumers.add(vertx.eventBus().<JsonObject>consumer(StreamContract.STOP, this::onStopRequest));
    consumers.add(vertx.eventBus().<JsonObject>consumer(StreamContract.stopAddress(instance), this::onStopRequest));
    List<Future<Void>> ready = new ArrayList<>();
    consumers.forEach(c -> ready.add(c.completion()));
    return Future.all(ready)
      .compose(v -> manager.start())
      .map(router);
  }

  @Override
  protected Future<?> tearDown() {
    vertx.cancelTimer(servedTimer);
    if (sentinel != null) {
      sentinel.stop(vertx);
    }
    sendServed();
    Future<Void> closing = manager == null ? Future.succeededFuture() : manager.close();
    return closing.eventually(() -> {
      List<Future<Void>> unregistered = new ArrayList<>();
      consumers.forEach(c -> unregistered.add(c.unregister()));
      return Future.join(unregistered);
    }).eventually(() -> {
      if (redis != null) {
        redis.close();
      }
      return Future.succeededFuture();
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Player side

  private void playlist(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    String token = ctx.request().getParam("token");
    long deadline = settings.startTimeoutMs() + 2_000;
    String[] username = new String[1];
    admit(ctx, token, id)
      .compose(check -> {
        if (!check.valid()) {
          throw new ApiException(403, check.status().playerError());
        }
        username[0] = check.username();
        return watchable(id);
      })
      .compose(v -> within(manager.ensure(id, username[0]), deadline))
      .compose(info -> readPlaylist(id)
        .recover(err -> within(manager.ensure(id, username[0]), deadline).compose(again -> readPlaylist(id))))
      .onSuccess(text -> {
        String body = Playlists.signSegments(text, id, proofQuery(ctx, id, token));
        ctx.response()
          .putHeader(HttpHeaders.CONTENT_TYPE, MPEGURL)
          .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
          .putHeader("Access-Control-Allow-Origin", "*")
          .end(body);
        touch(ctx, id, token, username[0]);
      })
      .onFailure(err -> playerError(ctx, err));
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
    String token = ctx.request().getParam("token");
    if (!ChannelContract.isId(id)) {
      ctx.response().setStatusCode(403).end();
      return;
    }
    // A deleted or inactive channel is refused before any session is admitted for it.
    watchable(id).compose(v -> admit(ctx, token, id)).onComplete(ar -> {
      if (ar.succeeded() && ar.result().valid()) {
        ctx.response().setStatusCode(204)
          .putHeader(PROOF_HEADER, proofQuery(ctx, id, token))
          .end();
        touch(ctx, id, token, ar.result().username());
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
    String file = settings.hlsDir().resolve(name).toString();
    // sendfile(2) straight from the folder: no read into memory, no extra stat on a worker.
    ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "video/mp2t")
      .putHeader(HttpHeaders.CACHE_CONTROL, "public, max-age=60")
      .putHeader("Access-Control-Allow-Origin", "*")
      .sendFile(file)
      .onSuccess(v -> served.add(SegmentServed.now(id, ctx.response().bytesWritten(), clientIp(ctx.request()),
        null, ctx.request().getHeader(HttpHeaders.USER_AGENT))))
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
   * The segments served since the last call, to monitor-service in one message: one event-bus
   * delivery per {@value #SERVED_BATCH_MS} ms instead of one per segment, which cost this server a
   * third of its segment throughput.
   */
  private void sendServed() {
    List<SegmentServed> batch = new ArrayList<>();
    SegmentServed r;
    while (batch.size() < SERVED_BATCH_MAX && (r = served.poll()) != null) {
      batch.add(r);
    }
    if (!batch.isEmpty()) {
      vertx.eventBus().send(MonitorContract.SEGMENTS_SERVED, SegmentBatch.of(batch).toJson());
    }
  }

  /**
   * The viewer's session admitted by auth-service (token valid, within max_connections); falls back
   * to a plain token check while no auth-service answers session requests.
   */
  private Future<TokenCheck> admit(RoutingContext ctx, String token, String id) {
    if (token == null || token.isBlank() || token.length() > 256) {
      return Future.succeededFuture(TokenCheck.unknown());
    }
    HttpServerRequest req = ctx.request();
    JsonObject session = new SessionRequest(token, clientIp(req), Http.userAgent(req), id, true).toJson();
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
      .map(m -> TokenCheck.fromJson(m.body()))
      .recover(err -> {
        log.warn("token check for {} failed: {}", Http.mask(token), err.toString());
        return Future.failedFuture(new ApiException(503, "ERROR: Authentication unavailable"));
      });
  }

  /**
   * A viewer poll: last_access and the viewer's session (fire and forget), and who polls, for the
   * monitor to name the user of the segments nginx serves.
   */
  private void touch(RoutingContext ctx, String id, String token, String username) {
    HttpServerRequest req = ctx.request();
    if (username != null) {
      vertx.eventBus().publish(StreamContract.VIEWER_POLLS, new ViewerPoll(username, id, clientIp(req), Http.userAgent(req),
        System.currentTimeMillis() / 1000.0).toJson());
    }
    store.touch(id, AuthContract.sessionId(token, clientIp(req), Http.userAgent(req))).onFailure(err -> log.debug("channel {}: cannot record a poll: {}", id, err.toString()));
  }

  /** The segment proof for this poll: bound to the channel and to the viewer's session. */
  private String proofQuery(RoutingContext ctx, String id, String token) {
    HttpServerRequest req = ctx.request();
    return proofs.query(id, AuthContract.sessionId(token, clientIp(req), Http.userAgent(req)), System.currentTimeMillis() / 1000);
  }

  private Future<String> readPlaylist(String id) {
    // Never through a link in the HLS folder (O_NOFOLLOW).
    return vertx.executeBlocking(() -> PrivateFolders.read(settings.playlist(id)), false).map(text -> {
      if (!text.contains(".ts")) {
        throw new IllegalStateException("playlist of channel " + id + " lists no segment yet");
      }
      return text;
    });
  }

  /** The one error mapping of the player side: SPEC texts, 503 with Retry-After. */
  private void playerError(RoutingContext ctx, Throwable err) {
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

  // ---------------------------------------------------------------------------------------------
  // Admin API

  private void apiStart(RoutingContext ctx) {
    String id = request(() -> StartRequest.fromJson(Http.jsonBody(ctx))).channelId();
    within(manager.ensure(id), settings.startTimeoutMs() + 2_000)
      .onSuccess(info -> Http.sendJson(ctx, 200, info.toJson()))
      .onFailure(err -> {
        if (err instanceof StartRefused refused) {
          ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(refused.retryAfterS()));
        } else if (err instanceof ApiException api && api.status() == 503) {
          ctx.response().putHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_S);
        }
        ctx.fail(err);
      });
  }

  private void apiStop(RoutingContext ctx) {
    String id = request(() -> StopRequest.fromJson(Http.jsonBody(ctx))).channelId();
    stopAnywhere(id, "stopped through the API")
      .onSuccess(stopped -> {
        if (stopped) {
          Http.sendJson(ctx, 200, new JsonObject().put("stopped", id));
        } else {
          ctx.fail(ApiException.notFound("channel " + id + " is not running"));
        }
      })
      .onFailure(ctx::fail);
  }

  /** Stops the channel wherever it runs: here, or by asking the instance that owns it. */
  private Future<Boolean> stopAnywhere(String id, String reason) {
    return manager.stopLocal(id, reason).compose(here -> {
      if (here) {
        return Future.succeededFuture(true);
      }
      return store.owner(id).compose(owner -> {
        if (owner == null || owner.equals(manager.instance())) {
          return Future.succeededFuture(false);
        }
        return vertx.eventBus().<JsonObject>request(StreamContract.stopAddress(owner), new StopRequest(id, reason).toJson(),
            new DeliveryOptions().setSendTimeout(settings.stopGraceMs() + 10_000))
          .map(m -> StopReply.fromJson(m.body()).stoppedHere())
          .recover(err -> {
            if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
              // Its owner died without a word (kill -9, a lost machine): clean up after it.
              log.warn("channel {}: its owner {} is gone from the cluster: stopping what it left", id, owner);
              return manager.stopForDead(id, owner).map(true);
            }
            return Future.failedFuture(new ApiException(503,
              "the instance running channel " + id + " did not answer: " + err.getMessage()));
          });
      });
    });
  }

  private void apiActive(RoutingContext ctx) {
    store.streamIds().compose(ids -> {
      List<Future<JsonObject>> rows = new ArrayList<>();
      for (String id : ids) {
        rows.add(store.state(id).compose(st -> store.viewers(id).map(viewers -> {
          if (st.owner() == null || st.pid() == null) {
            return null;
          }
          return new JsonObject().put("channel_id", id).put("pid", st.pid())
            .put("started", st.started() == null ? null : Epoch.seconds(Math.round(st.started() * 1000)))
            .put("node", st.node()).put("viewers", viewers).put("mode", st.mode())
            .put("restarts", st.restarts());
        })));
      }
      return Future.all(rows).map(all -> {
        JsonObject streams = new JsonObject();
        for (Future<JsonObject> f : rows) {
          JsonObject row = f.result();
          if (row != null) {
            streams.put((String) row.remove("channel_id"), row);
          }
        }
        return new JsonObject().put("streams", streams).put("count", streams.size());
      });
    }).onSuccess(body -> Http.sendJson(ctx, 200, body)).onFailure(ctx::fail);
  }

  /** A request read by its contract; a bad field is a 400 naming it. */
  private static <T> T request(Supplier<T> read) {
    try {
      return read.get();
    } catch (BadMessage e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Event bus

  private void onChannelChanged(Message<JsonObject> msg) {
    ChannelChanged change;
    try {
      change = ChannelChanged.fromJson(msg.body() == null ? new JsonObject() : msg.body());
    } catch (BadMessage e) {
      log.debug("ignored a channel change: {}", e.getMessage());
      return;
    }
    gate.forget(change.channelId());
    manager.channelChanged(change.channelId(), change.action(), change.active());
  }

  private void onStartRequest(Message<JsonObject> msg) {
    String id;
    try {
      id = StartRequest.fromJson(msg.body() == null ? new JsonObject() : msg.body()).channelId();
    } catch (BadMessage e) {
      msg.fail(400, e.getMessage());
      return;
    }
    within(manager.ensure(id), settings.startTimeoutMs() + 2_000)
      .onSuccess(info -> msg.reply(info.toJson()))
      .onFailure(err -> msg.fail(err instanceof ApiException api ? api.status() : 500, err.getMessage()));
  }

  private void onStopRequest(Message<JsonObject> msg) {
    StopRequest request;
    try {
      request = StopRequest.fromJson(msg.body() == null ? new JsonObject() : msg.body());
    } catch (BadMessage e) {
      msg.fail(400, e.getMessage());
      return;
    }
    String id = request.channelId();
    boolean direct = !msg.address().equals(StreamContract.STOP);
    (direct ? manager.stopLocal(id, request.reason()) : stopAnywhere(id, request.reason()))
      .onSuccess(stopped -> msg.reply(new StopReply(id, stopped).toJson()))
      .onFailure(err -> msg.fail(500, err.getMessage()));
  }

  // ---------------------------------------------------------------------------------------------

  /** {@code f}, or a 503 when it takes longer than {@code ms}. */
  private <T> Future<T> within(Future<T> f, long ms) {
    Promise<T> p = Promise.promise();
    long timer = vertx.setTimer(ms, t -> p.tryFail(new ApiException(503, "timed out")));
    f.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        p.tryComplete(ar.result());
      } else {
        p.tryFail(ar.cause());
      }
    });
    return p.future();
  }

  /** A source URL fit for logs: scheme, host and the last path element, no credentials. */
  static String redactUrl(String url) {
    if (url == null) {
      return "null";
    }
    try {
      URI u = URI.create(url);
      String path = u.getRawPath() == null ? "" : u.getRawPath();
      int slash = path.lastIndexOf('/');
      String last = slash >= 0 ? path.substring(slash + 1) : path;
      return u.getScheme() + "://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "")
        + (slash > 0 ? "/…/" : "/") + last;
    } catch (RuntimeException e) {
      return "(unparseable URL)";
    }
  }

  /** For tests: the manager's instance id (the value of stream:{id}:owner). */
  String instanceId() {
    return manager.instance();
  }
}
