package dev.iptv.server;

import dev.iptv.common.ClusterSettings;
import dev.iptv.common.Config;
import dev.iptv.common.HttpGuard;
import dev.iptv.common.HttpSettings;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.monitor.Metrics;
import dev.iptv.server.cluster.ClusterSecurity;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** A running suite: a Vert.x instance, its deployed services and, embedded, the front server. */
public final class Launch {

  private static final Logger log = LoggerFactory.getLogger(Launch.class);

  private final Vertx vertx;
  private final List<ServiceVerticle> services;
  private final int frontPort;

  private Launch(Vertx vertx, List<ServiceVerticle> services, int frontPort) {
    this.vertx = vertx;
    this.services = services;
    this.frontPort = frontPort;
  }

  public Vertx vertx() {
    return vertx;
  }

  public List<ServiceVerticle> services() {
    return services;
  }

  /** The all-in-one port actually bound (embedded), or -1. */
  public int frontPort() {
    return frontPort;
  }

  /**
   * Refuses to start without an admin token, except in demo mode ({@code IPTV_DEMO=true}), where
   * a random one is made and printed once.
   */
  static void checkAdminToken(JsonObject config) {
    String token = config.getString(Config.key(Config.ADMIN_TOKEN));
    if (token != null && !token.isBlank()) {
      if (token.length() < 16) {
        throw new IllegalStateException(Config.ADMIN_TOKEN + " is too short: use at least 16 characters");
      }
      return;
    }
    if (!Config.bool(config, Config.DEMO)) {
      throw new IllegalStateException(Config.ADMIN_TOKEN + " is not set: the admin API needs a bearer token."
        + " Set it (for example: export " + Config.ADMIN_TOKEN + "=$(openssl rand -hex 32)),"
        + " or set " + Config.DEMO + "=true to try the suite with a random one.");
    }
    byte[] raw = new byte[24];
    new SecureRandom().nextBytes(raw);
    String made = HexFormat.of().formatHex(raw);
    config.put(Config.key(Config.ADMIN_TOKEN), made);
    System.out.println("iptv: demo mode: the admin bearer token for this run is " + made);
  }

  /**
   * Vert.x's options for every mode: metrics, the native transport, and files resolved as named.
   * The suite names every file it serves or reads by its absolute path (HLS segments, playlists)
   * and reads its own resources from the class path itself: without class-path resolving Vert.x
   * takes a path as it is, where it would stat each file it sends first (one more system call per
   * segment served) and keep a cache folder in the temp directory.
   */
  static VertxOptions vertxOptions() {
    return Metrics.vertxOptions().setPreferNativeTransport(true)
      .setFileSystemOptions(new FileSystemOptions().setClassPathResolvingEnabled(false).setFileCachingEnabled(false));
  }

  /** The five services in one JVM, behind one router on IPTV_HTTP_PORT. */
  public static Future<Launch> embedded(JsonObject config) {
    Vertx vertx = Vertx.builder().with(vertxOptions()).withMetrics(Metrics.factory())
      .build();
    logTransport(vertx);
    return start(vertx, config, List.of("auth", "playlist", "stream", "monitor", "mirror"), null)
      .compose(services -> {
        HttpSettings http = HttpSettings.from(config);
        HttpGuard guard = HttpGuard.of(http);
        int port = http.httpPort();
        String host = http.bindHost();
        int loops = http.frontLoops();
        HttpServerOptions options = guard.options(new HttpServerOptions().setHost(host).setPort(port).setTcpNoDelay(true));
        // One HTTP verticle per event loop on the same port, each with its own router: Vert.x spreads
        // the connections over them, as nginx does over its workers (see ServiceVerticle's threading).
        return vertx.deployVerticle(() -> new FrontVerticle(services, options, guard), new DeploymentOptions().setInstances(loops))
          .map(id -> {
            int bound = FrontVerticle.boundPort(vertx);
            log.info("all-in-one server listening on {}:{} ({} event loops): panel API /api/users and /api/channels,"
              + " playlists /get_playlist.php?token=, dashboard http://localhost:{}/dashboard, health /api/health",
              host, bound, loops, bound);
            return new Launch(vertx, services, bound);
          });
      })
      .recover(err -> vertx.close().transform(ignored -> Future.failedFuture(err)));
  }

  /** The named services in this JVM, joined to the Hazelcast cluster, each on its own port. */
  public static Future<Launch> clustered(JsonObject config, List<String> names) {
    return join(config).compose(joined -> start(joined.vertx(), config, names, joined.manager())
      .map(services -> new Launch(joined.vertx(), services, -1))
      .recover(err -> joined.vertx().close().transform(ignored -> Future.failedFuture(err))));
  }

  /** A clustered Vert.x and its cluster manager. */
  record Joined(Vertx vertx, HazelcastClusterManager manager) {
  }

  /**
   * A Vert.x instance joined to the Hazelcast cluster of {@code config}, its event bus secured as
   * the settings say ({@link ClusterSecurity}).
   */
  static Future<Joined> join(JsonObject config) {
    HazelcastClusterManager manager;
    VertxOptions options;
    try {
      ClusterSettings cluster = ClusterSettings.from(config);
      clusterProperties(cluster);
      manager = new HazelcastClusterManager(ConfigUtil.loadConfig());
      options = vertxOptions().setEventBusOptions(ClusterSecurity.eventBus(cluster));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return Vertx.builder().with(options).withMetrics(Metrics.factory())
      .withClusterManager(manager).buildClustered()
      .onSuccess(Launch::logTransport)
      .map(vertx -> new Joined(vertx, manager));
  }

  /** Says which network transport this JVM runs on: epoll on Linux, NIO when the native one cannot load. */
  private static void logTransport(Vertx vertx) {
    if (vertx.isNativeTransportEnabled()) {
      log.info("network transport: native (epoll)");
    } else {
      log.warn("network transport: NIO (the native epoll transport is unavailable: {})",
        String.valueOf(vertx.unavailableNativeTransportCause()));
    }
  }

  /** Fills the ${...} of cluster.xml from the suite's configuration. */
  static void clusterProperties(ClusterSettings cluster) {
    System.setProperty("iptv.cluster.host", cluster.host());
    System.setProperty("iptv.cluster.port", Integer.toString(cluster.port()));
    System.setProperty("iptv.cluster.members", cluster.members());
    System.setProperty("iptv.cluster.name", ClusterSecurity.hazelcastName(cluster));
  }

  /** {@code cluster}: the cluster joined (each service on its own port), or null (embedded). */
  private static Future<List<ServiceVerticle>> start(Vertx vertx, JsonObject config, List<String> names,
                                                     ClusterManager cluster) {
    List<ServiceVerticle> services = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String name : names) {
      ServiceVerticle verticle = Main.service(name.trim(), cluster).get();
      JsonObject own = config.copy();
      if (cluster != null) {
        own.put(ServiceVerticle.SERVE_PORT, HttpSettings.servicePort(config, name.trim()));
      }
      chain = chain.compose(v -> vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(own)))
        .map(id -> {
          services.add(verticle);
          return null;
        });
    }
    return chain.map(v -> services);
  }

  /** Stops every service (they stop what they run) and the Vert.x instance. */
  public Future<Void> close() {
    return vertx.close();
  }
}
