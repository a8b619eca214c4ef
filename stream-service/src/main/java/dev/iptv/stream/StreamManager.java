package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.contract.ChangeAction;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.StreamContract.LogReply;
import dev.iptv.contract.StreamContract.StreamStatus;
import dev.iptv.contract.StreamContract.SwitchReply;
import dev.iptv.stream.limits.LimitsStore;
import dev.iptv.stream.servers.Servers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The FFmpeg lifecycle of every channel this instance runs, as the routes and consumers see it:
 * start on demand exactly once across the cluster ({@link ChannelStarts}), stop here or for a dead
 * owner, follow channel changes; and the periodic work: lease renewal ({@link OwnerLease}), idle
 * stop, crash recovery ({@link CrashRecovery}), channels deleted without an event.
 *
 * <p>Threading: the state ({@link ChannelRegistry}, every {@link ChannelRun}) is owned by the
 * verticle's context; the timers, consumers and FFmpeg exits run there. The methods here may be
 * called from any event loop: a poll of a channel that plays here is answered from the registry's
 * concurrent snapshot without crossing a thread; everything else enters the owning context with
 * {@link io.vertx.core.Context#runOnContext} ({@link ChannelRegistry#enter}) and answers on the
 * caller's. Blocking work (spawning, signals, /proc, file walks) goes to workers.
 */
final class StreamManager {

  private static final Logger log = LoggerFactory.getLogger(StreamManager.class);
  /** Callers get an answer within the start timeout plus this. */
  static final long ANSWER_MARGIN_MS = 2_000;

  private final Vertx vertx;
  private final StreamSettings s;
  private final MirrorContract.Probe sentinel;
  private final StreamParts parts;
  private final ChannelRegistry registry;
  private final CrashRecovery recovery;
  private final ChannelStarts starts;
  private final Thread shutdownHook;
  private final List<Long> timers = new ArrayList<>();
  /** Channels whose last_access key went missing, since when (epoch ms): idle only if it stays missing. */
  private final Map<String, Long> accessLostSinceMs = new HashMap<>();

  StreamManager(Vertx vertx, Context context, StreamSettings settings, StreamStore store, HlsFolder hls,
                MirrorContract.Probe sentinel, String instance, LimitsStore limits, Placement placement, Servers servers,
                ServerPlaylists serverPlaylists) {
    this.vertx = vertx;
    this.s = settings;
    this.sentinel = sentinel;
    this.registry = new ChannelRegistry(context, settings);
    this.parts = new StreamParts(vertx, context, settings, store, registry, new OwnerLease(store, instance, settings.leaseMs()),
      hls, new StreamEvents(vertx, settings), new LogTailer(), limits, new SourceChecks(vertx, settings, store, limits),
      servers, serverPlaylists);
    this.recovery = new CrashRecovery(parts);
    this.starts = new ChannelStarts(parts, recovery, placement);
    this.shutdownHook = new Thread(registry::killAll, "stream-service-shutdown");
  }

  /** This instance's name: the value of {@code stream:{id}:owner} for the channels it runs. */
  String instance() {
    return parts.lease().instance();
  }

  /**
   * Creates or checks the private folders (a folder that is a link or another user's fails the
   * start) and watches the HLS folder, hears the cluster's stream events, adopts or removes what a
   * predecessor left, then starts the timers.
   */
  Future<Void> start() {
    return parts.hls().prepare()
      .compose(v -> parts.events().listen())
      .onSuccess(v -> Runtime.getRuntime().addShutdownHook(shutdownHook))
      .compose(v -> recovery.sweep().recover(err -> {
        // Redis may come back later; the periodic sweep retries.
        log.warn("crash recovery at start failed, retrying periodically: {}", err.toString());
        return Future.succeededFuture();
      }))
      .onSuccess(v -> {
        timers.add(vertx.setPeriodic(parts.lease().renewEveryMs(), t -> renewLeases()));
        timers.add(vertx.setPeriodic(s.idleCheckMs(), t -> stopIdle()));
        parts.checks().start(registry);
        timers.add(vertx.setPeriodic(Math.max(2_000, s.leaseMs()), t -> {
          recovery.sweep();
          recheckChannels();
        }));
      })
      // A failed start gets no close: nothing it began may outlive it.
      .onFailure(err -> parts.hls().close());
  }

  /** Stops every stream this instance runs. */
  Future<Void> close() {
    return registry.enter(() -> {
      registry.closing();
      timers.forEach(vertx::cancelTimer);
      parts.checks().stop();
      List<Future<Void>> stops = new ArrayList<>();
      for (Run run : registry.runs()) {
        stops.add(run.stop("stream-service stopping", true));
      }
      List<Future<StreamStatus>> starting = registry.starts();
      return Future.join(stops).otherwiseEmpty()
        .compose(v -> Future.join(starting).otherwiseEmpty())
        .<Void>mapEmpty();
    }).eventually(() -> parts.events().close()).onComplete(v -> {
      parts.hls().close();
      parts.tailer().close();
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down.
      }
    });
  }

  // -- what routes and consumers ask ----------------------------------------------------------------

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
    return playingOr(id, () -> starts.ensure(id, user));
  }

  /**
   * A channel placed on this node by another instance ({@link dev.iptv.contract.StreamContract#ensureAddress}):
   * runs or joins it here, never placing it again.
   */
  Future<StreamStatus> ensureHere(String id, String user) {
    return playingOr(id, () -> starts.ensure(id, user, false));
  }

  /**
   * The channel as it plays here, without crossing a thread (a viewer's poll, the common case);
   * else {@code start} on the owning context, answered within the start timeout.
   */
  private Future<StreamStatus> playingOr(String id, java.util.function.Supplier<Future<StreamStatus>> start) {
    StreamStatus playing = registry.playing(id);
    if (playing != null) {
      return Future.succeededFuture(playing.running());
    }
    return registry.enter(start)
      .timeout(s.startTimeoutMs() + ANSWER_MARGIN_MS, TimeUnit.MILLISECONDS)
      .recover(err -> Future.failedFuture(err instanceof TimeoutException ? new ApiException(503, "timed out") : err));
  }

  /** How many channels run here (on the verticle's context). */
  int running() {
    return registry.count();
  }

  /** Stops the channel if this instance runs it: true when it did, false when it does not run here. */
  Future<Boolean> stopLocal(String id, String reason) {
    return registry.enter(() -> {
      Run run = registry.run(id);
      return run == null ? Future.succeededFuture(false) : run.stop(reason, true).map(true);
    });
  }

  /**
   * Moves the channel, if this instance runs it, to its next source ({@link SourceSwitch#force}):
   * what it plays now, or null when it does not run here.
   */
  Future<SwitchReply> switchLocal(String id) {
    return registry.enter(() -> {
      ChannelRun run = registry.local(id);
      return run == null || run.stopping() ? Future.succeededFuture(null) : run.switches().force();
    });
  }

  /** The last {@code lines} lines of the channel's FFmpeg log (here or on its SSH server) if this instance runs it, else null. */
  Future<LogReply> logLocal(String id, int lines) {
    return registry.enter(() -> {
      Run run = registry.run(id);
      return run == null || run.stopping() ? Future.succeededFuture(null) : run.log(lines);
    });
  }

  /**
   * The instance holding {@code id}'s lease is gone from the cluster and the channel must stop:
   * see {@link CrashRecovery#stopForDead}.
   */
  Future<Void> stopForDead(String id, String deadOwner) {
    return registry.enter(() -> recovery.stopForDead(id, deadOwner));
  }

  /** A channel was changed, deactivated or deleted (playlist-service's event). */
  Future<Void> channelChanged(String id, ChangeAction action, Boolean active) {
    return registry.enter(() -> {
      Run run = registry.run(id);
      if (run == null || run.stopping()) {
        return Future.succeededFuture();
      }
      if (action == ChangeAction.DELETED) {
        return run.stop("channel deleted", true);
      }
      if (Boolean.FALSE.equals(active)) {
        return run.stop("channel deactivated", true);
      }
      return parts.store().channel(id).compose(spec -> {
        if (run.stopping() || registry.run(id) != run) {
          return Future.succeededFuture();
        }
        if (spec == null || !spec.active()) {
          return run.stop(spec == null ? "channel deleted" : "channel deactivated", true);
        }
        if (!spec.equals(run.spec())) {
          run.reload(spec);
        }
        return Future.succeededFuture();
      });
    });
  }


  // -- periodic work --------------------------------------------------------------------------------

  private void renewLeases() {
    for (Run run : registry.runs()) {
      if (run.stopping()) {
        continue;
      }
      parts.lease().renew(run.id())
        .onSuccess(run::leaseRenewed)
        .onFailure(err -> log.warn("channel {}: cannot renew the owner lease: {}", run.id(), err.toString()));
    }
  }

  /** Stops the channels that play and whose viewers last polled longer than the idle timeout ago. */
  private void stopIdle() {
    double now = StreamStore.now();
    accessLostSinceMs.keySet().retainAll(registry.runs().stream().map(Run::id).toList());
    for (Run run : registry.runs()) {
      if (!run.plays() && !run.slated()) {
        continue;
      }
      parts.store().lastAccess(run.id()).onSuccess(last -> {
        if (last == null) {
          // Lost with the other keys (the lease renewal writes them again): idle only if it stays lost.
          last = accessLostSinceMs.computeIfAbsent(run.id(), k -> System.currentTimeMillis()) / 1000.0;
        } else {
          accessLostSinceMs.remove(run.id());
        }
        if (!run.stopping() && now - last > s.idleTimeoutMs() / 1000.0) {
          log.info("channel {}: no viewer for {} s, stopping", run.id(), s.idleTimeoutMs() / 1000);
          run.stop("idle", true);
        }
      });
    }
  }

  /**
   * Running channels deleted or deactivated without an event (redis-cli, an event lost while a
   * service restarted) are stopped here, at the sweep's period: one GET per running channel. A
   * channel missing while Redis lost its data and monitor-service restores it is left running.
   */
  private void recheckChannels() {
    for (Run run : registry.runs()) {
      if (run.stopping()) {
        continue;
      }
      parts.store().channelState(run.id())
        .compose(state -> state != null ? Future.succeededFuture(state.active() && state.direct() == null) : sentinel.lost())
        .onSuccess(keep -> {
          if (!keep && !run.stopping() && registry.run(run.id()) == run) {
            log.warn("channel {}: deleted, deactivated or made direct without an event: stopping its stream", run.id());
            run.stop("channel deleted or deactivated", true);
          }
        });
    }
  }
}
