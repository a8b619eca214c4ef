package dev.iptv.system;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

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

  static List<String> javaService(String services) {
    return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
      "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", JAR.toString(), "service", services);
  }

  /** Waits until something listens on the port, failing early if the process dies. */
  void awaitPort(int port, Duration timeout) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail());
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException(name + " did not open port " + port + " in " + timeout + ":\n" + tail());
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
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<ProcessHandle> alive = new ArrayList<>();
    while (System.nanoTime() < end) {
      alive.clear();
      seen.stream().filter(ProcessHandle::isAlive).forEach(alive::add);
      if (alive.isEmpty()) {
        break;
      }
      Thread.sleep(100);
    }
    List<ProcessHandle> leftover = List.copyOf(alive);
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
