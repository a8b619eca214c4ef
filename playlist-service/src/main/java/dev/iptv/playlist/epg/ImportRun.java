package dev.iptv.playlist.epg;

import dev.iptv.common.LuaScript;
import dev.iptv.contract.EpgContract;
import dev.iptv.contract.EpgContract.ImportEvent;
import dev.iptv.contract.EpgContract.ImportProgress;
import dev.iptv.contract.EpgContract.ImportStatus;
import dev.iptv.contract.EpgContract.Source;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.xml.stream.XMLStreamException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One import of one source, started holding the source's lock:
 * <ol>
 *   <li>our channels' XMLTV ids are read, and a new generation number is taken;</li>
 *   <li>the guide is downloaded and parsed as it arrives (gzip recognised by content) on a worker
 *       thread; kept programmes go to Redis in pipelined batches of {@value GuideBatches#BATCH}, one batch in
 *       flight while the next is parsed, under the new generation's keys;</li>
 *   <li>when the whole document was read, one Lua step makes the new generation the one readers use
 *       and records the status; the previous generation is deleted {@value #GRACE_MS} ms later
 *       (readers that started before the switch finish on it);</li>
 *   <li>a connection closed before the guide's end is downloaded again at once (three tries in all);</li>
 *   <li>on any failure (HTTP error, timeout, too large, garbage, a cut-off gzip, an entity, no
 *       programme at all, the lock lost) the new generation is deleted and the previous guide stays.</li>
 * </ol>
 * Every second the progress is written to {@code epg:source:{name}:progress} and published on
 * {@link EpgContract#EVENTS}; every {@value #RENEW_EVERY_TICKS} s the lock is renewed.
 */
public final class ImportRun {

  private static final Logger log = LoggerFactory.getLogger(ImportRun.class);
  private static final LuaScript SWITCH = LuaScript.resource(ImportRun.class, "lua/import_switch.lua");
  private static final LuaScript FAIL = LuaScript.resource(ImportRun.class, "lua/import_fail.lua");

  static final int ATTEMPTS = 3;
  static final long GRACE_MS = 120_000;
  static final int RENEW_EVERY_TICKS = 10;
  static final Duration MAX_DURATION = Duration.ofHours(3);
  /** Distinct channel ids remembered as "seen" at most (a hostile guide could name millions). */
  static final int MAX_SEEN = 200_000;

  private final EpgImporter importer;
  private final String name;
  private final String holder;
  private final boolean scheduled;
  private final Context context;
  private final Redis client;
  private final Promise<ImportStatus> done = Promise.promise();
  private final Instant started = Instant.now();

  private Source source;
  private long generation;
  private long ticker = -1;
  private int ticks;
  private Set<String> wanted = Set.of();
  private final Set<String> seen = new HashSet<>();
  private volatile String cancelled;
  private volatile GuideInput input;
  private volatile GuideDecoder.Capped xml;
  private volatile XmltvReader reader;
  private volatile GuideBatches batches;
  private volatile boolean gzip;

  ImportRun(EpgImporter importer, String name, String holder, boolean scheduled) {
    this.importer = importer;
    this.scheduled = scheduled;
    this.name = name;
    this.holder = holder;
    this.context = importer.context();
    this.client = importer.client();
  }

  public String source() {
    return name;
  }

  /** Completes with the import's status, or null when the source was deleted before or during it. */
  public Future<ImportStatus> done() {
    return done.future();
  }

  /** Makes the import fail with {@code reason} as soon as possible. */
  void cancel(String reason) {
    cancelled = reason;
    GuideInput in = input;
    if (in != null) {
      in.cancel(reason);
    }
  }

  void begin() {
    importer.sources().views(List.of(name)).compose(views -> {
      if (views.isEmpty() || (scheduled && !EpgScheduler.due(views.get(0).source(), views.get(0).lastImport(), Instant.now()))) {
        return Future.succeededFuture((ImportStatus) null);
      }
      source = views.get(0).source();
      return prepare().compose(v -> download(1)).compose(this::succeeded).recover(this::failed);
    }).eventually(this::end).onComplete(done);
  }

  private Future<Void> prepare() {
    return GuideData.channelIds(client).compose(ids -> {
      wanted = ids;
      return newGeneration();
    }).map(v -> {
      log.info("EPG source {}: importing {} (generation {}, {} channel ids of ours)", name,
        SourceInput.forLogs(source.url()), generation, wanted.size());
      importer.publish(event(EpgContract.IMPORT_STARTED, null));
      ticker = importer.vertx().setPeriodic(1000, t -> tick());
      return null;
    });
  }

  /** A generation number never used before, registered with the source (so it is cleaned up). */
  private Future<Void> newGeneration() {
    return importer.redis().incr(EpgContract.GENERATION_COUNTER).compose(g -> {
      generation = g.toLong();
      return client.send(Request.cmd(Command.SADD).arg(EpgContract.sourceGenerationsKey(name)).arg(generation));
    }).mapEmpty();
  }

  /**
   * The guide downloaded and parsed; a download whose connection closed before its end is tried
   * again at once, {@value #ATTEMPTS} times in all, into a fresh generation (the partial one is
   * deleted).
   */
  private Future<Counts> download(int attempt) {
    return fetch().recover(err -> {
      if (attempt >= ATTEMPTS || cancelled != null || !closedEarly(err)) {
        return Future.failedFuture(err);
      }
      log.info("EPG source {}: the connection closed after {} bytes: downloading again ({} of {})", name, counts().bytes(),
        attempt + 1, ATTEMPTS);
      long partial = generation;
      input = null;
      xml = null;
      reader = null;
      batches = null;
      gzip = false;
      seen.clear();
      return newGeneration().compose(v -> {
        importer.dropLater(name, partial, 0);
        return download(attempt + 1);
      });
    });
  }

  private static boolean closedEarly(Throwable err) {
    for (Throwable c = err; c != null; c = c.getCause()) {
      if (c instanceof HttpClosedException) {
        return true;
      }
    }
    return false;
  }

  private Future<Counts> fetch() {
    if (cancelled != null) {
      return Future.failedFuture(new InterruptedIOException(cancelled));
    }
    long max = importer.settings().maxBytes();
    return importer.download(source).compose(resp -> {
      if (resp.statusCode() != 200) {
        abort(resp);
        String redirects = resp.statusCode() / 100 == 3 ? " (redirects are followed " + EpgImporter.MAX_REDIRECTS
          + " times at most, to http and https only)" : "";
        return Future.failedFuture(new IOException("HTTP " + resp.statusCode() + " from " + SourceInput.forLogs(source.url())
          + redirects));
      }
      String length = resp.getHeader(HttpHeaders.CONTENT_LENGTH);
      if (length != null && length.chars().allMatch(Character::isDigit) && length.length() < 19 && Long.parseLong(length) > max) {
        abort(resp);
        return Future.failedFuture(new IOException("the guide is larger than the limit of " + (max >> 20)
          + " MiB (IPTV_EPG_MAX_MB): Content-Length " + length));
      }
      long expected = length != null && length.chars().allMatch(Character::isDigit) && length.length() < 19
        ? Long.parseLong(length) : -1;
      GuideInput in = new GuideInput(context, resp, max, expected, () -> abort(resp));
      input = in;
      in.attach();
      if (cancelled != null) {
        in.cancel(cancelled);
      }
      return importer.workers().executeBlocking(() -> parse(in), false);
    });
  }

  /** Stops a download early: the connection is reset (its own reset is expected, not an error). */
  private static void abort(HttpClientResponse resp) {
    resp.exceptionHandler(err -> { });
    resp.request().reset();
  }

  /** On a worker thread: the whole guide, from bytes to Redis batches. */
  private Counts parse(GuideInput in) throws IOException {
    GuideBatches out = new GuideBatches(context, client, generation, importer.settings().retention(), () -> cancelled);
    batches = out;
    try (in) {
      GuideDecoder.Decoded decoded = GuideDecoder.open(in, importer.settings().maxBytes());
      xml = decoded.xml();
      gzip = decoded.gzip();
      long now = Instant.now().getEpochSecond();
      XmltvReader r = new XmltvReader(new XmltvReader.Sink() {
        @Override
        public boolean wants(String channelId) {
          return wanted.contains(channelId);
        }

        @Override
        public void seen(String channelId) {
          if (seen.size() < MAX_SEEN) {
            seen.add(channelId);
          }
        }

        @Override
        public void programme(Programme p) throws IOException {
          out.add(p);
        }
      }, now - importer.settings().past().toSeconds(), now + importer.settings().future().toSeconds());
      reader = r;
      try {
        r.read(xml);
      } catch (XMLStreamException e) {
        // The JDK's parser keeps the stream's failure as the "nested" exception, not always as the cause.
        for (Throwable c = e.getNestedException() != null ? e.getNestedException() : e.getCause(); c != null; c = c.getCause()) {
          if (c instanceof IOException io && !(io instanceof java.io.CharConversionException)) {
            throw io; // the download's or gunzip's failure, not the XML's (a bad byte sequence is the XML's)
          }
        }
        throw new IOException("the guide is not valid XMLTV: " + ImportErrors.xmlError(e), e);
      }
      out.flush();
      out.seen(seen);
      out.await();
      return new Counts(in.received(), xml.count(), seen.size(), out.channelCount(), r.programmesSeen, r.programmesKept);
    } catch (IOException e) {
      out.awaitQuietly();
      throw e;
    }
  }

  private Future<ImportStatus> succeeded(Counts counts) {
    if (counts.programmesSeen() == 0) {
      return Future.failedFuture(new IOException("the guide holds no programme"));
    }
    ImportStatus status = new ImportStatus(ImportStatus.OK, importer.settings().node(), started, Instant.now(),
      counts.bytes(), counts.xmlBytes(), gzip, counts.channelsSeen(), counts.channelsKept(), counts.programmesSeen(),
      counts.programmesKept(), generation, null);
    return SWITCH.run(importer.redis(), List.of(EpgContract.lockKey(name), EpgContract.sourceKey(name),
        EpgContract.GENERATIONS, EpgContract.importKey(name), EpgContract.progressKey(name)),
      List.of(holder, name, Long.toString(generation), status.toJson().encode())).compose(r -> {
      long previous = r.toLong();
      if (previous == -1) {
        return Future.failedFuture(new IOException("the import lock was lost (another instance took the source over)"));
      }
      if (previous == -2) {
        return Future.failedFuture(new SourceGone());
      }
      log.info("EPG source {}: imported in {} s: {} bytes ({}), {} of {} programmes kept for {} of {} channels", name,
        Duration.between(started, status.finished()).toMillis() / 1000.0, counts.bytes(), gzip ? "gzip" : "plain XML",
        counts.programmesKept(), counts.programmesSeen(), counts.channelsKept(), counts.channelsSeen());
      importer.publish(event(EpgContract.IMPORT_FINISHED, null));
      dropOthers();
      return Future.succeededFuture(status);
    });
  }

  /** Every other generation of the source: the one just replaced and any a crashed import left. */
  private void dropOthers() {
    client.send(Request.cmd(Command.SMEMBERS).arg(EpgContract.sourceGenerationsKey(name))).onSuccess(members -> {
      for (Response m : members) {
        long g = m.toLong();
        if (g != generation) {
          importer.dropLater(name, g, importer.graceMs());
        }
      }
    });
  }

  private Future<ImportStatus> failed(Throwable err) {
    GuideInput in = input;
    if (in != null) {
      in.cancel("import failed");
    }
    if (generation > 0) {
      importer.dropLater(name, generation, 0);
    }
    if (err instanceof SourceGone) {
      return gone();
    }
    // A lock lost because the source was deleted (DELETE removes the lock) is no failure to report.
    return importer.sources().find(name).transform(ar -> ar.succeeded() && ar.result() == null ? gone() : report(err));
  }

  private Future<ImportStatus> gone() {
    log.info("EPG source {}: deleted during its import; nothing kept", name);
    if (ticker >= 0) {
      importer.vertx().cancelTimer(ticker);
      ticker = -1;
    }
    return importer.redis().del(List.of(EpgContract.progressKey(name))).otherwiseEmpty().map((ImportStatus) null);
  }

  private Future<ImportStatus> report(Throwable err) {
    String error = describe(err);
    log.warn("EPG source {}: import failed, the previous guide is kept: {}", name, error);
    importer.publish(event(EpgContract.IMPORT_FAILED, error));
    return importer.redis().hget(EpgContract.GENERATIONS, name).compose(current -> {
      Counts c = counts();
      ImportStatus status = new ImportStatus(ImportStatus.FAILED, importer.settings().node(), started, Instant.now(),
        c.bytes(), c.xmlBytes(), gzip, seen.size(), c.channelsKept(), c.programmesSeen(), c.programmesKept(),
        current == null ? 0 : current.toLong(), error);
      return FAIL.run(importer.redis(), List.of(EpgContract.lockKey(name), EpgContract.importKey(name),
        EpgContract.progressKey(name)), List.of(holder, status.toJson().encode())).map(status);
    });
  }

  private Future<Void> end() {
    if (ticker >= 0) {
      importer.vertx().cancelTimer(ticker);
      ticker = -1;
    }
    return importer.release(name, holder).otherwiseEmpty();
  }

  private void tick() {
    ticks++;
    if (Duration.between(started, Instant.now()).compareTo(MAX_DURATION) > 0) {
      cancel("the import took longer than " + MAX_DURATION.toHours() + " h");
    }
    Counts c = counts();
    ImportProgress progress = new ImportProgress(importer.settings().node(), started, c.bytes(), c.xmlBytes(),
      c.programmesSeen(), c.programmesKept(), generation);
    importer.redis().set(List.of(EpgContract.progressKey(name), progress.toJson().encode(), "EX",
      Integer.toString(EpgContract.PROGRESS_TTL_S)));
    importer.publish(event(EpgContract.IMPORT_PROGRESS, null));
    if (ticks % RENEW_EVERY_TICKS == 0) {
      importer.renew(name, holder).onComplete(ar -> {
        if (ar.succeeded() && !ar.result()) {
          cancel("the import lock was lost (another instance took the source over)");
        }
      });
    }
  }

  private Counts counts() {
    GuideInput in = input;
    GuideDecoder.Capped x = xml;
    XmltvReader r = reader;
    GuideBatches b = batches;
    return new Counts(in == null ? 0 : in.received(), x == null ? 0 : x.count(), 0, b == null ? 0 : b.channelCount(),
      r == null ? 0 : r.programmesSeen, r == null ? 0 : r.programmesKept);
  }

  private ImportEvent event(String kind, String error) {
    Counts c = counts();
    return new ImportEvent(kind, name, importer.settings().node(), c.bytes(), c.programmesSeen(), c.programmesKept(), error,
      System.currentTimeMillis() / 1000.0);
  }

  private String describe(Throwable err) {
    if (err instanceof InterruptedIOException && cancelled != null) {
      return cancelled;
    }
    String m = err.getMessage();
    if (m == null || m.isBlank()) {
      m = err.getClass().getSimpleName();
    }
    if (err instanceof java.util.zip.ZipException) {
      m = "the gzip data is damaged: " + m;
    }
    // Vert.x messages may name the host and the path: never the query or user info.
    String url = source == null ? null : source.url();
    if (url != null && m.contains(url)) {
      m = m.replace(url, SourceInput.forLogs(url));
    }
    return ImportErrors.firstLine(m);
  }

  private record Counts(long bytes, long xmlBytes, long channelsSeen, long channelsKept, long programmesSeen,
                        long programmesKept) {
  }

  /** The source was deleted while it was imported. */
  private static final class SourceGone extends RuntimeException {
    SourceGone() {
      super("the source was deleted", null, false, false);
    }
  }
}
