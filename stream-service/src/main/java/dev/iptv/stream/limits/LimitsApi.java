package dev.iptv.stream.limits;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ApiException;
import dev.iptv.common.Http;
import dev.iptv.contract.ProviderContract;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * {@code /api/providers} and {@code /api/transcode-profiles} (admin bearer): list, create, read,
 * replace and delete. A provider's answer carries its running {@code streams}, counted across the
 * cluster. Changes apply to a channel when it next starts or reloads.
 *
 * <p>Bodies and path names are checked from openapi.yaml ({@code ProviderInput}, {@code ProviderUpdate},
 * {@code TranscodeProfileInput}, {@code TranscodeProfileUpdate}, {@code LimitName}); in code only what a
 * schema cannot hold: a PUT body's {@code name} must match the path, and a profile's cross-field rules
 * ({@link TranscodeProfile#fromBody}).
 */
public final class LimitsApi {

  private final LimitsStore store;
  private final String adminToken;

  public LimitsApi(LimitsStore store, String adminToken) {
    this.store = store;
    this.adminToken = adminToken;
  }

  /** Its routes; {@code document} checks their bodies and path names. */
  public void mount(Router router, ApiDocument document) {
    Handler<RoutingContext> admin = Http.adminAuth(adminToken);
    crud(router, admin, new Resource("/api/providers", ProviderContract.PROVIDERS_ALL, "provider", "Provider", document),
      (name, body) -> Provider.fromBody(name, body).toJson(), this::withStreams);
    crud(router, admin, new Resource("/api/transcode-profiles", ProviderContract.TRANSCODE_PROFILES, "transcode profile",
      "TranscodeProfile", document), (name, body) -> TranscodeProfile.fromBody(name, body).toJson(), Future::succeededFuture);
  }

  /** One resource: its path, Redis hash, its name in errors and the suffix of its operationIds. */
  private record Resource(String path, String hash, String what, String op, ApiDocument document) {

    JsonObject body(RoutingContext ctx, String verb) {
      return document.body(ctx, verb + op);
    }

    String name(RoutingContext ctx, String verb) {
      return document.pathParam(ctx, verb + op, "name");
    }
  }

  private void crud(Router router, Handler<RoutingContext> admin, Resource res,
                    BiFunction<String, JsonObject, JsonObject> check, Function<JsonObject, Future<JsonObject>> show) {
    String path = res.path();
    String hash = res.hash();
    String what = res.what();
    String plural = path.substring(path.lastIndexOf('/') + 1).replace('-', '_');
    router.get(path).handler(admin).handler(ctx -> store.api().hgetall(hash)
      .compose(r -> {
        List<Future<JsonObject>> items = new ArrayList<>();
        LimitsStore.parse(r, raw -> new JsonObject(raw)).values().forEach(o -> items.add(show.apply(o)));
        return Future.all(items).map(all -> new JsonObject().put(plural, new JsonArray(all.list())));
      })
      .onSuccess(body -> Http.sendJson(ctx, 200, body)).onFailure(ctx::fail));
    router.post(path).handler(admin).handler(Http.bodyHandler()).handler(ctx -> {
      JsonObject body = res.body(ctx, "create");
      String name = body.getString("name");
      JsonObject json = check.apply(name, body);
      store.write(hash, name, json, true)
        .compose(created -> created ? show.apply(json)
          : Future.failedFuture(new ApiException(409, "name: a " + what + " named " + name + " exists: PUT " + path + "/" + name)))
        .onSuccess(out -> Http.sendJson(ctx, 201, out)).onFailure(ctx::fail);
    });
    router.get(path + "/:name").handler(admin).handler(ctx -> {
      String name = res.name(ctx, "get");
      store.read(hash, name)
        .compose(raw -> raw == null ? Future.failedFuture(ApiException.notFound("no " + what + " named " + name))
          : show.apply(new JsonObject(raw)))
        .onSuccess(out -> Http.sendJson(ctx, 200, out)).onFailure(ctx::fail);
    });
    router.put(path + "/:name").handler(admin).handler(Http.bodyHandler()).handler(ctx -> {
      String name = res.name(ctx, "update");
      JsonObject body = res.body(ctx, "update");
      // Cross-field (body against path): not a schema's.
      if (body.containsKey("name") && !name.equals(body.getValue("name"))) {
        throw ApiException.badRequest("name: cannot be changed: it must match the path or be left out");
      }
      JsonObject json = check.apply(name, body);
      store.write(hash, name, json, false)
        .compose(found -> found ? show.apply(json) : Future.failedFuture(ApiException.notFound("no " + what + " named " + name)))
        .onSuccess(out -> Http.sendJson(ctx, 200, out)).onFailure(ctx::fail);
    });
    router.delete(path + "/:name").handler(admin).handler(ctx -> {
      String name = res.name(ctx, "delete");
      store.delete(hash, name)
        .compose(found -> found ? Future.succeededFuture(new JsonObject().put("deleted", name))
          : Future.failedFuture(ApiException.notFound("no " + what + " named " + name)))
        .onSuccess(out -> Http.sendJson(ctx, 200, out)).onFailure(ctx::fail);
    });
  }

  /** A provider with its running streams. */
  private Future<JsonObject> withStreams(JsonObject provider) {
    return store.streams(provider.getString(Provider.NAME)).map(n -> provider.copy().put("streams", n));
  }
}
