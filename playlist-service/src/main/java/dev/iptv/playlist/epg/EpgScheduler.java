package dev.iptv.playlist.epg;

import dev.iptv.contract.EpgContract.ImportStatus;
import dev.iptv.contract.EpgContract.Source;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Refreshes sources on schedule. Every instance looks every {@code IPTV_EPG_CHECK_S} seconds for
 * sources due: never imported, last import started {@code refresh_hours} ago,
 * or last import failed and {@link #RETRY_AFTER_FAILURE} (or {@code refresh_hours}, if shorter)
 * has passed. A due source is imported by whichever instance takes its lock first; that instance
 * checks again under the lock, so a source another instance has just refreshed is not fetched twice.
 */
final class EpgScheduler {

  private static final Logger log = LoggerFactory.getLogger(EpgScheduler.class);
  static final Duration RETRY_AFTER_FAILURE = Duration.ofMinutes(30);

  private final Vertx vertx;
  private final EpgSources sources;
  private final EpgImporter importer;
  private final long periodMs;
  private long timer = -1;
  private boolean checking;

  EpgScheduler(Vertx vertx, EpgSources sources, EpgImporter importer, long periodMs) {
    this.vertx = vertx;
    this.sources = sources;
    this.importer = importer;
    this.periodMs = periodMs;
  }

  void start() {
    timer = vertx.setPeriodic(periodMs, t -> check());
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** When the source is due, judged from its last import. */
  static boolean due(Source source, ImportStatus last, Instant now) {
    if (last == null || last.started() == null) {
      return true;
    }
    Duration every = Duration.ofHours(source.refreshHours());
    Duration wait = last.ok() ? every : (every.compareTo(RETRY_AFTER_FAILURE) < 0 ? every : RETRY_AFTER_FAILURE);
    return !now.isBefore(last.started().plus(wait));
  }

  /** One look: starts the due sources' imports (the lock decides who imports). */
  Future<Void> check() {
    if (checking) {
      return Future.succeededFuture();
    }
    checking = true;
    return sources.names().compose(sources::views).map(views -> {
      Instant now = Instant.now();
      List<String> started = new ArrayList<>();
      for (EpgSources.View v : views) {
        String name = v.source().name();
        if (v.importing() == null && !importer.importing(name) && due(v.source(), v.lastImport(), now)) {
          started.add(name);
          importer.start(name, true);
        }
      }
      if (!started.isEmpty()) {
        log.debug("EPG sources due: {}", started);
      }
      return (Void) null;
    }).onFailure(err -> log.warn("EPG schedule check failed: {}", err.toString()))
      .eventually(() -> {
        checking = false;
        return Future.succeededFuture();
      });
  }
}
