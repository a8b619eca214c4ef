package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import dev.iptv.contract.StreamContract.StreamStatus;
import dev.iptv.stream.AttemptPlan.Attempt;
import dev.iptv.stream.AttemptPlan.AttemptFailed;
import dev.iptv.stream.FfmpegCommand.Mode;
import dev.iptv.stream.FfmpegLog.Failure;
import dev.iptv.stream.ProbePolicy.Probe;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * One channel run by this instance, under its owner lease: its FFmpeg over the first start (an
 * {@link AttemptPlan}), restarts with backoff while watched, reloads when the channel changes, a
 * restart with a full probe when a stream the quick probe missed appears ({@link ProbePolicy}), and
 * the stop that removes its process, files and keys. {@link #ready()} completes when it plays.
 *
 * <p>Confined to the verticle's context, as the {@link ChannelRegistry} that holds it; it tells the
 * registry when it plays and when it stops playing, for the polls answered from any thread.
 */
final class ChannelRun {

  private static final Logger log = LoggerFactory.getLogger(ChannelRun.class);
  private static final long BACKOFF_BASE_MS = 500;
  private static final long BACKOFF_MAX_MS = 30_000;
  /** A stream that ran this long before dying resets its failure count. */
  private static final long STABLE_MS = 30_000;

  /** Why a plan runs, which decides what its outcome means. */
  private enum Occasion {
    START("started on demand", "cannot start"),
    RESTART("FFmpeg died while watched", "restart failed"),
    RELOAD("channel updated", "cannot run the changed channel"),
    REPROBE("a stream appeared after the quick probe: probing the source fully", "cannot run the source with a full probe");

    final String reason;
    final String failure;

    Occasion(String reason, String failure) {
      this.reason = reason;
      this.failure = failure;
    }
  }

  private final StreamParts parts;
  private final StreamSettings s;
  private final String id;
  private ChannelSpec spec;
  private final ProbePolicy probes;
  private FfmpegProcess proc;
  private String source;
  private Mode mode = Mode.COPY;
  /** How {@link #proc} probed its source; null when adopted (unknown). */
  private Probe probe;
  private double started;
  private double fps;
  private Promise<StreamStatus> ready = Promise.promise();
  /** Told when the channel is asked to stop: the attempt in progress, if any. */
  private Runnable onStopping;
  private final Promise<Void> stopped = Promise.promise();
  private boolean stopping;
  private boolean lostLease;
  private int failures;
  private long runningSinceMs;
  private long accessLostSinceMs;
  private long restartTimer = -1;
  private Future<?> plan = Future.succeededFuture();
  private boolean diskReported;

  ChannelRun(StreamParts parts, ChannelSpec spec, ProbePolicy probes) {
    this.parts = parts;
    this.s = parts.settings();
    this.id = spec.id();
    this.spec = spec;
    this.probes = probes;
  }

  /** A run that knows nothing of how its sources probe (an adopted FFmpeg's). */
  ChannelRun(StreamParts parts, ChannelSpec spec) {
    this(parts, spec, new ProbePolicy(parts.store(), spec.id(), Map.of()));
  }

  String id() {
    return id;
  }

  ChannelSpec spec() {
    return spec;
  }

  boolean stopping() {
    return stopping;
  }

  /**
   * {@code action} runs as soon as the channel is asked to stop, so that what the attempt in
   * progress waits for is given up; one attempt at a time listens.
   */
  Subscription onStopping(Runnable action) {
    onStopping = action;
    return () -> {
      if (onStopping == action) {
        onStopping = null;
      }
    };
  }

  /** Completes once the run is over: process gone, files and keys removed, lease released. */
  Future<Void> whenStopped() {
    return stopped.future();
  }

  /** Completes when the channel plays (again, after a restart or reload); fails when it stops first. */
  Future<StreamStatus> ready() {
    return ready.future();
  }

  // -- starting -------------------------------------------------------------------------------------

  /** A fresh FFmpeg, playable by {@code deadline} (epoch ms) or the channel stops. */
  void start(long deadline) {
    started = StreamStore.now();
    play(null, deadline, Occasion.START);
  }

  /**
   * An FFmpeg a previous stream-service left running for this channel (checked in /proc): ours now,
   * its stderr followed from {@code logFrom}.
   */
  void adopt(ProcessHandle handle, long logFrom, StreamStore.StreamState st) {
    started = st.started() == null ? StreamStore.now() : st.started();
    source = st.resolvedSource();
    mode = Mode.fromWire(st.mode());
    FfmpegLog flog = new FfmpegLog();
    parts.tailer().follow(s.ffmpegLog(id), flog, logFrom);
    FfmpegProcess p = FfmpegProcess.adopted(parts.context(), handle, flog);
    parts.registry().track(p);
    proc = p;
    parts.store().recordProcess(id, p.pid(), s.node(), mode.wire(), spec.source(), source);
    log.info("channel {}: adopted FFmpeg pid {} left running by a previous stream-service", id, p.pid());
    running(p, false, "adopted after a restart of stream-service");
  }

  /** The channel's sources or settings changed: run it again with the new ones. */
  void reload(ChannelSpec updated) {
    spec = updated;
    if (stopping || proc == null || !ready.future().succeeded()) {
      return;
    }
    log.info("channel {}: channel changed, restarting FFmpeg", id);
    replace(null, Occasion.RELOAD);
  }

  /**
   * The playing FFmpeg, which probed quickly, said a stream it left out appeared: the source needs
   * a full probe. Remembered, and the same source run again with one.
   */
  private void missedWhilePlaying(FfmpegProcess p) {
    String missed = p.log().missedStream();
    if (stopping || p != proc || probe != Probe.QUICK || missed == null || !ready.future().succeeded()) {
      return;
    }
    log.info("channel {}: {}: restarting FFmpeg with a full probe", id, missed);
    probes.learned(source, Probe.FULL);
    replace(new Attempt(source, mode, spec.quality(), Probe.FULL), Occasion.REPROBE);
  }

  /** Stops the playing FFmpeg and runs the plan again, {@code first} first. */
  private void replace(Attempt first, Occasion occasion) {
    FfmpegProcess old = proc;
    proc = null;
    waitForPlay();
    old.terminate(parts.vertx(), s.stopGraceMs()).compose(v -> parts.finishLog(old)).onComplete(x -> {
      if (!stopping) {
        play(first, System.currentTimeMillis() + s.startTimeoutMs(), occasion);
      }
    });
  }

  /** Runs the attempts; what their outcome means depends on the {@code occasion}. */
  private void play(Attempt first, long deadline, Occasion occasion) {
    Future<FfmpegProcess> f = new AttemptPlan(spec, first, deadline, s.startTimeoutMs(), probes::forSource,
      (a, until) -> new FfmpegAttempt(parts, this, a, until).run(), this::cancelled, this::reportDiskFull,
      src -> probes.learned(src, Probe.FULL)).run();
    plan = f;
    f.onComplete(ar -> played(occasion, ar));
  }

  /**
   * The one ending of a start, a restart and a reload: the channel plays, or the failure is
   * published, and a restart tries again while watched while the others stop the channel.
   */
  private void played(Occasion occasion, AsyncResult<FfmpegProcess> ar) {
    if (stopping) {
      return;
    }
    if (ar.succeeded()) {
      running(ar.result(), occasion != Occasion.START, occasion.reason);
      return;
    }
    String why = ar.cause().getMessage();
    log.warn("channel {}: {}: {}", id, occasion.failure, why);
    parts.events().publish(Kind.FAILED, id, mode.wire(), why);
    if (occasion == Occasion.RESTART) {
      restartIfWatched(null, why, "restart failed with nobody watching: ");
      return;
    }
    ready.tryFail(new ApiException(503, "channel " + id + " cannot be started: "
      + (ar.cause() instanceof AttemptFailed af && af.kind == Failure.DISK ? "the disk of the HLS folder is full"
      : "no source plays")));
    stop(why, occasion != Occasion.START);
  }

  private void running(FfmpegProcess p, boolean restarted, String reason) {
    runningSinceMs = System.currentTimeMillis();
    log.info("channel {}: {} ({}, pid {}, {})", id, restarted ? "restarted" : "playing", mode.wire(), p.pid(),
      Redact.url(source));
    parts.store().recordStarted(id, started)
      .compose(v -> restarted ? parts.store().countRestart(id).mapEmpty() : Future.succeededFuture())
      .onFailure(err -> log.warn("channel {}: cannot record the start: {}", id, err.toString()));
    parts.events().publish(restarted ? Kind.RESTARTED : Kind.STARTED, id, mode.wire(), reason);
    StreamStatus status = info(StreamStatus.STARTED);
    parts.registry().playing(this, status);
    ready.tryComplete(status);
    p.exit().onComplete(x -> onExit(p));
    if (probe == Probe.QUICK && source != null) {
      // It plays with every stream its probe found; one that shows up later makes it probe fully.
      probes.learned(source, Probe.QUICK);
      p.log().onProblem(() -> parts.context().runOnContext(v -> missedWhilePlaying(p)));
      missedWhilePlaying(p);
    }
  }

  /** Callers of {@link #ready()} wait for the next play (a restart or a reload). */
  private void waitForPlay() {
    ready = Promise.promise();
    parts.registry().notPlaying(this);
  }

  StreamStatus info(String status) {
    return new StreamStatus(id, proc == null ? 0 : proc.pid(), s.node(), mode.wire(), started, status);
  }

  // -- what an attempt reports --------------------------------------------------------------------

  /** True once the channel stops or the instance closes: nothing more is tried. */
  boolean cancelled() {
    return stopping || parts.registry().isClosing();
  }

  /** The frame rate FFmpeg reported for the source (key frames on segment boundaries when transcoding), or 0. */
  double fps() {
    return fps;
  }

  void fps(double fps) {
    this.fps = fps;
  }

  /** An attempt's FFmpeg runs: recorded as the channel's process. */
  void spawned(FfmpegProcess p, Attempt a) {
    proc = p;
    source = a.source();
    mode = a.mode();
    probe = a.probe();
    parts.store().recordProcess(id, p.pid(), s.node(), a.mode().wire(), spec.source(), a.source())
      .onFailure(err -> log.warn("channel {}: cannot record pid {}: {}", id, p.pid(), err.toString()));
  }

  /** FFmpeg's words without upstream credentials. */
  String redact(String text) {
    return Redact.sources(text, spec.sources());
  }

  /** A full disk: one error log line and one disk_full event per start of the channel. */
  void reportDiskFull(String reason) {
    if (diskReported) {
      return;
    }
    diskReported = true;
    log.error("channel {}: the disk of {} is full, FFmpeg cannot write: {}", id, s.hlsDir(), reason);
    parts.events().diskFull(id, reason);
  }

  // -- dying and restarting -------------------------------------------------------------------------

  private void onExit(FfmpegProcess p) {
    if (stopping || p != proc || p.terminating()) {
      return;
    }
    proc = null;
    parts.finishLog(p).onComplete(x -> died(p));
  }

  private void died(FfmpegProcess p) {
    FfmpegLog said = p.log();
    // After it played, only what FFmpeg said about copying makes copy the culprit.
    Failure kind = said.copyProblem() != null ? Failure.COPY : Failure.SOURCE;
    if (said.diskProblem() != null) {
      reportDiskFull(redact(said.diskProblem()));
    }
    Integer code = p.exit().result();
    String why = code != null && code > 128 ? "killed by signal " + (code - 128) : redact(said.summary());
    log.warn("channel {}: FFmpeg pid {} exited (code {}): {}", id, p.pid(), code, why);
    if (System.currentTimeMillis() - runningSinceMs > STABLE_MS) {
      failures = 0;
    }
    restartIfWatched(kind == Failure.COPY && mode == Mode.COPY && source != null
      ? new Attempt(source, Mode.TRANSCODE, spec.quality(), probes.forSource(source)) : null, why,
      "FFmpeg exited with nobody watching: ");
  }

  /** Restarts while viewers polled within the idle timeout, else stops. */
  private void restartIfWatched(Attempt first, String why, String unwatched) {
    parts.store().lastAccess(id)
      .map(last -> last != null && StreamStore.now() - last < s.idleTimeoutMs() / 1000.0)
      .onComplete(watched -> {
        if (stopping) {
          return;
        }
        if (watched.succeeded() && watched.result()) {
          scheduleRestart(first, why);
        } else {
          stop(unwatched + why, true);
        }
      });
  }

  private void scheduleRestart(Attempt first, String why) {
    failures++;
    if (failures > s.restartMax()) {
      String reason = "gave up after " + s.restartMax() + " failed restarts: " + why;
      log.error("channel {}: {}", id, reason);
      parts.events().publish(Kind.FAILED, id, mode.wire(), reason);
      stop(reason, true);
      return;
    }
    if (ready.future().isComplete()) {
      waitForPlay();
    }
    long delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS << Math.min(16, failures - 1));
    log.info("channel {}: restarting in {} ms (attempt {} of {})", id, delay, failures, s.restartMax());
    // Without the playlist, nginx sends players to us and they wait for the restart.
    parts.hls().removeFiles(id).onComplete(x -> restartTimer = parts.vertx().setTimer(delay, t -> {
      restartTimer = -1;
      if (!cancelled()) {
        play(first, System.currentTimeMillis() + s.startTimeoutMs(), Occasion.RESTART);
      }
    }));
  }

  // -- lease and idleness ---------------------------------------------------------------------------

  /** What the periodic renewal of the owner lease found. */
  void leaseRenewed(OwnerLease.Renewal renewal) {
    if (stopping) {
      return;
    }
    if (renewal == OwnerLease.Renewal.RETAKEN && proc != null) {
      log.warn("channel {}: owner lease was gone, taken again; recording the stream anew", id);
      parts.store().recordProcess(id, proc.pid(), s.node(), mode.wire(), spec.source(), source)
        .compose(v -> parts.store().recordStarted(id, started));
    } else if (renewal == OwnerLease.Renewal.LOST) {
      log.error("channel {}: another instance took the owner lease; stopping our FFmpeg so only one runs", id);
      lostLease = true;
      stop("lost ownership", true);
    }
  }

  /** Stops the channel when it plays and no viewer polled within the idle timeout. */
  void stopIfIdle(double now) {
    if (stopping || proc == null || !ready.future().succeeded()) {
      return;
    }
    parts.store().lastAccess(id).onSuccess(last -> {
      if (last == null) {
        // Lost with the other keys (the lease renewal writes them again): idle only if it stays lost.
        if (accessLostSinceMs == 0) {
          accessLostSinceMs = System.currentTimeMillis();
        }
        last = accessLostSinceMs / 1000.0;
      } else {
        accessLostSinceMs = 0;
      }
      if (!stopping && now - last > s.idleTimeoutMs() / 1000.0) {
        log.info("channel {}: no viewer for {} s, stopping", id, s.idleTimeoutMs() / 1000);
        stop("idle", true);
      }
    });
  }

  // -- stopping -------------------------------------------------------------------------------------

  /**
   * SIGTERM (SIGKILL after the grace) to FFmpeg, wait for it, remove the channel's files and keys,
   * release the lease. When the lease was lost to another instance its files and keys are left to it.
   */
  Future<Void> stop(String reason, boolean announce) {
    if (stopping) {
      return stopped.future();
    }
    stopping = true;
    parts.registry().notPlaying(this);
    if (restartTimer >= 0) {
      parts.vertx().cancelTimer(restartTimer);
    }
    FfmpegProcess p = proc;
    Future<Void> killed = p == null ? Future.succeededFuture() : p.terminate(parts.vertx(), s.stopGraceMs());
    killed
      .compose(v -> plan.otherwiseEmpty())
      .compose(v -> proc != null && proc != p ? proc.terminate(parts.vertx(), s.stopGraceMs()) : Future.succeededFuture())
      .compose(v -> proc != null ? parts.finishLog(proc) : Future.succeededFuture())
      .compose(v -> lostLease ? Future.succeededFuture() : parts.hls().removeFiles(id))
      .compose(v -> lostLease ? Future.succeededFuture() : parts.lease().release(id))
      .onFailure(err -> log.warn("channel {}: cleanup after stop incomplete: {}", id, err.toString()))
      .onComplete(ar -> {
        parts.registry().remove(this);
        ready.tryFail(new ApiException(503, "the stream of channel " + id + " stopped: " + reason));
        if (announce) {
          log.info("channel {}: stopped ({})", id, reason);
          parts.events().publish(Kind.STOPPED, id, mode.wire(), reason);
        }
        stopped.tryComplete();
      });
    // Last: the attempt in progress gives up once the stop is under way.
    Runnable tell = onStopping;
    onStopping = null;
    if (tell != null) {
      tell.run();
    }
    return stopped.future();
  }
}
