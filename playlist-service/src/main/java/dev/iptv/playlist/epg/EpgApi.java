package dev.iptv.playlist.epg;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ApiException;
import dev.iptv.common.Http;
import dev.iptv.contract.EpgContract;
import dev.iptv.contract.EpgContract.Source;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;

/**
 * The EPG sources API (openapi.yaml, tag {@code epg}), behind the admin bearer:
 * <ul>
 *   <li>{@code GET /api/epg/sources}: {@code 200 {"sources": [...], "count"}}, by name, each
 *       {@code {"name", "url", "refresh_hours", "created_at", "last_import", "importing"}}.</li>
 *   <li>{@code POST /api/epg/sources} {@code {"name", "url", "refresh_hours"}}: {@code 201} the
 *       source, and its first import starts; {@code 400} naming the field; {@code 409} if the name
 *       exists.</li>
 *   <li>{@code GET /api/epg/sources/{name}}: {@code 200} the source as listed; {@code 404}.</li>
 *   <li>{@code DELETE /api/epg/sources/{name}}: {@code 200 {"deleted"}}, its guide is gone; {@code 404}.</li>
 *   <li>{@code POST /api/epg/sources/{name}/refresh}: {@code 202 {"source", "import": "started"}}, or
 *       {@code "running"} when an import of it is already in flight somewhere; {@code 404}.</li>
 * </ul>
 */
final class EpgApi {

  private static final Logger log = LoggerFactory.getLogger(EpgApi.class);

  private final Vertx vertx;
  private final EpgSources sources;
  private final EpgImporter importer;
  private ApiDocument document;

  EpgApi(Vertx vertx, EpgSources sources, EpgImporter importer) {
    this.vertx = vertx;
    this.sources = sources;
    this.importer = importer;
  }

  void mount(Router router, Handler<RoutingContext> admin, BodyHandler body, ApiDocument document) {
    this.document = document;
    router.get("/api/epg/sources").handler(admin).handler(this::list);
    router.post("/api/epg/sources").handler(admin).handler(body).handler(this::create);
    router.get("/api/epg/sources/:name").handler(admin).handler(this::get);
    router.delete("/api/epg/sources/:name").handler(admin).handler(this::delete);
    router.post("/api/epg/sources/:name/refresh").handler(admin).handler(this::refresh);
  }

  private void list(RoutingContext ctx) {
    sources.names().compose(sources::views).onSuccess(views -> {
      JsonArray out = new JsonArray();
      views.forEach(v -> out.add(v.toJson()));
      Http.sendJson(ctx, 200, new JsonObject().put("sources", out).put("count", out.size()));
    }).onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    String name = name(ctx);
    sources.views(List.of(name)).onSuccess(views -> {
      if (views.isEmpty()) {
        ctx.fail(notFound(name));
      } else {
        Http.sendJson(ctx, 200, views.get(0).toJson());
      }
    }).onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    Source source = SourceInput.parse(document.body(ctx, "createEpgSource"), Instant.now());
    sources.create(source).onSuccess(created -> {
      if (!created) {
        ctx.fail(ApiException.conflict("EPG source " + source.name() + " already exists"));
        return;
      }
      log.info("EPG source {} added: {} every {} h", source.name(), SourceInput.forLogs(source.url()), source.refreshHours());
      Http.sendJson(ctx, 201, source.toJson());
      importer.start(source.name()).onFailure(err -> log.warn("EPG source {}: first import not started: {}",
        source.name(), err.toString()));
    }).onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    String name = name(ctx);
    sources.delete(name).onSuccess(generations -> {
      if (generations == null) {
        ctx.fail(notFound(name));
        return;
      }
      log.info("EPG source {} deleted", name);
      Http.sendJson(ctx, 200, new JsonObject().put("deleted", name));
      generations.forEach(g -> GuideData.drop(sources.client(), g).onFailure(err ->
        log.warn("EPG source {}: generation {} not deleted ({}); its keys expire by themselves", name, g, err.toString())));
    }).onFailure(ctx::fail);
  }

  private void refresh(RoutingContext ctx) {
    String name = name(ctx);
    sources.find(name).compose(source -> {
      if (source == null) {
        throw notFound(name);
      }
      return importer.start(name);
    }).onSuccess(run -> Http.sendJson(ctx, 202, new JsonObject().put("source", name)
      .put("import", run == null ? "running" : "started"))).onFailure(ctx::fail);
  }

  /**
   * The path's name; one that cannot be a source name is simply unknown (404, as documented: a code
   * check because the document's path checks answer 400).
   */
  private static String name(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (!EpgContract.isName(name)) {
      throw ApiException.notFound("no such EPG source");
    }
    return name;
  }

  private static ApiException notFound(String name) {
    return ApiException.notFound("no EPG source " + name);
  }
}
