package dev.iptv.stream;

import dev.iptv.common.Redact;
import dev.iptv.common.ApiException;
import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import dev.iptv.contract.StreamContract.SwitchReply;
import dev.iptv.stream.AttemptPlan.Attempt;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a {@link ChannelRun} moves between its sources while it plays: a stall ({@link StallWatch})
 * restarts the same source, and a second stall of that source within {@link #MEMORY_MS} moves the
 * channel to the next one; an operator's force switch moves it at once. Either way the new FFmpeg
 * goes on with the playlist ({@link Occasion#keepsPlaylist}), so viewers keep their session, and
 * when the run then plays from another source than before, a {@code switched} event says so. A
 * scheduled restart ({@code auto_restart_hours}) replaces FFmpeg the same way, from the same source.
 * Runs on the verticle's context.
 */
final class SourceSwitch {

  private static final Logger log = LoggerFactory.getLogger(SourceSwitch.class);
  /** A stall of the same source this soon after the previous one moves the channel to its next source. */
  static final long MEMORY_MS = 5 * 60_000;

  private final ChannelRun run;
  private final StreamParts parts;
  private final ProbePolicy probes;
  /** The source the channel played last: playing from another one is a switch. */
  private String played;
  private String stalledSource;
  private long stalledAtMs;

  SourceSwitch(ChannelRun run, StreamParts parts, ProbePolicy probes) {
    this.run = run;
    this.parts = parts;
    this.probes = probes;
  }

  /** The run plays from {@code source} (null: unknown, adopted) because of {@code reason}. */
  void playing(String source, String mode, String reason) {
    if (played != null && source != null && !played.equals(source)) {
      log.info("channel {}: switched from {} to {}", run.id(), Redact.url(played), Redact.url(source));
      parts.events().publish(Kind.SWITCHED, run.id(), mode, "from " + Redact.url(played) + " to "
        + Redact.url(source) + ": " + reason);
    }
    played = source != null ? source : played;
  }

  /** {@link StallWatch} found {@code p} stalled: the same source again, or the next one after a second stall. */
  void stalled(FfmpegProcess p, String why) {
    if (!run.plays(p)) {
      return;
    }
    String source = run.source();
    long now = System.currentTimeMillis();
    boolean again = source != null && source.equals(stalledSource) && now - stalledAtMs < MEMORY_MS
      && run.spec().sources().size() > 1;
    stalledSource = source;
    stalledAtMs = now;
    int at = Math.max(0, run.spec().sources().indexOf(source));
    log.warn("channel {}: stalled: {}; {}", run.id(), why, again ? "moving to its next source" : "restarting it");
    parts.events().publish(Kind.STALLED, run.id(), run.mode().wire(), why);
    // Again: the same source, mode and quality first (an adopted FFmpeg's source is unknown: the plan's order).
    Attempt same = again || source == null ? null
      : new Attempt(source, run.mode(), run.spec().quality(), probes.forSource(source));
    run.replace(same, again ? at + 1 : at, Occasion.STALL, "stalled: " + why);
  }

  /** {@code auto_restart_hours} of uptime ({@link AutoRestart}): the same source again, its players carried on. */
  void scheduled(FfmpegProcess p) {
    if (!run.plays(p)) {
      return;
    }
    String source = run.source();
    log.info("channel {}: restarting FFmpeg after {} h of uptime (auto_restart_hours)", run.id(),
      run.spec().restartAfterMs() / 3.6e6);
    run.replace(source == null ? null : new Attempt(source, run.mode(), run.spec().quality(), probes.forSource(source)),
      Math.max(0, run.spec().sources().indexOf(source)), Occasion.SCHEDULED, Occasion.SCHEDULED.reason);
  }

  /**
   * An operator's force switch: the next source plays. 409 while the channel (re)starts, shows the
   * slate ({@link ChannelSlate}) or has one source; 503 when no source plays.
   */
  Future<SwitchReply> force() {
    String id = run.id();
    if (run.slated()) {
      return Future.failedFuture(new ApiException(409, "channel " + id + " shows the slate: every source failed, they are"
        + " checked again and the first that works plays by itself"));
    }
    if (!run.plays(null)) {
      return Future.failedFuture(new ApiException(409, "channel " + id + " is starting or restarting: try again"));
    }
    if (run.spec().sources().size() < 2) {
      return Future.failedFuture(new ApiException(409, "channel " + id + " has one source: nothing to switch to"));
    }
    String from = run.source();
    log.info("channel {}: switching to its next source (asked through the API)", id);
    return run.replace(null, run.spec().sources().indexOf(from) + 1, Occasion.SWITCH, Occasion.SWITCH.reason)
      .map(p -> new SwitchReply(id, Redact.url(from), Redact.url(run.source()), run.mode().wire(), p.pid(),
        parts.settings().node()))
      .recover(err -> Future.failedFuture(new ApiException(503, "channel " + id + ": no source plays: "
        + err.getMessage())));
  }
}
