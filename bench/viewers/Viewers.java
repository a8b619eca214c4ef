import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The viewers' load generator (bench/viewers/run.sh runs it): N HLS players, each on its own client
 * address (127.0.1.1, 127.0.1.2, ...: all of 127/8 is loopback, so the front sees N distinct
 * viewers), each polling its channel's live playlist every half target duration and fetching every
 * new segment with the proof the playlist gives. A joining player fetches every segment its first
 * playlist lists (the issue's "fetching every segment", the harder reading: the arrival of 1,000
 * players asks for the whole window at once), unless BENCH_JOIN_SEGMENTS=N starts it N segments from
 * the live edge as hls.js (liveSyncDurationCount 3) and VLC do; then every segment that appears.
 *
 * <pre>
 *   java -cp server/target/iptv.jar bench/viewers/Viewers.java PORT TOKENS_FILE PLAYERS SECONDS CHANNELS PER_ACCOUNT
 * </pre>
 * TOKENS_FILE has one token per line (account k is line k); player i uses account i / PER_ACCOUNT
 * and channel 1 + i % CHANNELS. Prints one summary: polls and their latency, segments, refusals
 * (403), other errors, and stalls (a player that received no new segment for 3 target durations).
 */
public final class Viewers {

  static final String UA = "BenchPlayer/1.0 (hls)";
  /**
   * Segments from the live edge where a joining player starts, 0 for all its first playlist lists
   * (the default); hls.js's liveSyncDurationCount and VLC's live start are 3.
   */
  static final int LIVE_SYNC_SEGMENTS = Integer.parseInt(System.getenv().getOrDefault("BENCH_JOIN_SEGMENTS", "0"));

  static final class Stats {
    final List<Long> pollMicros = new ArrayList<>();
    /** Seconds since the start of each poll in pollMicros (the tail's distribution over the run). */
    final List<Integer> pollSecond = new ArrayList<>();
    final long startMs = System.currentTimeMillis();
    final Map<String, Integer> errors = new TreeMap<>();
    long polls;
    long segments;
    long bytes;
    long refusals;
    long stalls;
    long stalledPlayers;

    synchronized void poll(long micros) {
      polls++;
      pollMicros.add(micros);
      pollSecond.add((int) ((System.currentTimeMillis() - startMs) / 1000));
    }

    synchronized void segment(long n) {
      segments++;
      bytes += n;
    }

    synchronized void error(String what) {
      errors.merge(what, 1, Integer::sum);
    }

    synchronized void refused() {
      refusals++;
    }

    synchronized void stall(boolean firstOfPlayer) {
      stalls++;
      if (firstOfPlayer) {
        stalledPlayers++;
      }
    }
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    List<String> tokens = java.nio.file.Files.readAllLines(java.nio.file.Path.of(args[1]));
    int players = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    int channels = Integer.parseInt(args[4]);
    int perAccount = Integer.parseInt(args[5]);
    // Netty's native epoll transport, as the server uses: fewer copies and syscalls per segment read.
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    warmUp(vertx);
    Stats stats = new Stats();
    long end = System.currentTimeMillis() + seconds * 1000L;
    CountDownLatch done = new CountDownLatch(players);
    List<Player> all = new ArrayList<>();
    for (int i = 0; i < players; i++) {
      String address = "127.0." + (1 + i / 250) + "." + (1 + i % 250);
      String token = tokens.get(i / perAccount);
      int channel = 1 + i % channels;
      Player p = new Player(vertx, address, port, "/live/stream_" + channel + ".m3u8?token=" + token, stats, end, done);
      all.add(p);
      // Players arrive over the first 5 seconds, as a crowd does.
      vertx.setTimer(1 + ThreadLocalRandom.current().nextLong(5_000), t -> p.poll());
    }
    if (!done.await(seconds + 60L, TimeUnit.SECONDS)) {
      System.err.println("viewers: some players did not finish");
    }
    for (Player p : all) {
      p.finish();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    report(stats, players, seconds);
  }

  /**
   * The load generator's own JIT warm-up, before any player reaches the server: for WARM_UP_S
   * seconds, 100 players play a private in-process server (a live playlist of 1 MB segments that
   * moves every 200 ms). Without it, this JVM compiled its HTTP client during the arrival of the
   * 1,000 players and took a quarter of the two cores from the server measured.
   */
  static void warmUp(Vertx vertx) throws Exception {
    int seconds = Integer.parseInt(System.getenv().getOrDefault("BENCH_VIEWERS_WARM_UP_S", "10"));
    if (seconds <= 0) {
      return;
    }
    Buffer segment = Buffer.buffer(new byte[1 << 20]);
    HttpServer server = vertx.createHttpServer().requestHandler(req -> {
      if (req.path().endsWith(".m3u8")) {
        long seq = System.currentTimeMillis() / 200;
        StringBuilder list = new StringBuilder("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:")
          .append(seq).append('\n');
        for (long n = seq; n < seq + 6; n++) {
          list.append("#EXTINF:1.000000,\nwarm_").append(n).append(".ts?e=1&n=1&t=warm&s=warm\n");
        }
        req.response().putHeader("Content-Type", "application/vnd.apple.mpegurl").end(list.toString());
      } else {
        req.response().putHeader("Content-Type", "video/mp2t").end(segment);
      }
    });
    int port = server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).actualPort();
    Stats stats = new Stats();
    int players = 100;
    CountDownLatch done = new CountDownLatch(players);
    long end = System.currentTimeMillis() + seconds * 1000L;
    List<Player> all = new ArrayList<>();
    for (int i = 0; i < players; i++) {
      Player p = new Player(vertx, "127.0.0.1", port, "/live/warm.m3u8?token=warm", stats, end, done);
      all.add(p);
      vertx.setTimer(1 + i * 10L, t -> p.poll());
    }
    if (!done.await(seconds + 30L, TimeUnit.SECONDS)) {
      System.err.println("viewers: the warm-up did not finish");
    }
    all.forEach(Player::finish);
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    System.err.printf("viewers: warmed up for %d s against a private server: %d polls, %d segments%n",
      seconds, stats.polls, stats.segments);
  }

  static void report(Stats s, int players, int seconds) {
    // The tail over time, 10 s at a time: players arriving, a burst, or all along.
    StringBuilder by = new StringBuilder("poll latency by 10 s (polls p50/p99 ms):");
    for (int from = 0; from < seconds + 10; from += 10) {
      List<Long> in = new ArrayList<>();
      for (int i = 0; i < s.pollMicros.size(); i++) {
        if (s.pollSecond.get(i) >= from && s.pollSecond.get(i) < from + 10) {
          in.add(s.pollMicros.get(i));
        }
      }
      long[] w = in.stream().mapToLong(Long::longValue).sorted().toArray();
      if (w.length > 0) {
        by.append(String.format(" %d-%ds %d %.0f/%.0f;", from, from + 10, w.length, pct(w, 50), pct(w, 99)));
      }
    }
    System.out.println(by);
    long[] sorted = s.pollMicros.stream().mapToLong(Long::longValue).sorted().toArray();
    long errors = s.errors.values().stream().mapToLong(Integer::longValue).sum();
    System.out.printf("players %d, %d s: polls %d (%.0f/s), poll latency p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms;"
        + " segments %d (%.1f MB); refusals %d; errors %d %s; stalls %d (players stalled: %d)%n",
      players, seconds, s.polls, s.polls / (double) seconds, pct(sorted, 50), pct(sorted, 95), pct(sorted, 99),
      sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1000.0, s.segments, s.bytes / 1e6, s.refusals, errors,
      s.errors, s.stalls, s.stalledPlayers);
    System.out.printf("RESULT polls=%d p50_ms=%.1f p99_ms=%.1f segments=%d refusals=%d errors=%d stalls=%d%n",
      s.polls, pct(sorted, 50), pct(sorted, 99), s.segments, s.refusals, errors, s.stalls);
  }

  static double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1000.0;
  }

  /** One player: poll, fetch what is new, wait, again; until the end. */
  static final class Player {
    final Vertx vertx;
    final HttpClient http;
    final String address;
    final int port;
    final String uri;
    final Stats stats;
    final long end;
    final CountDownLatch done;
    final Set<String> fetched = new HashSet<>();
    long targetMs = 4_000;
    long lastNewSegmentMs;
    boolean stalled;
    boolean finished;

    Player(Vertx vertx, String address, int port, String uri, Stats stats, long end, CountDownLatch done) {
      this.vertx = vertx;
      this.address = address;
      this.port = port;
      this.uri = uri;
      this.stats = stats;
      this.end = end;
      this.done = done;
      this.http = vertx.createHttpClient(new HttpClientOptions().setLocalAddress(address).setKeepAlive(true)
        .setConnectTimeout(10_000).setIdleTimeout(30), new PoolOptions().setHttp1MaxSize(2));
    }

    void poll() {
      long now = System.currentTimeMillis();
      if (now >= end) {
        finish();
        return;
      }
      if (lastNewSegmentMs > 0 && now - lastNewSegmentMs > 3 * targetMs) {
        stats.stall(!stalled);
        stalled = true;
        lastNewSegmentMs = now;
      }
      long t0 = System.nanoTime();
      get(uri).onComplete(ar -> {
        long micros = (System.nanoTime() - t0) / 1000;
        if (ar.failed()) {
          stats.error("poll " + ar.cause().getClass().getSimpleName());
          next(now);
          return;
        }
        Answer a = ar.result();
        if (a.status == 403) {
          stats.refused();
          stats.error("poll 403 " + a.body.toString(StandardCharsets.UTF_8).trim());
          next(now);
          return;
        }
        if (a.status != 200) {
          stats.error("poll " + a.status);
          next(now);
          return;
        }
        stats.poll(micros);
        List<String> fresh = newSegments(a.body.toString(StandardCharsets.UTF_8));
        fetch(fresh, 0).onComplete(x -> next(now));
      });
    }

    private void next(long started) {
      long wait = Math.max(1, targetMs / 2 - (System.currentTimeMillis() - started));
      vertx.setTimer(wait, t -> poll());
    }

    private List<String> newSegments(String playlist) {
      boolean joining = fetched.isEmpty();
      List<String> out = new ArrayList<>();
      for (String line : playlist.split("\n")) {
        if (line.startsWith("#EXT-X-TARGETDURATION:")) {
          targetMs = Math.max(1, Long.parseLong(line.substring(22).trim())) * 1000;
        } else if (!line.startsWith("#") && line.contains(".ts")) {
          String name = line.contains("?") ? line.substring(0, line.indexOf('?')) : line;
          if (fetched.add(name)) {
            out.add(line.startsWith("http") ? line.substring(line.indexOf("/live/")) : "/live/" + line);
          }
        }
      }
      if (joining && LIVE_SYNC_SEGMENTS > 0 && out.size() > LIVE_SYNC_SEGMENTS) {
        // A player joining a live stream starts near its edge, not at the oldest segment listed.
        out = new ArrayList<>(out.subList(out.size() - LIVE_SYNC_SEGMENTS, out.size()));
      }
      if (fetched.size() > 64) {
        fetched.retainAll(Arrays.stream(playlist.split("\n")).filter(l -> l.contains(".ts"))
          .map(l -> l.contains("?") ? l.substring(0, l.indexOf('?')) : l).toList());
      }
      return out;
    }

    private Future<Void> fetch(List<String> segments, int i) {
      if (i >= segments.size()) {
        return Future.succeededFuture();
      }
      return drain(segments.get(i)).transform(ar -> {
        if (ar.failed()) {
          stats.error("segment " + ar.cause().getClass().getSimpleName());
        } else if (ar.result()[0] != 200) {
          if (ar.result()[0] == 403) {
            stats.refused();
          }
          stats.error("segment " + ar.result()[0]);
        } else {
          stats.segment(ar.result()[1]);
          lastNewSegmentMs = System.currentTimeMillis();
        }
        return fetch(segments, i + 1);
      });
    }

    record Answer(int status, Buffer body) {
    }

    private Future<Answer> get(String path) {
      return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
          .setURI(path).putHeader("User-Agent", UA).setTimeout(30_000))
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b))));
    }

    /** A segment, read and counted as it arrives (never held whole): {status, bytes}. */
    private Future<long[]> drain(String path) {
      return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
          .setURI(path).putHeader("User-Agent", UA).setTimeout(30_000))
        .compose(req -> req.send().compose(resp -> {
          long[] out = {resp.statusCode(), 0};
          resp.handler(b -> out[1] += b.length());
          return resp.end().map(v -> out);
        }));
    }

    void finish() {
      if (!finished) {
        finished = true;
        http.close();
        done.countDown();
      }
    }
  }
}
