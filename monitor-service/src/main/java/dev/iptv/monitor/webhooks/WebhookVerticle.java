package dev.iptv.monitor.webhooks;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ApiException;
import dev.iptv.common.Epoch;
import dev.iptv.common.Http;
import dev.iptv.contract.MonitorContract;
import dev.iptv.monitor.MonitorEvents;
import dev.iptv.monitor.nodes.NodeReporter;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.Redis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

/**
 * The operator's webhooks: {@code /api/webhooks} (admin bearer) and their delivery.
 *
 * <p>Every event the monitor hears ({@link MonitorEvents}: stream started, stopped, failed,
 * restarted, stalled, switched, disk full; limit hit; Redis restored) and the nodes it sees go
 * offline or come back ({@value MonitorContract#NODE_OFFLINE}, {@value MonitorContract#NODE_ONLINE},
 * checked every {@value #NODE_CHECK_MS} ms) is POSTed as JSON to each enabled webhook that asks for
 * it, with {@code X-IPTV-Event}, {@code X-IPTV-Delivery} (the event's id, the same on every retry)
 * and {@code X-IPTV-Signature: sha256=HEX}, the HMAC-SHA256 of the body with the webhook's secret.
 * A 2xx answer within {@value #TIMEOUT_MS} ms delivers it; anything else is tried again after 1, 2,
 * 4 ... 300 s, {@value #ATTEMPTS} attempts in all (about 20 minutes), each recorded in the webhook's
 * delivery log. Nothing waits on a delivery: they run on this verticle's loop, at most
 * {@value #MAX_PENDING} waiting at once (more are dropped, logged). With several monitors in the
 * cluster each delivery is made once ({@link WebhookStore#claim}).
 */
public final class WebhookVerticle extends VerticleBase {

  private static final Logger log = LoggerFactory.getLogger(WebhookVerticle.class);

  static final int ATTEMPTS = 10;
  static final long TIMEOUT_MS = 10_000;
  static final long NODE_CHECK_MS = 5_000;
  static final int MAX_PENDING = 10_000;
  static final long FIRST_RETRY_MS = 1_000;
  static final long MAX_RETRY_MS = 300_000;

  private final Redis redis;
  private final NodeReporter nodes;
  private final long firstRetryMs;
  private WebhookStore store;
  private HttpClient http;
  private int pending;
  private final Map<String, String> nodeStatus = new HashMap<>();
  private final Map<String, Object> nodeLastSeen = new HashMap<>();
  private boolean nodesSeen;
  private long nodeTimer = -1;

  /** @param nodes the node report (for offline and back), or null */
  public WebhookVerticle(Redis redis, NodeReporter nodes) {
    this(redis, nodes, FIRST_RETRY_MS);
  }

  WebhookVerticle(Redis redis, NodeReporter nodes, long firstRetryMs) {
    this.redis = redis;
    this.nodes = nodes;
    this.firstRetryMs = firstRetryMs;
  }

  @Override
  public Future<?> start() {
    store = new WebhookStore(redis);
    http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) TIMEOUT_MS).setKeepAlive(false)
      .setIdleTimeout(30), new PoolOptions().setHttp1MaxSize(8));
    if (nodes != null) {
      nodeTimer = vertx.setPeriodic(NODE_CHECK_MS, id -> checkNodes());
    }
    return MonitorEvents.listen(vertx, heard -> event(heard.json(), null));
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(nodeTimer);
    return http == null ? Future.succeededFuture() : http.close();
  }

  // --- API -----------------------------------------------------------------------------------------

  /**
   * Its routes on the monitor's router; the handlers use Redis only, from any loop. Bodies and path
   * names are checked from openapi.yaml ({@code WebhookInput}, {@code WebhookUpdate}, {@code WebhookName}).
   */
  public void routes(Router router, Handler<RoutingContext> admin) {
    BodyHandler body = Http.bodyHandler();
    router.get("/api/webhooks").handler(admin).handler(ctx -> store.all().onSuccess(all -> Http.sendJson(ctx, 200,
      new JsonObject().put("webhooks", new io.vertx.core.json.JsonArray(all.stream().map(Webhook::toPublicJson).toList()))
        .put("count", all.size()))).onFailure(ctx::fail));
    router.post("/api/webhooks").handler(admin).handler(body).handler(ctx -> ApiDocument.load(vertx)
      .map(doc -> Webhook.create(doc.body(ctx, "createWebhook")))
      .compose(w -> store.create(w).compose(created -> created ? Future.succeededFuture(w)
        : Future.failedFuture(ApiException.conflict("webhook '" + w.name() + "' already exists"))))
      .onSuccess(w -> Http.sendJson(ctx, 201, w.toPublicJson())).onFailure(ctx::fail));
    router.get("/api/webhooks/:name").handler(admin).handler(ctx -> found(ctx, "getWebhook").onSuccess(w -> Http.sendJson(ctx, 200,
      w.toPublicJson())).onFailure(ctx::fail));
    router.put("/api/webhooks/:name").handler(admin).handler(body).handler(ctx -> ApiDocument.load(vertx)
      .compose(doc -> {
        JsonObject patch = doc.body(ctx, "updateWebhook");
        return found(ctx, "updateWebhook").compose(w -> {
          Webhook changed = w.patch(patch);
          return store.save(changed).map(changed);
        });
      }).onSuccess(w -> Http.sendJson(ctx, 200, w.toPublicJson())).onFailure(ctx::fail));
    router.delete("/api/webhooks/:name").handler(admin).handler(ctx -> ApiDocument.load(vertx)
      .map(doc -> doc.pathParam(ctx, "deleteWebhook", "name"))
      .compose(name -> store.delete(name).compose(deleted -> deleted
        ? Future.succeededFuture(new JsonObject().put("deleted", name))
        : Future.failedFuture(ApiException.notFound("no webhook '" + name + "'"))))
      .onSuccess(out -> Http.sendJson(ctx, 200, out)).onFailure(ctx::fail));
    router.get("/api/webhooks/:name/deliveries").handler(admin).handler(ctx -> found(ctx, "webhookDeliveries")
      .compose(w -> store.deliveries(w.name()))
      .onSuccess(list -> Http.sendJson(ctx, 200, new JsonObject().put("deliveries", list).put("count", list.size())))
      .onFailure(ctx::fail));
  }

  /** The webhook the path names (checked from openapi.yaml's {@code operationId}), or a 404. */
  private Future<Webhook> found(RoutingContext ctx, String operationId) {
    return ApiDocument.load(vertx).map(doc -> doc.pathParam(ctx, operationId, "name"))
      .compose(name -> store.find(name).compose(w -> w == null
        ? Future.failedFuture(ApiException.notFound("no webhook '" + name + "'")) : Future.succeededFuture(w)));
  }

  // --- delivery ------------------------------------------------------------------------------------

  /**
   * An event heard: one delivery per webhook that wants it. Its id is the same on every monitor that
   * hears it (from its JSON, or from {@code idSeed}), so only one of them delivers it.
   */
  private void event(JsonObject event, String idSeed) {
    String kind = event.getString("event");
    if (kind == null) {
      return;
    }
    String id = UUID.nameUUIDFromBytes((idSeed != null ? idSeed : event.encode()).getBytes(StandardCharsets.UTF_8)).toString();
    store.all().onSuccess(all -> {
      for (Webhook w : all) {
        if (w.wants(kind)) {
          store.claim(w.name(), id).onSuccess(mine -> {
            if (mine) {
              enqueue(w.name(), kind, id, event.toBuffer(), 1, 0);
            }
          });
        }
      }
    }).onFailure(err -> log.warn("webhooks not read, event {} not delivered: {}", kind, err.toString()));
  }

  private void enqueue(String name, String kind, String id, Buffer body, int attempt, long delayMs) {
    if (pending >= MAX_PENDING) {
      log.warn("{} webhook deliveries waiting: {} to '{}' dropped", MAX_PENDING, kind, name);
      return;
    }
    pending++;
    Handler<Long> run = t -> {
      pending--;
      attempt(name, kind, id, body, attempt);
    };
    if (delayMs <= 0) {
      vertx.runOnContext(v -> run.handle(0L));
    } else {
      vertx.setTimer(delayMs, run);
    }
  }

  /** One attempt, with the webhook as it is now (changed or deleted meanwhile: that counts). */
  private void attempt(String name, String kind, String id, Buffer body, int attempt) {
    store.find(name).onSuccess(w -> {
      if (w == null || !w.wants(kind)) {
        return; // deleted, disabled or no longer subscribed: nothing more to do
      }
      long t0 = System.nanoTime();
      RequestOptions req = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(w.url())
        .setTimeout(TIMEOUT_MS).setFollowRedirects(false)
        .putHeader("Content-Type", "application/json").putHeader("User-Agent", "iptv-webhooks/1")
        .putHeader("X-IPTV-Event", kind).putHeader("X-IPTV-Delivery", id)
        .putHeader("X-IPTV-Signature", "sha256=" + sign(w.secret(), body));
      http.request(req).compose(r -> r.send(body)).compose(resp -> resp.body().map(b -> resp.statusCode()))
        .onComplete(ar -> {
          long ms = (System.nanoTime() - t0) / 1_000_000;
          boolean ok = ar.succeeded() && ar.result() / 100 == 2;
          JsonObject record = new JsonObject().put("id", id).put("event", kind).put("attempt", attempt)
            .put("ts", Epoch.now()).put("ms", ms).put("delivered", ok);
          if (ar.succeeded()) {
            record.put("status", ar.result());
          } else {
            record.put("error", String.valueOf(ar.cause().getMessage()));
          }
          boolean last = !ok && attempt >= ATTEMPTS;
          if (!ok && !last) {
            record.put("retry_in_s", retryMs(attempt) / 1000.0);
          }
          store.log(name, record).onFailure(err -> log.debug("webhook log not written: {}", err.toString()));
          if (ok) {
            return;
          }
          if (last) {
            log.warn("webhook '{}': {} {} not delivered after {} attempts", name, kind, id, attempt);
          } else {
            enqueue(name, kind, id, body, attempt + 1, retryMs(attempt));
          }
        });
    }).onFailure(err -> enqueue(name, kind, id, body, attempt, retryMs(attempt))); // Redis away: later
  }

  private long retryMs(int attempt) {
    return Math.min(MAX_RETRY_MS, firstRetryMs << Math.min(20, attempt - 1));
  }

  /** Hex HMAC-SHA256 of {@code body} with {@code secret}. */
  static String sign(String secret, Buffer body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(body.getBytes()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  // --- nodes ---------------------------------------------------------------------------------------

  /** Nodes that went offline or came back since the last check (none on the first, which only looks). */
  private void checkNodes() {
    nodes.nodes().onSuccess(list -> {
      for (JsonObject n : list) {
        String name = n.getString("name");
        String status = n.getString("status");
        String before = nodeStatus.put(name, status);
        if (!nodesSeen || before == null || before.equals(status)) {
          continue;
        }
        // The ids come from the node and when it was last seen: every monitor makes the same one.
        if ("down".equals(status)) {
          nodeLastSeen.put(name, n.getValue("last_seen"));
          event(new JsonObject().put("event", MonitorContract.NODE_OFFLINE).put("node", name)
            .put("last_seen", n.getValue("last_seen")).put("ts", Epoch.now()),
            MonitorContract.NODE_OFFLINE + "|" + name + "|" + n.getValue("last_seen"));
        } else if ("down".equals(before) && "up".equals(status)) {
          event(new JsonObject().put("event", MonitorContract.NODE_ONLINE).put("node", name).put("ts", Epoch.now()),
            MonitorContract.NODE_ONLINE + "|" + name + "|" + nodeLastSeen.remove(name));
        }
      }
      nodesSeen = true;
    }).onFailure(err -> log.debug("nodes not read for webhooks: {}", err.toString()));
  }

  /** For tests: the offline check at once. */
  void checkNodesNow() {
    checkNodes();
  }
}
