package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.StreamContract.StreamStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * What this instance runs: its channels ({@link ChannelRun}), the starts in progress (one future per
 * channel, joined by every concurrent caller), and the capacity they take ({@code IPTV_MAX_STREAMS}:
 * running, stopping and starting channels all count).
 *
 * <p>Owned by the verticle's context: only code running there reads or changes it. Callers on other
 * event loops (the all-in-one front serves the routers from several) come in through
 * {@link #enter}, which is {@link Context#runOnContext} and back. Two things are safe to read from
 * any thread: the channels playing here ({@link #playing(String)}, a concurrent map the owner
 * writes), so that a viewer's poll of a running channel, the common case by far, crosses no thread;
 * and the set of live FFmpeg processes, read by the JVM's shutdown hook.
 */
final class ChannelRegistry {

  private static final Logger log = LoggerFactory.getLogger(ChannelRegistry.class);
  private static final long CAPACITY_LOG_MS = 60_000;

  private final Context owner;
  private final StreamSettings s;
  private final Map<String, ChannelRun> runs = new HashMap<>();
  /** The channels this instance runs on SSH servers: not in this node's capacity (the server's max_streams is theirs). */
  private final Map<String, ServerRun> onServers = new HashMap<>();
  /** What a poll of a channel playing here is answered: written by the owner, read by any thread. */
  private final Map<String, Playing> playing = new ConcurrentHashMap<>();
  private final Map<String, Future<StreamStatus>> starts = new HashMap<>();
  /** Every FFmpeg alive that we started or adopted: for the shutdown hook (any thread). */
  private final Set<FfmpegProcess> live = ConcurrentHashMap.newKeySet();
  /** Cold starts past the capacity check whose user's start count is being charged in Redis. */
  private int charging;
  private long capacityLoggedMs;
  private boolean closing;
  /** Told when the instance begins to close: the joins in progress. */
  private final Set<Runnable> onClosing = new LinkedHashSet<>();

  private record Playing(Run run, StreamStatus status) {
  }

  ChannelRegistry(Context owner, StreamSettings settings) {
    this.owner = owner;
    this.s = settings;
  }

  /**
   * Runs {@code work} on the owning context and answers on the caller's: the way in for callers on
   * any event loop. The answer is a future of the caller's context ({@link Future#fromCompletionStage}),
   * so its continuation (reading a playlist, answering HTTP) and any timeout on it run there.
   */
  <T> Future<T> enter(Supplier<Future<T>> work) {
    Context caller = Vertx.currentContext();
    CompletableFuture<T> answer = new CompletableFuture<>();
    owner.runOnContext(v -> {
      Future<T> done;
      try {
        done = work.get();
      } catch (RuntimeException e) {
        done = Future.failedFuture(e);
      }
      done.onComplete(answer::complete, answer::completeExceptionally);
    });
    return Future.fromCompletionStage(answer, caller != null ? caller : owner);
  }

  // -- read from any thread -------------------------------------------------------------------------

  /** The status of the channel when it plays here now, else null (starting, restarting, stopping, elsewhere). Any thread. */
  StreamStatus playing(String id) {
    Playing p = playing.get(id);
    return p == null ? null : p.status();
  }

  /** The run plays: polls are answered {@code status} without entering. */
  void playing(Run run, StreamStatus status) {
    playing.put(run.id(), new Playing(run, status));
  }

  /** The run stopped playing (FFmpeg restarting, reloading or stopping): polls enter and wait. */
  void notPlaying(Run run) {
    playing.computeIfPresent(run.id(), (id, p) -> p.run() == run ? null : p);
  }

  // -- channels run here ----------------------------------------------------------------------------

  /** The channel's run, here or on an SSH server, or null. */
  Run run(String id) {
    Run r = runs.get(id);
    return r != null ? r : onServers.get(id);
  }

  /** The channel's run when its FFmpeg runs on this machine, or null. */
  ChannelRun local(String id) {
    return runs.get(id);
  }

  void add(Run run) {
    if (run instanceof ServerRun remote) {
      onServers.put(run.id(), remote);
    } else {
      runs.put(run.id(), (ChannelRun) run);
    }
  }

  /** The run is over (stopped): it leaves, unless another run of the channel took its place. */
  void remove(Run run) {
    runs.remove(run.id(), run);
    onServers.remove(run.id(), run);
  }

  /** How many channels run on this machine (on the owning context). */
  int count() {
    return runs.size();
  }

  /** A copy of the runs whose FFmpeg runs on this machine. */
  List<ChannelRun> localRuns() {
    return new ArrayList<>(runs.values());
  }

  /** A copy of every run, here and on servers: callers may stop them while iterating. */
  List<Run> runs() {
    List<Run> all = new ArrayList<>(runs.values());
    all.addAll(onServers.values());
    return all;
  }


  /** The start of the channel in progress here, or null. */
  Future<StreamStatus> start(String id) {
    return starts.get(id);
  }

  /** A start of the channel is under way: concurrent callers join {@code f} until it completes. */
  void starting(String id, Future<StreamStatus> f) {
    starts.put(id, f);
    f.onComplete(ar -> starts.remove(id, f));
  }

  List<Future<StreamStatus>> starts() {
    return new ArrayList<>(starts.values());
  }

  /** This instance runs the channel or is starting it. */
  boolean busy(String id) {
    return runs.containsKey(id) || onServers.containsKey(id) || starts.containsKey(id);
  }

  // -- capacity -------------------------------------------------------------------------------------

  /** Room for one more channel: running, stopping and starting ones all count. */
  boolean hasRoom() {
    return runs.size() + charging < s.maxStreams();
  }

  /** A cold start holds its room while its user's starts are charged. */
  void charging(boolean begins) {
    charging += begins ? 1 : -1;
  }

  /** The refusal at capacity, logged once a minute. */
  StartRefused capacityReached() {
    long now = System.currentTimeMillis();
    if (now - capacityLoggedMs > CAPACITY_LOG_MS) {
      capacityLoggedMs = now;
      log.warn("capacity reached: {} channels run here ({} is {}); cold starts get 503 (logged once a minute)",
        runs.size() + charging, Config.MAX_STREAMS, s.maxStreams());
    }
    return StartRefused.capacity(s.node(), runs.size() + charging, s.maxStreams());
  }

  // -- processes and closing ------------------------------------------------------------------------

  /** An FFmpeg we started or adopted: killed with the JVM until it exits. */
  void track(FfmpegProcess p) {
    live.add(p);
    p.exit().onComplete(x -> live.remove(p));
  }

  /** The pids of the FFmpeg processes we run. */
  Set<Long> ourPids() {
    Set<Long> ours = new HashSet<>();
    live.forEach(p -> ours.add(p.pid()));
    return ours;
  }

  /** The JVM is going down without an orderly close: no FFmpeg may outlive it (any thread). */
  void killAll() {
    for (FfmpegProcess p : live) {
      p.kill();
    }
  }

  /** From now on nothing starts here; what waits is told. */
  void closing() {
    closing = true;
    List<Runnable> tell = new ArrayList<>(onClosing);
    onClosing.clear();
    tell.forEach(Runnable::run);
  }

  boolean isClosing() {
    return closing;
  }

  /** {@code action} runs when the instance begins to close (a wait in progress gives up), unless cancelled first. */
  Subscription onClosing(Runnable action) {
    onClosing.add(action);
    return () -> onClosing.remove(action);
  }
}
