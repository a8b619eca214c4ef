package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.contract.ChangeAction;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.contract.StreamContract.StreamEvent;
import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import dev.iptv.contract.StreamContract.StreamStatus;
import dev.iptv.stream.FfmpegCommand.Mode;
import dev.iptv.stream.FfmpegLog.Failure;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * The FFmpeg lifecycle of every channel this instance runs: start on demand exactly once across the
 * cluster (owner lease in Redis plus the in-JVM futures of starts in progress), copy first and
 * transcode when copying cannot work, backup sources in order, restart with backoff while watched,
 * idle stop, adoption or removal of what a crashed predecessor left.
 *
 * <p>All state is confined to the verticle's context; the public methods hop onto it, so HTTP
 * handlers on any event loop may call them. Blocking work (spawning, signals, /proc, file walks)
 * goes to workers.
 */
final class StreamManager {

  private static final Logger log = LoggerFactory.getLogger(StreamManager.class);
  private static final long POLL_MS = 50;
  private static final long BACKOFF_BASE_MS = 500;
  private static final long BACKOFF_MAX_MS = 30_000;
  /** A stream that ran this long before dying resets its failure count. */
  private static final long STABLE_MS = 30_000;
  /** The window of IPTV_USER_STARTS_PER_MIN. */
  static final long START_WINDOW_MS = 60_000;
  /** While an attempt waits for its first segment, how often the file system is asked. */
  private static final long DISK_CHECK_MS = 1_000;
  private static final long CAPACITY_LOG_MS = 60_000;
  /** Callers get an answer within the start timeout plus this. */
  static final long ANSWER_MARGIN_MS = 2_000;

  /** One way to run a channel. */
  record Attempt(String source, Mode mode, Quality quality) {
    String describe() {
      return mode.wire() + (mode == Mode.TRANSCODE ? " " + quality.name().toLowerCase() : "") + " of "
        + Redact.url(source);
    }
  }

  /** An attempt that ended without a playable playlist, and why. */
  static final class AttemptFailed extends RuntimeException {
    final Failure kind;

    AttemptFailed(Failure kind, String message) {
      super(message, null, false, false);
      this.kind = kind;
    }
  }

  private final Vertx vertx;
  private final Context context;
  private final StreamSettings s;
  private final StreamStore store;
  private final HlsFolder hls;
  private final MirrorContract.Probe sentinel;
  private final LogTailer tailer = new LogTailer();
  private final String instance;
  private final Map<String, ChannelStream> streams = new HashMap<>();
  private final Map<String, Future<StreamStatus>> pending = new HashMap<>();
  /** Every FFmpeg alive that we started or adopted: for the shutdown hook (any thread). */
  private final Set<FfmpegProcess> live = ConcurrentHashMap.newKeySet();
  private final Thread shutdownHook;
  private boolean closing;
  private boolean sweeping;
  /** Cold starts past the capacity check whose user's start count is being charged in Redis. */
  private int charging;
  private long startSeq;
  private long capacityLoggedMs;
  private final List<Long> timers = new ArrayList<>();

  StreamManager(Vertx vertx, Context context, StreamSettings settings, StreamStore store, HlsFolder hls,
                MirrorContract.Probe sentinel, String instance) {
    this.vertx = vertx;
    this.context = context;
    this.s = settings;
    this.store = store;
    this.hls = hls;
    this.sentinel = sentinel;
    this.instance = instance;
    this.shutdownHook = new Thread(this::killAll, "stream-service-shutdown");
  }

  String instance() {
    return instance;
  }

  /**
   * Creates or checks the private folders (a folder that is a link or another user's fails the
   * start), adopts or removes what a predecessor left, then starts the timers.
   */
  Future<Void> start() {
    return hls.prepare()
      .onSuccess(v -> Runtime.getRuntime().addShutdownHook(shutdownHook))
      .compose(v -> sweep().recover(err -> {
        // Redis may come back later; the periodic sweep retries.
        log.warn("crash recovery at start failed, retrying periodically: {}", err.toString());
        return Future.succeededFuture();
      }))
      .onSuccess(v -> {
        timers.add(vertx.setPeriodic(Math.max(300, s.leaseMs() / 3), t -> renewLeases()));
        timers.add(vertx.setPeriodic(s.idleCheckMs(), t -> stopIdle()));
        timers.add(vertx.setPeriodic(Math.max(2_000, s.leaseMs()), t -> {
          sweep();
          recheckChannels();
        }));
      });
  }

  /** Stops every stream this instance runs. */
  Future<Void> close() {
    return on(() -> {
      closing = true;
      timers.forEach(vertx::cancelTimer);
      List<Future<Void>> stops = new ArrayList<>();
      for (ChannelStream cs : new ArrayList<>(streams.values())) {
        stops.add(cs.stop("stream-service stopping", true));
      }
      List<Future<StreamStatus>> starting = new ArrayList<>(pending.values());
      return Future.join(stops).otherwiseEmpty()
        .compose(v -> Future.join(new ArrayList<>(starting)).otherwiseEmpty())
        .<Void>mapEmpty();
    }).onComplete(v -> {
      tailer.close();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down.
      }
    });
  }

  /** The JVM is going down without an orderly close: no FFmpeg may outlive it. */
  private void killAll() {
    for (FfmpegProcess p : live) {
      p.kill();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Start on demand

  /**
   * The channel plays: runs it here if nobody runs it yet (exactly once, whatever the number of
   * concurrent callers), or waits for whoever runs it. Fails with 404 for an unknown or inactive
   * channel and 503 when it cannot be started within the start timeout (the answer comes within
   * the start timeout and {@value #ANSWER_MARGIN_MS} ms whatever happens).
   */
  Future<StreamStatus> ensure(String id) {
    return ensure(id, null);
  }

  /**
   * As {@link #ensure(String)}, for a viewer: {@code user} is charged one start
   * (IPTV_USER_STARTS_PER_MIN) when theirs is the request that starts the channel here; joining a
   * running channel or a start in progress is free. Fails with {@link StartRefused} at capacity
   * (IPTV_MAX_STREAMS) or beyond the user's starts.
   *
   * @param user the viewer's username, or null (the admin API: never charged)
   */
  Future<StreamStatus> ensure(String id, String user) {
    return on(() -> ensureHere(id, user))
      .timeout(s.startTimeoutMs() + ANSWER_MARGIN_MS, TimeUnit.MILLISECONDS)
      .recover(err -> Future.failedFuture(err instanceof TimeoutException ? new ApiException(503, "timed out") : err));
  }

  private Future<StreamStatus> ensureHere(String id, String user) {
    if (closing) {
      return Future.failedFuture(new ApiException(503, "stream-service is stopping"));
    }
    ChannelStream cs = streams.get(id);
    if (cs != null) {
      if (cs.stopping) {
        return cs.stopped.future().compose(v -> ensureHere(id, user));
      }
      boolean wasRunning = cs.ready.future().succeeded();
      return wasRunning ? cs.ready.future().map(StreamStatus::running) : cs.ready.future();
    }
    Future<StreamStatus> inFlight = pending.get(id);
    if (inFlight != null) {
      // A start in progress is joined for free; if its starter had used up their own starts, this
      // viewer (another user) asks again as the starter.
      return inFlight.recover(err -> err instanceof StartRefused r && r.user() != null && !r.user().equals(user)
        ? ensureHere(id, user) : Future.failedFuture(err));
    }
    long deadline = System.currentTimeMillis() + s.startTimeoutMs();
    Future<StreamStatus> f = store.channel(id).compose(spec -> {
      if (spec == null || !spec.active()) {
        return Future.failedFuture(ApiException.notFound("unknown or inactive channel " + id));
      }
      return acquire(spec, deadline, user);
    });
    pending.put(id, f);
    f.onComplete(ar -> pending.remove(id, f));
    return f;
  }

  private Future<StreamStatus> acquire(ChannelSpec spec, long deadline, String user) {
    String id = spec.id();
    // At capacity only a channel another instance runs can be joined: no lease is taken to find out.
    Future<Boolean> claimed = hasRoom() ? store.claim(id, instance, s.leaseMs())
      : store.owner(id).compose(owner -> owner == null ? Future.failedFuture(capacityReached())
        : Future.succeededFuture(false));
    return claimed.compose(won -> {
      if (!won) {
        return joinRemote(spec, deadline);
      }
      if (closing) {
        return store.release(id, instance)
          .transform(x -> Future.failedFuture(new ApiException(503, "stream-service is stopping")));
      }
      return takeOver(spec, deadline, user);
    });
  }

  /** Room for one more channel: running, stopping and starting ones all count. */
  private boolean hasRoom() {
    return streams.size() + charging < s.maxStreams();
  }

  private StartRefused capacityReached() {
    long now = System.currentTimeMillis();
    if (now - capacityLoggedMs > CAPACITY_LOG_MS) {
      capacityLoggedMs = now;
      log.warn("capacity reached: {} channels run here ({} is {}); cold starts get 503 (logged once a minute)",
        streams.size() + charging, dev.iptv.common.Config.MAX_STREAMS, s.maxStreams());
    }
    return StartRefused.capacity(s.node(), streams.size() + charging, s.maxStreams());
  }

  /** Gives the lease back (nothing was started under it) and fails with {@code why}. */
  private Future<StreamStatus> refuse(String id, Throwable why) {
    return store.release(id, instance).transform(x -> Future.failedFuture(why));
  }

  /**
   * The lease is ours: run the channel. When Redis records an FFmpeg of this node for it (a
   * stream-service of this machine died, even with kill -9, and its lease has just lapsed), that
   * process is adopted if /proc confirms it, and any other FFmpeg of the channel here is stopped,
   * so a player's request never starts a second one beside it. Otherwise FFmpeg starts fresh.
   */
  private Future<StreamStatus> takeOver(ChannelSpec spec, long deadline, String user) {
    String id = spec.id();
    return store.state(id).compose(st -> {
      boolean recorded = st.pid() != null && (st.node() == null || st.node().equals(s.node()));
      if (!recorded) {
        return startHere(spec, deadline, user);
      }
      return unownedFfmpeg(id).compose(procs -> {
        ProcScan.Found keep = procs.stream().filter(f -> f.pid() == st.pid()).findFirst().orElse(null);
        List<ProcScan.Found> kill = procs.stream().filter(f -> f != keep).toList();
        Future<Void> killed = kill.isEmpty() ? Future.succeededFuture() : killOrphans(id, kill);
        if (keep == null || closing || streams.containsKey(id)) {
          return killed.compose(v -> startHere(spec, deadline, user));
        }
        return killed.compose(v -> adopt(id, keep, st)).compose(v -> {
          ChannelStream cs = streams.get(id);
          if (cs != null) {
            return cs.ready.future();
          }
          // Gone before it could be adopted (adopt released the lease): start afresh.
          return acquire(spec, deadline, user);
        });
      });
    });
  }

  /**
   * A fresh FFmpeg for the channel, under our lease, if the node has room and the user has starts
   * left. The room is checked and taken on this context without a pause (the start in progress
   * counts while its user's starts are charged), so a crowd of first viewers of different channels
   * never runs more than IPTV_MAX_STREAMS.
   */
  private Future<StreamStatus> startHere(ChannelSpec spec, long deadline, String user) {
    String id = spec.id();
    ChannelStream existing = streams.get(id);
    if (existing != null) {
      return existing.ready.future();
    }
    if (!hasRoom()) {
      return refuse(id, capacityReached());
    }
    if (user == null || s.userStartsPerMin() == 0) {
      return launch(spec, deadline);
    }
    charging++;
    return store.chargeStart(user, s.userStartsPerMin(), START_WINDOW_MS, instance + "/" + id + "/" + ++startSeq)
      .transform(ar -> {
        charging--;
        if (ar.failed()) {
          log.warn("channel {}: cannot count the starts of {}: {}", id, user, ar.cause().toString());
          return refuse(id, new ApiException(503, "cannot count the channel starts of " + user));
        }
        if (ar.result() > 0) {
          log.info("channel {}: not started for {}: {} starts in the last minute already", id, user,
            s.userStartsPerMin());
          return refuse(id, StartRefused.tooManyStarts(user, s.userStartsPerMin(), ar.result()));
        }
        ChannelStream again = streams.get(id);
        if (again != null) {
          return again.ready.future();
        }
        if (closing) {
          return refuse(id, new ApiException(503, "stream-service is stopping"));
        }
        return launch(spec, deadline);
      });
  }

  private Future<StreamStatus> launch(ChannelSpec spec, long deadline) {
    ChannelStream cs = new ChannelStream(spec);
    streams.put(spec.id(), cs);
    cs.startFresh(deadline);
    return cs.ready.future();
  }

  /**
   * Another instance runs (or starts) the channel: wait for its playlist to appear in the HLS
   * folder we share; take over if its lease ends meanwhile.
   */
  private Future<StreamStatus> joinRemote(ChannelSpec spec, long deadline) {
    String id = spec.id();
    Promise<StreamStatus> result = Promise.promise();
    int[] ticks = {0};
    boolean[] busy = {false};
    Runnable[] tick = new Runnable[1];
    tick[0] = () -> {
      if (result.future().isComplete()) {
        return;
      }
      if (closing) {
        result.tryFail(new ApiException(503, "stream-service is stopping"));
        return;
      }
      if (System.currentTimeMillis() > deadline) {
        result.tryFail(new ApiException(503, "channel " + id + " did not start within "
          + s.startTimeoutMs() / 1000 + " s"));
        return;
      }
      if (busy[0]) {
        return;
      }
      busy[0] = true;
      boolean probeOwner = ticks[0]++ % 10 == 9;
      hls.playlistReady(id).compose(ready -> {
        if (ready) {
          return store.state(id).map(st -> {
            result.tryComplete(new StreamStatus(id, st.pid() == null ? 0 : st.pid(), st.node(), st.mode(),
              st.started() == null ? 0 : st.started(), "running"));
            return null;
          });
        }
        if (!probeOwner) {
          return Future.succeededFuture();
        }
        return store.claim(id, instance, s.leaseMs()).map(won -> {
          if (won && !result.future().isComplete()) {
            // Its owner is gone: taking over is no start of the viewer's (never charged).
            takeOver(spec, deadline, null).onComplete(result);
          }
          return null;
        });
      }).onComplete(ar -> busy[0] = false);
    };
    long timer = vertx.setPeriodic(100, t -> tick[0].run());
    tick[0].run();
    return result.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  // ---------------------------------------------------------------------------------------------
  // Stop

  /**
   * Stops the channel if this instance runs it: true when it did, false when it does not run here.
   */
  Future<Boolean> stopLocal(String id, String reason) {
    return on(() -> {
      ChannelStream cs = streams.get(id);
      if (cs == null) {
        return Future.succeededFuture(false);
      }
      return cs.stop(reason, true).map(true);
    });
  }

  /** A channel was changed, deactivated or deleted (playlist-service's event). */
  void channelChanged(String id, ChangeAction action, Boolean active) {
    context.runOnContext(v -> {
      ChannelStream cs = streams.get(id);
      if (cs == null || cs.stopping) {
        return;
      }
      if (action == ChangeAction.DELETED) {
        cs.stop("channel deleted", true);
        return;
      }
      if (Boolean.FALSE.equals(active)) {
        cs.stop("channel deactivated", true);
        return;
      }
      store.channel(id).onSuccess(spec -> {
        if (cs.stopping || streams.get(id) != cs) {
          return;
        }
        if (spec == null || !spec.active()) {
          cs.stop(spec == null ? "channel deleted" : "channel deactivated", true);
        } else if (!spec.equals(cs.spec)) {
          cs.reload(spec);
        }
      });
    });
  }

  /**
   * Running channels deleted or deactivated without an event (redis-cli, an event lost while a
   * service restarted) are stopped here, at the sweep's period: one GET per running channel. A
   * channel missing while Redis lost its data and monitor-service restores it is left running.
   */
  private void recheckChannels() {
    for (ChannelStream cs : new ArrayList<>(streams.values())) {
      if (cs.stopping) {
        continue;
      }
      store.channelActive(cs.id)
        .compose(active -> active != null ? Future.succeededFuture(active) : sentinel.lost())
        .onSuccess(keep -> {
          if (!keep && !cs.stopping && streams.get(cs.id) == cs) {
            log.warn("channel {}: deleted or deactivated without an event: stopping its stream", cs.id);
            cs.stop("channel deleted or deactivated", true);
          }
        });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Periodic work

  private void renewLeases() {
    for (ChannelStream cs : new ArrayList<>(streams.values())) {
      if (cs.stopping) {
        continue;
      }
      store.renew(cs.id, instance, s.leaseMs())
        .compose(ok -> ok ? Future.succeededFuture(true) : store.claim(cs.id, instance, s.leaseMs()).map(won -> {
          if (won && cs.proc != null && !cs.stopping) {
            // The lease had vanished (Redis restarted empty?): write the stream's keys again.
            log.warn("channel {}: owner lease was gone, taken again; recording the stream anew", cs.id);
            store.recordProcess(cs.id, cs.proc.pid(), s.node(), cs.mode.wire(), cs.spec.source(), cs.source)
              .compose(v -> store.recordStarted(cs.id, cs.started));
          }
          return won;
        }))
        .onSuccess(ok -> {
          if (!ok && !cs.stopping) {
            log.error("channel {}: another instance took the owner lease; stopping our FFmpeg so only one runs", cs.id);
            cs.lostLease = true;
            cs.stop("lost ownership", true);
          }
        })
        .onFailure(err -> log.warn("channel {}: cannot renew the owner lease: {}", cs.id, err.toString()));
    }
  }

  private void stopIdle() {
    double now = StreamStore.now();
    for (ChannelStream cs : new ArrayList<>(streams.values())) {
      if (cs.stopping || cs.proc == null || !cs.ready.future().succeeded()) {
        continue;
      }
      store.lastAccess(cs.id).onSuccess(last -> {
        if (last == null) {
          // Lost with the other keys (the lease renewal writes them again): idle only if it stays lost.
          if (cs.accessLostSinceMs == 0) {
            cs.accessLostSinceMs = System.currentTimeMillis();
          }
          last = cs.accessLostSinceMs / 1000.0;
        } else {
          cs.accessLostSinceMs = 0;
        }
        if (!cs.stopping && now - last > s.idleTimeoutMs() / 1000.0) {
          log.info("channel {}: no viewer for {} s, stopping", cs.id, s.idleTimeoutMs() / 1000);
          cs.stop("idle", true);
        }
      });
    }
  }

  /**
   * Crash recovery, at start and then periodically: FFmpeg processes writing into our folder, pid
   * keys of this node and channel files nobody runs. A process recorded for this node whose command
   * line really is our FFmpeg for that channel is adopted once its owner lease has lapsed; anything
   * else is stopped and its keys and files removed. Channels owned by a live instance are left alone,
   * except an extra FFmpeg of theirs on this machine (a duplicate), which is killed.
   */
  Future<Void> sweep() {
    return on(() -> {
      if (sweeping || closing) {
        return Future.<Void>succeededFuture();
      }
      sweeping = true;
      Future<List<ProcScan.Found>> scan = vertx.executeBlocking(() -> ProcScan.scan(s.hlsDir(), s.ffmpeg()), false);
      Future<Set<String>> files = hls.channelsWithFiles();
      Future<Set<String>> keys = store.streamIds();
      return Future.all(scan, files, keys).compose(all -> {
        Map<String, List<ProcScan.Found>> byChannel = new HashMap<>();
        Set<Long> ours = new HashSet<>();
        live.forEach(p -> ours.add(p.pid()));
        for (ProcScan.Found f : scan.result()) {
          if (!ours.contains(f.pid())) {
            byChannel.computeIfAbsent(f.channelId(), k -> new ArrayList<>()).add(f);
          }
        }
        Set<String> ids = new HashSet<>(keys.result());
        ids.addAll(files.result());
        ids.addAll(byChannel.keySet());
        List<Future<Void>> work = new ArrayList<>();
        for (String id : ids) {
          if (streams.containsKey(id) || pending.containsKey(id)) {
            continue;
          }
          work.add(recover(id, byChannel.getOrDefault(id, List.of()))
            .recover(err -> {
              log.warn("channel {}: recovery failed: {}", id, err.toString());
              return Future.succeededFuture();
            }));
        }
        return Future.join(work).<Void>mapEmpty();
      }).onComplete(ar -> sweeping = false);
    });
  }

  /**
   * The instance holding {@code id}'s lease is gone from the cluster (its stop address has no
   * handler any more) and the channel must stop: end its lease with the stream's keys, then stop the
   * FFmpeg it left on this machine and remove the files, as the sweep would once the lease lapsed.
   */
  Future<Void> stopForDead(String id, String deadOwner) {
    return on(() -> store.release(id, deadOwner)
      .compose(v -> unownedFfmpeg(id))
      .compose(procs -> recover(id, procs)));
  }

  /** FFmpeg processes writing channel {@code id} into our folder that this instance does not run (a /proc walk on a worker). */
  private Future<List<ProcScan.Found>> unownedFfmpeg(String id) {
    Set<Long> ours = new HashSet<>();
    live.forEach(p -> ours.add(p.pid()));
    return vertx.executeBlocking(() -> ProcScan.scan(s.hlsDir(), s.ffmpeg()), false)
      .map(found -> found.stream().filter(f -> f.channelId().equals(id) && !ours.contains(f.pid())).toList());
  }

  private Future<Void> recover(String id, List<ProcScan.Found> procs) {
    return store.state(id).compose(st -> {
      if (st.owner() != null && !st.owner().equals(instance)) {
        // A live owner (or a dead one whose lease has not lapsed yet: next sweep).
        if (nodeOf(st.owner()).equals(s.node()) && st.pid() != null) {
          Instant old = Instant.now().minus(Duration.ofMillis(s.startTimeoutMs() + 10_000));
          List<ProcScan.Found> dupes = procs.stream()
            .filter(f -> f.pid() != st.pid() && f.started().isBefore(old)).toList();
          if (!dupes.isEmpty()) {
            log.warn("channel {}: killing {} duplicate FFmpeg(s) {} of a channel {} runs", id, dupes.size(),
              dupes.stream().map(ProcScan.Found::pid).toList(), st.owner());
            return killOrphans(id, dupes);
          }
        }
        return Future.succeededFuture();
      }
      boolean mine = st.node() == null || st.node().equals(s.node());
      return store.claim(id, instance, s.leaseMs()).compose(won -> {
        if (!won) {
          return Future.succeededFuture();
        }
        if (streams.containsKey(id) || pending.containsKey(id) || closing) {
          return Future.succeededFuture();
        }
        ProcScan.Found keep = mine && st.pid() != null
          ? procs.stream().filter(f -> f.pid() == st.pid()).findFirst().orElse(null) : null;
        List<ProcScan.Found> kill = procs.stream().filter(f -> f != keep).toList();
        Future<Void> killed = kill.isEmpty() ? Future.succeededFuture() : killOrphans(id, kill);
        if (keep != null) {
          return killed.compose(v -> adopt(id, keep, st));
        }
        if (!kill.isEmpty() || st.pid() != null) {
          log.info("channel {}: removing what a previous run left (pid key {}, node {})", id, st.pid(), st.node());
        }
        return killed.compose(v -> hls.removeFiles(id)).compose(v -> store.release(id, instance)).mapEmpty();
      });
    });
  }

  private Future<Void> adopt(String id, ProcScan.Found found, StreamStore.StreamState st) {
    return vertx.executeBlocking(() -> ProcScan.verify(found.pid(), s.hlsDir(), s.ffmpeg(), id)
        ? ProcessHandle.of(found.pid()).orElse(null) : null, false)
      .compose(handle -> store.channel(id).compose(spec -> {
        if (handle == null || !handle.isAlive()) {
          return hls.removeFiles(id).compose(v -> store.release(id, instance)).mapEmpty();
        }
        ChannelSpec use = spec != null ? spec : new ChannelSpec(id, List.of(), st.source(), false, Quality.MEDIUM,
          ChannelSpec.Profile.AUTO, null, Map.of());
        ChannelStream cs = new ChannelStream(use);
        streams.put(id, cs);
        cs.adopt(handle, st);
        if (spec == null || !spec.active()) {
          return cs.stop(spec == null ? "channel deleted" : "channel deactivated", true);
        }
        return Future.succeededFuture();
      }));
  }

  /** SIGTERM, then SIGKILL after the grace, to processes re-checked to be our FFmpeg for {@code id}. */
  private Future<Void> killOrphans(String id, List<ProcScan.Found> procs) {
    return vertx.executeBlocking(() -> {
      List<ProcessHandle> handles = new ArrayList<>();
      for (ProcScan.Found f : procs) {
        if (ProcScan.verify(f.pid(), s.hlsDir(), s.ffmpeg(), id)) {
          ProcessHandle.of(f.pid()).ifPresent(h -> {
            log.warn("channel {}: stopping orphan FFmpeg pid {}", id, h.pid());
            h.descendants().forEach(ProcessHandle::destroy);
            h.destroy();
            handles.add(h);
          });
        }
      }
      long until = System.currentTimeMillis() + s.stopGraceMs();
      for (ProcessHandle h : handles) {
        try {
          h.onExit().get(Math.max(1, until - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
          h.descendants().forEach(ProcessHandle::destroyForcibly);
          h.destroyForcibly();
        }
      }
      return null;
    }, false);
  }

  private static String nodeOf(String owner) {
    int slash = owner.lastIndexOf('/');
    return slash < 0 ? owner : owner.substring(0, slash);
  }

  // ---------------------------------------------------------------------------------------------

  private void publish(Kind event, String id, String mode, String reason) {
    vertx.eventBus().publish(StreamContract.EVENTS, StreamEvent.of(event, id, s.node(), mode, reason).toJson());
  }

  /** Runs {@code work} on the manager's context. */
  private <T> Future<T> on(Supplier<Future<T>> work) {
    if (Vertx.currentContext() == context) {
      return work.get();
    }
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        work.get().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }

  // =============================================================================================

  /** One channel run by this instance: its FFmpeg over starts, restarts and stop. */
  final class ChannelStream {

    final String id;
    ChannelSpec spec;
    FfmpegProcess proc;
    String source;
    Mode mode = Mode.COPY;
    double started;
    double fps;
    Promise<StreamStatus> ready = Promise.promise();
    final Promise<Void> stopped = Promise.promise();
    boolean stopping;
    boolean lostLease;
    int failures;
    long runningSinceMs;
    long accessLostSinceMs;
    long restartTimer = -1;
    Future<?> plan = Future.succeededFuture();
    boolean diskReported;

    ChannelStream(ChannelSpec spec) {
      this.id = spec.id();
      this.spec = spec;
    }

    // -- starting --------------------------------------------------------------------------------

    void startFresh(long deadline) {
      started = StreamStore.now();
      Future<FfmpegProcess> f = runPlan(plan(null), 0, deadline, new ArrayList<>());
      plan = f;
      f.onComplete(ar -> {
        if (stopping) {
          return;
        }
        if (ar.succeeded()) {
          running(ar.result(), false, "started on demand");
        } else {
          String why = ar.cause().getMessage();
          log.warn("channel {}: cannot start: {}", id, why);
          publish(Kind.FAILED, id, mode.wire(), why);
          ready.tryFail(new ApiException(503, "channel " + id + " cannot be started: "
            + (ar.cause() instanceof AttemptFailed af && af.kind == Failure.DISK ? "the disk of the HLS folder is full"
            : "no source plays")));
          stop(why, false);
        }
      });
    }

    /** The attempts in order: each source (primary, then backups), copy then transcode as the profile says. */
    List<Attempt> plan(Attempt first) {
      List<Attempt> out = new ArrayList<>();
      if (first != null) {
        out.add(first);
      }
      for (String src : spec.sources()) {
        Quality forced = spec.profile().forced();
        List<Attempt> forSource = switch (spec.profile()) {
          case COPY -> List.of(new Attempt(src, Mode.COPY, spec.quality()));
          case AUTO -> List.of(new Attempt(src, Mode.COPY, spec.quality()), new Attempt(src, Mode.TRANSCODE, spec.quality()));
          default -> List.of(new Attempt(src, Mode.TRANSCODE, forced));
        };
        for (Attempt a : forSource) {
          if (!a.equals(first)) {
            out.add(a);
          }
        }
      }
      return out;
    }

    private Future<FfmpegProcess> runPlan(List<Attempt> attempts, int i, long deadline, List<String> why) {
      if (stopping || closing) {
        return Future.failedFuture("stopped");
      }
      if (i >= attempts.size()) {
        return Future.failedFuture(attempts.isEmpty() ? "the channel has no valid source URL"
          : String.join("; ", why));
      }
      long now = System.currentTimeMillis();
      if (now >= deadline) {
        why.add("start timeout of " + s.startTimeoutMs() / 1000 + " s reached");
        return Future.failedFuture(String.join("; ", why));
      }
      Attempt a = attempts.get(i);
      long sourcesLeft = attempts.subList(i, attempts.size()).stream().map(Attempt::source).distinct().count();
      long budget = Math.max(1000, (deadline - now) / Math.max(1, sourcesLeft));
      return attempt(a, Math.min(deadline, now + budget)).recover(err -> {
        if (!(err instanceof AttemptFailed af) || stopping || closing) {
          return Future.failedFuture(err);
        }
        why.add(a.describe() + ": " + af.getMessage());
        log.info("channel {}: {} failed ({}): {}", id, a.describe(), af.kind, af.getMessage());
        if (af.kind == Failure.DISK) {
          // Another source or a transcode would meet the same full disk.
          reportDiskFull(af.getMessage());
          return Future.failedFuture(new AttemptFailed(Failure.DISK, String.join("; ", why)));
        }
        int next = i + 1;
        if (af.kind == Failure.SOURCE) {
          while (next < attempts.size() && attempts.get(next).source().equals(a.source())) {
            next++;
          }
        }
        return runPlan(attempts, next, deadline, why);
      });
    }

    /** Runs FFmpeg once; succeeds when its playlist lists a segment, fails with {@link AttemptFailed}. */
    private Future<FfmpegProcess> attempt(Attempt a, long attemptDeadline) {
      List<String> args = FfmpegCommand.build(s, spec, a.source(), a.mode(), a.quality(), fps,
        FfmpegCommand.startNumber(System.currentTimeMillis()));
      FfmpegLog flog = new FfmpegLog();
      Path logFile = s.ffmpegLog(id);
      return hls.removeFiles(id).compose(v -> vertx.executeBlocking(() -> {
        PrivateFolders.prepareLogs(s.ffmpegLogDir());
        Files.deleteIfExists(logFile);
        return new ProcessBuilder(args)
          .directory(s.hlsDir().toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
      }, false)).recover(err -> Future.failedFuture(new AttemptFailed(Failure.SOURCE,
        "cannot run " + s.ffmpeg() + ": " + err.getMessage()))).compose(process -> {
        FfmpegProcess p = FfmpegProcess.started(context, process, flog);
        live.add(p);
        p.exit().onComplete(x -> live.remove(p));
        tailer.follow(logFile, flog, 0);
        proc = p;
        source = a.source();
        mode = a.mode();
        log.debug("channel {}: FFmpeg pid {} for {}", id, p.pid(), a.describe());
        store.recordProcess(id, p.pid(), s.node(), a.mode().wire(), spec.source(), a.source())
          .onFailure(err -> log.warn("channel {}: cannot record pid {}: {}", id, p.pid(), err.toString()));
        return awaitPlayable(p, a, attemptDeadline).recover(this::unlessDiskFull);
      });
    }

    /** An attempt that failed for another reason while the disk was full failed for the disk. */
    private Future<FfmpegProcess> unlessDiskFull(Throwable err) {
      if (!(err instanceof AttemptFailed af) || af.kind == Failure.DISK) {
        return Future.failedFuture(err);
      }
      return hls.diskFull().transform(ar -> Future.failedFuture(ar.succeeded() && ar.result() != null
        ? new AttemptFailed(Failure.DISK, ar.result()) : err));
    }

    /** A full disk: one error log line and one disk_full event per start of the channel. */
    void reportDiskFull(String reason) {
      if (diskReported) {
        return;
      }
      diskReported = true;
      log.error("channel {}: the disk of {} is full, FFmpeg cannot write: {}", id, s.hlsDir(), reason);
      vertx.eventBus().publish(StreamContract.EVENTS, StreamEvent.diskFull(id, s.node(), s.hlsDir().toString(), reason)
        .toJson());
    }

    private Future<FfmpegProcess> awaitPlayable(FfmpegProcess p, Attempt a, long attemptDeadline) {
      Promise<FfmpegProcess> result = Promise.promise();
      boolean copying = a.mode() == Mode.COPY;
      boolean[] checking = {false};
      long[] diskCheckedMs = {System.currentTimeMillis()};
      long timer = vertx.setPeriodic(POLL_MS, t -> {
        if (result.future().isComplete() || checking[0]) {
          return;
        }
        if (stopping || closing) {
          giveUp(p, result, Failure.SOURCE, "stopped");
        } else if (!p.alive()) {
          finishLog(p).onComplete(x -> {
            Integer code = p.exit().result();
            result.tryFail(new AttemptFailed(p.log().classify(copying),
              redact(p.log().summary()) + " (exit " + code + ")"));
          });
        } else if (p.log().diskProblem() != null) {
          giveUp(p, result, Failure.DISK, redact(p.log().diskProblem()));
        } else if (copying && p.log().copyProblem() != null) {
          giveUp(p, result, Failure.COPY, redact(p.log().copyProblem()));
        } else if (System.currentTimeMillis() > attemptDeadline) {
          Failure kind = p.log().inputOpened() && copying ? Failure.COPY : Failure.SOURCE;
          giveUp(p, result, kind, p.log().inputOpened() ? "no segment within the time allowed"
            : "no data from the source within the time allowed");
        } else {
          checking[0] = true;
          boolean askDisk = System.currentTimeMillis() - diskCheckedMs[0] >= DISK_CHECK_MS;
          if (askDisk) {
            diskCheckedMs[0] = System.currentTimeMillis();
          }
          // No segment yet: FFmpeg may be writing into a full disk without a word.
          hls.playlistReady(id).compose(ready -> ready || !askDisk ? Future.succeededFuture(ready)
            : hls.diskFull().map(full -> {
              if (full != null) {
                giveUp(p, result, Failure.DISK, full);
              }
              return false;
            })).onComplete(ar -> {
            checking[0] = false;
            if (ar.succeeded() && ar.result() && p.alive()) {
              if (p.log().fps() > 0) {
                fps = p.log().fps();
              }
              result.tryComplete(p);
            }
          });
        }
      });
      return result.future().onComplete(ar -> vertx.cancelTimer(timer));
    }

    private void giveUp(FfmpegProcess p, Promise<FfmpegProcess> result, Failure kind, String why) {
      if (result.future().isComplete()) {
        return;
      }
      if (fps <= 0 && p.log().fps() > 0) {
        fps = p.log().fps();
      }
      // Fail only once the process is gone, so the next attempt never overlaps this one.
      p.terminate(vertx, s.stopGraceMs()).compose(v -> finishLog(p))
        .onComplete(x -> result.tryFail(new AttemptFailed(kind, why)));
    }

    private Future<Void> finishLog(FfmpegProcess p) {
      return vertx.executeBlocking(() -> {
        tailer.finish(p.log());
        return null;
      }, false);
    }

    private void running(FfmpegProcess p, boolean restarted, String reason) {
      runningSinceMs = System.currentTimeMillis();
      log.info("channel {}: {} ({}, pid {}, {})", id, restarted ? "restarted" : "playing", mode.wire(), p.pid(),
        Redact.url(source));
      store.recordStarted(id, started)
        .compose(v -> restarted ? store.countRestart(id).mapEmpty() : Future.succeededFuture())
        .onFailure(err -> log.warn("channel {}: cannot record the start: {}", id, err.toString()));
      publish(restarted ? Kind.RESTARTED : Kind.STARTED, id, mode.wire(), reason);
      ready.tryComplete(info(StreamStatus.STARTED));
      p.exit().onComplete(x -> onExit(p));
    }

    /** FFmpeg quotes its input URL; upstream URLs often carry credentials: never in logs or events. */
    String redact(String text) {
      return Redact.sources(text, spec.sources());
    }

    StreamStatus info(String status) {
      return new StreamStatus(id, proc == null ? 0 : proc.pid(), s.node(), mode.wire(), started, status);
    }

    void adopt(ProcessHandle handle, StreamStore.StreamState st) {
      started = st.started() == null ? StreamStore.now() : st.started();
      source = st.resolvedSource();
      mode = Mode.fromWire(st.mode());
      FfmpegLog flog = new FfmpegLog();
      Path logFile = s.ffmpegLog(id);
      long from = 0;
      try {
        from = Math.max(0, Files.readAttributes(logFile, java.nio.file.attribute.BasicFileAttributes.class,
          java.nio.file.LinkOption.NOFOLLOW_LINKS).size() - 8192);
      } catch (IOException e) {
        // No log left: nothing to show.
      }
      tailer.follow(logFile, flog, from);
      FfmpegProcess p = FfmpegProcess.adopted(context, handle, flog);
      live.add(p);
      p.exit().onComplete(x -> live.remove(p));
      proc = p;
      store.recordProcess(id, p.pid(), s.node(), mode.wire(), spec.source(), source);
      log.info("channel {}: adopted FFmpeg pid {} left running by a previous stream-service", id, p.pid());
      running(p, false, "adopted after a restart of stream-service");
    }

    // -- dying and restarting ------------------------------------------------------------------

    private void onExit(FfmpegProcess p) {
      if (stopping || p != proc || p.terminating()) {
        return;
      }
      proc = null;
      finishLog(p).onComplete(x -> {
        // After it played, only what FFmpeg said about copying makes copy the culprit.
        Failure kind = p.log().copyProblem() != null ? Failure.COPY : Failure.SOURCE;
        if (p.log().diskProblem() != null) {
          reportDiskFull(redact(p.log().diskProblem()));
        }
        Integer code = p.exit().result();
        String why = code != null && code > 128 ? "killed by signal " + (code - 128) : redact(p.log().summary());
        log.warn("channel {}: FFmpeg pid {} exited (code {}): {}", id, p.pid(), p.exit().result(), why);
        if (System.currentTimeMillis() - runningSinceMs > STABLE_MS) {
          failures = 0;
        }
        watched().onComplete(w -> {
          if (stopping) {
            return;
          }
          if (w.succeeded() && w.result()) {
            scheduleRestart(kind == Failure.COPY && mode == Mode.COPY && source != null
              ? new Attempt(source, Mode.TRANSCODE, spec.quality()) : null, why);
          } else {
            stop("FFmpeg exited with nobody watching: " + why, true);
          }
        });
      });
    }

    /** Viewers polled within the idle timeout. */
    private Future<Boolean> watched() {
      return store.lastAccess(id).map(last -> last != null
        && StreamStore.now() - last < s.idleTimeoutMs() / 1000.0);
    }

    private void scheduleRestart(Attempt first, String why) {
      failures++;
      if (failures > s.restartMax()) {
        String reason = "gave up after " + s.restartMax() + " failed restarts: " + why;
        log.error("channel {}: {}", id, reason);
        publish(Kind.FAILED, id, mode.wire(), reason);
        stop(reason, true);
        return;
      }
      if (ready.future().isComplete()) {
        ready = Promise.promise();
      }
      long delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS << Math.min(16, failures - 1));
      log.info("channel {}: restarting in {} ms (attempt {} of {})", id, delay, failures, s.restartMax());
      // Without the playlist, nginx sends players to us and they wait for the restart.
      hls.removeFiles(id).onComplete(x -> restartTimer = vertx.setTimer(delay, t -> {
        restartTimer = -1;
        restart(first);
      }));
    }

    private void restart(Attempt first) {
      if (stopping || closing) {
        return;
      }
      Future<FfmpegProcess> f = runPlan(plan(first), 0, System.currentTimeMillis() + s.startTimeoutMs(),
        new ArrayList<>());
      plan = f;
      f.onComplete(ar -> {
        if (stopping) {
          return;
        }
        if (ar.succeeded()) {
          running(ar.result(), true, "FFmpeg died while watched");
          return;
        }
        String why = ar.cause().getMessage();
        log.warn("channel {}: restart failed: {}", id, why);
        publish(Kind.FAILED, id, mode.wire(), why);
        watched().onComplete(w -> {
          if (stopping) {
            return;
          }
          if (w.succeeded() && w.result()) {
            scheduleRestart(null, why);
          } else {
            stop("restart failed with nobody watching: " + why, true);
          }
        });
      });
    }

    /** The channel's sources or settings changed: run it again with the new ones. */
    void reload(ChannelSpec updated) {
      spec = updated;
      if (stopping || proc == null || !ready.future().succeeded()) {
        return;
      }
      FfmpegProcess old = proc;
      proc = null;
      ready = Promise.promise();
      log.info("channel {}: channel changed, restarting FFmpeg", id);
      old.terminate(vertx, s.stopGraceMs()).compose(v -> finishLog(old)).onComplete(x -> {
        if (stopping) {
          return;
        }
        Future<FfmpegProcess> f = runPlan(plan(null), 0, System.currentTimeMillis() + s.startTimeoutMs(),
          new ArrayList<>());
        plan = f;
        f.onComplete(ar -> {
          if (stopping) {
            return;
          }
          if (ar.succeeded()) {
            running(ar.result(), true, "channel updated");
          } else {
            publish(Kind.FAILED, id, mode.wire(), ar.cause().getMessage());
            ready.tryFail(new ApiException(503, "channel " + id + " cannot be started: no source plays"));
            stop(ar.cause().getMessage(), true);
          }
        });
      });
    }

    // -- stopping ------------------------------------------------------------------------------

    /**
     * SIGTERM (SIGKILL after the grace) to FFmpeg, wait for it, remove the channel's files and keys,
     * release the lease. When the lease was lost to another instance its files and keys are left to it.
     */
    Future<Void> stop(String reason, boolean announce) {
      if (stopping) {
        return stopped.future();
      }
      stopping = true;
      if (restartTimer >= 0) {
        vertx.cancelTimer(restartTimer);
      }
      FfmpegProcess p = proc;
      Future<Void> killed = p == null ? Future.succeededFuture() : p.terminate(vertx, s.stopGraceMs());
      killed
        .compose(v -> plan.otherwiseEmpty())
        .compose(v -> proc != null && proc != p ? proc.terminate(vertx, s.stopGraceMs()) : Future.succeededFuture())
        .compose(v -> proc != null ? finishLog(proc) : Future.succeededFuture())
        .compose(v -> lostLease ? Future.succeededFuture() : hls.removeFiles(id))
        .compose(v -> lostLease ? Future.succeededFuture() : store.release(id, instance).mapEmpty())
        .onFailure(err -> log.warn("channel {}: cleanup after stop incomplete: {}", id, err.toString()))
        .onComplete(ar -> {
          streams.remove(id, this);
          ready.tryFail(new ApiException(503, "the stream of channel " + id + " stopped: " + reason));
          if (announce) {
            log.info("channel {}: stopped ({})", id, reason);
            publish(Kind.STOPPED, id, mode.wire(), reason);
          }
          stopped.tryComplete();
        });
      return stopped.future();
    }
  }
}
