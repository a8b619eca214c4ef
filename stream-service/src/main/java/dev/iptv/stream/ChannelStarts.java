package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.contract.StreamContract;
import dev.iptv.contract.StreamContract.StreamStatus;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

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
  private final Placement placement;
  private long startSeq;

  ChannelStarts(StreamParts parts, CrashRecovery recovery, Placement placement) {
    this.parts = parts;
    this.s = parts.settings();
    this.registry = parts.registry();
    this.lease = parts.lease();
    this.recovery = recovery;
    this.placement = placement;
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
    return ensure(id, user, true);
  }

  /**
   * As {@link #ensure(String, String)}; {@code place} false: the channel was placed on this node by
   * another instance ({@link StreamContract#ensureAddress}), so it runs here (or is joined where it
   * already runs) and is never placed again.
   */
  Future<StreamStatus> ensure(String id, String user, boolean place) {
    if (registry.isClosing()) {
      return Future.failedFuture(stopping());
    }
    Run run = registry.run(id);
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
      : place ? place(spec, deadline, user) : acquire(spec, deadline, user));
    registry.starting(id, f);
    return f;
  }

  /**
   * Nobody runs the channel yet: it goes where {@link Placement} says (SPEC section 9). Placed on
   * another stream node, that node runs it (asked at its {@link StreamContract#ensureAddress});
   * placed on an SSH server, this instance runs it there ({@link ServerRun}) under its lease;
   * placed here, or when that node does not answer, it runs here.
   */
  private Future<StreamStatus> place(ChannelSpec spec, long deadline, String user) {
    String id = spec.id();
    return lease.owner(id).compose(owner -> elsewhere(owner) ? join(spec, deadline, user, owner)
      : owner != null ? acquire(spec, deadline, user)
      : placement.place(spec.server()).recover(err -> {
        log.warn("channel {}: cannot read the nodes to place it, running it here: {}", id, err.toString());
        return Future.succeededFuture(null);
      }).compose(target -> {
        if (target == null) {
          return acquire(spec, deadline, user);
        }
        if (target.ssh()) {
          log.info("channel {}: placed on SSH server {}{}", id, target.name(), spec.server() != null ? " (forced)" : "");
          return acquire(spec, deadline, user, target.name());
        }
        log.info("channel {}: placed on node {}{}", id, target.name(), spec.server() != null ? " (forced)" : "");
        return ask(target.instance(), spec, deadline, user, () -> acquire(spec, deadline, user));
      }));
  }

  /**
   * Asks {@code instance} (another stream node) to run or join the channel; {@code otherwise} when
   * it does not answer at all (gone from the cluster).
   */
  private Future<StreamStatus> ask(String instance, ChannelSpec spec, long deadline, String user,
                                   Supplier<Future<StreamStatus>> otherwise) {
    long wait = Math.max(1, deadline - System.currentTimeMillis()) + StreamManager.ANSWER_MARGIN_MS / 2;
    return parts.onContext(parts.vertx().eventBus().<JsonObject>request(StreamContract.ensureAddress(instance),
        new StreamContract.EnsureRequest(spec.id(), user).toJson(), new DeliveryOptions().setSendTimeout(wait)))
      .<StreamStatus>map(m -> StreamStatus.fromJson(m.body()))
      .recover(err -> {
        if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
          log.warn("channel {}: {} does not answer: running it here", spec.id(), instance);
          return otherwise.get();
        }
        if (err instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
          return Future.failedFuture(new ApiException(re.failureCode() >= 400 ? re.failureCode() : 503, re.getMessage()));
        }
        return Future.failedFuture(new ApiException(503, "channel " + spec.id() + " did not start on " + instance));
      });
  }

  /** The owner runs on another stream node (its own HLS folder): only it can say when the channel plays. */
  private boolean elsewhere(String owner) {
    return owner != null && !OwnerLease.nodeOf(owner).equals(s.node());
  }

  /** Joins the channel where another instance runs it: its node answers, or its playlist appears in our folder. */
  private Future<StreamStatus> join(ChannelSpec spec, long deadline, String user, String owner) {
    Supplier<Future<StreamStatus>> here = () -> new RemoteJoin(parts, this, spec, deadline).result();
    return elsewhere(owner) ? ask(owner, spec, deadline, user, here) : here.get();
  }

  private Future<StreamStatus> acquire(ChannelSpec spec, long deadline, String user) {
    return acquire(spec, deadline, user, null);
  }

  /** @param server the SSH server to run it on, or null: here (then within this node's capacity) */
  private Future<StreamStatus> acquire(ChannelSpec spec, long deadline, String user, String server) {
    String id = spec.id();
    if (server == null && !registry.hasRoom()) {
      // At capacity only a channel another instance runs can be joined: no lease is taken to find out.
      return lease.owner(id).compose(owner -> owner == null ? Future.failedFuture(registry.capacityReached())
        : join(spec, deadline, user, owner));
    }
    // The claim and what a start reads next, in one round trip.
    return lease.claimForStart(id, probeFields(spec)).compose(claim -> {
      if (!claim.won()) {
        return lease.owner(id).compose(owner -> join(spec, deadline, user, owner));
      }
      return registry.isClosing() ? refuse(id, stopping()) : takeOver(spec, deadline, user, claim.state(), server);
    });
  }

  /**
   * The lease is ours (taken over from an owner that is gone): run the channel, as
   * {@link #takeOver(ChannelSpec, long, String, StreamStore.StartState)} does.
   */
  Future<StreamStatus> takeOver(ChannelSpec spec, long deadline, String user) {
    return parts.store().startState(spec.id(), probeFields(spec)).compose(st -> takeOver(spec, deadline, user, st, null));
  }

  /**
   * The lease is ours: run the channel, adopting the FFmpeg a crashed stream-service of this machine
   * left for it ({@link CrashRecovery#adoptRecorded}), or starting a fresh one.
   */
  private Future<StreamStatus> takeOver(ChannelSpec spec, long deadline, String user, StreamStore.StartState st,
                                        String server) {
    String id = spec.id();
    Future<Boolean> adopted = server != null ? Future.succeededFuture(false) : recovery.adoptRecorded(id, st.stream());
    return adopted.compose(tried -> {
      if (!tried) {
        return startHere(spec, deadline, user, st.probes(), server);
      }
      Run run = registry.run(id);
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
  private Future<StreamStatus> startHere(ChannelSpec spec, long deadline, String user, Map<String, String> probes,
                                         String server) {
    String id = spec.id();
    Run existing = registry.run(id);
    if (existing != null) {
      return existing.ready();
    }
    if (server == null && !registry.hasRoom()) {
      return refuse(id, registry.capacityReached());
    }
    if (user == null || s.userStartsPerMin() == 0) {
      return launch(spec, deadline, probes, server);
    }
    // A start on a server takes none of this node's room.
    boolean local = server == null;
    if (local) {
      registry.charging(true);
    }
    return parts.store().chargeStart(user, s.userStartsPerMin(), START_WINDOW_MS, lease.instance() + "/" + id + "/" + ++startSeq)
      .transform(ar -> {
        if (local) {
          registry.charging(false);
        }
        if (ar.failed()) {
          log.warn("channel {}: cannot count the starts of {}: {}", id, user, ar.cause().toString());
          return refuse(id, new ApiException(503, "cannot count the channel starts of " + user));
        }
        if (ar.result() > 0) {
          log.info("channel {}: not started for {}: {} starts in the last minute already", id, user,
            s.userStartsPerMin());
          return refuse(id, StartRefused.tooManyStarts(user, s.userStartsPerMin(), ar.result()));
        }
        Run again = registry.run(id);
        if (again != null) {
          return again.ready();
        }
        return registry.isClosing() ? refuse(id, stopping()) : launch(spec, deadline, probes, server);
      });
  }

  /** A fresh run: FFmpeg here, or on {@code server} when not null. */
  private Future<StreamStatus> launch(ChannelSpec spec, long deadline, Map<String, String> probes, String server) {
    ProbePolicy policy = new ProbePolicy(parts.store(), spec.id(), probes);
    if (server != null) {
      ServerRun run = new ServerRun(parts, parts.servers(), parts.serverPlaylists(), spec, policy, server);
      registry.add(run);
      run.start(deadline);
      // The server cannot be reached: placed again at once (it is offline now), never charged twice.
      return run.ready().recover(err -> err instanceof ServerRun.Unreachable && !registry.isClosing()
        ? run.whenStopped().compose(v -> place(spec, deadline, null)) : Future.failedFuture(err));
    }
    ChannelRun run = new ChannelRun(parts, spec, policy);
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
