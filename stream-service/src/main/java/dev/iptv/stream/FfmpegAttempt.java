package dev.iptv.stream;

import dev.iptv.stream.AttemptPlan.Attempt;
import dev.iptv.stream.AttemptPlan.AttemptFailed;
import dev.iptv.stream.FfmpegCommand.Mode;
import dev.iptv.stream.FfmpegLog.Failure;
import dev.iptv.stream.ProbePolicy.Probe;
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
 * it cannot copy or write, its quick probe missed a stream, the disk is full, the channel stops, or
 * the attempt's time is up). A failed attempt fails only once its FFmpeg is gone, so the next one
 * never overlaps it.
 */
final class FfmpegAttempt {

  private static final Logger log = LoggerFactory.getLogger(FfmpegAttempt.class);
  /**
   * While an attempt waits for its first segment, how often the file system is asked for free space
   * (and the playlist read, in case a file event was missed).
   */
  private static final long COARSE_CHECK_MS = 1_000;

  private final StreamParts parts;
  private final Vertx vertx;
  private final StreamSettings s;
  private final ChannelRun run;
  private final String id;
  private final Attempt a;
  private final long deadline;
  private final boolean copying;
  private final boolean quickProbe;
  /** Goes on with the playlist a replaced FFmpeg left, instead of removing it. */
  private final boolean append;
  /** With {@link #append}: the last segment listed before this FFmpeg ran; playable once another one is. */
  private volatile String before;
  private final Promise<FfmpegProcess> result = Promise.promise();
  /** Decided: playable, or failing once the process is gone. */
  private boolean settled;
  private boolean expired;
  private boolean reading;
  private boolean again;
  private boolean againDisk;

  FfmpegAttempt(StreamParts parts, ChannelRun run, Attempt attempt, long deadline, boolean append) {
    this.append = append;
    this.parts = parts;
    this.vertx = parts.vertx();
    this.s = parts.settings();
    this.run = run;
    this.id = run.id();
    this.a = attempt;
    this.deadline = deadline;
    this.copying = attempt.mode() == Mode.COPY;
    this.quickProbe = attempt.probe() == Probe.QUICK;
  }

  /** Runs FFmpeg once; succeeds when its playlist lists a segment, fails with {@link AttemptFailed}. */
  Future<FfmpegProcess> run() {
    return spawn().compose(p -> awaitPlayable(p).recover(this::unlessDiskFull));
  }

  /**
   * The channel's old files removed (or, appending, the playlist's place read), the log folder
   * checked and FFmpeg spawned: one trip to a worker.
   */
  private Future<FfmpegProcess> spawn() {
    ChannelSpec spec = run.spec();
    double fps = run.fps();
    Path logFile = s.ffmpegLog(id);
    return vertx.executeBlocking(() -> {
        HlsFolder.Tail tail = append ? parts.hls().tailNow(id) : null;
        if (!append) {
          parts.hls().removeFilesNow(id);
        }
        before = tail == null ? null : tail.lastSegment();
        List<String> args = FfmpegCommand.build(s, spec, a.source(), a.mode(), a.quality(), a.probe(), fps,
          tail != null ? tail.mediaSequence() : FfmpegCommand.startNumber(System.currentTimeMillis()), tail != null);
        PrivateFolders.prepareLogs(s.ffmpegLogDir());
        Files.deleteIfExists(logFile);
        return new ProcessBuilder(args)
          .directory(s.hlsDir().toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
      }, false)
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

  /**
   * Waits for the first of: the playlist written with a segment (the folder's file events), FFmpeg
   * ending, FFmpeg saying it cannot copy or write or that its quick probe missed a stream, the
   * channel stopping, the attempt's deadline.
   * Every second the folder is checked as well: its file system may be full without a word from
   * FFmpeg, and a file event may be missed.
   */
  private Future<FfmpegProcess> awaitPlayable(FfmpegProcess p) {
    Subscription written = parts.hls().watch(id, parts.context(), () -> check(p, false));
    p.log().onProblem(() -> parts.context().runOnContext(v -> check(p, false)));
    p.exit().onComplete(x -> check(p, false));
    Subscription stopping = run.onStopping(() -> check(p, false));
    long coarse = vertx.setPeriodic(COARSE_CHECK_MS, t -> check(p, true));
    long end = vertx.setTimer(Math.max(1, deadline - System.currentTimeMillis()), t -> {
      expired = true;
      check(p, false);
    });
    check(p, false);
    return result.future().onComplete(ar -> {
      written.cancel();
      stopping.cancel();
      p.log().onProblem(null);
      vertx.cancelTimer(coarse);
      vertx.cancelTimer(end);
    });
  }

  /**
   * Settles the attempt when something decided it, else reads the playlist (and, every second, the
   * free space). One read at a time; an event during a read asks for one more.
   */
  private void check(FfmpegProcess p, boolean askDisk) {
    if (settled) {
      return;
    }
    FfmpegLog said = p.log();
    if (run.cancelled()) {
      giveUp(p, Failure.SOURCE, "stopped");
    } else if (!p.alive()) {
      settled = true;
      parts.finishLog(p).onComplete(x -> result.tryFail(quickProbe && said.missedStream() != null && said.diskProblem() == null
        ? new AttemptFailed(Failure.PROBE, said.missedStream())
        : new AttemptFailed(said.classify(copying), run.redact(said.summary()) + " (exit " + p.exit().result() + ")")));
    } else if (said.diskProblem() != null) {
      giveUp(p, Failure.DISK, run.redact(said.diskProblem()));
    } else if (quickProbe && said.missedStream() != null) {
      // FFmpeg cannot write a stream it has no parameters for, and leaves out one that came later.
      giveUp(p, Failure.PROBE, said.missedStream());
    } else if (copying && said.copyProblem() != null) {
      giveUp(p, Failure.COPY, run.redact(said.copyProblem()));
    } else if (expired || System.currentTimeMillis() >= deadline) {
      Failure kind = said.inputOpened() && copying ? Failure.COPY : Failure.SOURCE;
      giveUp(p, kind, said.inputOpened() ? "no segment within the time allowed"
        : "no data from the source within the time allowed");
    } else if (reading) {
      again = true;
      againDisk |= askDisk;
    } else {
      reading = true;
      // No segment yet: FFmpeg may be writing into a full disk without a word.
      Future<Boolean> written = before == null ? parts.hls().playlistReady(id)
        : parts.hls().lastSegment(id).map(last -> last != null && !last.equals(before));
      written.compose(ready -> ready || !askDisk ? Future.succeededFuture(ready)
        : parts.hls().diskFull().map(full -> {
          if (full != null) {
            giveUp(p, Failure.DISK, full);
          }
          return false;
        })).onComplete(ar -> {
          reading = false;
          if (settled) {
            return;
          }
          if (ar.succeeded() && ar.result() && p.alive()) {
            settled = true;
            if (said.fps() > 0) {
              run.fps(said.fps());
            }
            result.complete(p);
          } else if (again) {
            boolean disk = againDisk;
            again = false;
            againDisk = false;
            check(p, disk);
          }
        });
    }
  }

  /** Fails the attempt once the process is gone, so the next attempt never overlaps this one. */
  private void giveUp(FfmpegProcess p, Failure kind, String why) {
    if (settled) {
      return;
    }
    settled = true;
    if (run.fps() <= 0 && p.log().fps() > 0) {
      run.fps(p.log().fps());
    }
    p.terminate(vertx, s.stopGraceMs()).compose(v -> parts.finishLog(p))
      .onComplete(x -> result.tryFail(new AttemptFailed(kind, why)));
  }
}
