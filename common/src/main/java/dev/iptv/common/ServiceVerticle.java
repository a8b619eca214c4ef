package dev.iptv.common;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service of the suite: it sets up its state ({@link #setUp()}, on its own context) and declares
 * its routes ({@link #routes(Router)}). When its config names a port it serves them on its own HTTP
 * server (the clustered mode, one JVM per service), with the timeouts and the connection cap of
 * {@link HttpGuard}. In the all-in-one server the port is absent: the front deploys one HTTP verticle
 * per event loop, and each instance builds its own router with {@link #mountable(Vertx)}.
 *
 * <p>Threading: {@link #routes(Router)} may be called from any context, once per router, and its
 * handlers run on the loop of the server that received the request. What they touch of the
 * service's state is safe from any thread (an immutable snapshot behind a volatile field, a
 * concurrent map) or is reached on the service's own context ({@link OnContext}) or over the event
 * bus. Consumers and timers run on the service's context.
 */
public abstract class ServiceVerticle extends VerticleBase {

  /** Config key naming the port this verticle serves its router on; absent or 0: not served. */
  public static final String SERVE_PORT = "serve.port";

  private static final Logger log = LoggerFactory.getLogger(ServiceVerticle.class);

  private HttpServer server;
  private ClientAddress clients;

  /** The service's name, for logs and health. */
  public abstract String name();

  /** Prepares clients, consumers and timers, on the service's own context. */
  protected abstract Future<?> setUp();

  /**
   * Adds the service's routes to {@code router}. Called after {@link #setUp()}, once per router
   * (its own server's, or each front event loop's): it creates handlers, never state the service
   * keeps.
   */
  protected abstract void routes(Router router);

  /** Releases what {@link #setUp()} acquired. */
  protected Future<?> tearDown() {
    return Future.succeededFuture();
  }

  @Override
  public final Future<?> start() {
    try {
      // Behind the local nginx front when serving its own port; the all-in-one front is the edge.
      clients = ClientAddress.from(config(), config().getInteger(SERVE_PORT, 0) > 0);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return setUp().compose(r -> {
      int port = config().getInteger(SERVE_PORT, 0);
      if (port <= 0) {
        return Future.succeededFuture(); // mounted on the all-in-one front (see mountable)
      }
      Router router = Router.router(vertx);
      routes(router);
      Http.installErrorHandler(router);
      HttpSettings http;
      try {
        http = HttpSettings.from(config());
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(e);
      }
      String host = http.bindHost();
      HttpGuard guard = HttpGuard.of(http);
      guard.watch(router);
      return guard.install(vertx, vertx.createHttpServer(guard.options(new HttpServerOptions().setCompressionSupported(false)
          .setTcpNoDelay(true).setHost(host).setPort(port))))
        .requestHandler(router)
        .listen()
        .onSuccess(s -> {
          server = s;
          log.info("{} listening on {}:{}", name(), host, s.actualPort());
        });
    });
  }

  @Override
  public final Future<?> stop() {
    Future<?> closing = server == null ? Future.succeededFuture() : server.close();
    return closing.eventually(this::tearDown);
  }

  /** The viewer's address of a request, by the suite's one rule ({@link ClientAddress}). */
  protected final String clientIp(HttpServerRequest req) {
    return clients.of(req);
  }

  /**
   * A new router holding the service's routes, for a front to mount under "/*": paths it does not
   * serve fall through to the next service. Valid once started; one per front event loop, built on
   * that loop ({@code vertx} is the front's).
   */
  public final Router mountable(Vertx vertx) {
    Router router = Router.router(vertx);
    routes(router);
    Http.installFailureHandler(router);
    return router;
  }

  /** The port the own server listens on, or -1. */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
