package dev.iptv.system;

import dev.iptv.testing.Eventually;
import dev.iptv.testing.TestEnv;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.iptv.testing.Eventually.eventually;

/**
 * A child process of a system test (a service JVM, bin/iptv): started with a given environment,
 * its output in a log file, stopped with SIGTERM (then SIGKILL), its whole tree checked gone.
 */
final class Proc implements AutoCloseable {

  static final Path ROOT = Path.of(System.getProperty("iptv.root", "..")).toAbsolutePath().normalize();
  static final Path JAR = ROOT.resolve("server/target/iptv.jar");

  final String name;
  final Process process;
  final Path log;
  private final List<ProcessHandle> seen = new ArrayList<>();

  private Proc(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  static Proc start(String name, List<String> command, Map<String, String> env, Path logDir) throws IOException {
    Files.createDirectories(logDir);
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile())
      .redirectErrorStream(true).redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().keySet().removeIf(k -> k.startsWith("IPTV_"));
    pb.environment().putAll(env);
    return new Proc(name, pb.start(), log);
  }

  /**
   * {@code env} with an event-bus port of the JVM's own: left at 0 the bus binds a random port,
   * which can be the one a test handed another service a moment before.
   */
  static Map<String, String> ownBusPort(Map<String, String> env) {
    Map<String, String> own = new java.util.HashMap<>(env);
    own.put("IPTV_CLUSTER_BUS_PORT", String.valueOf(TestEnv.freePort()));
    return own;
  }

  static List<String> javaService(String services) {
    return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", JAR.toString(), "service", services);
  }

  /**
   * Waits until the port answers an HTTP request, failing at once if the process dies. An answer,
   * not a connect: another process's listener on the port (a JVM's event bus or Hazelcast that
   * took it first) accepts a connection too, then closes it on the first request.
   */
  void awaitHttp(int port, Duration timeout) {
    eventually(timeout, name + " answering HTTP on port " + port, () -> {
      if (!process.isAlive()) {
        throw Eventually.stop(name + " exited with " + process.exitValue() + ":\n" + tail());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        s.setSoTimeout(5000);
        s.getOutputStream().write(("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:" + port
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] head = s.getInputStream().readNBytes(9);
        return new String(head, StandardCharsets.US_ASCII).startsWith("HTTP/1.");
      }
    }, answered -> answered);
  }

  /** Every process of the tree now, remembered so {@link #close()} can check they all ended. */
  List<ProcessHandle> tree() {
    List<ProcessHandle> all = new ArrayList<>();
    all.add(process.toHandle());
    process.toHandle().descendants().forEach(all::add);
    for (ProcessHandle h : all) {
      if (seen.stream().noneMatch(s -> s.pid() == h.pid())) {
        seen.add(h);
      }
    }
    return all;
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** SIGTERM, up to 40 s to finish, then SIGKILL of whatever is left. Returns what was still alive. */
  List<ProcessHandle> stop() throws InterruptedException {
    tree();
    process.destroy();
    if (!process.waitFor(40, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    // Up to 10 s for the tree to end: each process tells its own exit.
    try {
      CompletableFuture.allOf(seen.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
        .get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // some are still alive: they are listed and killed below
    }
    List<ProcessHandle> leftover = seen.stream().filter(ProcessHandle::isAlive).toList();
    leftover.forEach(ProcessHandle::destroyForcibly);
    return leftover;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive() || seen.stream().anyMatch(ProcessHandle::isAlive)) {
      stop();
    }
  }
}
