package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.common.Redact;
import dev.iptv.contract.ServerContract;
import dev.iptv.contract.StreamContract.LogReply;
import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import dev.iptv.contract.StreamContract.StreamStatus;
import dev.iptv.stream.AttemptPlan.Attempt;
import dev.iptv.stream.FfmpegCommand.Mode;
import dev.iptv.stream.ProbePolicy.Probe;
import dev.iptv.stream.servers.RemoteFfmpeg;
import dev.iptv.stream.servers.ServerSpec;
import dev.iptv.stream.servers.Servers;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * One channel this instance runs on an SSH server (SPEC section 9), under the same owner lease as
 * a channel run here, so one FFmpeg per channel exists across nodes and servers. Its FFmpeg is
 * started there over SSH ({@link Servers#startFfmpeg}: every argument quoted, its PID recorded),
 * tried source by source, copy then transcode, as a local run ({@link AttemptPlan}), and playable
 * once the server's playlist lists a segment ({@link ServerAttempt}). While it plays it is
 * watched every {@value #WATCH_MS} ms: an FFmpeg gone from the server (its PID no longer our
 * FFmpeg in {@code /proc}) is started again; a server deleted or disabled stops the run and its
 * FFmpeg; a server offline or unreachable ends the run at once without touching the server (its
 * lease and keys released, so the next request places the channel elsewhere), and whatever it left
 * there is stopped when the server is back ({@code ServerReaper}). A recorded FFmpeg of the channel
 * still alive on the server (an instance that died or restarted) is adopted instead of starting
 * another. Idle stop, channel changes and lease renewals come from {@link StreamManager} like for
 * any {@link Run}.
 *
 * <p>Confined to the verticle's context; all SSH work goes through {@link Servers}, off the event loops.
 */
final class ServerRun implements Run {

  private static final Logger log = LoggerFactory.getLogger(ServerRun.class);
  /** How often a playing run checks its server and its FFmpeg there. */
  static final long WATCH_MS = 2_000;

  /** The server could not be reached to start FFmpeg there: the channel may run elsewhere at once. */
  static final class Unreachable extends ApiException {
    Unreachable(String message) {
      super(503, message);
    }
  }

  private final StreamParts parts;
  private final StreamSettings s;
  private final Servers servers;
  private final ServerPlaylists playlists;
  private final String server;
  private final String id;
  private final ProbePolicy probes;
  private final ProviderSlot slot;
  private ChannelSpec spec;
  private ServerSpec target;
  private RemoteFfmpeg.Started proc;
  private String source;
  private Mode mode = Mode.COPY;
  private double started;
  private Promise<StreamStatus> ready = Promise.promise();
  private final Promise<Void> stopped = Promise.promise();
  private Future<?> plan = Future.succeededFuture();
  private boolean stopping;
  private boolean lostLease;
  private boolean watching;
  private long watchTimer = -1;

  ServerRun(StreamParts parts, Servers servers, ServerPlaylists playlists, ChannelSpec spec, ProbePolicy probes,
            String server) {
    this.parts = parts;
    this.s = parts.settings();
    this.servers = servers;
    this.playlists = playlists;
    this.spec = spec;
    this.id = spec.id();
    this.probes = probes;
    this.server = server;
    this.slot = new ProviderSlot(parts, id);
  }

  /** The SSH server it runs on. */
  String server() {
    return server;
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

  @Override
  public boolean plays() {
    return !stopping && proc != null && ready.future().succeeded();
  }

  @Override
  public Future<StreamStatus> ready() {
    return ready.future();
  }

  @Override
  public Future<Void> whenStopped() {
    return stopped.future();
  }

  Servers servers() {
    return servers;
  }

  ServerPlaylists playlists() {
    return playlists;
  }

  boolean cancelled() {
    return stopping || parts.registry().isClosing();
  }

  // -- starting -------------------------------------------------------------------------------------

  /** Runs the channel on the server, playable by {@code deadline} (epoch ms) or the run stops. */
  void start(long deadline) {
    started = StreamStore.now();
    play(deadline, false);
  }

  private void play(long deadline, boolean restart) {
    Future<RemoteFfmpeg.Started> f = parts.onContext(servers.spec(server)).compose(sp -> {
      if (sp == null || !sp.enabled()) {
        return Future.failedFuture(new ApiException(503, "server " + server + (sp == null ? " is gone" : " is disabled")));
      }
      target = sp;
      return restart ? fresh(deadline) : adoptOrStart(deadline);
    });
    plan = f;
    f.onComplete(ar -> played(ar, restart));
  }

  /** The FFmpeg recorded for the channel on the server when it is still ours and alive (adopted), else a fresh one. */
  private Future<RemoteFfmpeg.Started> adoptOrStart(long deadline) {
    return parts.onContext(servers.recorded(server, id)).compose(rec -> rec == null ? Future.succeededFuture(false)
        : parts.onContext(servers.ffmpegAlive(server, id)))
      .recover(err -> Future.succeededFuture(false))
      .compose(alive -> !alive ? fresh(deadline) : parts.onContext(servers.recorded(server, id))
        .compose(rec -> parts.store().state(id).compose(st -> {
          proc = rec;
          mode = Mode.fromWire(st.mode());
          source = st.resolvedSource() != null ? st.resolvedSource() : spec.source();
          slot.hold(spec, source);
          log.info("channel {}: adopting FFmpeg pid {} left running on server {}", id, rec.pid(), server);
          return record(rec).compose(v -> new ServerAttempt(this, parts, rec, deadline, mode == Mode.COPY).playable())
            // It did not play (stopped there meanwhile): a fresh one in the time left.
            .recover(err -> err instanceof AttemptPlan.AttemptFailed && !cancelled() ? fresh(deadline)
              : Future.failedFuture(err));
        })));
  }

  private Future<RemoteFfmpeg.Started> fresh(long deadline) {
    return new AttemptPlan<RemoteFfmpeg.Started>(spec, null, deadline, s.startTimeoutMs(), probes::forSource,
      (a, until) -> slot.take(spec, a.source()).compose(v -> attempt(a, until)), this::cancelled,
      why -> log.error("channel {}: the disk of {} on server {} is full: {}", id, target.hlsDir(), server, why),
      src -> probes.learned(src, Probe.FULL)).run();
  }

  /** One attempt: FFmpeg started on the server, then playable by {@code until} or stopped there. */
  private Future<RemoteFfmpeg.Started> attempt(Attempt a, long until) {
    List<String> args = ServerAttempt.args(FfmpegCommand.build(s, spec, a.source(), a.mode(), a.quality(), a.probe(), 0,
      FfmpegCommand.startNumber(System.currentTimeMillis())), target, id);
    return parts.onContext(servers.startFfmpeg(server, id, args))
      .recover(err -> {
        String why = "FFmpeg cannot be started on server " + server + ": " + err.getMessage();
        return parts.onContext(servers.markOffline(server, why)).otherwiseEmpty()
          .transform(x -> Future.failedFuture(new Unreachable(why)));
      })
      .compose(p -> {
        proc = p;
        source = a.source();
        mode = a.mode();
        log.debug("channel {}: FFmpeg pid {} on server {} for {}", id, p.pid(), server, a.describe());
        return record(p).compose(v -> new ServerAttempt(this, parts, p, until, a.mode() == Mode.COPY).playable());
      });
  }

  /** The stream's keys: its PID, and the server as its node (what /api/streams/active shows). */
  private Future<Void> record(RemoteFfmpeg.Started p) {
    return parts.store().recordProcess(id, p.pid(), server, mode.wire(), spec.source(), source)
      .recover(err -> {
        log.warn("channel {}: cannot record pid {} on server {}: {}", id, p.pid(), server, err.toString());
        return Future.succeededFuture();
      });
  }

  private void played(AsyncResult<RemoteFfmpeg.Started> ar, boolean restart) {
    if (stopping) {
      return;
    }
    if (ar.failed()) {
      String why = String.valueOf(ar.cause().getMessage());
      log.warn("channel {}: {} on server {}: {}", id, restart ? "restart failed" : "cannot start", server, why);
      parts.events().publish(Kind.FAILED, id, mode.wire(), why);
      ready.tryFail(ar.cause() instanceof ApiException api ? api : new ApiException(503, "channel " + id
        + " cannot be started on server " + server + ": " + why));
      stop(why, restart);
      return;
    }
    proc = ar.result();
    log.info("channel {}: {} on server {} ({}, pid {}, {})", id, restart ? "restarted" : "playing", server, mode.wire(),
      proc.pid(), Redact.url(source));
    parts.store().recordStarted(id, started)
      .compose(v -> restart ? parts.store().countRestart(id).mapEmpty() : Future.succeededFuture())
      .onFailure(err -> log.warn("channel {}: cannot record the start: {}", id, err.toString()));
    parts.events().publish(restart ? Kind.RESTARTED : Kind.STARTED, id, mode.wire(),
      (restart ? "FFmpeg died on server " : "started on server ") + server);
    StreamStatus status = new StreamStatus(id, proc.pid(), server, mode.wire(), started, StreamStatus.STARTED);
    parts.registry().playing(this, status);
    ready.tryComplete(status);
    if (watchTimer < 0) {
      watchTimer = parts.vertx().setPeriodic(WATCH_MS, t -> watch());
    }
  }

  /** The last {@code n} lines of its FFmpeg's log on the server, credentials redacted. */
  @Override
  public Future<LogReply> log(int n) {
    long pid = proc == null ? 0 : proc.pid();
    return parts.onContext(servers.logTail(server, id, 256 * 1024)).map(text -> {
      FfmpegLog said = new FfmpegLog();
      text.lines().forEach(said::accept);
      List<String> tail = said.tail(n).stream().map(l -> Redact.credentials(Redact.sources(l, spec.sources()))).toList();
      return new LogReply(id, server, pid, source == null ? null : Redact.url(source), tail);
    });
  }

  // -- watching -------------------------------------------------------------------------------------

  /** The server still takes the channel, and our FFmpeg still runs there; else the run ends or restarts. */
  private void watch() {
    if (watching || !plays()) {
      return;
    }
    watching = true;
    RemoteFfmpeg.Started p = proc;
    parts.onContext(servers.spec(server)).compose(sp -> {
      if (sp == null || !sp.enabled()) {
        return stop(sp == null ? "server " + server + " deleted" : "server " + server + " disabled", true);
      }
      return parts.onContext(servers.health(server)).compose(h -> {
        if (h == null || !ServerContract.ONLINE.equals(h.getString("status"))) {
          return abandon("server " + server + " is offline" + (h == null ? "" : ": " + h.getString("error", "")));
        }
        return parts.onContext(servers.ffmpegAlive(server, id)).transform(alive -> {
          if (alive.failed()) {
            return abandon("server " + server + " is unreachable: " + alive.cause().getMessage());
          }
          if (!alive.result() && plays() && proc == p) {
            restart();
          }
          return Future.succeededFuture();
        });
      });
    }).onComplete(x -> watching = false);
  }

  /** Our FFmpeg is gone from the server: a new one, viewers waiting for it. */
  private void restart() {
    log.warn("channel {}: FFmpeg pid {} is gone from server {}, starting it again", id, proc.pid(), server);
    proc = null;
    ready = Promise.promise();
    parts.registry().notPlaying(this);
    play(System.currentTimeMillis() + s.startTimeoutMs(), true);
  }

  /**
   * The server cannot be reached: the run ends here without a word to it (its keys and lease
   * released, the next request places the channel again); its FFmpeg record stays, so that what
   * runs there is stopped once the server answers again.
   */
  private Future<Void> abandon(String why) {
    log.warn("channel {}: {}: giving the channel up (placed again on the next request)", id, why);
    // Placement skips the server from now on, not only after the next health reading.
    return parts.onContext(servers.markOffline(server, why)).otherwiseEmpty().compose(v -> stop(why, true, false));
  }

  // -- changes, lease, stop -----------------------------------------------------------------------

  @Override
  public void reload(ChannelSpec updated) {
    spec = updated;
    if (!plays()) {
      return;
    }
    log.info("channel {}: channel changed, restarting FFmpeg on server {}", id, server);
    RemoteFfmpeg.Started old = proc;
    proc = null;
    ready = Promise.promise();
    parts.registry().notPlaying(this);
    Future<?> gone = parts.onContext(servers.stopFfmpeg(server, id, old.pid())).otherwiseEmpty();
    plan = gone;
    gone.onComplete(x -> {
      if (!stopping) {
        play(System.currentTimeMillis() + s.startTimeoutMs(), true);
      }
    });
  }

  @Override
  public void leaseRenewed(OwnerLease.Renewal renewal) {
    if (stopping) {
      return;
    }
    if (renewal == OwnerLease.Renewal.RETAKEN && proc != null) {
      log.warn("channel {}: owner lease was gone, taken again; recording the stream anew", id);
      record(proc).compose(v -> parts.store().recordStarted(id, started));
    } else if (renewal == OwnerLease.Renewal.LOST) {
      log.error("channel {}: another instance took the owner lease; stopping our FFmpeg on server {}", id, server);
      lostLease = true;
      stop("lost ownership", true);
    }
  }

  @Override
  public Future<Void> stop(String reason, boolean announce) {
    return stop(reason, announce, true);
  }

  /**
   * Stops the run: with {@code onServer}, its FFmpeg there (the {@code /proc} check, SIGTERM then
   * SIGKILL, files removed, record forgotten); then its provider slot, keys and lease.
   */
  private Future<Void> stop(String reason, boolean announce, boolean onServer) {
    if (stopping) {
      return stopped.future();
    }
    stopping = true;
    parts.registry().notPlaying(this);
    if (watchTimer >= 0) {
      parts.vertx().cancelTimer(watchTimer);
    }
    plan.otherwiseEmpty()
      .compose(v -> !onServer || proc == null ? Future.succeededFuture()
        : parts.onContext(servers.stopFfmpeg(server, id, proc.pid())).recover(err -> {
          log.warn("channel {}: FFmpeg on server {} not stopped now ({}); stopped there once it answers", id, server,
            err.getMessage());
          return Future.succeededFuture();
        }))
      .compose(v -> lostLease ? Future.succeededFuture() : slot.giveBack())
      .compose(v -> lostLease ? Future.succeededFuture() : parts.lease().release(id))
      .onFailure(err -> log.warn("channel {}: cleanup after stop incomplete: {}", id, err.toString()))
      .onComplete(ar -> {
        playlists.forget(server, id);
        parts.registry().remove(this);
        ready.tryFail(new ApiException(503, "the stream of channel " + id + " stopped: " + reason));
        if (announce) {
          log.info("channel {}: stopped on server {} ({})", id, server, reason);
          parts.events().publish(Kind.STOPPED, id, mode.wire(), reason);
        }
        stopped.tryComplete();
      });
    return stopped.future();
  }
}
