package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.common.Http;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The slate of a viewer refused by a limit ({@code IPTV_LIMIT_SLATE}, issue 12 item 5): instead of
 * {@code 403 ERROR: Max connections reached} the player gets a valid live HLS playlist of a picture
 * saying why ("Connection limit reached", and the limit), so it keeps polling the same URL and plays
 * the channel at its first poll after a slot frees. The refused player holds no session: auth-service
 * refused it, and it is never touched.
 *
 * <p>The picture is made once per JVM and limit ({@link SlatePicture}, the text from a file, never part
 * of a filter string), lazily on a worker: {@value #SEGMENTS} segments of {@code IPTV_HLS_TIME_S}, H.264
 * and silent AAC, written to {@code {IPTV_HLS_DIR}/_slate/limit_{n}_{T}s_{i}.ts} (moved into place whole,
 * so nginx can serve them as files). The playlist comes from the clock: media sequence {@code
 * now / T}, cycling through the segments, {@code #EXT-X-DISCONTINUITY} where the cycle wraps (their
 * timestamps start again), so every poll of every player agrees. The sequence (epoch seconds / T)
 * stays below a real channel's (tenths of a second, {@link FfmpegCommand#startNumber}): a player
 * that reads the real playlist next moves forward to it.
 */
final class LimitSlate {

  private static final Logger log = LoggerFactory.getLogger(LimitSlate.class);
  /** Segments in the cycle, and in each playlist (each URI once per playlist). */
  static final int SEGMENTS = 3;
  /** The folder inside the HLS folder, and in the URI path under {@code /live/}. */
  static final String FOLDER = "_slate";
  /** The segment route (both fronts): {@code /live/_slate/limit_{n}_{T}s_{i}.ts}. */
  static final String SEGMENT_PATH = "/live/" + FOLDER + "/(?<file>limit_\\d{1,4}_\\d{1,3}s_\\d\\.ts)";
  /** Limits shown by number; any larger one gets the picture without the number. */
  static final int MAX_SHOWN = 999;
  /** Set on a slate playlist: why the player got it instead of the channel. */
  static final String REASON_HEADER = "X-Slate";
  private static final int WIDTH = 854;
  private static final int HEIGHT = 480;
  private static final Pattern EXTINF = Pattern.compile("#EXTINF:([0-9.]+),");

  /** A poll refused by max_connections (auth-service's {@code limit}); 403 unless the slate answers it. */
  static final class Refused extends ApiException {
    private final int limit;

    Refused(String playerText, int limit) {
      super(403, playerText);
      this.limit = limit;
    }

    int limit() {
      return limit;
    }
  }

  /** One limit's segments, made: their file names (in the folder), durations and bytes (for the TS output). */
  private record Made(List<String> files, List<Double> durations, List<Buffer> bytes) {
  }

  /** Per JVM: one rendering per folder, segment length and limit, shared by every front. */
  private static final Map<String, Future<Made>> MADE = new ConcurrentHashMap<>();

  private final Vertx vertx;
  private final StreamSettings s;

  LimitSlate(Vertx vertx, StreamSettings s) {
    this.vertx = vertx;
    this.s = s;
  }

  /** Mounts the segments' route (no token: they hold nothing secret); nginx serves the same files itself. */
  void mount(Router router) {
    router.getWithRegex(SEGMENT_PATH).setName("/live/_slate/{segment}").handler(this::segment);
  }

  /** Answers a refused poll with the slate's playlist (a 503 when it cannot be made). */
  void answer(RoutingContext ctx, Refused refused) {
    playlist(refused.limit()).onComplete(ar -> {
      if (ar.failed()) {
        unavailable(ctx, ar.cause());
        return;
      }
      ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, PlayerRoutes.MPEGURL)
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("Access-Control-Allow-Origin", "*")
        .putHeader(REASON_HEADER, "limit")
        .end(ar.result());
    });
  }

  private static void unavailable(RoutingContext ctx, Throwable err) {
    log.warn("the limit slate cannot be made: {}", err.getMessage());
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, PlayerRoutes.RETRY_AFTER_S)
      .putHeader("Access-Control-Allow-Origin", "*");
    Http.sendText(ctx, 503, "ERROR: Stream unavailable, retry later");
  }

  private void segment(RoutingContext ctx) {
    PlayerRoutes.sendSegment(ctx, s.hlsDir().resolve(FOLDER).resolve(ctx.pathParam("file")).toString());
  }


  /** The live playlist of the slate for a user limited to {@code limit} connections, now. */
  Future<String> playlist(int limit) {
    return segments(shown(limit)).map(made -> playlist(made, s.hlsTimeS(), System.currentTimeMillis()));
  }

  private static int shown(int limit) {
    return limit >= 1 && limit <= MAX_SHOWN ? limit : 0;
  }

  /**
   * Answers a refused TS viewer ({@code /live/stream_{id}.ts}) with the slate's segments, one after
   * the other at their pace, for as long as it reads; before each next segment the viewer is admitted
   * again ({@code retry}): once it is, the same connection goes on with the channel ({@code join}, its
   * username); refused again, the slate goes on; any other answer (a redirect, the channel gone) ends
   * the stream and the player reconnects to get it. Holds no session while slated.
   */
  void answerTs(RoutingContext ctx, Refused refused, Supplier<Future<String>> retry, Consumer<String> join) {
    segments(shown(refused.limit())).onComplete(ar -> {
      if (ar.failed()) {
        unavailable(ctx, ar.cause());
        return;
      }
      HttpServerResponse response = ctx.response();
      AtomicBoolean gone = new AtomicBoolean();
      response.closeHandler(v -> gone.set(true));
      response.exceptionHandler(err -> gone.set(true));
      response.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "video/mp2t")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader("Access-Control-Allow-Origin", "*")
        .putHeader(REASON_HEADER, "limit");
      tsNext(response, ar.result(), 0, gone, retry, join);
    });
  }

  /** Writes segment {@code i} (skipped while the viewer's queue is full), then after its duration asks again. */
  private void tsNext(HttpServerResponse response, Made made, int i, AtomicBoolean gone,
                      Supplier<Future<String>> retry, Consumer<String> join) {
    if (gone.get()) {
      return;
    }
    if (!response.writeQueueFull()) {
      response.write(made.bytes().get(i));
    }
    vertx.setTimer(Math.max(100, Math.round(made.durations().get(i) * 1000)), t -> {
      if (gone.get()) {
        return;
      }
      retry.get().onComplete(ar -> {
        if (gone.get()) {
          return;
        }
        if (ar.succeeded()) {
          join.accept(ar.result());
        } else if (ar.cause() instanceof Refused) {
          tsNext(response, made, (i + 1) % made.bytes().size(), gone, retry, join);
        } else {
          response.end();
        }
      });
    });
  }

  /** The playlist at {@code nowMs}: the {@value #SEGMENTS} newest of the cycle, sequence {@code now / T}. */
  static String playlist(List<String> files, List<Double> durations, int hlsTimeS, long nowMs) {
    return playlist(new Made(files, durations, List.of()), hlsTimeS, nowMs);
  }

  private static String playlist(Made made, int hlsTimeS, long nowMs) {
    int n = made.files().size();
    long first = nowMs / (hlsTimeS * 1000L) - n + 1;
    double longest = made.durations().stream().mapToDouble(Double::doubleValue).max().orElse(hlsTimeS);
    StringBuilder b = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n")
      .append("#EXT-X-TARGETDURATION:").append((long) Math.ceil(longest)).append('\n')
      .append("#EXT-X-MEDIA-SEQUENCE:").append(first).append('\n')
      // Segment j belongs to discontinuity j / n: one discontinuity before every start of the cycle.
      .append("#EXT-X-DISCONTINUITY-SEQUENCE:").append(first / n).append('\n')
      .append("#EXT-X-INDEPENDENT-SEGMENTS\n");
    for (long j = first; j < first + n; j++) {
      int i = (int) (j % n);
      if (i == 0 && j != first) {
        b.append("#EXT-X-DISCONTINUITY\n");
      }
      b.append("#EXTINF:").append(String.format(java.util.Locale.ROOT, "%.6f", made.durations().get(i))).append(",\n")
        .append(FOLDER).append('/').append(made.files().get(i)).append('\n');
    }
    return b.toString();
  }

  /** The segments for {@code shown} (0: no number), made on a worker at the first ask, then kept. */
  private Future<Made> segments(int shown) {
    String key = s.hlsDir() + "|" + s.hlsTimeS() + "|" + shown;
    Future<Made> f = MADE.computeIfAbsent(key, k -> vertx.executeBlocking(() -> make(shown), false));
    // A failed rendering is tried again at the next refused poll.
    return f.onFailure(err -> MADE.remove(key, f));
  }

  private static List<String> lines(int shown) {
    return shown == 0 ? List.of("Connection limit reached", "Close another player to watch here")
      : List.of("Connection limit reached", "This account: " + shown + (shown == 1 ? " screen" : " screens")
        + " at once", "Close another player to watch here");
  }

  /** Blocking: runs FFmpeg into a temp folder inside {@code _slate}, then moves each segment into place. */
  private Made make(int shown) throws IOException, InterruptedException {
    Path folder = s.hlsDir().resolve(FOLDER);
    if (Files.isSymbolicLink(folder)) {
      throw new IOException(folder + " is a symbolic link: the limit slate writes only into a folder of its own");
    }
    Files.createDirectories(folder);
    // nginx's workers read the files by name: the folder traversable, never listable by others.
    Files.setPosixFilePermissions(folder, PrivateFolders.HLS_MODE);
    Path work = Files.createTempDirectory(folder, ".render-");
    try {
      String prefix = "limit_" + shown + "_" + s.hlsTimeS() + "s_";
      List<String> args = new ArrayList<>(List.of(s.ffmpeg(), "-nostdin", "-hide_banner", "-loglevel", "error",
        "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"));
      args.addAll(SlatePicture.input(s.ffmpeg(), work, "picture", WIDTH, HEIGHT, lines(shown), false));
      int gop = 25 * s.hlsTimeS();
      args.addAll(List.of("-map", "1:v", "-map", "0:a", "-t", String.valueOf(SEGMENTS * s.hlsTimeS()),
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-pix_fmt", "yuv420p", "-crf", "30",
        "-g", String.valueOf(gop), "-keyint_min", String.valueOf(gop), "-sc_threshold", "0",
        "-force_key_frames", "expr:gte(t,n_forced*" + s.hlsTimeS() + ")",
        "-c:a", "aac", "-b:a", "64k", "-ar", "48000", "-ac", "2",
        "-f", "hls", "-hls_time", String.valueOf(s.hlsTimeS()), "-hls_list_size", "0",
        "-hls_segment_filename", "seg_%d.ts", "slate.m3u8"));
      Process p = new ProcessBuilder(args).directory(work.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true).redirectOutput(work.resolve("ffmpeg.log").toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("the limit slate's FFmpeg ran over 60 s");
      }
      if (p.exitValue() != 0) {
        throw new IOException("the limit slate's FFmpeg failed (" + p.exitValue() + "): "
          + Files.readString(work.resolve("ffmpeg.log"), StandardCharsets.UTF_8).strip());
      }
      List<Double> durations = new ArrayList<>();
      Matcher m = EXTINF.matcher(Files.readString(work.resolve("slate.m3u8"), StandardCharsets.UTF_8));
      while (m.find()) {
        durations.add(Double.parseDouble(m.group(1)));
      }
      if (durations.size() < SEGMENTS) {
        throw new IOException("the limit slate's FFmpeg wrote " + durations.size() + " segments, not " + SEGMENTS);
      }
      List<String> files = new ArrayList<>();
      List<Buffer> bytes = new ArrayList<>();
      for (int i = 0; i < SEGMENTS; i++) {
        Path seg = work.resolve("seg_" + i + ".ts");
        bytes.add(Buffer.buffer(Files.readAllBytes(seg)));
        Files.setPosixFilePermissions(seg, PosixFilePermissions.fromString("rw-r--r--"));
        files.add(prefix + i + ".ts");
        // Whole files only: a front serving the old one meanwhile still sends a complete segment.
        Files.move(seg, folder.resolve(prefix + i + ".ts"), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      }
      log.info("limit slate made: {} segments of {} s in {} (limit {})", SEGMENTS, s.hlsTimeS(), folder,
        shown == 0 ? "not shown" : shown);
      return new Made(List.copyOf(files), List.copyOf(durations.subList(0, SEGMENTS)), List.copyOf(bytes));
    } finally {
      removeTree(work);
    }
  }

  private static void removeTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
