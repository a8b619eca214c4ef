package dev.iptv.stream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.netty.channel.ChannelOption;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * MPEG-TS over HTTP (SPEC section 10): each channel's HLS segments, already MPEG-TS, followed in
 * order and written one after the other into every TS viewer's response, one continuous stream.
 *
 * <p>One {@link Feed} per channel with TS viewers in this JVM: it reads the playlist each time
 * FFmpeg rewrites it ({@link HlsFolder#watch}, and every second as well), reads each new segment
 * once into memory and hands the same buffer to every viewer. A viewer starts with the newest
 * segment (a key frame, PAT and PMT: {@code independent_segments}) and follows. Each viewer has its
 * own bounded queue (at most {@value #MAX_QUEUED_SEGMENTS} segments, {@value #MAX_QUEUED_BYTES} bytes,
 * on top of one segment being written and the kernel's send buffer): a viewer that
 * reads slower than the channel plays fills it and is dropped; the others never wait for it.
 *
 * <p>A feed's state lives on its own context; a viewer's on its connection's. The map of feeds is
 * changed only inside {@link ConcurrentHashMap#compute}, which also counts each feed's members, so a
 * viewer never joins a feed that is closing.
 */
final class TsFanout {

  private static final Logger log = LoggerFactory.getLogger(TsFanout.class);

  /** Bytes a viewer may have queued and not yet taken by its socket before it is dropped. */
  static final long MAX_QUEUED_BYTES = 8L * 1024 * 1024;
  /** Segments a viewer may have queued (that many segment durations behind) before it is dropped. */
  static final int MAX_QUEUED_SEGMENTS = 4;
  /**
   * The kernel's send buffer of a TS connection (Linux doubles it): without a bound it grows to
   * {@code tcp_wmem}'s maximum (4 MiB), tens of seconds of a stuck viewer's video before its
   * queue here even starts to fill. 512 KiB in flight still carries 40 Mbit/s at 100 ms.
   */
  static final int SEND_BUFFER_BYTES = 256 * 1024;
  /** The playlist is read this often even without a file event; viewers are touched this often. */
  static final long TICK_MS = 1_000;
  /** A viewer's right to watch (token, session, channel active) is asked again this often. */
  static final long RECHECK_MS = 5_000;
  /** No new segment this long: the channel stopped; viewers are closed (players reconnect). */
  static final long STALL_MS = 20_000;

  /** What a viewer's connection asks of the player side while it lasts. */
  interface Hooks {
    /** Keeps the viewer's session slot and the channel's viewers and last access fresh. */
    void touch();

    /** Whether the viewer may still watch (false: dropped). */
    Future<Boolean> stillAdmitted();

    /** {@code bytes} of a segment were written to the viewer. */
    void served(long bytes);
  }

  private final Vertx vertx;
  private final StreamSettings settings;
  private final HlsFolder hls;
  private final Map<String, Feed> feeds = new ConcurrentHashMap<>();

  TsFanout(Vertx vertx, StreamSettings settings, HlsFolder hls) {
    this.vertx = vertx;
    this.settings = settings;
    this.hls = hls;
  }

  /** Channels with TS viewers in this JVM, and how many. */
  Map<String, Integer> viewers() {
    Map<String, Integer> out = new java.util.HashMap<>();
    feeds.forEach((id, f) -> out.put(id, f.members));
    return out;
  }

  /**
   * Answers {@code response} (called on its connection's context, once the channel plays) with the
   * channel's continuous MPEG-TS, until the viewer goes, reads too slowly or may watch no more.
   */
  void join(String id, HttpServerRequest request, Hooks hooks) {
    HttpServerResponse response = request.response();
    boundSendBuffer(request.connection());
    // A viewer coming from the limit slate (LimitSlate#answerTs) has its head sent already.
    if (!response.headWritten()) {
      response.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "video/mp2t")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .putHeader("Access-Control-Allow-Origin", "*");
      response.writeHead();
    }
    Viewer viewer = new Viewer(id, response, vertx.getOrCreateContext(), hooks);
    boolean[] created = {false};
    Feed feed = feeds.compute(id, (k, f) -> {
      Feed to = f;
      if (to == null) {
        to = new Feed(id, vertx.getOrCreateContext());
        created[0] = true;
      }
      to.members++;
      return to;
    });
    viewer.feed = feed;
    if (created[0]) {
      feed.context.runOnContext(v -> feed.start());
    }
    feed.context.runOnContext(v -> feed.add(viewer));
    viewer.start();
  }

  /** Caps the connection's kernel send buffer (see {@link #SEND_BUFFER_BYTES}); Vert.x has no public API for one connection. */
  private static void boundSendBuffer(HttpConnection connection) {
    try {
      if (connection instanceof io.vertx.core.net.impl.ConnectionBase c) {
        c.channel().config().setOption(ChannelOption.SO_SNDBUF, SEND_BUFFER_BYTES);
      }
    } catch (RuntimeException e) {
      log.debug("cannot bound a TS connection's send buffer: {}", e.toString());
    }
  }

  /** A viewer left (on any context): the feed forgets it, and closes when it was the last. */
  private void leave(Feed feed, Viewer viewer) {
    feed.context.runOnContext(v -> feed.viewers.remove(viewer));
    boolean[] last = {false};
    feeds.computeIfPresent(feed.id, (k, f) -> {
      if (f != feed) {
        return f;
      }
      f.members--;
      last[0] = f.members == 0;
      return last[0] ? null : f;
    });
    if (last[0]) {
      feed.context.runOnContext(v -> feed.stop());
    }
  }

  /** Closes every viewer (the service stops). */
  void close() {
    feeds.values().forEach(f -> f.context.runOnContext(v -> new ArrayList<>(f.viewers).forEach(w -> w.drop("service stopping"))));
  }

  /** One segment of a playlist: its file name and media sequence number. */
  record Segment(String name, long sequence) {
  }

  /** The segments of channel {@code id}'s playlist text, oldest first (URIs that are not its segments are skipped). */
  static List<Segment> segments(String id, String text) {
    Pattern own = Pattern.compile("stream_" + id + "_\\d{1,20}\\.ts");
    long sequence = 0;
    List<Segment> out = new ArrayList<>();
    for (String line : text.split("\n")) {
      String l = line.trim();
      if (l.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
        try {
          sequence = Long.parseLong(l.substring("#EXT-X-MEDIA-SEQUENCE:".length()).trim());
        } catch (NumberFormatException e) {
          sequence = 0;
        }
      } else if (!l.isEmpty() && !l.startsWith("#")) {
        if (own.matcher(l).matches()) {
          out.add(new Segment(l, sequence));
        }
        sequence++;
      }
    }
    return out;
  }

  /** The segments to send after {@code lastSent}: the newest only at first or after a restart of the numbering. */
  static List<Segment> fresh(List<Segment> listed, long lastSent) {
    if (listed.isEmpty()) {
      return listed;
    }
    Segment newest = listed.get(listed.size() - 1);
    if (lastSent < 0 || newest.sequence() < lastSent) {
      return List.of(newest);
    }
    return listed.stream().filter(s -> s.sequence() > lastSent).toList();
  }

  /** One channel's segments, followed and fanned out; state on {@link #context} only. */
  private final class Feed {
    final String id;
    final Context context;
    /** Viewers joined and not yet left: changed inside {@code feeds.compute} only. */
    volatile int members;
    final List<Viewer> viewers = new ArrayList<>();
    Buffer latest;
    long lastSent = -1;
    long lastNewMs;
    boolean reading;
    boolean again;
    boolean stopped;
    Subscription watch = () -> { };
    long timer = -1;

    Feed(String id, Context context) {
      this.id = id;
      this.context = context;
    }

    void start() {
      if (stopped) {
        return;
      }
      lastNewMs = System.currentTimeMillis();
      watch = hls.watch(id, context, this::advance);
      timer = vertx.setPeriodic(TICK_MS, t -> tick());
      advance();
    }

    void stop() {
      stopped = true;
      watch.cancel();
      vertx.cancelTimer(timer);
      latest = null;
    }

    void add(Viewer viewer) {
      if (stopped) {
        viewer.drop("channel feed closed");
        return;
      }
      viewers.add(viewer);
      if (latest != null) {
        viewer.send(latest);
      }
    }

    void tick() {
      if (stopped) {
        return;
      }
      if (System.currentTimeMillis() - lastNewMs > STALL_MS) {
        log.info("channel {}: no new segment for {} s, closing its {} TS viewers", id, STALL_MS / 1000, viewers.size());
        new ArrayList<>(viewers).forEach(v -> v.send(null));
        lastNewMs = System.currentTimeMillis();
      }
      advance();
    }

    /** Reads the playlist and sends the segments not sent yet, in order; one pass at a time. */
    void advance() {
      if (stopped) {
        return;
      }
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      hls.readPlaylist(id)
        .compose(text -> sendInOrder(fresh(segments(id, text), lastSent), 0))
        .onComplete(ar -> {
          reading = false;
          if (again) {
            again = false;
            advance();
          }
        });
    }

    private Future<Void> sendInOrder(List<Segment> todo, int i) {
      if (stopped || i >= todo.size()) {
        return Future.succeededFuture();
      }
      Segment s = todo.get(i);
      return vertx.fileSystem().readFile(settings.hlsDir().resolve(s.name()).toString())
        .map(buf -> {
          latest = buf;
          lastNewMs = System.currentTimeMillis();
          for (Viewer v : viewers) {
            v.send(buf);
          }
          return (Void) null;
        })
        // Deleted already (the viewer fell behind a list that moved on): the next one follows.
        .otherwiseEmpty()
        .compose(v -> {
          lastSent = s.sequence();
          return sendInOrder(todo, i + 1);
        });
    }
  }

  /** One TS viewer's connection; state on {@link #context} only. */
  private final class Viewer {
    final String channel;
    final HttpServerResponse response;
    final Context context;
    final Hooks hooks;
    final ArrayDeque<Buffer> queue = new ArrayDeque<>();
    Feed feed;
    long queued;
    boolean closed;
    boolean writing;
    long timer = -1;
    long checkedMs = System.currentTimeMillis();

    Viewer(String channel, HttpServerResponse response, Context context, Hooks hooks) {
      this.channel = channel;
      this.response = response;
      this.context = context;
      this.hooks = hooks;
    }

    /** On the viewer's context: leaves when the connection closes; touched and re-checked every tick. */
    void start() {
      response.closeHandler(v -> left());
      response.exceptionHandler(err -> left());
      timer = vertx.setPeriodic(TICK_MS, t -> tick());
      if (response.closed()) {
        left();   // gone before the handlers were set: no close event will come
      }
    }

    /** From the feed's context: a segment for this viewer (null: close it). */
    void send(Buffer segment) {
      context.runOnContext(v -> {
        if (segment == null) {
          drop("no new segment");
        } else {
          offer(segment);
        }
      });
    }

    private void offer(Buffer segment) {
      if (closed) {
        return;
      }
      if (queue.size() >= MAX_QUEUED_SEGMENTS || queued + segment.length() > MAX_QUEUED_BYTES) {
        drop("slow reader: " + queue.size() + " segments, " + queued + " bytes queued");
        return;
      }
      queue.add(segment);
      queued += segment.length();
      pump();
    }

    /**
     * Writes the next segment once the previous one is in the kernel (its write completed) and
     * the connection takes more: one segment at most in the connection's own buffer, the rest
     * counted in {@link #queue} (Vert.x's {@code writeQueueFull} alone let megabytes pile up there).
     */
    private void pump() {
      if (closed || writing || queue.isEmpty()) {
        return;
      }
      if (response.writeQueueFull()) {
        response.drainHandler(v -> pump());
        return;
      }
      Buffer b = queue.poll();
      queued -= b.length();
      writing = true;
      try {
        response.write(b).onComplete(ar -> {
          writing = false;
          if (ar.succeeded()) {
            hooks.served(b.length());
            pump();
          } else {
            left();
          }
        });
      } catch (IllegalStateException e) {
        left();   // the response ended under us (the connection closed)
      }
    }

    private void tick() {
      if (closed) {
        return;
      }
      hooks.touch();
      long now = System.currentTimeMillis();
      if (now - checkedMs >= RECHECK_MS) {
        checkedMs = now;
        hooks.stillAdmitted().onSuccess(ok -> {
          if (!ok) {
            drop("no longer admitted");
          }
        });
      }
    }

    void drop(String why) {
      if (closed) {
        return;
      }
      log.info("channel {}: TS viewer dropped ({})", channel, why);
      left();
      response.reset();
    }

    private void left() {
      if (closed) {
        return;
      }
      closed = true;
      vertx.cancelTimer(timer);
      queue.clear();
      queued = 0;
      if (feed != null) {
        leave(feed, this);
      }
    }
  }
}
