package dev.iptv.stream.testing;

import dev.iptv.testing.TestEnv;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH server on loopback for tests of SSH servers (SPEC section 9): {@code /usr/sbin/sshd
 * -D} as the current user with its own config, a host key and a user key made by
 * {@code ssh-keygen} in a temp folder, on a free port; and an nginx of the "server" whose
 * {@code nginx.conf} includes a sites folder. {@link #stop()} ends sshd and every session it
 * forked (as a server that went away would); {@link #start(Path)} starts it again, with another
 * host key if asked.
 */
public final class LoopbackSshd implements AutoCloseable {

  public final Path dir;
  public final int port;
  public final Path hostKey;
  public final Path otherHostKey;
  public final Path userKey;
  public final Path sites;
  public final Path nginxConf;
  public final int nginxPort;
  private Process sshd;
  private boolean nginxUp;

  public LoopbackSshd() throws IOException, InterruptedException {
    dir = TestEnv.tempDir("iptv-sshd");
    port = TestEnv.freePort();
    hostKey = dir.resolve("host_ed25519");
    otherHostKey = dir.resolve("host2_ed25519");
    userKey = dir.resolve("user_ed25519");
    keygen(hostKey);
    keygen(otherHostKey);
    keygen(userKey);
    Files.copy(Path.of(userKey + ".pub"), dir.resolve("authorized_keys"));
    sites = Files.createDirectories(dir.resolve("sites"));
    nginxPort = TestEnv.freePort();
    nginxConf = dir.resolve("nginx.conf");
    Path temp = Files.createDirectories(dir.resolve("nginx-temp"));
    // nginx's workers read the HLS folder of a temp dir: as root, they run as root too.
    String user = "root".equals(System.getProperty("user.name")) ? "user root;\n" : "";
    Files.writeString(nginxConf, user + """
      worker_processes 1;
      pid "%1$s/nginx.pid";
      error_log "%1$s/nginx-error.log" warn;
      events { worker_connections 64; }
      http {
          access_log off;
          client_body_temp_path "%2$s/body";
          proxy_temp_path "%2$s/proxy";
          fastcgi_temp_path "%2$s/fastcgi";
          uwsgi_temp_path "%2$s/uwsgi";
          scgi_temp_path "%2$s/scgi";
          include "%3$s/*.conf";
      }
      """.formatted(dir, temp, sites));
    Files.createDirectories(Path.of("/run/sshd"));
    start(hostKey);
  }

  private static void keygen(Path file) throws IOException, InterruptedException {
    run(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "iptv-test", "-f", file.toString()));
  }

  private static String run(List<String> cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(cmd + " failed: " + out);
    }
    return out;
  }

  /** Starts sshd with {@code key} as its host key and waits until it accepts connections. */
  public void start(Path key) throws IOException, InterruptedException {
    Path config = dir.resolve("sshd_config");
    // Sessions get a HOME of their own: the login shell then reads no ~/.bashrc of the account
    // running the tests (on these machines root's runs `pyenv init`, whose rehash lock is left behind
    // when a test kills sshd mid-session, and every later login then waits 60 s for it).
    Path home = Files.createDirectories(dir.resolve("home"));
    Files.writeString(config, String.join("\n",
      "Port " + port,
      "ListenAddress 127.0.0.1",
      "HostKey " + key,
      "PidFile " + dir.resolve("sshd.pid"),
      "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
      "PermitRootLogin yes",
      "StrictModes no",
      "PubkeyAuthentication yes",
      "PasswordAuthentication yes",
      "KbdInteractiveAuthentication no",
      "UsePAM no",
      "Subsystem sftp internal-sftp",
      "SetEnv HOME=" + home,
      "LogLevel ERROR", ""));
    sshd = new ProcessBuilder("/usr/sbin/sshd", "-D", "-e", "-f", config.toString())
      .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        if (!sshd.isAlive() || System.nanoTime() > deadline) {
          throw new IOException("sshd did not start: " + Files.readString(dir.resolve("sshd.log")), e);
        }
        TestEnv.pause(50);
      }
    }
  }

  /** Ends sshd and its sessions (the server is gone). */
  public void stop() throws InterruptedException {
    if (sshd == null) {
      return;
    }
    sshd.descendants().forEach(ProcessHandle::destroyForcibly);
    sshd.destroyForcibly();
    sshd.waitFor(10, TimeUnit.SECONDS);
    sshd = null;
  }

  public String userPrivateKey() throws IOException {
    return Files.readString(userKey);
  }

  /** The {@code "type base64"} of a host key's public half. */
  public static String publicKey(Path key) throws IOException {
    String[] w = Files.readString(Path.of(key + ".pub")).trim().split("\\s+");
    return w[0] + " " + w[1];
  }

  /** The "server's" nginx, started on {@link #nginxConf} (its sites folder empty until provisioned). */
  public void startNginx() throws IOException, InterruptedException {
    run(List.of("nginx", "-c", nginxConf.toString()));
    nginxUp = true;
  }

  public String user() {
    return System.getProperty("user.name");
  }

  @Override
  public void close() throws Exception {
    stop();
    if (nginxUp) {
      try {
        run(List.of("nginx", "-c", nginxConf.toString(), "-s", "stop"));
        // "-s stop" only signals: the master removes its pid file as it exits.
        dev.iptv.testing.Eventually.eventually(Duration.ofSeconds(10), "the server's nginx stopped",
          () -> !Files.exists(dir.resolve("nginx.pid")));
      } catch (IOException e) {
        // already gone
      }
    }
    TestEnv.deleteTree(dir);
  }
}
