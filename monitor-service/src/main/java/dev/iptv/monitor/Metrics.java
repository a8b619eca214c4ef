package dev.iptv.monitor;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;

import java.util.EnumSet;

/**
 * Vert.x metrics on Micrometer with a Prometheus registry: what the launcher enables when it builds
 * Vert.x (embedded and clustered), and what {@code GET /metrics} scrapes.
 *
 * <p>Vert.x's own meters come with it: HTTP server requests with latency histograms labelled by
 * route, method and code (so playlist and live latency are {@code vertx_http_server_response_time_seconds}
 * with {@code route} of those paths), event bus, pools, JVM. The suite's own meters are in
 * {@link MonitorMeters}.
 */
public final class Metrics {

  /** The Micrometer registry name the launcher and monitor-service agree on. */
  public static final String REGISTRY = "iptv";

  private Metrics() {
  }

  /** Metrics options for {@link VertxOptions#setMetricsOptions}. */
  public static MicrometerMetricsOptions options() {
    return new MicrometerMetricsOptions()
      .setEnabled(true)
      .setRegistryName(REGISTRY)
      .setJvmMetricsEnabled(true)
      // Route, not path: paths carry tokens and channel ids (unbounded and secret).
      .setLabels(EnumSet.of(Label.HTTP_METHOD, Label.HTTP_CODE, Label.HTTP_ROUTE, Label.POOL_TYPE,
        Label.POOL_NAME, Label.EB_SIDE))
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true).setPublishQuantiles(true));
  }

  /** Vert.x options with metrics on. */
  public static VertxOptions vertxOptions() {
    return new VertxOptions().setMetricsOptions(options());
  }

  /** The factory to hand to {@code Vertx.builder().withMetrics(...)}, independent of service loading. */
  public static VertxMetricsFactory factory() {
    return new MicrometerMetricsFactory();
  }

  /** The registry Vert.x reports into, or null when this Vert.x runs without metrics. */
  static PrometheusMeterRegistry vertxRegistry() {
    MeterRegistry r = BackendRegistries.getNow(REGISTRY);
    return r instanceof PrometheusMeterRegistry p ? p : null;
  }

  /** A registry of our own, for a Vert.x built without metrics (the suite's meters only). */
  static PrometheusMeterRegistry standalone() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }
}
