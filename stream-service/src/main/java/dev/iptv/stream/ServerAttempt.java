package dev.iptv.stream;

import dev.iptv.common.Redact;
import dev.iptv.stream.AttemptPlan.AttemptFailed;
import dev.iptv.stream.FfmpegLog.Failure;
import dev.iptv.stream.servers.RemoteFfmpeg;
import dev.iptv.stream.servers.ServerSpec;
import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.List;

/**
 * An FFmpeg started (or adopted) on an SSH server for a {@link ServerRun}, until it plays: the
 * server's playlist is read every {@value #POLL_MS} ms until it lists a segment, and every
 * {@value #ALIVE_EVERY} reads the process is checked over SSH. One that ended fails the attempt
 * ({@link AttemptFailed}) with what its log on the server says; one still without a segment at
 * the attempt's deadline, or when the run stops meanwhile, is stopped on the server first (its
 * files removed), so the next attempt never overlaps it. The server-side twin of {@link FfmpegAttempt}.
 * Runs on the verticle's context.
 */
final class ServerAttempt {

  private static final long POLL_MS = 300;
  private static final int ALIVE_EVERY = 5;

  private final ServerRun run;
  private final StreamParts parts;
  private final String server;
  private final String id;
  private final RemoteFfmpeg.Started p;
  private final long until;
  private final boolean copying;
  private final Promise<RemoteFfmpeg.Started> result = Promise.promise();

  ServerAttempt(ServerRun run, StreamParts parts, RemoteFfmpeg.Started p, long until, boolean copying) {
    this.run = run;
    this.parts = parts;
    this.server = run.server();
    this.id = run.id();
    this.p = p;
    this.until = until;
    this.copying = copying;
  }

  /**
   * FFmpeg's arguments for the server: those of a local run ({@link FfmpegCommand}) without the
   * program (the server's own) and writing into the server's HLS folder.
   */
  static List<String> args(List<String> local, ServerSpec target, String id) {
    List<String> a = new ArrayList<>(local.subList(1, local.size()));
    if (!"-hls_segment_filename".equals(a.get(a.size() - 3))) {
      throw new IllegalStateException("unexpected FFmpeg command: no segment pattern before the playlist");
    }
    a.set(a.size() - 2, RemoteFfmpeg.segments(target, id));
    a.set(a.size() - 1, RemoteFfmpeg.output(target, id));
    return a;
  }

  /** The FFmpeg once its playlist lists a segment, or {@link AttemptFailed} once it is gone from the server. */
  Future<RemoteFfmpeg.Started> playable() {
    poll(0);
    return result.future();
  }

  private void poll(int round) {
    if (run.cancelled()) {
      result.handle(giveUp(Failure.SOURCE, "stopped"));
      return;
    }
    if (System.currentTimeMillis() >= until) {
      result.handle(giveUp(Failure.SOURCE, "no segment on server " + server + " within the time allowed"));
      return;
    }
    parts.onContext(run.playlists().fetch(server, id)).map(text -> ServerPlaylists.listsSegment(text, id)).otherwise(false)
      .compose(playable -> playable || round % ALIVE_EVERY != ALIVE_EVERY - 1 ? Future.succeededFuture(playable ? 1 : 0)
        : parts.onContext(run.servers().ffmpegAlive(server, id)).map(alive -> alive ? 0 : -1))
      .onComplete(ar -> {
        if (ar.succeeded() && ar.result() == 1) {
          result.complete(p);
        } else if (ar.succeeded() && ar.result() == -1) {
          result.handle(died());
        } else {
          parts.vertx().setTimer(POLL_MS, t -> poll(round + 1));
        }
      });
  }

  /** An FFmpeg that ended on the server before it played: the attempt fails with what its log says. */
  private Future<RemoteFfmpeg.Started> died() {
    return parts.onContext(run.servers().logTail(server, id, 16_384)).otherwise("").compose(tail -> {
      FfmpegLog said = new FfmpegLog();
      tail.lines().forEach(said::accept);
      return giveUp(said.classify(copying), Redact.sources(said.summary(), run.spec().sources()) + " (on server "
        + server + ")");
    });
  }

  /** Stops the attempt's FFmpeg on the server (files removed), then fails the attempt. */
  private <T> Future<T> giveUp(Failure kind, String why) {
    return parts.onContext(run.servers().stopFfmpeg(server, id, p.pid())).otherwiseEmpty()
      .transform(x -> Future.failedFuture(new AttemptFailed(kind, why)));
  }
}
