package dev.iptv.stream;

import dev.iptv.common.Redact;
import dev.iptv.common.ApiException;
import dev.iptv.contract.StreamContract.LogReply;
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

import java.util.List;
import java.util.Map;

/**
 * One channel run by this instance, under its owner lease: its FFmpeg over the first start (an
 * {@link AttemptPlan}), restarts with backoff while watched, reloads when the channel changes, a
 * restart with a full probe when a stream the quick probe missed appears ({@link ProbePolicy}), a
 * stalled stream ({@link StallWatch}) restarted and then moved to its next source, an operator's force
 * switch, and the stop that removes its process, files and keys. {@link #ready()} completes when it plays.
 *
 * <p>Confined to the verticle's context, as the {@link ChannelRegistry} that holds it; it tells the
 * registry when it plays and when it stops playing, for the polls answered from any thread.
 */
final class ChannelRun implements Run {

  private static final Logger log = LoggerFactory.getLogger(ChannelRun.class);

  private final StreamParts parts;
  private final StreamSettings s;
  private final String id;
  private ChannelSpec spec;
  private final ProbePolicy probes;
  private FfmpegProcess proc;
  /** What the last FFmpeg said, for the log endpoint while none runs. */
  private FfmpegLog lastLog;
  private StallWatch watch;
  private final SourceSwitch switches;
  private final ProviderSlot slot;
  private final AutoRestart autoRestart;
  private final ChannelSlate slate;
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
  private final Restarts restarts;
  private Future<?> plan = Future.succeededFuture();
  private boolean diskReported;

  ChannelRun(StreamParts parts, ChannelSpec spec, ProbePolicy probes) {
    this.parts = parts;
    this.s = parts.settings();
    this.id = spec.id();
    this.spec = spec;
    this.probes = probes;
    this.restarts = new Restarts(this, parts, probes);
    this.switches = new SourceSwitch(this, parts, probes);
    this.slot = new ProviderSlot(parts, id);
    this.autoRestart = new AutoRestart(parts.vertx());
    this.slate = new ChannelSlate(this, parts);
  }

  /** A run that knows nothing of how its sources probe (an adopted FFmpeg's). */
  ChannelRun(StreamParts parts, ChannelSpec spec) {
    this(parts, spec, new ProbePolicy(parts.store(), spec.id(), Map.of()));
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public ChannelSpec spec() {
    return spec;
  }

  @Override
  public boolean stopping() {
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
  @Override
  public Future<Void> whenStopped() {
    return stopped.future();
  }

  /** Completes when the channel plays (again, after a restart or reload); fails when it stops first. */
  @Override
  public Future<StreamStatus> ready() {
    return ready.future();
  }

  // -- starting -------------------------------------------------------------------------------------

  /** A fresh FFmpeg, playable by {@code deadline} (epoch ms) or the channel stops. */
  void start(long deadline) {
    started = StreamStore.now();
    play(null, 0, deadline, Occasion.START, Occasion.START.reason);
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
    lastLog = flog;
    parts.tailer().follow(s.ffmpegLog(id), flog, logFrom);
    FfmpegProcess p = FfmpegProcess.adopted(parts.context(), handle, flog);
    parts.registry().track(p);
    proc = p;
    parts.store().recordProcess(id, p.pid(), s.node(), mode.wire(), spec.source(), source);
    slot.hold(spec, source);
    log.info("channel {}: adopted FFmpeg pid {} left running by a previous stream-service", id, p.pid());
    running(p, false, "adopted after a restart of stream-service");
  }

  /** The channel's sources or settings changed: run it again with the new ones. */
  @Override
  public void reload(ChannelSpec updated) {
    spec = updated;
    if (stopping || proc == null || !ready.future().succeeded()) {
      return;
    }
    log.info("channel {}: channel changed, restarting FFmpeg", id);
    replace(null, 0, Occasion.RELOAD, Occasion.RELOAD.reason);
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
    replace(new Attempt(source, mode, spec.quality(), Probe.FULL), 0, Occasion.REPROBE, Occasion.REPROBE.reason);
  }

  /**
   * Stops the playing FFmpeg and runs the plan again, {@code first} first, then the sources from the
   * one at {@code from}. Unless the occasion keeps the playlist, players wait for the new one.
   */
  Future<FfmpegProcess> replace(Attempt first, int from, Occasion occasion, String reason) {
    FfmpegProcess old = proc;
    proc = null;
    if (watch != null) {
      watch.cancel();
    }
    autoRestart.cancel();
    if (!occasion.keepsPlaylist) {
      waitForPlay();
    }
    Future<Void> gone = old.terminate(parts.vertx(), occasion.graceMs(s)).compose(v -> parts.finishLog(old));
    plan = gone; // a stop meanwhile waits for it
    return gone.transform(x -> stopping ? Future.failedFuture("stopped")
      : play(first, from, System.currentTimeMillis() + s.startTimeoutMs(), occasion, reason));
  }

  /** Runs the attempts, sources from the one at {@code from}; what their outcome means depends on the {@code occasion}. */
  private Future<FfmpegProcess> play(Attempt first, int from, long deadline, Occasion occasion, String reason) {
    Future<FfmpegProcess> f = new AttemptPlan<FfmpegProcess>(parts.checks().order(spec.from(from)), first, deadline, s.startTimeoutMs(), probes::forSource,
      (a, until) -> slot.take(spec, a.source()).compose(v -> new FfmpegAttempt(parts, this, a, until,
        occasion.keepsPlaylist).run()), this::cancelled,
      this::reportDiskFull, src -> probes.learned(src, Probe.FULL)).run();
    plan = f;
    f.onComplete(ar -> played(occasion, reason, ar));
    return f;
  }

  /** Its moves between sources: after stalls, and an operator's force switch ({@link SourceSwitch#force}). */
  SourceSwitch switches() {
    return switches;
  }

  @Override
  public boolean plays() {
    return plays(null);
  }

  /** True while {@code p} (null: whichever) is the FFmpeg that plays the channel now. */
  boolean plays(FfmpegProcess p) {
    return !stopping && proc != null && (p == null || p == proc) && ready.future().succeeded();
  }

  String source() {
    return source;
  }

  Mode mode() {
    return mode;
  }

  @Override
  public Future<LogReply> log(int lines) {
    return Future.succeededFuture(logTail(lines));
  }

  /** The last {@code n} lines FFmpeg said (the running one's, else the last one's), credentials redacted. */
  LogReply logTail(int n) {
    FfmpegLog l = proc != null ? proc.log() : lastLog;
    List<String> lines = l == null ? List.of() : l.tail(n).stream().map(t -> Redact.credentials(redact(t))).toList();
    return new LogReply(id, s.node(), proc == null ? 0 : proc.pid(), source == null ? null : Redact.url(source), lines);
  }

  /**
   * The one ending of every plan: the channel plays, or the failure is published, and a restart (or
   * a stall's or a switch's replacement) tries again while watched while a start or a reload stops
   * the channel.
   */
  private void played(Occasion occasion, String reason, AsyncResult<FfmpegProcess> ar) {
    if (stopping) {
      return;
    }
    if (ar.succeeded()) {
      running(ar.result(), occasion != Occasion.START, reason);
      return;
    }
    String why = ar.cause().getMessage();
    log.warn("channel {}: {}: {}", id, occasion.failure, why);
    parts.events().publish(Kind.FAILED, id, mode.wire(), why);
    Failure kind = ar.cause() instanceof AttemptFailed af ? af.kind : null;
    if (occasion == Occasion.RESTART || occasion.keepsPlaylist) {
      if (s.sources().slate() && kind != Failure.DISK) { // the slate cannot write to a full disk either
        restarts.whenWatched(() -> slate.show(why), "no source plays and nobody watches: " + why);
      } else {
        restarts.ifWatched(null, why, "restart failed with nobody watching: ");
      }
      return;
    }
    ready.tryFail(kind == Failure.BUSY ? StartRefused.sourceBusy(id, why) : new ApiException(503, "channel " + id
      + " cannot be started: " + (kind == Failure.DISK ? "the disk of the HLS folder is full" : "no source plays")));
    stop(why, occasion != Occasion.START);
  }

  private void running(FfmpegProcess p, boolean restarted, String reason) {
    restarts.running();
    log.info("channel {}: {} ({}, pid {}, {})", id, restarted ? "restarted" : "playing", mode.wire(), p.pid(),
      Redact.url(source));
    parts.store().recordStarted(id, started)
      .compose(v -> restarted ? parts.store().countRestart(id).mapEmpty() : Future.succeededFuture())
      .onFailure(err -> log.warn("channel {}: cannot record the start: {}", id, err.toString()));
    parts.events().publish(restarted ? Kind.RESTARTED : Kind.STARTED, id, mode.wire(), reason);
    switches.playing(source, mode.wire(), reason);
    StreamStatus status = info(StreamStatus.STARTED);
    parts.registry().playing(this, status);
    ready.tryComplete(status);
    p.exit().onComplete(x -> onExit(p));
    watch = StallWatch.start(parts, id, p, why -> switches.stalled(p, why));
    autoRestart.schedule(spec.restartAfterMs(), () -> switches.scheduled(p));
    slate.off(source);
    if (probe == Probe.QUICK && source != null) {
      // It plays with every stream its probe found; one that shows up later makes it probe fully.
      probes.learned(source, Probe.QUICK);
      p.log().onProblem(() -> parts.context().runOnContext(v -> missedWhilePlaying(p)));
      missedWhilePlaying(p);
    }
  }

  /** True while the channel shows the slate ({@link ChannelSlate}): every source failed, they are checked again. */
  @Override
  public boolean slated() {
    return slate.on();
  }

  /** The slate's FFmpeg {@code p} writes the playlist: the channel plays for its viewers, from no provider. */
  void slatePlaying(FfmpegProcess p) {
    slot.giveBack();
    parts.store().recordProcess(id, p.pid(), s.node(), mode.wire(), spec.source(), source);
    parts.registry().playing(this, info(StreamStatus.STARTED));
    ready.tryComplete(info(StreamStatus.STARTED));
  }

  /** {@code source} passed its check: once the slate's FFmpeg is {@code gone}, the plan from that source. */
  void leaveSlate(Future<Void> gone, String source) {
    plan = gone;
    gone.onComplete(x -> play(new Attempt(source, mode, spec.quality(), probes.forSource(source)),
      Math.max(0, spec.sources().indexOf(source)), System.currentTimeMillis() + s.startTimeoutMs(), Occasion.RECOVER,
      Occasion.RECOVER.reason));
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
    lastLog = p.log();
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
    parts.finishLog(p).onComplete(x -> restarts.died(p));
  }

  /** Callers of {@link #ready()} wait for the restart {@link Restarts} schedules. */
  void waitForRestart() {
    if (ready.future().isComplete()) {
      waitForPlay();
    }
  }

  /** {@link Restarts}' restart, {@code first} first. */
  void restartNow(Attempt first) {
    if (!cancelled()) {
      play(first, 0, System.currentTimeMillis() + s.startTimeoutMs(), Occasion.RESTART, Occasion.RESTART.reason);
    }
  }

  // -- lease ---------------------------------------------------------------------------------

  /** What the periodic renewal of the owner lease found. */
  @Override
  public void leaseRenewed(OwnerLease.Renewal renewal) {
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

  // -- stopping -------------------------------------------------------------------------------------

  /**
   * SIGTERM (SIGKILL after the grace) to FFmpeg, wait for it, remove the channel's files and keys,
   * release the lease. When the lease was lost to another instance its files and keys are left to it.
   */
  @Override
  public Future<Void> stop(String reason, boolean announce) {
    if (stopping) {
      return stopped.future();
    }
    stopping = true;
    parts.registry().notPlaying(this);
    if (watch != null) {
      watch.cancel();
    }
    restarts.cancel();
    autoRestart.cancel();
    parts.checks().forget(id);
    FfmpegProcess p = proc;
    Future<Void> killed = (p == null ? Future.<Void>succeededFuture() : p.terminate(parts.vertx(), s.stopGraceMs()))
      .compose(v -> slate.stop());
    killed
      .compose(v -> plan.otherwiseEmpty())
      .compose(v -> proc != null && proc != p ? proc.terminate(parts.vertx(), s.stopGraceMs()) : Future.succeededFuture())
      .compose(v -> proc != null ? parts.finishLog(proc) : Future.succeededFuture())
      .compose(v -> lostLease ? Future.succeededFuture() : parts.hls().removeFiles(id))
      .compose(v -> lostLease ? Future.succeededFuture() : slot.giveBack())
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
