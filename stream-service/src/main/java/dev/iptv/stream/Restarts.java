package dev.iptv.stream;

import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import dev.iptv.stream.AttemptPlan.Attempt;
import dev.iptv.stream.FfmpegCommand.Mode;
import dev.iptv.stream.FfmpegLog.Failure;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link ChannelRun} does when its FFmpeg dies, or a restart (or a stall's replacement) finds
 * no source: while viewers polled within the idle timeout it tries again after a backoff (500 ms
 * doubling to 30 s), in transcode when FFmpeg said copying cannot work, at most
 * {@code IPTV_RESTART_MAX} times in a row (a stream that played {@value #STABLE_MS} ms before dying
 * starts the count afresh); with nobody watching, or past the maximum, the channel stops. Runs on
 * the verticle's context.
 */
final class Restarts {

  private static final Logger log = LoggerFactory.getLogger(Restarts.class);
  private static final long BASE_MS = 500;
  private static final long MAX_MS = 30_000;
  /** A stream that ran this long before dying resets its failure count. */
  static final long STABLE_MS = 30_000;

  private final ChannelRun run;
  private final StreamParts parts;
  private final ProbePolicy probes;
  private int failures;
  private long runningSinceMs;
  private long timer = -1;

  Restarts(ChannelRun run, StreamParts parts, ProbePolicy probes) {
    this.run = run;
    this.parts = parts;
    this.probes = probes;
  }

  /** The channel plays (again). */
  void running() {
    runningSinceMs = System.currentTimeMillis();
  }

  /** {@code p}, which played, exited by itself (its log read to the end): restarted while watched. */
  void died(FfmpegProcess p) {
    FfmpegLog said = p.log();
    // After it played, only what FFmpeg said about copying makes copy the culprit.
    Failure kind = said.copyProblem() != null ? Failure.COPY : Failure.SOURCE;
    if (said.diskProblem() != null) {
      run.reportDiskFull(run.redact(said.diskProblem()));
    }
    Integer code = p.exit().result();
    String why = code != null && code > 128 ? "killed by signal " + (code - 128) : run.redact(said.summary());
    log.warn("channel {}: FFmpeg pid {} exited (code {}): {}", run.id(), p.pid(), code, why);
    if (System.currentTimeMillis() - runningSinceMs > STABLE_MS) {
      failures = 0;
    }
    String source = run.source();
    ifWatched(kind == Failure.COPY && run.mode() == Mode.COPY && source != null
      ? new Attempt(source, Mode.TRANSCODE, run.spec().quality(), probes.forSource(source)) : null, why,
      "FFmpeg exited with nobody watching: ");
  }

  /** Restarts ({@code first} first, if any) while viewers polled within the idle timeout, else stops. */
  void ifWatched(Attempt first, String why, String unwatched) {
    whenWatched(() -> schedule(first, why), unwatched + why);
  }

  /** {@code watched} runs while viewers polled within the idle timeout; else the channel stops ({@code reason}). */
  void whenWatched(Runnable watched, String reason) {
    long idleMs = parts.settings().idleTimeoutMs();
    parts.store().lastAccess(run.id())
      .map(last -> last != null && StreamStore.now() - last < idleMs / 1000.0)
      .onComplete(ar -> {
        if (run.stopping()) {
          return;
        }
        if (ar.succeeded() && ar.result()) {
          watched.run();
        } else {
          run.stop(reason, true);
        }
      });
  }

  private void schedule(Attempt first, String why) {
    failures++;
    int max = parts.settings().restartMax();
    if (failures > max) {
      String reason = "gave up after " + max + " failed restarts: " + why;
      log.error("channel {}: {}", run.id(), reason);
      parts.events().publish(Kind.FAILED, run.id(), run.mode().wire(), reason);
      run.stop(reason, true);
      return;
    }
    run.waitForRestart();
    long delay = Math.min(MAX_MS, BASE_MS << Math.min(16, failures - 1));
    log.info("channel {}: restarting in {} ms (attempt {} of {})", run.id(), delay, failures, max);
    // Without the playlist, nginx sends players to us and they wait for the restart.
    parts.hls().removeFiles(run.id()).onComplete(x -> timer = parts.vertx().setTimer(delay, t -> {
      timer = -1;
      run.restartNow(first);
    }));
  }

  /** No restart is pending any more (the channel stops). */
  void cancel() {
    if (timer >= 0) {
      parts.vertx().cancelTimer(timer);
      timer = -1;
    }
  }
}
