package dev.iptv.stream;

import dev.iptv.common.Redact;
import dev.iptv.stream.limits.LimitsStore;
import dev.iptv.stream.limits.Provider;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Source checks (issue 12 item 2): a source is opened with ffprobe (the channel's user agent and
 * headers, the protocols of its scheme, a read timeout, killed at {@code IPTV_SOURCE_CHECK_TIMEOUT_S})
 * and passes when ffprobe finds a video or audio stream; the codecs found, or the error, are kept
 * per channel and source, here (a failover tries sources that failed their last check after the
 * others: {@link #order}) and in {@code stream:{id}:checks} for the API.
 *
 * <p>Every {@code IPTV_SOURCE_CHECK_S} the sources a running channel does not play from (its backups,
 * or its primary after a switch) are checked; a slated channel's sources are checked by its
 * {@link ChannelSlate}. A check is one more connection to the source's provider: a provider without
 * room for one ({@code streams >= max_streams}) is not checked. At most
 * {@code IPTV_SOURCE_CHECK_CONCURRENCY} ffprobes run at once, each on a worker thread (the process
 * waited for there), queued beyond; nothing waits on the event loop.
 */
final class SourceChecks {

  private static final Logger log = LoggerFactory.getLogger(SourceChecks.class);
  /** A check is kept in Redis this long after the last one of the channel. */
  static final long KEEP_S = 24 * 3600;
  /** A failed check older than this no longer moves its source back. */
  static final long FAILED_MEMORY_MS = 10 * 60_000;

  /** One check of one source: when, whether it passed, the codecs found or the error. */
  record Check(long checkedMs, boolean ok, List<String> codecs, String error) {
    JsonObject toJson(String source, String node) {
      return new JsonObject().put("source", Redact.url(source)).put("checked", checkedMs / 1000.0).put("ok", ok)
        .put("codecs", new JsonArray(new ArrayList<>(codecs))).put("error", error).put("node", node);
    }
  }

  private final Vertx vertx;
  private final StreamSettings s;
  private final SourceSettings ss;
  private final StreamStore store;
  private final LimitsStore limits;
  /** Channel id → source hash ({@link ProbePolicy#field}) → its last check here. */
  private final Map<String, Map<String, Check>> last = new ConcurrentHashMap<>();
  /** Checks waiting for a free place (context of the caller: all calls come from the verticle's). */
  private final Queue<Runnable> waiting = new ArrayDeque<>();
  private int running;
  private long timer = -1;

  SourceChecks(Vertx vertx, StreamSettings s, StreamStore store, LimitsStore limits) {
    this.vertx = vertx;
    this.s = s;
    this.ss = s.sources();
    this.store = store;
    this.limits = limits;
  }

  /** Checks the sources running channels do not play from, every {@code IPTV_SOURCE_CHECK_S} (on the calling context). */
  void start(ChannelRegistry registry) {
    if (ss.checkEveryMs() > 0) {
      timer = vertx.setPeriodic(ss.checkEveryMs(), t -> registry.localRuns().forEach(this::checkIdle));
    }
  }

  void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** The sources of a playing run it does not play from, one after the other. */
  private void checkIdle(ChannelRun run) {
    if (!run.plays(null) || run.slated()) {
      return;
    }
    ChannelSpec spec = run.spec();
    for (String src : spec.sources()) {
      if (!src.equals(run.source())) {
        checkIfRoom(spec, src);
      }
    }
  }

  /**
   * Checks {@code source} unless its provider has no room for one more connection; null when it did
   * not (the provider is full, or Redis cannot tell).
   */
  Future<Check> checkIfRoom(ChannelSpec spec, String source) {
    Provider p = spec.providerOf(source);
    Future<Boolean> room = p == null ? Future.succeededFuture(true)
      : limits.streams(p.name()).map(n -> n < p.maxStreams()).otherwise(false);
    return room.compose(ok -> {
      if (!ok) {
        log.debug("channel {}: {} not checked: provider {} is full", spec.id(), Redact.url(source), p.name());
        return Future.succeededFuture();
      }
      return check(spec, source);
    });
  }

  /** Checks {@code source} now (or once a place is free), remembered and recorded. */
  Future<Check> check(ChannelSpec spec, String source) {
    Promise<Check> done = Promise.promise();
    Runnable go = () -> probe(spec, source).onComplete(ar -> {
      running--;
      Runnable next = waiting.poll();
      if (next != null) {
        running++;
        next.run();
      }
      Check c = ar.succeeded() ? ar.result() : new Check(System.currentTimeMillis(), false, List.of(),
        "cannot run " + ss.ffprobe() + ": " + ar.cause().getMessage());
      remember(spec, source, c);
      done.complete(c);
    });
    if (running < ss.checkConcurrency()) {
      running++;
      go.run();
    } else {
      waiting.add(go);
    }
    return done.future();
  }

  private void remember(ChannelSpec spec, String source, Check c) {
    String field = ProbePolicy.field(source);
    last.computeIfAbsent(spec.id(), k -> new ConcurrentHashMap<>()).put(field, c);
    if (!c.ok()) {
      log.info("channel {}: source check of {} failed: {}", spec.id(), Redact.url(source), c.error());
    }
    store.recordCheck(spec.id(), field, c.toJson(source, s.node()), KEEP_S)
      .onFailure(err -> log.warn("channel {}: cannot record a source check: {}", spec.id(), err.toString()));
  }

  /** The channel's sources in the same order, those whose last check here failed (recently) last. */
  ChannelSpec order(ChannelSpec spec) {
    Map<String, Check> checks = last.get(spec.id());
    if (checks == null || checks.isEmpty()) {
      return spec;
    }
    long now = System.currentTimeMillis();
    List<String> order = new ArrayList<>(spec.sources());
    order.sort(Comparator.comparingInt(src -> {
      Check c = checks.get(ProbePolicy.field(src));
      return c != null && !c.ok() && now - c.checkedMs() < FAILED_MEMORY_MS ? 1 : 0;
    }));
    return order.equals(spec.sources()) ? spec : spec.withSources(order);
  }

  /** The channel stopped here: what was learned of its sources stays in Redis only. */
  void forget(String id) {
    last.remove(id);
  }

  /** One ffprobe of {@code source}, waited for on a worker thread. */
  private Future<Check> probe(ChannelSpec spec, String source) {
    long timeoutMs = ss.checkTimeoutMs();
    return vertx.executeBlocking(() -> {
      List<String> args = new ArrayList<>(List.of(ss.ffprobe(), "-hide_banner", "-v", "error"));
      args.addAll(FfmpegCommand.inputOptions(spec, source, timeoutMs * 1000, false));
      args.addAll(List.of("-probesize", "1000000", "-analyzeduration", "2000000",
        "-show_entries", "stream=codec_type,codec_name", "-of", "json", "-i", source));
      long started = System.currentTimeMillis();
      Process p = new ProcessBuilder(args).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
      boolean ended = p.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
      if (!ended) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(2, TimeUnit.SECONDS);
        return new Check(started, false, List.of(), "no streams found within " + timeoutMs / 1000 + " s");
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      List<String> codecs = codecs(out);
      if (p.exitValue() == 0 && !codecs.isEmpty()) {
        return new Check(started, true, codecs, null);
      }
      String why = err.isEmpty() ? "no video or audio stream found (exit " + p.exitValue() + ")"
        : err.lines().reduce((a, b) -> b).orElse(err);
      return new Check(started, false, List.of(), Redact.credentials(Redact.sources(why, spec.sources())));
    }, false);
  }

  /** {@code video:h264}, {@code audio:aac} ... from ffprobe's JSON; empty when it holds none. */
  static List<String> codecs(String json) {
    List<String> out = new ArrayList<>();
    try {
      JsonArray streams = new JsonObject(json).getJsonArray("streams", new JsonArray());
      for (Object o : streams) {
        if (o instanceof JsonObject st && st.getString("codec_name") != null
          && ("video".equals(st.getString("codec_type")) || "audio".equals(st.getString("codec_type")))) {
          out.add(st.getString("codec_type") + ":" + st.getString("codec_name"));
        }
      }
    } catch (RuntimeException e) {
      // no JSON: no stream found
    }
    return out;
  }
}
