package dev.iptv.stream;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ApiException;
import dev.iptv.common.Epoch;
import dev.iptv.common.Http;
import dev.iptv.contract.BadMessage;
import dev.iptv.contract.StreamContract;
import dev.iptv.contract.StreamContract.LogReply;
import dev.iptv.contract.StreamContract.LogRequest;
import dev.iptv.contract.StreamContract.StartRequest;
import dev.iptv.contract.StreamContract.StopReply;
import dev.iptv.contract.StreamContract.StopRequest;
import dev.iptv.contract.StreamContract.SwitchReply;
import dev.iptv.contract.StreamContract.SwitchRequest;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The operators' side of stream-service (openapi.yaml, tag {@code streams}), over HTTP with the admin bearer and over
 * the event bus ({@link StreamContract}):
 *
 * <ul>
 *   <li>{@code POST /api/stream/start} and {@link StreamContract#START}: start a channel here, or
 *       join whoever runs it;</li>
 *   <li>{@code POST /api/stream/stop} and {@link StreamContract#STOP}: stop it wherever it runs (here,
 *       or by asking its owner on {@link StreamContract#stopAddress}, or cleaning up after a dead one);
 *       {@link StreamContract#stopAddress} of this instance: stop it if it runs here;</li>
 *   <li>{@code POST /api/stream/switch}: move a running channel to its next source, here or by asking
 *       its owner on {@link StreamContract#switchAddress};</li>
 *   <li>{@code GET /api/streams/{id}/log}: the tail of its FFmpeg log, credentials redacted, here or
 *       from its owner on {@link StreamContract#logAddress};</li>
 *   <li>{@code GET /api/streams/active}: every running stream of the cluster, read from Redis;</li>
 *   <li>{@code GET /api/streams/{id}/sources}: its sources, their priority and last check, its slate ({@link SourcesView}).</li>
 * </ul>
 */
final class StreamAdminApi {

  private static final Logger log = LoggerFactory.getLogger(StreamAdminApi.class);

  private final Vertx vertx;
  private final StreamSettings settings;
  private final StreamStore store;
  private final StreamManager manager;
  private ApiDocument document;

  StreamAdminApi(Vertx vertx, StreamSettings settings, StreamStore store, StreamManager manager) {
    this.vertx = vertx;
    this.settings = settings;
    this.store = store;
    this.manager = manager;
  }

  /** Its routes; {@code document} (openapi.yaml) checks their bodies and parameters. */
  void mount(Router router, ApiDocument document) {
    this.document = document;
    Handler<RoutingContext> admin = Http.adminAuth(settings.adminToken());
    router.post("/api/stream/start").handler(admin).handler(Http.bodyHandler()).handler(this::start);
    router.post("/api/stream/stop").handler(admin).handler(Http.bodyHandler()).handler(this::stop);
    router.post("/api/stream/switch").handler(admin).handler(Http.bodyHandler()).handler(this::switchSource);
    router.get("/api/streams/active").handler(admin).handler(this::active);
    router.get("/api/streams/:id/log").handler(admin).handler(this::log);
    router.get("/api/streams/:id/sources").handler(admin).handler(new SourcesView(store, document)::sources);
  }

  // -- HTTP ---------------------------------------------------------------------------------------

  private void start(RoutingContext ctx) {
    String id = request(() -> StartRequest.fromJson(document.body(ctx, "startStream"))).channelId();
    manager.ensure(id)
      .onSuccess(info -> Http.sendJson(ctx, 200, info.toJson()))
      .onFailure(err -> {
        if (err instanceof StartRefused refused) {
          ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(refused.retryAfterS()));
        } else if (err instanceof ApiException api && api.status() == 503) {
          ctx.response().putHeader(HttpHeaders.RETRY_AFTER, PlayerRoutes.RETRY_AFTER_S);
        }
        ctx.fail(err);
      });
  }

  private void stop(RoutingContext ctx) {
    String id = request(() -> StopRequest.fromJson(document.body(ctx, "stopStream"))).channelId();
    stopAnywhere(id, "stopped through the API")
      .compose(stopped -> stopped ? Future.succeededFuture(new JsonObject().put("stopped", id))
        : Future.failedFuture(ApiException.notFound("channel " + id + " is not running")))
      .onSuccess(body -> Http.sendJson(ctx, 200, body))
      .onFailure(ctx::fail);
  }

  private void switchSource(RoutingContext ctx) {
    String id = request(() -> SwitchRequest.fromJson(document.body(ctx, "switchStream"))).channelId();
    atOwner(id, manager::switchLocal, StreamContract::switchAddress, new SwitchRequest(id).toJson(),
      settings.startTimeoutMs() + settings.stopGraceMs() + 10_000, SwitchReply::fromJson)
      .onSuccess(reply -> Http.sendJson(ctx, 200, reply.toJson()))
      .onFailure(ctx::fail);
  }

  private void log(RoutingContext ctx) {
    String id = document.pathParam(ctx, "streamLog", "id");
    LogRequest req = request(() -> LogRequest.fromJson(new JsonObject().put("channel_id", id)
      .put("lines", document.query(ctx, "streamLog").getInteger("lines"))));
    atOwner(id, x -> manager.logLocal(x, req.lines()), StreamContract::logAddress, req.toJson(), 10_000,
      LogReply::fromJson)
      .onSuccess(reply -> Http.sendJson(ctx, 200, reply.toJson()))
      .onFailure(ctx::fail);
  }

  /**
   * {@code here} if this instance runs the channel (null when it does not), else the same asked of
   * its owner at {@code address(owner)}: 404 when nobody runs it, the owner's status when it refuses.
   */
  private <T> Future<T> atOwner(String id, Function<String, Future<T>> here, Function<String, String> address,
                                JsonObject request, long timeoutMs, Function<JsonObject, T> read) {
    Future<T> notRunning = Future.failedFuture(ApiException.notFound("channel " + id + " is not running"));
    return here.apply(id).compose(local -> local != null ? Future.succeededFuture(local)
      : store.owner(id).compose(owner -> owner == null || owner.equals(manager.instance()) ? notRunning
        : vertx.eventBus().<JsonObject>request(address.apply(owner), request, new DeliveryOptions().setSendTimeout(timeoutMs))
          .map(m -> read.apply(m.body()))
          .recover(err -> {
            if (err instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
              return Future.failedFuture(new ApiException(re.failureCode(), re.getMessage()));
            }
            if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
              return notRunning; // its owner is gone: it runs nowhere
            }
            return Future.failedFuture(new ApiException(503, "the instance running channel " + id
              + " did not answer: " + err.getMessage()));
          })));
  }

  private void active(RoutingContext ctx) {
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

  /**
   * A request read by its event-bus contract (which the bus's senders need); over HTTP its body was
   * checked from openapi.yaml first, so a 400 here only backs that up.
   */
  private static <T> T request(Supplier<T> read) {
    try {
      return read.get();
    } catch (BadMessage e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  // -- event bus ----------------------------------------------------------------------------------

  /** {@link StreamContract#START}: the channel's {@link StreamContract.StreamStatus}, or a failure with the HTTP status. */
  void onStartRequest(Message<JsonObject> msg) {
    String id;
    try {
      id = StartRequest.fromJson(msg.body() == null ? new JsonObject() : msg.body()).channelId();
    } catch (BadMessage e) {
      msg.fail(400, e.getMessage());
      return;
    }
    manager.ensure(id)
      .onSuccess(info -> msg.reply(info.toJson()))
      .onFailure(err -> msg.fail(err instanceof ApiException api ? api.status() : 500, err.getMessage()));
  }

  /**
   * This instance's {@link StreamContract#ensureAddress}: another instance placed the channel on
   * this node; a {@link StreamContract.StreamStatus} once it plays here, or a failure with the HTTP status.
   */
  void onEnsureRequest(Message<JsonObject> msg) {
    StreamContract.EnsureRequest req;
    try {
      req = StreamContract.EnsureRequest.fromJson(msg.body() == null ? new JsonObject() : msg.body());
    } catch (BadMessage e) {
      msg.fail(400, e.getMessage());
      return;
    }
    manager.ensureHere(req.channelId(), req.username())
      .onSuccess(info -> msg.reply(info.toJson()))
      .onFailure(err -> msg.fail(err instanceof ApiException api ? api.status() : 500, String.valueOf(err.getMessage())));
  }

  /**
   * {@link StreamContract#STOP} (stop it wherever it runs) and this instance's
   * {@link StreamContract#stopAddress} (stop it if it runs here): a {@link StopReply}.
   */
  void onStopRequest(Message<JsonObject> msg) {
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

  /** This instance's {@link StreamContract#switchAddress}: a {@link SwitchReply}, or a failure with the HTTP status. */
  void onSwitchRequest(Message<JsonObject> msg) {
    answerLocal(msg, SwitchRequest::fromJson, (req, id) -> manager.switchLocal(id), SwitchReply::toJson);
  }

  /** This instance's {@link StreamContract#logAddress}: a {@link LogReply}, or a failure with the HTTP status. */
  void onLogRequest(Message<JsonObject> msg) {
    answerLocal(msg, LogRequest::fromJson, (req, id) -> manager.logLocal(id, req.lines()), LogReply::toJson);
  }

  /** A request about a channel that runs here: 400 for a bad one, 404 when it does not run here. */
  private <R, T> void answerLocal(Message<JsonObject> msg, Function<JsonObject, R> parse,
                                  BiFunction<R, String, Future<T>> work, Function<T, JsonObject> write) {
    R req;
    String id;
    try {
      JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
      req = parse.apply(body);
      id = StartRequest.fromJson(body).channelId();
    } catch (BadMessage e) {
      msg.fail(400, e.getMessage());
      return;
    }
    work.apply(req, id).onSuccess(reply -> {
      if (reply == null) {
        msg.fail(404, "channel " + id + " does not run on " + manager.instance());
      } else {
        msg.reply(write.apply(reply));
      }
    }).onFailure(err -> msg.fail(err instanceof ApiException api ? api.status() : 500, err.getMessage()));
  }

  /** Stops the channel wherever it runs: here, or by asking the instance that owns it. */
  private Future<Boolean> stopAnywhere(String id, String reason) {
    return manager.stopLocal(id, reason).compose(here -> here ? Future.succeededFuture(true)
      : store.owner(id).compose(owner -> owner == null || owner.equals(manager.instance())
        ? Future.succeededFuture(false) : askOwner(owner, id, reason)));
  }

  /** The instance {@code owner} stops the channel; when it is gone from the cluster, what it left is cleaned up here. */
  private Future<Boolean> askOwner(String owner, String id, String reason) {
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
  }
}
