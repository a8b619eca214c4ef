package dev.iptv.monitor.docs;

import dev.iptv.common.ApiDocument;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The API's document and its reference page, for panel developers: {@code GET /api/openapi.yaml}
 * (the repository's {@code openapi.yaml} as written) and {@code GET /api/docs} (the page rendered from
 * it, {@link ReferencePage}), both without the bearer: they describe the API, they hold no data.
 * Both are made once at start on a worker thread and served from memory on any event loop.
 */
public final class ApiDocs {

  public static final String YAML_PATH = "/api/openapi.yaml";
  public static final String PAGE_PATH = "/api/docs";

  private final Buffer yaml;
  private final Buffer page;

  private ApiDocs(Buffer yaml, Buffer page) {
    this.yaml = yaml;
    this.page = page;
  }

  /** The document read and its page rendered, off the event loop. */
  public static Future<ApiDocs> load(Vertx vertx) {
    return ApiDocument.load(vertx).compose(doc -> vertx.executeBlocking(
      () -> new ApiDocs(doc.yaml(), Buffer.buffer(ReferencePage.render(doc.document()))), false));
  }

  public void routes(Router router) {
    router.get(YAML_PATH).handler(ctx -> send(ctx, "application/yaml; charset=utf-8", yaml));
    router.get(PAGE_PATH).handler(ctx -> send(ctx, "text/html; charset=utf-8", page));
  }

  private static void send(RoutingContext ctx, String type, Buffer body) {
    ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, type).putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
      .putHeader("Access-Control-Allow-Origin", "*").end(body);
  }
}
