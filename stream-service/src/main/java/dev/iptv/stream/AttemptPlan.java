package dev.iptv.stream;

import dev.iptv.common.Redact;
import dev.iptv.stream.FfmpegCommand.Mode;
import dev.iptv.stream.FfmpegLog.Failure;
import dev.iptv.stream.ProbePolicy.Probe;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The ways to run a channel, tried in order until one plays: each source (primary, then backups),
 * copy then transcode as the channel's profile says, each with the probe {@link ProbePolicy} chose for
 * its source. A source whose provider is full is skipped ({@link FfmpegLog.Failure#BUSY}); when every
 * one is, the plan fails as busy. The time left is shared among the sources left; a source that cannot be read skips its
 * transcode; a source whose quick probe missed a stream is run again with a full probe; a full disk
 * ends the plan (another source or a transcode would meet the same disk).
 */
final class AttemptPlan<P> {

  private static final Logger log = LoggerFactory.getLogger(AttemptPlan.class);

  /** One way to run a channel. */
  record Attempt(String source, Mode mode, Quality quality, Probe probe) {
    String describe() {
      return mode.wire() + (mode == Mode.TRANSCODE ? " " + quality.name().toLowerCase() : "") + " of "
        + Redact.url(source) + (probe == Probe.FULL ? " (full probe)" : "");
    }

    Attempt withProbe(Probe p) {
      return new Attempt(source, mode, quality, p);
    }

    /** The same source, mode and quality, whatever the probe. */
    boolean sameWay(Attempt o) {
      return o != null && source.equals(o.source) && mode == o.mode && quality == o.quality;
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

  private final String id;
  private final List<Attempt> attempts;
  private final long deadline;
  private final long startTimeoutMs;
  private final BiFunction<Attempt, Long, Future<P>> runner;
  private final BooleanSupplier cancelled;
  private final Consumer<String> diskFull;
  private final Consumer<String> needsFullProbe;
  private final List<String> why = new ArrayList<>();
  /** True while every attempt so far found its provider full. */
  private boolean allBusy = true;

  /**
   * @param first          tried before the rest (a restart in transcode after copying failed), or null
   * @param deadline       epoch ms by which one attempt must play
   * @param probeOf        the probe for a source
   * @param runner         runs one attempt until its deadline (epoch ms): the playing FFmpeg (here or on a server), or {@link AttemptFailed}
   * @param cancelled      true once the channel stops: nothing more is tried
   * @param diskFull       told once when an attempt met a full disk
   * @param needsFullProbe told of a source whose quick probe missed a stream
   */
  AttemptPlan(ChannelSpec spec, Attempt first, long deadline, long startTimeoutMs, Function<String, Probe> probeOf,
              BiFunction<Attempt, Long, Future<P>> runner, BooleanSupplier cancelled, Consumer<String> diskFull,
              Consumer<String> needsFullProbe) {
    this.id = spec.id();
    this.attempts = attempts(spec, first, probeOf);
    this.deadline = deadline;
    this.startTimeoutMs = startTimeoutMs;
    this.runner = runner;
    this.cancelled = cancelled;
    this.diskFull = diskFull;
    this.needsFullProbe = needsFullProbe;
  }

  /**
   * The attempts in order: {@code first} if any, then each source, copy then transcode as the profile
   * says, probed as {@code probeOf} says.
   */
  static List<Attempt> attempts(ChannelSpec spec, Attempt first, Function<String, Probe> probeOf) {
    List<Attempt> out = new ArrayList<>();
    if (first != null) {
      out.add(first);
    }
    for (String src : spec.sources()) {
      Quality forced = spec.profile().forced();
      Probe probe = probeOf.apply(src);
      List<Attempt> forSource = switch (spec.profile()) {
        case COPY -> List.of(new Attempt(src, Mode.COPY, spec.quality(), probe));
        case CUSTOM -> List.of(new Attempt(src, spec.custom().copiesAll() ? Mode.COPY : Mode.TRANSCODE, spec.quality(), probe));
        case AUTO -> List.of(new Attempt(src, Mode.COPY, spec.quality(), probe),
          new Attempt(src, Mode.TRANSCODE, spec.quality(), probe));
        default -> List.of(new Attempt(src, Mode.TRANSCODE, forced, probe));
      };
      for (Attempt a : forSource) {
        if (!a.sameWay(first)) {
          out.add(a);
        }
      }
    }
    return out;
  }

  /** The FFmpeg that plays, or a failure naming what every attempt met. */
  Future<P> run() {
    return from(0);
  }

  private Future<P> from(int i) {
    if (cancelled.getAsBoolean()) {
      return Future.failedFuture("stopped");
    }
    if (i >= attempts.size()) {
      return Future.failedFuture(attempts.isEmpty() ? new IllegalStateException("the channel has no valid source URL")
        : allBusy ? new AttemptFailed(Failure.BUSY, String.join("; ", why)) : new IllegalStateException(String.join("; ", why)));
    }
    long now = System.currentTimeMillis();
    if (now >= deadline) {
      why.add("start timeout of " + startTimeoutMs / 1000 + " s reached");
      return Future.failedFuture(String.join("; ", why));
    }
    Attempt a = attempts.get(i);
    long sourcesLeft = attempts.subList(i, attempts.size()).stream().map(Attempt::source).distinct().count();
    long budget = Math.max(1000, (deadline - now) / Math.max(1, sourcesLeft));
    return runner.apply(a, Math.min(deadline, now + budget)).recover(err -> {
      if (!(err instanceof AttemptFailed af) || cancelled.getAsBoolean()) {
        return Future.failedFuture(err);
      }
      why.add(a.describe() + ": " + af.getMessage());
      allBusy &= af.kind == Failure.BUSY;
      log.info("channel {}: {} failed ({}): {}", id, a.describe(), af.kind, af.getMessage());
      if (af.kind == Failure.DISK) {
        diskFull.accept(af.getMessage());
        return Future.failedFuture(new AttemptFailed(Failure.DISK, String.join("; ", why)));
      }
      if (af.kind == Failure.PROBE && a.probe() == Probe.QUICK) {
        // The same again, and what is left of this source, with a full probe.
        needsFullProbe.accept(a.source());
        for (int k = i; k < attempts.size(); k++) {
          if (attempts.get(k).source().equals(a.source())) {
            attempts.set(k, attempts.get(k).withProbe(Probe.FULL));
          }
        }
        return from(i);
      }
      int next = i + 1;
      if (af.kind == Failure.SOURCE || af.kind == Failure.BUSY) {
        while (next < attempts.size() && attempts.get(next).source().equals(a.source())) {
          next++;
        }
      }
      return from(next);
    });
  }
}
