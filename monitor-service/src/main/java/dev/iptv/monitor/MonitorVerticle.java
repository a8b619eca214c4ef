package dev.iptv.monitor;

import dev.iptv.common.Config;
import dev.iptv.common.Http;
import dev.iptv.common.OnContext;
import dev.iptv.common.RedisSupport;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.monitor.dashboard.DashboardVerticle;
import dev.iptv.monitor.docs.ApiDocs;
import dev.iptv.monitor.health.HealthStatsVerticle;
import dev.iptv.monitor.history.HistoryVerticle;
import dev.iptv.monitor.segments.SegmentAccountingVerticle;
import dev.iptv.monitor.webhooks.WebhookVerticle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Redis;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * monitor-service: health of the suite and its dependencies, the cluster's stats, Prometheus
 * metrics, the live dashboard, the bytes segments served and the history in PostgreSQL (SPEC
 * sections 1 and 4). One verticle per concern, each in its package with the state it owns on its
 * own event loop; this one only deploys them and puts their routes on the service's one router:
 *
 * <ul>
 *   <li>{@link HistoryVerticle} ({@code history}): {@code GET /api/history/streams|viewers|events};</li>
 *   <li>{@link SegmentAccountingVerticle} ({@code segments}): nginx's segment log and the JVMs'
 *       segment records, bytes per channel, the viewer directory;</li>
 *   <li>{@link HealthStatsVerticle} ({@code health}, with {@code nodes}): {@code GET /api/health}
 *       (open), {@code GET /api/stats}, {@code GET /metrics} (admin bearer unless
 *       {@code IPTV_METRICS_PUBLIC=true}), the node report and the stream census;</li>
 *   <li>{@link WebhookVerticle} ({@code webhooks}): {@code /api/webhooks} and the signed POSTs of
 *       every event to the operator's receivers;</li>
 *   <li>{@link DashboardVerticle} ({@code dashboard}): {@code GET /dashboard} (the page; it asks for
 *       the admin token) and {@code GET /api/events/stream} (its server-sent events);</li>
 *   <li>{@link ApiDocs}: {@code GET /api/openapi.yaml} and {@code GET /api/docs}, the API's document
 *       (the repository's {@code openapi.yaml}) and its reference page.</li>
 * </ul>
 *
 * <p>The routes run on whichever event loop serves the request (this verticle's own server in
 * cluster mode, the all-in-one front's loops): they read state safe from any thread (immutable
 * snapshots behind volatile fields) or reach the owning verticle's loop ({@link OnContext}); the
 * mirror's status comes over the event bus from mirror-service. The Redis client and the meters
 * are shared by the parts (both safe from any thread) and closed here, after the parts stopped.
 */
public class MonitorVerticle extends ServiceVerticle {

  private static final Logger log = LoggerFactory.getLogger(MonitorVerticle.class);

  private final ClusterManager cluster;
  private Redis redis;
  private PrometheusMeterRegistry registry;
  private boolean ownRegistry;
  private MonitorMeters meters;
  private MonitorSettings settings;
  private HealthStatsVerticle health;
  private ApiDocs docs;
  private DashboardVerticle dashboard;
  private HistoryVerticle history;
  private WebhookVerticle webhooks;

  /** A monitor in a standalone Vert.x. */
  public MonitorVerticle() {
    this(null);
  }

  /** @param cluster the cluster this JVM joined (health shows its members), or null */
  public MonitorVerticle(ClusterManager cluster) {
    this.cluster = cluster;
  }

  @Override
  public String name() {
    return "monitor-service";
  }

  @Override
  protected Future<?> setUp() {
    try {
      settings = MonitorSettings.from(config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    redis = RedisSupport.client(vertx, settings.redisUrl());
    registry = Metrics.vertxRegistry();
    ownRegistry = registry == null;
    if (ownRegistry) {
      registry = Metrics.standalone();
      log.info("Vert.x metrics are not enabled in this JVM: /metrics serves the suite's own meters only");
    }
    meters = new MonitorMeters(registry);
    history = new HistoryVerticle(settings);
    SegmentAccountingVerticle segments = new SegmentAccountingVerticle(settings, redis, meters, history);
    return vertx.executeBlocking(() -> Config.effective(config(), Config.NODE_NAME), false).compose(node -> {
      health = new HealthStatsVerticle(settings, node, redis, meters, registry, cluster, history, segments);
      return deploy(history).compose(v -> deploy(segments)).compose(v -> deploy(health))
        .compose(v -> {
          dashboard = new DashboardVerticle(node, health.census(), health.nodes(), history);
          return deploy(dashboard);
        })
        .compose(v -> {
          webhooks = new WebhookVerticle(redis, health.nodes());
          return deploy(webhooks);
        })
        .compose(v -> ApiDocs.load(vertx).onSuccess(d -> docs = d))
        .onSuccess(v -> log.info("monitor-service ready on node {} (history {}, metrics registry {})", node,
          history.on() ? "on: " + history.db().where() : history.db() != null ? "waiting for PostgreSQL" : "off",
          ownRegistry ? "standalone" : Metrics.REGISTRY));
    });
  }

  @Override
  protected void routes(Router router) {
    Handler<RoutingContext> admin = Http.adminAuth(settings.adminToken());
    health.routes(router, admin);
    dashboard.routes(router, admin);
    history.routes(router, admin);
    webhooks.routes(router, admin);
    docs.routes(router);
  }

  /** A part, deployed from here: Vert.x undeploys it with this verticle (or when this one fails to start). */
  private Future<String> deploy(Deployable part) {
    return vertx.deployVerticle(part, new DeploymentOptions().setConfig(config()));
  }

  /** The parts (deployed from here) are stopped by Vert.x before this; then what they shared goes. */
  @Override
  protected Future<?> tearDown() {
    if (meters != null) {
      meters.close();
    }
    if (ownRegistry && registry != null) {
      registry.close();
    }
    if (redis != null) {
      redis.close();
    }
    return Future.succeededFuture();
  }
}
