package dev.iptv.stream;

import dev.iptv.common.Redact;
import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The slate of a {@link ChannelRun} (issue 12 item 5): when every source of a watched channel failed,
 * its viewers keep a valid stream: an FFmpeg of our own writes a "temporarily unavailable" picture
 * with the channel's name ({@link SlatePicture}: lavfi {@code color} + {@code drawtext}, or a PNG rendered
 * here when FFmpeg lacks drawtext; the name read from a file, never part of a filter string) and silent AAC, H.264 at the size of the channel's last segment, into
 * the channel's own playlist: {@code append_list} puts {@code #EXT-X-DISCONTINUITY} before it, and
 * the TS output ({@link TsFanout}) follows the same playlist. Meanwhile the sources are checked
 * ({@link SourceChecks}, after 1 s, doubling up to {@code IPTV_SLATE_RETRY_MAX_S}); the first that
 * passes replaces the slate by itself ({@link ChannelRun#leaveSlate}: another discontinuity). Events
 * {@code slate_on} and {@code slate_off}, and {@code stream:{id}:slate} while it shows. Runs on the
 * verticle's context.
 */
final class ChannelSlate {

  private static final Logger log = LoggerFactory.getLogger(ChannelSlate.class);
  private static final long FIRST_RETRY_MS = 1_000;
  private static final Pattern SEGMENT = Pattern.compile("stream_\\d{1,19}_\\d+\\.ts");
  private static final String TEXT = "Temporarily unavailable";

  private final ChannelRun run;
  private final StreamParts parts;
  private final Vertx vertx;
  private final StreamSettings s;
  private FfmpegProcess proc;
  /** True from {@link #show} until a source plays again or the channel stops. */
  private boolean on;
  private long sinceMs;
  private long retryMs = FIRST_RETRY_MS;
  private long timer = -1;

  ChannelSlate(ChannelRun run, StreamParts parts) {
    this.run = run;
    this.parts = parts;
    this.vertx = parts.vertx();
    this.s = parts.settings();
  }

  /** True while the channel shows the slate (or is about to). */
  boolean on() {
    return on;
  }

  /** Every source failed ({@code why}) while watched: the slate plays until a source passes its check. */
  void show(String why) {
    if (run.cancelled()) {
      return;
    }
    boolean first = !on;
    on = true;
    if (first) {
      sinceMs = System.currentTimeMillis();
      retryMs = FIRST_RETRY_MS;
    }
    spawn().onComplete(ar -> {
      if (ar.failed()) {
        if (!run.cancelled()) {
          log.error("channel {}: the slate does not play: {}", run.id(), ar.cause().getMessage());
          run.stop("no source plays and the slate cannot be shown: " + ar.cause().getMessage(), true);
        }
        return;
      }
      FfmpegProcess p = ar.result();
      run.slatePlaying(p);
      if (first) {
        log.warn("channel {}: every source failed, its viewers get the slate: {}", run.id(), why);
        parts.events().publish(Kind.SLATE_ON, run.id(), run.mode().wire(), why);
        parts.store().slate(run.id(), new JsonObject().put("since", sinceMs / 1000.0).put("reason", why))
          .onFailure(err -> log.warn("channel {}: cannot record the slate: {}", run.id(), err.toString()));
      }
      p.exit().onComplete(x -> {
        if (p == proc && !p.terminating() && on && !run.cancelled()) {
          log.warn("channel {}: the slate's FFmpeg exited ({}); showing it again", run.id(), p.exit().result());
          proc = null;
          parts.finishLog(p).onComplete(y -> show(why));
        }
      });
      schedule();
    });
  }

  /** The sources are checked again after the current backoff. */
  private void schedule() {
    cancelTimer();
    long delay = retryMs;
    retryMs = Math.min(s.sources().slateRetryMaxMs(), retryMs * 2);
    timer = vertx.setTimer(delay, t -> {
      timer = -1;
      retry(0);
    });
  }

  /** Checks the channel's sources in order (those that failed last, last); the first that passes plays. */
  private void retry(int i) {
    if (!on || run.cancelled() || proc == null) {
      return;
    }
    ChannelSpec spec = parts.checks().order(run.spec());
    if (i >= spec.sources().size()) {
      schedule();
      return;
    }
    String source = spec.sources().get(i);
    parts.checks().checkIfRoom(spec, source).onComplete(ar -> {
      if (!on || run.cancelled()) {
        return;
      }
      if (proc == null) {
        return; // the slate's FFmpeg is being run again: it schedules the next check
      }
      if (ar.succeeded() && ar.result() != null && ar.result().ok()) {
        log.info("channel {}: {} passed its check ({}), leaving the slate", run.id(), Redact.url(source),
          ar.result().codecs());
        FfmpegProcess p = proc;
        proc = null;
        run.leaveSlate(p.terminate(vertx, s.stopGraceMs()).compose(v -> parts.finishLog(p)), source);
      } else {
        retry(i + 1);
      }
    });
  }

  /** A source plays again (after {@link ChannelRun#leaveSlate}): {@code slate_off}. */
  void off(String source) {
    if (!on) {
      return;
    }
    on = false;
    cancelTimer();
    long shown = System.currentTimeMillis() - sinceMs;
    log.info("channel {}: live again from {} after {} s of slate", run.id(), Redact.url(source), shown / 1000);
    parts.events().publish(Kind.SLATE_OFF, run.id(), run.mode().wire(), "live again from " + Redact.url(source)
      + " after " + shown / 1000 + " s");
    parts.store().slate(run.id(), null)
      .onFailure(err -> log.warn("channel {}: cannot record the end of the slate: {}", run.id(), err.toString()));
  }

  /** The channel stops: the slate's FFmpeg goes too. */
  Future<Void> stop() {
    on = false;
    cancelTimer();
    FfmpegProcess p = proc;
    proc = null;
    return p == null ? Future.succeededFuture() : p.terminate(vertx, s.stopGraceMs()).compose(v -> parts.finishLog(p));
  }

  private void cancelTimer() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  // -- the slate's FFmpeg ---------------------------------------------------------------------------

  /** The slate's FFmpeg, once the playlist lists one of its segments. */
  private Future<FfmpegProcess> spawn() {
    String id = run.id();
    Path logFile = s.ffmpegLogDir().resolve("slate_" + id + ".log");
    String name = run.spec().name();
    int fallbackHeight = run.spec().quality().height;
    String[] before = new String[1];
    return vertx.executeBlocking(() -> {
      HlsFolder.Tail tail = parts.hls().tailNow(id);
      before[0] = tail == null ? null : tail.lastSegment();
      int[] size = tail == null ? null : size(tail.lastSegment());
      int h = size != null ? size[1] : fallbackHeight;
      int w = size != null ? size[0] : (h * 16 / 9) & ~1;
      PrivateFolders.prepareLogs(s.ffmpegLogDir());
      Files.deleteIfExists(logFile);
      List<String> picture = SlatePicture.input(s.ffmpeg(), s.ffmpegLogDir(), "slate_" + id, w, h, List.of(shown(name), TEXT));
      List<String> args = command(picture,
        tail != null ? tail.mediaSequence() : FfmpegCommand.startNumber(System.currentTimeMillis()), tail != null);
      // In the log folder: FFmpeg reads the text or picture file by a relative name, nothing to escape.
      return new ProcessBuilder(args).directory(s.ffmpegLogDir().toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .start();
    }, false).compose(process -> {
      FfmpegLog flog = new FfmpegLog();
      FfmpegProcess p = FfmpegProcess.started(parts.context(), process, flog);
      parts.registry().track(p);
      parts.tailer().follow(logFile, flog, 0);
      proc = p;
      return playable(p, before[0]).recover(err -> p.terminate(vertx, s.stopGraceMs())
        .compose(v -> parts.finishLog(p)).transform(x -> Future.failedFuture(err)));
    });
  }

  /** FFmpeg's arguments: the {@code picture} ({@link SlatePicture#input}) and silence, encoded as the channel's HLS. */
  private List<String> command(List<String> picture, long startNumber, boolean append) {
    int gop = 25 * s.hlsTimeS();
    // Silence first: the picture's filter (-vf) is an output option, after the last input.
    List<String> a = new ArrayList<>(List.of(s.ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "info", "-nostats",
      "-re", "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"));
    a.addAll(picture);
    a.addAll(List.of("-map", "1:v", "-map", "0:a",
      "-c:v", "libx264", "-preset", "ultrafast", "-tune", "stillimage", "-pix_fmt", "yuv420p", "-crf", "30",
      "-g", String.valueOf(gop), "-keyint_min", String.valueOf(gop), "-sc_threshold", "0",
      "-force_key_frames", "expr:gte(t,n_forced*" + s.hlsTimeS() + ")",
      "-c:a", "aac", "-b:a", "64k", "-ar", "48000", "-ac", "2"));
    a.addAll(FfmpegCommand.hlsOutput(s, run.id(), startNumber, append));
    return a;
  }

  /** The name as one line of printable characters, at most 60 of them. */
  static String shown(String name) {
    String line = name.replaceAll("\\p{Cntrl}|\\p{Zl}|\\p{Zp}", " ").strip();
    return line.length() > 60 ? line.substring(0, 59) + "…" : line;
  }

  /** Width and height of the video of the channel's segment {@code uri} (blocking), or null. */
  private int[] size(String uri) {
    String file = uri.contains("?") ? uri.substring(0, uri.indexOf('?')) : uri;
    if (!SEGMENT.matcher(file).matches()) {
      return null;
    }
    try {
      Process p = new ProcessBuilder(s.sources().ffprobe(), "-v", "error", "-select_streams", "v:0",
        "-show_entries", "stream=width,height", "-of", "csv=p=0:s=x", s.hlsDir().resolve(file).toString())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(3, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      String[] wh = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().split("x");
      int w = Integer.parseInt(wh[0]);
      int h = Integer.parseInt(wh[1]);
      return w >= 64 && h >= 64 && w <= 3840 && h <= 2160 ? new int[] {w & ~1, h & ~1} : null;
    } catch (Exception e) {
      return null;
    }
  }

  /** Succeeds once the playlist lists a segment after {@code before}; fails when FFmpeg ends or the start timeout passes. */
  private Future<FfmpegProcess> playable(FfmpegProcess p, String before) {
    Promise<FfmpegProcess> done = Promise.promise();
    Runnable check = () -> {
      if (done.future().isComplete()) {
        return;
      }
      if (!p.alive() || run.cancelled()) {
        done.tryFail(run.cancelled() ? "stopped" : "the slate's FFmpeg exited: " + p.log().summary());
        return;
      }
      parts.hls().lastSegment(run.id()).onSuccess(last -> {
        if (last != null && !last.equals(before)) {
          done.tryComplete(p);
        }
      });
    };
    Subscription written = parts.hls().watch(run.id(), parts.context(), check);
    long every = vertx.setPeriodic(500, t -> check.run());
    long end = vertx.setTimer(s.startTimeoutMs(), t -> done.tryFail("no slate segment within the start timeout"));
    p.exit().onComplete(x -> check.run());
    return done.future().andThen(x -> {
      written.cancel();
      vertx.cancelTimer(every);
      vertx.cancelTimer(end);
    });
  }
}
