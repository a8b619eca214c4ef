package dev.iptv.stream.servers;

import dev.iptv.common.ApiException;
import dev.iptv.common.Http;
import dev.iptv.contract.ServerContract;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code /api/servers} (openapi.yaml, tag {@code servers}; admin bearer): list, register, read, change and delete SSH
 * servers; stream nodes are listed too but are not registered here. {@code ssh_private_key} and
 * {@code ssh_password} are accepted and never answered.
 */
public final class ServersApi {

  private final Servers servers;
  private final String adminToken;

  public ServersApi(Servers servers, String adminToken) {
    this.servers = servers;
    this.adminToken = adminToken;
  }

  public void mount(Router router, dev.iptv.common.ApiDocument document) {
    Handler<RoutingContext> admin = Http.adminAuth(adminToken);
    router.get("/api/servers").handler(admin).handler(this::list);
    router.post("/api/servers").handler(admin).handler(Http.bodyHandler()).handler(this::create);
    router.get("/api/servers/:name").handler(admin).handler(this::get);
    router.put("/api/servers/:name").handler(admin).handler(Http.bodyHandler()).handler(this::update);
    router.delete("/api/servers/:name").handler(admin).handler(this::delete);
  }

  private void list(RoutingContext ctx) {
    servers.list().onSuccess(body -> Http.sendJson(ctx, 200, body)).onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    servers.register(Http.jsonBody(ctx)).onSuccess(body -> Http.sendJson(ctx, 201, body)).onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    servers.get(name(ctx)).onSuccess(body -> Http.sendJson(ctx, 200, body)).onFailure(ctx::fail);
  }

  private void update(RoutingContext ctx) {
    String name = name(ctx);
    servers.update(name, Http.jsonBody(ctx)).onSuccess(body -> Http.sendJson(ctx, 200, body)).onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    String name = name(ctx);
    servers.delete(name).onSuccess(v -> Http.sendJson(ctx, 200, new io.vertx.core.json.JsonObject().put("deleted", name)))
      .onFailure(ctx::fail);
  }

  private static String name(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (!ServerContract.isName(name)) {
      throw ApiException.badRequest("name: the server name in the path must be 1-64 letters, digits, '_', '.', '-'");
    }
    return name;
  }
}
