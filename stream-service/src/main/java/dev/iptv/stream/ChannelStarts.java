package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.contract.StreamContract.StreamStatus;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

/**
 * Start on demand, exactly once across the cluster whatever the number of concurrent callers: a
 * channel running here is joined, a start in progress here is joined, otherwise the owner lease
 * decides who runs it: we take it and start FFmpeg (or adopt the one a crashed predecessor left),
 * or we wait for the instance that holds it ({@link RemoteJoin}). The room of the node
 * ({@code IPTV_MAX_STREAMS}) and the user's starts ({@code IPTV_USER_STARTS_PER_MIN}) are checked
 * before anything starts here; joining is never refused or counted.
 *
 * <p>Runs on the verticle's context, which owns the {@link ChannelRegistry}.
 */
final class ChannelStarts {

  private static final Logger log = LoggerFactory.getLogger(ChannelStarts.class);
  /** The window of IPTV_USER_STARTS_PER_MIN. */
  static final long START_WINDOW_MS = 60_000;

  private final StreamParts parts;
  private final StreamSettings s;
  private final ChannelRegistry registry;
  private final OwnerLease lease;
  private final CrashRecovery recovery;
  private long startSeq;

  ChannelStarts(StreamParts parts, CrashRecovery recovery) {
    this.parts = parts;
    this.s = parts.settings();
    this.registry = parts.registry();
    this.lease = parts.lease();
    this.recovery = recovery;
  }

  /**
   * The channel plays: here, by whoever runs it, or started here now. Fails with 404 for an unknown
   * or inactive channel, {@link StartRefused} at capacity or beyond the user's starts, 503 when it
   * cannot be started within the start timeout.
   *
   * @param user the viewer's username, charged one start when theirs starts the channel here; null
   *             for the admin API (never charged)
   */
  Future<StreamStatus> ensure(String id, String user) {
    if (registry.isClosing()) {
      return Future.failedFuture(stopping());
    }
    ChannelRun run = registry.run(id);
    if (run != null) {
      if (run.stopping()) {
        return run.whenStopped().compose(v -> ensure(id, user));
      }
      boolean wasRunning = run.ready().succeeded();
      return wasRunning ? run.ready().map(StreamStatus::running) : run.ready();
    }
    Future<StreamStatus> inFlight = registry.start(id);
    if (inFlight != null) {
      // A start in progress is joined for free; if its starter had used up their own starts, this
      // viewer (another user) asks again as the starter.
      return inFlight.recover(err -> err instanceof StartRefused r && r.user() != null && !r.user().equals(user)
        ? ensure(id, user) : Future.failedFuture(err));
    }
    long deadline = System.currentTimeMillis() + s.startTimeoutMs();
    Future<StreamStatus> f = parts.store().channel(id).compose(spec -> spec == null || !spec.active()
      ? Future.failedFuture(ApiException.notFound("unknown or inactive channel " + id))
      : acquire(spec, deadline, user));
    registry.starting(id, f);
    return f;
  }

  private Future<StreamStatus> acquire(ChannelSpec spec, long deadline, String user) {
    String id = spec.id();
    if (!registry.hasRoom()) {
      // At capacity only a channel another instance runs can be joined: no lease is taken to find out.
      return lease.owner(id).compose(owner -> owner == null ? Future.failedFuture(registry.capacityReached())
        : new RemoteJoin(parts, this, spec, deadline).result());
    }
    // The claim and what a start reads next, in one round trip.
    return lease.claimForStart(id, probeFields(spec)).compose(claim -> {
      if (!claim.won()) {
        return new RemoteJoin(parts, this, spec, deadline).result();
      }
      return registry.isClosing() ? refuse(id, stopping()) : takeOver(spec, deadline, user, claim.state());
    });
  }

  /**
   * The lease is ours (taken over from an owner that is gone): run the channel, as
   * {@link #takeOver(ChannelSpec, long, String, StreamStore.StartState)} does.
   */
  Future<StreamStatus> takeOver(ChannelSpec spec, long deadline, String user) {
    return parts.store().startState(spec.id(), probeFields(spec)).compose(st -> takeOver(spec, deadline, user, st));
  }

  /**
   * The lease is ours: run the channel, adopting the FFmpeg a crashed stream-service of this machine
   * left for it ({@link CrashRecovery#adoptRecorded}), or starting a fresh one.
   */
  private Future<StreamStatus> takeOver(ChannelSpec spec, long deadline, String user, StreamStore.StartState st) {
    String id = spec.id();
    return recovery.adoptRecorded(id, st.stream()).compose(tried -> {
      if (!tried) {
        return startHere(spec, deadline, user, st.probes());
      }
      ChannelRun run = registry.run(id);
      // Gone before it could be adopted (the lease went back with it): start afresh.
      return run != null ? run.ready() : acquire(spec, deadline, user);
    });
  }

  /**
   * A fresh FFmpeg for the channel, under our lease, if the node has room and the user has starts
   * left. The room is checked and taken on this context without a pause (the start in progress
   * counts while its user's starts are charged), so a crowd of first viewers of different channels
   * never runs more than IPTV_MAX_STREAMS.
   */
  private Future<StreamStatus> startHere(ChannelSpec spec, long deadline, String user, Map<String, String> probes) {
    String id = spec.id();
    ChannelRun existing = registry.run(id);
    if (existing != null) {
      return existing.ready();
    }
    if (!registry.hasRoom()) {
      return refuse(id, registry.capacityReached());
    }
    if (user == null || s.userStartsPerMin() == 0) {
      return launch(spec, deadline, probes);
    }
    registry.charging(true);
    return parts.store().chargeStart(user, s.userStartsPerMin(), START_WINDOW_MS, lease.instance() + "/" + id + "/" + ++startSeq)
      .transform(ar -> {
        registry.charging(false);
        if (ar.failed()) {
          log.warn("channel {}: cannot count the starts of {}: {}", id, user, ar.cause().toString());
          return refuse(id, new ApiException(503, "cannot count the channel starts of " + user));
        }
        if (ar.result() > 0) {
          log.info("channel {}: not started for {}: {} starts in the last minute already", id, user,
            s.userStartsPerMin());
          return refuse(id, StartRefused.tooManyStarts(user, s.userStartsPerMin(), ar.result()));
        }
        ChannelRun again = registry.run(id);
        if (again != null) {
          return again.ready();
        }
        return registry.isClosing() ? refuse(id, stopping()) : launch(spec, deadline, probes);
      });
  }

  private Future<StreamStatus> launch(ChannelSpec spec, long deadline, Map<String, String> probes) {
    ChannelRun run = new ChannelRun(parts, spec, new ProbePolicy(parts.store(), spec.id(), probes));
    registry.add(run);
    run.start(deadline);
    return run.ready();
  }

  /** The fields of {@code stream:{id}:probe} for the channel's sources. */
  private static List<String> probeFields(ChannelSpec spec) {
    return spec.sources().stream().map(ProbePolicy::field).toList();
  }

  /** Gives the lease back (nothing was started under it) and fails with {@code why}. */
  private Future<StreamStatus> refuse(String id, Throwable why) {
    return lease.release(id).transform(x -> Future.failedFuture(why));
  }

  private static ApiException stopping() {
    return new ApiException(503, "stream-service is stopping");
  }
}
