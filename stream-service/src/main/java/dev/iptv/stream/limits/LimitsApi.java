package dev.iptv.stream.limits;

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
 */
public final class LimitsApi {

  private final LimitsStore store;
  private final String adminToken;

  public LimitsApi(LimitsStore store, String adminToken) {
    this.store = store;
    this.adminToken = adminToken;
  }

  public void mount(Router router) {
    Handler<RoutingContext> admin = Http.adminAuth(adminToken);
    crud(router, admin, "/api/providers", ProviderContract.PROVIDERS_ALL, "provider",
      (name, body) -> Provider.fromBody(name, body).toJson(), this::withStreams);
    crud(router, admin, "/api/transcode-profiles", ProviderContract.TRANSCODE_PROFILES, "transcode profile",
      (name, body) -> TranscodeProfile.fromBody(name, body).toJson(), Future::succeededFuture);
  }

  private void crud(Router router, Handler<RoutingContext> admin, String path, String hash, String what,
                    BiFunction<String, JsonObject, JsonObject> check, Function<JsonObject, Future<JsonObject>> show) {
    String plural = path.substring(path.lastIndexOf('/') + 1).replace('-', '_');
    router.get(path).handler(admin).handler(ctx -> store.api().hgetall(hash)
      .compose(r -> {
        List<Future<JsonObject>> items = new ArrayList<>();
        LimitsStore.parse(r, raw -> new JsonObject(raw)).values().forEach(o -> items.add(show.apply(o)));
        return Future.all(items).map(all -> new JsonObject().put(plural, new JsonArray(all.list())));
      })
      .onSuccess(body -> Http.sendJson(ctx, 200, body)).onFailure(ctx::fail));
    router.post(path).handler(admin).handler(Http.bodyHandler()).handler(ctx -> {
      JsonObject body = Http.jsonBody(ctx);
      String name = body.getValue("name") instanceof String s ? s : "";
      JsonObject json = check.apply(name, body);
      store.write(hash, name, json, true)
        .compose(created -> created ? show.apply(json)
          : Future.failedFuture(new ApiException(409, "name: a " + what + " named " + name + " exists: PUT " + path + "/" + name)))
        .onSuccess(out -> Http.sendJson(ctx, 201, out)).onFailure(ctx::fail);
    });
    router.get(path + "/:name").handler(admin).handler(ctx -> {
      String name = name(ctx, what);
      store.read(hash, name)
        .compose(raw -> raw == null ? Future.failedFuture(ApiException.notFound("no " + what + " named " + name))
          : show.apply(new JsonObject(raw)))
        .onSuccess(out -> Http.sendJson(ctx, 200, out)).onFailure(ctx::fail);
    });
    router.put(path + "/:name").handler(admin).handler(Http.bodyHandler()).handler(ctx -> {
      String name = name(ctx, what);
      JsonObject body = Http.jsonBody(ctx);
      if (body.containsKey("name") && !name.equals(body.getValue("name"))) {
        throw ApiException.badRequest("name: cannot be changed: it must match the path or be left out");
      }
      JsonObject json = check.apply(name, body);
      store.write(hash, name, json, false)
        .compose(found -> found ? show.apply(json) : Future.failedFuture(ApiException.notFound("no " + what + " named " + name)))
        .onSuccess(out -> Http.sendJson(ctx, 200, out)).onFailure(ctx::fail);
    });
    router.delete(path + "/:name").handler(admin).handler(ctx -> {
      String name = name(ctx, what);
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

  private static String name(RoutingContext ctx, String what) {
    String name = ctx.pathParam("name");
    if (!ProviderContract.isName(name)) {
      throw ApiException.badRequest("name: the " + what + " name in the path must be " + ProviderContract.NAME_RULE);
    }
    return name;
  }
}
