package dev.iptv.stream.testing;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A live IPTV source on loopback for tests and benchmarks: one real FFmpeg encodes lavfi
 * {@code testsrc2} + {@code sine} to MPEG-TS at real-time pace, and an HTTP server fans its output
 * out to any number of clients, each starting at the latest key frame (PAT, PMT, then the cached
 * group of pictures, as IPTV servers do) so a new client can decode at once.
 *
 * <ul>
 *   <li>{@link #url()}: {@code /live.ts}, the stream;</li>
 *   <li>{@link #lateAudioUrl()}: {@code /late-audio.ts}, the same stream without its audio packets for
 *       the first {@link #LATE_MS} of each connection (the PMT lists the audio from the start: a
 *       source whose audio comes late);</li>
 *   <li>{@link #latePmtUrl()}: {@code /late-pmt.ts}, the same stream whose PMT lists no audio for the
 *       first {@link #LATE_MS} of each connection (and whose audio packets are held back meanwhile),
 *       then the real PMT, under another version number: a program table that gains its audio
 *       later;</li>
 *   <li>{@link #notFoundUrl()}: {@code /missing.ts}, answers 404;</li>
 *   <li>{@link #silentUrl()}: {@code /silent.ts}, answers 200 and never sends a byte;</li>
 *   <li>{@link #refusedUrl()}: a loopback port nobody listens on;</li>
 *   <li>{@link #url(String)}: {@code /feed/{name}.ts}, the same stream under another name, with a
 *       {@link Mode} of its own (so one encoder serves a channel's primary and its backup).</li>
 * </ul>
 *
 * <p>Each feed ({@code /live.ts} is the feed {@code live}) can be switched at runtime, for every
 * client connected and to come, as real sources misbehave ({@link #mode(String, Mode)}):
 * {@link Mode#STALL} keeps the connections open and sends nothing, {@link Mode#SLOW} sends at
 * {@link #SLOW_SPEED} times real time, {@link Mode#DIE} closes every connection and every new one,
 * and {@link Mode#NORMAL} (or {@link #comeBack}) makes it live again: clients that waited get the
 * live stream from where it is now, as a source that comes back does.
 *
 * <p>{@link Flavor#MPEG2} carries MPEG-2 video and MP2 audio: valid MPEG-TS that HLS players cannot
 * decode, so copying it into HLS is useless and stream-service must transcode it.
 *
 * <p>Standalone (benchmarks): {@code java -cp ... dev.iptv.stream.testing.LiveSource PORT [h264|mpeg2]}
 * serves until killed.
 */
public final class LiveSource implements AutoCloseable {

  public enum Flavor { H264, MPEG2 }

  /** How a feed behaves: as a good source, or as a failing one. */
  public enum Mode {
    NORMAL,
    /** The connection stays open, nothing is sent (a frozen upstream). */
    STALL,
    /** Sent at {@link #SLOW_SPEED} times real time (an upstream that cannot keep up). */
    SLOW,
    /** Every connection is closed, and every new one at once (a dead upstream). */
    DIE
  }

  /** The pace of a {@link Mode#SLOW} feed, as a fraction of real time. */
  public static final double SLOW_SPEED = 0.5;
  /** The feed of {@link #url()}. */
  public static final String LIVE = "live";
  /** What a slow client may have waiting at most; past it, newer data is dropped. */
  private static final int MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

  /** How long a client of {@link #lateAudioUrl()} or {@link #latePmtUrl()} waits for the audio. */
  public static final long LATE_MS = 3_000;

  /** What a client gets before {@link #LATE_MS}: everything, no audio packet, or no audio in the PMT either. */
  private enum Late { NONE, AUDIO, PMT }

  /** One connected client: its feed, and what a slow feed still owes it. */
  private static final class Client {
    final Late late;
    final long joinedNanos;
    final String feed;
    final java.util.ArrayDeque<Buffer> backlog = new java.util.ArrayDeque<>();
    int backlogBytes;
    double credit;

    Client(Late late, long joinedNanos, String feed) {
      this.late = late;
      this.joinedNanos = joinedNanos;
      this.feed = feed;
    }

    Late late() {
      return late;
    }

    long joinedNanos() {
      return joinedNanos;
    }
  }

  private static final int TS = 188;
  private static final int VIDEO_PID = 0x100;
  /** The encoder numbers its streams from VIDEO_PID: the audio comes next. */
  private static final int AUDIO_PID = VIDEO_PID + 1;
  private static final int PMT_PID = 0x1000;
  private static final int MAX_GOP_BYTES = 8 * 1024 * 1024;

  private final Vertx vertx;
  private final boolean ownVertx;
  private final Context context;
  private final Process encoder;
  private final HttpServer server;
  private final Map<HttpServerResponse, Client> clients = new ConcurrentHashMap<>();
  private final Map<String, Mode> modes = new ConcurrentHashMap<>();
  private final AtomicInteger connections = new AtomicInteger();
  /** Requests per feed, refused ones included. */
  private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
  private final Thread reader;
  private byte[] pat;
  private byte[] pmt;
  private final ByteArrayOutputStream gop = new ByteArrayOutputStream();
  private volatile boolean closed;

  private LiveSource(Vertx vertx, boolean ownVertx, Flavor flavor, int port) throws Exception {
    this.vertx = vertx;
    this.ownVertx = ownVertx;
    this.context = vertx.getOrCreateContext();
    this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port).setTcpNoDelay(true))
      .requestHandler(req -> {
        String feed = feedOf(req.path());
        if (feed != null) {
          requests.computeIfAbsent(feed, k -> new AtomicInteger()).incrementAndGet();
        }
        if (feed != null && mode(feed) == Mode.DIE) {
          req.connection().close();
          return;
        }
        if (feed != null && req.path().startsWith("/feed/")) {
          HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "video/mp2t");
          connections.incrementAndGet();
          context.runOnContext(v -> join(resp, new Client(Late.NONE, System.nanoTime(), feed)));
          return;
        }
        switch (req.path()) {
          case "/live.ts", "/late-audio.ts", "/late-pmt.ts" -> {
            HttpServerResponse resp = req.response().setChunked(true).putHeader("Content-Type", "video/mp2t");
            connections.incrementAndGet();
            Late late = switch (req.path()) {
              case "/late-audio.ts" -> Late.AUDIO;
              case "/late-pmt.ts" -> Late.PMT;
              default -> Late.NONE;
            };
            context.runOnContext(v -> join(resp, new Client(late, System.nanoTime(), LIVE)));
          }
          case "/silent.ts" -> req.response().setChunked(true).putHeader("Content-Type", "video/mp2t")
            .write(Buffer.buffer());
          default -> req.response().setStatusCode(404).end("not found\n");
        }
      })
      .listen().await();
    try {
      this.encoder = new ProcessBuilder(encoderArgs(flavor))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    } catch (IOException e) {
      server.close().await();
      throw e;
    }
    this.reader = new Thread(this::pump, "live-source-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** A source on a free loopback port, on its own Vert.x instance. */
  public static LiveSource start(Flavor flavor) {
    try {
      return new LiveSource(Vertx.vertx(), true, flavor, 0);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the live source: " + e.getMessage(), e);
    }
  }

  public static LiveSource start() {
    return start(Flavor.H264);
  }

  static List<String> encoderArgs(Flavor flavor) {
    String ffmpeg = System.getProperty("iptv.test.ffmpeg", "ffmpeg");
    List<String> a = new ArrayList<>(List.of(ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error",
      "-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25",
      "-re", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000"));
    if (flavor == Flavor.H264) {
      a.addAll(List.of("-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"));
    } else {
      a.addAll(List.of("-c:v", "mpeg2video", "-q:v", "6", "-g", "25", "-c:a", "mp2", "-b:a", "128k"));
    }
    a.addAll(List.of("-f", "mpegts", "-mpegts_pmt_start_pid", String.valueOf(PMT_PID),
      "-mpegts_start_pid", String.valueOf(VIDEO_PID), "pipe:1"));
    return a;
  }

  public int port() {
    return server.actualPort();
  }

  public String url() {
    return "http://127.0.0.1:" + port() + "/live.ts";
  }

  /** The stream with its audio held back for the first {@link #LATE_MS} of each connection (listed in the PMT). */
  public String lateAudioUrl() {
    return "http://127.0.0.1:" + port() + "/late-audio.ts";
  }

  /** The stream whose PMT lists its audio only after the first {@link #LATE_MS} of each connection. */
  public String latePmtUrl() {
    return "http://127.0.0.1:" + port() + "/late-pmt.ts";
  }

  public String notFoundUrl() {
    return "http://127.0.0.1:" + port() + "/missing.ts";
  }

  public String silentUrl() {
    return "http://127.0.0.1:" + port() + "/silent.ts";
  }

  /** A URL on a loopback port that refuses connections. */
  public static String refusedUrl() {
    return "http://127.0.0.1:" + dev.iptv.testing.TestEnv.freePort() + "/dead.ts";
  }

  /** The stream as the feed {@code name} ({@code [a-z0-9-]{1,32}}), with a {@link Mode} of its own. */
  public String url(String name) {
    if (!name.matches("[a-z0-9-]{1,32}")) {
      throw new IllegalArgumentException("a feed name is [a-z0-9-]{1,32}: " + name);
    }
    return "http://127.0.0.1:" + port() + "/feed/" + name + ".ts";
  }

  /** The feed a path serves, or null: {@code /live.ts} and the late variants are {@link #LIVE}. */
  private static String feedOf(String path) {
    if (path.equals("/live.ts") || path.equals("/late-audio.ts") || path.equals("/late-pmt.ts")) {
      return LIVE;
    }
    if (path.startsWith("/feed/") && path.endsWith(".ts")) {
      String name = path.substring("/feed/".length(), path.length() - 3);
      return name.matches("[a-z0-9-]{1,32}") ? name : null;
    }
    return null;
  }

  /** What the feed {@code name} does now. */
  public Mode mode(String name) {
    return modes.getOrDefault(name, Mode.NORMAL);
  }

  /** Switches {@link #url()}'s feed. */
  public void mode(Mode mode) {
    mode(LIVE, mode);
  }

  /**
   * Switches the feed {@code name}, for its clients connected and to come: {@link Mode#DIE} closes
   * the connected ones; any other mode drops what a slow feed still owed them (back to live).
   */
  public void mode(String name, Mode mode) {
    modes.put(name, mode);
    context.runOnContext(v -> clients.forEach((r, c) -> {
      if (!c.feed.equals(name)) {
        return;
      }
      c.backlog.clear();
      c.backlogBytes = 0;
      c.credit = 0;
      if (mode == Mode.DIE) {
        clients.remove(r);
        try {
          r.reset();
        } catch (RuntimeException e) {
          // Already gone.
        }
      }
    }));
  }

  /** {@link Mode#NORMAL} again for {@link #url()}'s feed: the source is back. */
  public void comeBack() {
    mode(LIVE, Mode.NORMAL);
  }

  /** {@link Mode#NORMAL} again for the feed {@code name}. */
  public void comeBack(String name) {
    mode(name, Mode.NORMAL);
  }

  /** Clients that connected to a stream path ({@code /live.ts}, its late variants, feeds) so far. */
  public int connections() {
    return connections.get();
  }

  /** Requests for the feed {@code name} so far, the ones a dead feed refused too. */
  public int requests(String name) {
    AtomicInteger n = requests.get(name);
    return n == null ? 0 : n.get();
  }

  /** The encoder's pid (to tell it apart from stream-service's FFmpeg processes). */
  public long encoderPid() {
    return encoder.pid();
  }

  private void join(HttpServerResponse resp, Client client) {
    // The answer's head goes at once, whatever the feed does next.
    resp.write(Buffer.buffer());
    if (pat != null && pmt != null) {
      send(resp, client, Buffer.buffer(pat));
      send(resp, client, Buffer.buffer(client.late() == Late.PMT ? withoutStream(pmt, AUDIO_PID) : pmt));
      if (gop.size() > 0) {
        byte[] g = gop.toByteArray();
        send(resp, client, Buffer.buffer(client.late() == Late.NONE ? g : held(g, client.late())));
      }
    }
    clients.put(resp, client);
    resp.closeHandler(v -> clients.remove(resp));
    resp.exceptionHandler(err -> clients.remove(resp));
  }

  /** {@code chunk} as a late client gets it before {@link #LATE_MS}: no audio packet, and for PMT the PMT without audio. */
  private static byte[] held(byte[] chunk, Late late) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(chunk.length);
    for (int off = 0; off + TS <= chunk.length; off += TS) {
      int pid = ((chunk[off + 1] & 0x1f) << 8) | (chunk[off + 2] & 0xff);
      if (pid == AUDIO_PID) {
        continue;
      }
      if (late == Late.PMT && pid == PMT_PID && (chunk[off + 1] & 0x40) != 0) {
        out.write(withoutStream(slice(chunk, off), AUDIO_PID), 0, TS);
      } else {
        out.write(chunk, off, TS);
      }
    }
    return out.toByteArray();
  }

  /**
   * A one-packet PMT without the elementary stream {@code pid}, under another version number (so
   * that the real PMT, when it comes, is read as a change), its CRC computed anew.
   */
  static byte[] withoutStream(byte[] pmtPacket, int pid) {
    int afc = (pmtPacket[3] >> 4) & 0x3;
    int off = 4 + (afc == 2 || afc == 3 ? 1 + (pmtPacket[4] & 0xff) : 0);
    off += 1 + (pmtPacket[off] & 0xff);
    int sectionLength = ((pmtPacket[off + 1] & 0x0f) << 8) | (pmtPacket[off + 2] & 0xff);
    int end = off + 3 + sectionLength - 4;
    int programInfo = ((pmtPacket[off + 10] & 0x0f) << 8) | (pmtPacket[off + 11] & 0xff);
    ByteArrayOutputStream section = new ByteArrayOutputStream();
    section.write(pmtPacket, off, 12 + programInfo);
    for (int i = off + 12 + programInfo; i + 5 <= end; ) {
      int esPid = ((pmtPacket[i + 1] & 0x1f) << 8) | (pmtPacket[i + 2] & 0xff);
      int entry = 5 + (((pmtPacket[i + 3] & 0x0f) << 8) | (pmtPacket[i + 4] & 0xff));
      if (esPid != pid) {
        section.write(pmtPacket, i, entry);
      }
      i += entry;
    }
    byte[] sec = section.toByteArray();
    int newLength = sec.length - 3 + 4;
    sec[1] = (byte) ((sec[1] & 0xf0) | ((newLength >> 8) & 0x0f));
    sec[2] = (byte) newLength;
    int version = (sec[5] >> 1) & 0x1f;
    sec[5] = (byte) ((sec[5] & 0xc1) | (((version + 1) & 0x1f) << 1));
    int crc = crc32Mpeg(sec);
    byte[] p = new byte[TS];
    java.util.Arrays.fill(p, (byte) 0xff);
    p[0] = 0x47;
    p[1] = pmtPacket[1];
    p[2] = pmtPacket[2];
    p[3] = (byte) (0x10 | (pmtPacket[3] & 0x0f));
    p[4] = 0;
    System.arraycopy(sec, 0, p, 5, sec.length);
    p[5 + sec.length] = (byte) (crc >>> 24);
    p[6 + sec.length] = (byte) (crc >>> 16);
    p[7 + sec.length] = (byte) (crc >>> 8);
    p[8 + sec.length] = (byte) crc;
    return p;
  }

  /** CRC-32/MPEG-2 of PSI sections. */
  static int crc32Mpeg(byte[] data) {
    int crc = 0xffffffff;
    for (byte b : data) {
      crc ^= (b & 0xff) << 24;
      for (int k = 0; k < 8; k++) {
        crc = (crc & 0x80000000) != 0 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
      }
    }
    return crc;
  }

  /** Reads the encoder's MPEG-TS in whole packets and hands them to the context. */
  private void pump() {
    byte[] buf = new byte[TS * 64];
    int have = 0;
    try (InputStream in = encoder.getInputStream()) {
      while (!closed) {
        int n = in.read(buf, have, buf.length - have);
        if (n < 0) {
          break;
        }
        have += n;
        int start = 0;
        while (start < have && buf[start] != 0x47) {
          start++;
        }
        int whole = (have - start) / TS * TS;
        if (whole > 0) {
          byte[] chunk = new byte[whole];
          System.arraycopy(buf, start, chunk, 0, whole);
          context.runOnContext(v -> dispatch(chunk));
        }
        int rest = have - start - whole;
        System.arraycopy(buf, start + whole, buf, 0, rest);
        have = rest;
      }
    } catch (IOException e) {
      // Closed.
    }
  }

  private void dispatch(byte[] chunk) {
    for (int off = 0; off + TS <= chunk.length; off += TS) {
      if (chunk[off] != 0x47) {
        continue;
      }
      int pid = ((chunk[off + 1] & 0x1f) << 8) | (chunk[off + 2] & 0xff);
      boolean unitStart = (chunk[off + 1] & 0x40) != 0;
      int afc = (chunk[off + 3] >> 4) & 0x3;
      if (pid == 0 && unitStart) {
        pat = slice(chunk, off);
      } else if (pid == PMT_PID && unitStart) {
        pmt = slice(chunk, off);
      } else if (pid == VIDEO_PID && unitStart && (afc == 2 || afc == 3) && (chunk[off + 4] & 0xff) > 0
        && (chunk[off + 5] & 0x40) != 0) {
        gop.reset();
      }
      if (gop.size() < MAX_GOP_BYTES) {
        gop.write(chunk, off, TS);
      }
    }
    Buffer b = Buffer.buffer(chunk);
    Buffer[] heldBack = new Buffer[Late.values().length];
    long now = System.nanoTime();
    for (Map.Entry<HttpServerResponse, Client> e : clients.entrySet()) {
      HttpServerResponse r = e.getKey();
      Client c = e.getValue();
      if (r.writeQueueFull()) {
        clients.remove(r);
        r.reset();
      } else if (c.late() != Late.NONE && now - c.joinedNanos() < TimeUnit.MILLISECONDS.toNanos(LATE_MS)) {
        int k = c.late().ordinal();
        if (heldBack[k] == null) {
          heldBack[k] = Buffer.buffer(held(chunk, c.late()));
        }
        send(r, c, heldBack[k]);
      } else {
        send(r, c, b);
      }
    }
  }

  /** {@code data} to a client as its feed's mode says: now, never (stalled), or at the slow pace. */
  private static void send(HttpServerResponse r, Client c, Buffer data, Mode mode) {
    switch (mode) {
      case NORMAL -> r.write(data);
      case STALL, DIE -> {
        // Nothing: a frozen or dead source.
      }
      case SLOW -> {
        if (c.backlogBytes + data.length() <= MAX_BACKLOG_BYTES) {
          c.backlog.addLast(data);
          c.backlogBytes += data.length();
        }
        // Each byte that arrives pays for SLOW_SPEED bytes sent: the client gets the stream at that pace.
        c.credit += data.length() * SLOW_SPEED;
        while (!c.backlog.isEmpty() && c.backlog.peekFirst().length() <= c.credit) {
          Buffer next = c.backlog.removeFirst();
          c.backlogBytes -= next.length();
          c.credit -= next.length();
          r.write(next);
        }
      }
    }
  }

  private void send(HttpServerResponse r, Client c, Buffer data) {
    send(r, c, data, mode(c.feed));
  }

  private static byte[] slice(byte[] chunk, int off) {
    byte[] p = new byte[TS];
    System.arraycopy(chunk, off, p, 0, TS);
    return p;
  }

  @Override
  public void close() {
    closed = true;
    // A test source needs no grace; a blocked write to a full pipe would ignore SIGTERM anyway.
    encoder.destroyForcibly();
    try {
      encoder.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    clients.keySet().forEach(r -> {
      try {
        r.reset();
      } catch (RuntimeException e) {
        // Already gone.
      }
    });
    try {
      server.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      if (ownVertx) {
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      // Closing anyway.
    }
  }

  /** Standalone: {@code LiveSource PORT [h264|mpeg2]}; prints the URL and serves until killed. */
  public static void main(String[] args) throws Exception {
    int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    Flavor flavor = args.length > 1 && args[1].equalsIgnoreCase("mpeg2") ? Flavor.MPEG2 : Flavor.H264;
    Vertx vertx = Vertx.vertx();
    LiveSource source;
    try {
      source = new LiveSource(vertx, true, flavor, port);
    } catch (Exception e) {
      vertx.close();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(source::close));
    System.out.println("LIVE " + source.url());
    System.out.flush();
    Thread.currentThread().join();
  }
}
