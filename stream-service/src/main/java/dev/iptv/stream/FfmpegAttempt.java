package dev.iptv.stream;

import dev.iptv.stream.AttemptPlan.Attempt;
import dev.iptv.stream.AttemptPlan.AttemptFailed;
import dev.iptv.stream.FfmpegCommand.Mode;
import dev.iptv.stream.FfmpegLog.Failure;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One FFmpeg run of a channel ({@link Attempt}): spawned with its stderr in the log folder, then
 * playable (its playlist lists a segment) or failed ({@link AttemptFailed}: the process ended, said
 * it cannot copy or write, the disk is full, the channel stops, or the attempt's time is up). A
 * failed attempt fails only once its FFmpeg is gone, so the next one never overlaps it.
 */
final class FfmpegAttempt {

  private static final Logger log = LoggerFactory.getLogger(FfmpegAttempt.class);
  private static final long POLL_MS = 50;
  /** While an attempt waits for its first segment, how often the file system is asked. */
  private static final long DISK_CHECK_MS = 1_000;

  private final StreamParts parts;
  private final Vertx vertx;
  private final StreamSettings s;
  private final ChannelRun run;
  private final String id;
  private final Attempt a;
  private final long deadline;
  private final boolean copying;
  private final Promise<FfmpegProcess> result = Promise.promise();
  private boolean checking;
  private long diskCheckedMs = System.currentTimeMillis();

  FfmpegAttempt(StreamParts parts, ChannelRun run, Attempt attempt, long deadline) {
    this.parts = parts;
    this.vertx = parts.vertx();
    this.s = parts.settings();
    this.run = run;
    this.id = run.id();
    this.a = attempt;
    this.deadline = deadline;
    this.copying = attempt.mode() == Mode.COPY;
  }

  /** Runs FFmpeg once; succeeds when its playlist lists a segment, fails with {@link AttemptFailed}. */
  Future<FfmpegProcess> run() {
    return spawn().compose(p -> awaitPlayable(p).recover(this::unlessDiskFull));
  }

  private Future<FfmpegProcess> spawn() {
    List<String> args = FfmpegCommand.build(s, run.spec(), a.source(), a.mode(), a.quality(), run.fps(),
      FfmpegCommand.startNumber(System.currentTimeMillis()));
    Path logFile = s.ffmpegLog(id);
    return parts.hls().removeFiles(id).compose(v -> vertx.executeBlocking(() -> {
        PrivateFolders.prepareLogs(s.ffmpegLogDir());
        Files.deleteIfExists(logFile);
        return new ProcessBuilder(args)
          .directory(s.hlsDir().toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
      }, false))
      .recover(err -> Future.failedFuture(new AttemptFailed(Failure.SOURCE, "cannot run " + s.ffmpeg() + ": " + err.getMessage())))
      .map(process -> {
        FfmpegLog flog = new FfmpegLog();
        FfmpegProcess p = FfmpegProcess.started(parts.context(), process, flog);
        parts.registry().track(p);
        parts.tailer().follow(logFile, flog, 0);
        log.debug("channel {}: FFmpeg pid {} for {}", id, p.pid(), a.describe());
        run.spawned(p, a);
        return p;
      });
  }

  /** An attempt that failed for another reason while the disk was full failed for the disk. */
  private Future<FfmpegProcess> unlessDiskFull(Throwable err) {
    if (!(err instanceof AttemptFailed af) || af.kind == Failure.DISK) {
      return Future.failedFuture(err);
    }
    return parts.hls().diskFull().transform(ar -> Future.failedFuture(ar.succeeded() && ar.result() != null
      ? new AttemptFailed(Failure.DISK, ar.result()) : err));
  }

  private Future<FfmpegProcess> awaitPlayable(FfmpegProcess p) {
    long timer = vertx.setPeriodic(POLL_MS, t -> check(p));
    return result.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  private void check(FfmpegProcess p) {
    if (result.future().isComplete() || checking) {
      return;
    }
    FfmpegLog said = p.log();
    if (run.cancelled()) {
      giveUp(p, Failure.SOURCE, "stopped");
    } else if (!p.alive()) {
      parts.finishLog(p).onComplete(x -> result.tryFail(new AttemptFailed(said.classify(copying),
        run.redact(said.summary()) + " (exit " + p.exit().result() + ")")));
    } else if (said.diskProblem() != null) {
      giveUp(p, Failure.DISK, run.redact(said.diskProblem()));
    } else if (copying && said.copyProblem() != null) {
      giveUp(p, Failure.COPY, run.redact(said.copyProblem()));
    } else if (System.currentTimeMillis() > deadline) {
      Failure kind = said.inputOpened() && copying ? Failure.COPY : Failure.SOURCE;
      giveUp(p, kind, said.inputOpened() ? "no segment within the time allowed"
        : "no data from the source within the time allowed");
    } else {
      checking = true;
      boolean askDisk = System.currentTimeMillis() - diskCheckedMs >= DISK_CHECK_MS;
      if (askDisk) {
        diskCheckedMs = System.currentTimeMillis();
      }
      // No segment yet: FFmpeg may be writing into a full disk without a word.
      parts.hls().playlistReady(id).compose(ready -> ready || !askDisk ? Future.succeededFuture(ready)
        : parts.hls().diskFull().map(full -> {
          if (full != null) {
            giveUp(p, Failure.DISK, full);
          }
          return false;
        })).onComplete(ar -> {
          checking = false;
          if (ar.succeeded() && ar.result() && p.alive()) {
            if (said.fps() > 0) {
              run.fps(said.fps());
            }
            result.tryComplete(p);
          }
        });
    }
  }

  /** Fails the attempt once the process is gone, so the next attempt never overlaps this one. */
  private void giveUp(FfmpegProcess p, Failure kind, String why) {
    if (result.future().isComplete()) {
      return;
    }
    if (run.fps() <= 0 && p.log().fps() > 0) {
      run.fps(p.log().fps());
    }
    p.terminate(vertx, s.stopGraceMs()).compose(v -> parts.finishLog(p))
      .onComplete(x -> result.tryFail(new AttemptFailed(kind, why)));
  }
}
