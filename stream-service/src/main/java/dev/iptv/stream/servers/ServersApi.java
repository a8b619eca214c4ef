package dev.iptv.stream.servers;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.Http;
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
  private ApiDocument document;

  public ServersApi(Servers servers, String adminToken) {
    this.servers = servers;
    this.adminToken = adminToken;
  }

  /** Its routes; {@code document} (openapi.yaml) checks the bodies and path names before {@link ServerSpec} reads them. */
  public void mount(Router router, ApiDocument document) {
    this.document = document;
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
    servers.register(document.body(ctx, "createServer")).onSuccess(body -> Http.sendJson(ctx, 201, body)).onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    servers.get(document.pathParam(ctx, "getServer", "name")).onSuccess(body -> Http.sendJson(ctx, 200, body)).onFailure(ctx::fail);
  }

  private void update(RoutingContext ctx) {
    String name = document.pathParam(ctx, "updateServer", "name");
    servers.update(name, document.body(ctx, "updateServer")).onSuccess(body -> Http.sendJson(ctx, 200, body)).onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    String name = document.pathParam(ctx, "deleteServer", "name");
    servers.delete(name).onSuccess(v -> Http.sendJson(ctx, 200, new io.vertx.core.json.JsonObject().put("deleted", name)))
      .onFailure(ctx::fail);
  }
}
