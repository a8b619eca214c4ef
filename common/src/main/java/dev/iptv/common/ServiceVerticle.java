package dev.iptv.common;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service of the suite: it builds its {@link Router} and, when its config names a port, serves
 * it on its own HTTP server (the clustered mode, one JVM per service), with the timeouts and the
 * connection cap of {@link HttpGuard}. In the all-in-one server the
 * port is absent and the launcher mounts {@link #router()} on the shared front router instead.
 */
public abstract class ServiceVerticle extends VerticleBase {

  /** Config key naming the port this verticle serves its router on; absent or 0: not served. */
  public static final String SERVE_PORT = "serve.port";

  private static final Logger log = LoggerFactory.getLogger(ServiceVerticle.class);

  private Router router;
  private HttpServer server;
  private ClientAddress clients;

  /** The service's name, for logs and health. */
  public abstract String name();

  /** Prepares clients and consumers, then returns the service's routes. */
  protected abstract Future<Router> setUp();

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
      router = r;
      int port = config().getInteger(SERVE_PORT, 0);
      if (port <= 0) {
        // Mounted on the all-in-one front: unknown paths fall through to the next service.
        Http.installFailureHandler(router);
        return Future.succeededFuture();
      }
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

  /**
   * A first route handler that moves the rest of the request's handling onto this verticle's own
   * event loop. The all-in-one front serves every router from several event loops; a service whose
   * handlers read state that its timers and consumers also change puts this first on those routes,
   * so that state stays confined to one thread. Meant for routes without a request body. It is a
   * {@link PlatformHandler}, so Vert.x Web lets it come before the admin bearer check.
   */
  protected final Handler<RoutingContext> onOwnContext() {
    Context own = context;
    return (PlatformHandler) ctx -> {
      if (Vertx.currentContext() instanceof ContextInternal current && current.unwrap() == own) {
        ctx.next();
        return;
      }
      ctx.request().pause();
      own.runOnContext(v -> {
        ctx.request().resume();
        ctx.next();
      });
    };
  }

  /** The viewer's address of a request, by the suite's one rule ({@link ClientAddress}). */
  protected final String clientIp(HttpServerRequest req) {
    return clients.of(req);
  }

  /** The service's routes; valid once started. */
  public Router router() {
    return router;
  }

  /** The port the own server listens on, or -1. */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }
}
