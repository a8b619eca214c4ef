package dev.iptv.playlist.epg;

import dev.iptv.common.ApiDocument;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.Redis;

/**
 * The EPG inside playlist-service: guide sources and their API ({@link EpgApi}), imports
 * ({@link EpgImporter}) on schedule ({@link EpgScheduler}), and the guide for serving
 * ({@link #store()}: now/next, windows, the XMLTV document).
 *
 * <pre>
 *   epg = Epg.start(vertx, redisClient, config()).mount(router, adminHandler, bodyHandler, document);
 *   ...
 *   epg.store().upcoming(epgChannelId, Instant.now(), 4);
 *   epg.close();
 * </pre>
 */
public final class Epg {

  private final EpgSources sources;
  private final EpgImporter importer;
  private final EpgScheduler scheduler;
  private final EpgStore store;
  private final EpgApi api;

  private Epg(Vertx vertx, Redis client, EpgSettings settings) {
    sources = new EpgSources(client);
    importer = new EpgImporter(vertx, sources, settings);
    scheduler = new EpgScheduler(vertx, sources, importer, settings.checkMs());
    store = new EpgStore(vertx, sources, settings);
    api = new EpgApi(vertx, sources, importer);
  }

  /**
   * Starts the EPG on the caller's context with the service's Redis client and config; fails
   * (IllegalArgumentException) naming a bad {@code IPTV_EPG_*} setting.
   */
  public static Epg start(Vertx vertx, Redis client, JsonObject config) {
    Epg epg = new Epg(vertx, client, EpgSettings.from(config));
    epg.scheduler.start();
    return epg;
  }

  /** Adds the {@code /api/epg/sources} routes, each behind {@code admin}; {@code document} checks their bodies. */
  public Epg mount(Router router, Handler<RoutingContext> admin, BodyHandler body, ApiDocument document) {
    api.mount(router, admin, body, document);
    return this;
  }

  /** The guide, for serving. */
  public EpgStore store() {
    return store;
  }

  /** Imports on demand (the API's refresh uses it). */
  public EpgImporter importer() {
    return importer;
  }

  /** Stops the schedule and every import in flight (their new data is dropped, the guide in use stays). */
  public Future<Void> close() {
    scheduler.stop();
    return importer.close();
  }
}
