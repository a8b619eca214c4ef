package dev.iptv.mirror;

import dev.iptv.testing.TestEnv;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.iptv.testing.Eventually.eventually;

/**
 * A private {@code redis-server} for a test: its own free loopback port and folder (its
 * {@code dump.rdb} lives there), no automatic snapshots; {@link #save()} writes one on demand, and
 * it can be stopped and started again on the same port and folder (a restart that loads the file).
 */
final class RedisServer {

  final int port;
  final Path dir;
  private Process process;

  private RedisServer(Path dir) {
    this.port = TestEnv.freePort();
    this.dir = dir;
  }

  static RedisServer start(Path dir) {
    RedisServer r = new RedisServer(dir);
    r.start();
    return r;
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  Path dump() {
    return dir.resolve("dump.rdb");
  }

  /** Starts the server (loading {@code dump.rdb} if there is one) and waits until it answers. */
  void start() {
    try {
      process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--dir", dir.toString(), "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no",
        "--logfile", dir.resolve("redis.log").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis.out").toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start redis-server: " + e.getMessage(), e);
    }
    eventually(Duration.ofSeconds(10), "redis-server on port " + port + " answers PING", () -> command("PING"), "PONG"::equals);
  }

  /** A blocking snapshot into {@code dump.rdb}. */
  void save() {
    String reply = command("SAVE");
    if (!"OK".equals(reply)) {
      throw new IllegalStateException("SAVE answered " + reply);
    }
  }

  /** Stops the server without writing a snapshot (the file on disk stays what it was). */
  void stopWithoutSaving() {
    if (process == null) {
      return;
    }
    command("SHUTDOWN", "NOSAVE");
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    process = null;
  }

  /** One command over RESP; the first line of the answer without its type prefix, or null. */
  String command(String... args) {
    StringBuilder req = new StringBuilder("*").append(args.length).append("\r\n");
    for (String a : args) {
      req.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a).append("\r\n");
    }
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write(req.toString().getBytes(StandardCharsets.UTF_8));
      List<Byte> line = new ArrayList<>();
      int b;
      while ((b = s.getInputStream().read()) >= 0 && b != '\n') {
        if (b != '\r') {
          line.add((byte) b);
        }
      }
      byte[] raw = new byte[line.size()];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = line.get(i);
      }
      String text = new String(raw, StandardCharsets.UTF_8);
      return text.isEmpty() ? null : text.substring(1);
    } catch (IOException e) {
      return null;
    }
  }
}
