package dev.iptv.server;

import dev.iptv.common.Http;
import dev.iptv.common.HttpGuard;
import dev.iptv.common.ServiceVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.ext.web.Router;

import java.util.List;

/**
 * One event loop of the all-in-one front: an HTTP server on IPTV_HTTP_PORT with its own router,
 * which mounts every service's routes ({@link ServiceVerticle#mountable}). Deployed once per loop;
 * Vert.x shares the port among the instances and hands each new connection to the next one. The
 * instances share one {@link HttpGuard}: timeouts, and one connection cap for the port.
 */
final class FrontVerticle extends VerticleBase {

  private static final String PORTS = "iptv.front.ports";
  private static final String STREAM = "stream-service";

  private final List<ServiceVerticle> services;
  private final HttpServerOptions options;
  private final HttpGuard guard;
  private HttpServer server;

  /** {@code guard} is shared by every instance: one connection cap for the port. */
  FrontVerticle(List<ServiceVerticle> services, HttpServerOptions options, HttpGuard guard) {
    this.services = List.copyOf(services);
    this.options = options;
    this.guard = guard;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    for (ServiceVerticle s : playersFirst(services)) {
      router.route("/*").subRouter(s.mountable(vertx));
    }
    Http.installErrorHandler(router);
    guard.watch(router);
    return guard.install(vertx, vertx.createHttpServer(new HttpServerOptions(options)))
      .requestHandler(router)
      .listen()
      .onSuccess(s -> {
        server = s;
        ports(vertx).put("port", s.actualPort());
      });
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  /**
   * The services in mounting order: stream-service first, the others as given. The players' hot
   * paths (live polls, segments) are its own, and no other service serves a path of its: a poll or
   * a segment is matched without first walking every route of the panel and playlist services.
   */
  static List<ServiceVerticle> playersFirst(List<ServiceVerticle> services) {
    List<ServiceVerticle> ordered = new java.util.ArrayList<>(services);
    ordered.sort(java.util.Comparator.comparing(s -> !STREAM.equals(s.name()))); // stable: the rest keep their order
    return ordered;
  }

  /** The port the instances share, once one has bound. */
  static int boundPort(Vertx vertx) {
    Integer port = ports(vertx).get("port");
    return port == null ? -1 : port;
  }

  private static LocalMap<String, Integer> ports(Vertx vertx) {
    return vertx.sharedData().getLocalMap(PORTS);
  }
}
