package dev.iptv.server;

import dev.iptv.server.cluster.ClusterCertificates;
import dev.iptv.testing.TestEnv;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Scanner;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Six JVMs on loopback, joined as {@code iptv.jar service} joins ({@link ClusterPeer}): two with the
 * cluster secret, two with the secret and certificate files from another CA (made with openssl),
 * one with another secret, and one without TLS that knows the Hazelcast name (as someone who
 * sniffed Hazelcast's traffic would). Only members with the cluster's certificates reach each other
 * on the event bus; the one with another secret is not let into Hazelcast at all.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterSecurityTest {

  static final String SECRET = "cluster-secret-" + UUID.randomUUID();
  final List<Peer> peers = new ArrayList<>();
  Path dir;
  Peer a;
  Peer b;
  Peer fileD;
  Peer fileE;
  Peer otherSecret;
  Peer plain;

  @BeforeAll
  void start() throws Exception {
    dir = TestEnv.tempDir("iptv-cluster-security");
    Path ca = openssl("ca");
    int hz = TestEnv.freePortRun(8);
    List<String> members = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      members.add("127.0.0.1:" + (hz + i));
    }
    String name = "test-" + UUID.randomUUID();
    Map<String, String> base = Map.of("IPTV_CLUSTER_HOST", "127.0.0.1", "IPTV_CLUSTER_PORT", String.valueOf(hz),
      "IPTV_CLUSTER_MEMBERS", String.join(",", members), "IPTV_CLUSTER_NAME", name);
    Map<String, String> secret = with(base, "IPTV_CLUSTER_SECRET", SECRET);
    a = start("a", secret);
    b = start("b", secret);
    Path member = member(ca, "member");
    Map<String, String> files = with(secret, "IPTV_CLUSTER_CERT", member.resolve("cert.pem").toString());
    files.put("IPTV_CLUSTER_KEY", member.resolve("key.pem").toString());
    files.put("IPTV_CLUSTER_CA", ca.resolve("cert.pem").toString());
    fileD = start("d", files);
    fileE = start("e", files);
    otherSecret = start("c", with(base, "IPTV_CLUSTER_SECRET", "another-secret-" + UUID.randomUUID()));
    String sniffed = dev.iptv.server.cluster.ClusterSecurity.hazelcastName(
      new dev.iptv.common.ClusterSettings("127.0.0.1", hz, "", name, 0, SECRET, null, null, null));
    plain = start("f", with(base, "IPTV_CLUSTER_NAME", sniffed));
    for (Peer p : peers) {
      p.awaitReady();
    }
  }

  @AfterAll
  void stop() {
    peers.forEach(Peer::close);
    TestEnv.deleteTree(dir);
  }

  @Test
  @DisplayName("members with the same secret talk over mutual TLS; the others join Hazelcast only with the secret")
  void secretMembers() {
    assertEquals("REPLY pong from b to a", a.sendUntilReply("test.echo.b"));
    assertEquals("REPLY pong from a to b", b.sendUntilReply("test.echo.a"));
    // a, b, d, e (the secret) and f (who knows the derived name) are one Hazelcast cluster; c is alone.
    eventually(Duration.ofSeconds(20), "five members seen by a", () -> a.ask("MEMBERS").equals("MEMBERS 5"));
    assertEquals("MEMBERS 1", otherSecret.ask("MEMBERS"));
    // c is in no cluster with a: it does not even know a's address.
    String c = otherSecret.ask("SEND test.echo.a");
    assertTrue(c.startsWith("FAIL") && c.contains("No handlers"), c);
  }

  @Test
  @DisplayName("certificate files from another CA work between their holders, and reach no member of the secret's CA")
  void fileCertificates() {
    assertEquals("REPLY pong from e to d", fileD.sendUntilReply("test.echo.e"));
    // d knows a's subscription (one Hazelcast cluster) but cannot deliver to it, nor a to d.
    a.sendUntilReply("test.echo.b");
    // Routed (the subscription is known) but never delivered: the TLS handshake fails both ways.
    String d = fileD.ask("SEND test.echo.a");
    assertTrue(d.startsWith("FAIL") && d.contains("Timed out"), d);
    String toD = a.ask("SEND test.echo.d");
    assertTrue(toD.startsWith("FAIL") && toD.contains("Timed out"), toD);
  }

  @Test
  @DisplayName("a JVM in the Hazelcast cluster without TLS cannot deliver, and a's event bus answers no plaintext")
  void noCertificate() throws Exception {
    eventually(Duration.ofSeconds(20), "f in the Hazelcast cluster", () -> plain.ask("MEMBERS").equals("MEMBERS 5"));
    a.sendUntilReply("test.echo.b");
    String f = plain.ask("SEND test.echo.a");
    assertTrue(f.startsWith("FAIL") && f.contains("Timed out"), f);
    String toF = a.ask("SEND test.echo.f");
    assertTrue(toF.startsWith("FAIL") && toF.contains("Timed out"), toF);

    // Plain bytes to a's event bus: no plaintext answer (a TLS alert or a closed connection).
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", a.eventBusPort), 2000);
      s.setSoTimeout(3000);
      s.getOutputStream().write(new byte[] {0, 0, 0, 20, 1, 0, 'p', 'i', 'n', 'g', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
      int first;
      try {
        first = s.getInputStream().read();
      } catch (IOException closed) {
        first = -1;
      }
      assertTrue(first == -1 || first == 0x15, "a plaintext answer from the event bus: " + first);
    }
    // TLS without a client certificate: a shows the cluster CA's member certificate, then refuses.
    AtomicReference<X509Certificate[]> shown = new AtomicReference<>();
    SSLContext tls = SSLContext.getInstance("TLSv1.3");
    tls.init(null, new TrustManager[] {new X509TrustManager() {
      public void checkClientTrusted(X509Certificate[] chain, String type) {
      }

      public void checkServerTrusted(X509Certificate[] chain, String type) {
        shown.set(chain);
      }

      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    try (SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", a.eventBusPort)) {
      s.setSoTimeout(3000);
      assertThrows(IOException.class, () -> {
        s.startHandshake();
        s.getOutputStream().write(new byte[] {0, 0, 0, 1, 1});
        s.getOutputStream().flush();
        if (s.getInputStream().read() == -1) {
          throw new IOException("closed");
        }
      });
    }
    String issuer = ClusterCertificates.fromSecret(SECRET, "127.0.0.1").ca().getSubjectX500Principal().getName();
    assertEquals(issuer, shown.get()[0].getIssuerX500Principal().getName());
  }

  @Test
  @DisplayName("Hazelcast and the event bus bind the cluster host only (127.0.0.1, not 127.0.0.2)")
  void bindsClusterHostOnly() {
    for (int port : new int[] {a.eventBusPort, a.hazelcastPort}) {
      assertThrows(ConnectException.class, () -> {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.2", port), 2000);
        }
      }, "port " + port + " answers on 127.0.0.2");
    }
  }

  // --- support ---------------------------------------------------------------------------------

  static Map<String, String> with(Map<String, String> base, String key, String value) {
    Map<String, String> m = new HashMap<>(base);
    m.put(key, value);
    return m;
  }

  Peer start(String name, Map<String, String> env) throws IOException {
    Peer p = new Peer(name, with(env, "IPTV_NODE_NAME", name), dir.resolve(name + ".log"));
    peers.add(p);
    return p;
  }

  /** A CA made by openssl: {dir}/{name}/cert.pem, key.pem. */
  Path openssl(String name) throws Exception {
    Path d = Files.createDirectories(dir.resolve(name));
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", d.resolve("key.pem").toString(), "-out", d.resolve("cert.pem").toString(),
      "-subj", "/CN=test cluster CA", "-days", "2",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign");
    return d;
  }

  /** A member certificate signed by the CA in {@code ca}, for TLS server and client. */
  Path member(Path ca, String name) throws Exception {
    Path d = Files.createDirectories(dir.resolve(name));
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", d.resolve("key.pem").toString(), "-out", d.resolve("req.csr").toString(), "-subj", "/CN=" + name);
    Files.writeString(d.resolve("ext.cnf"), "extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1\n");
    run("openssl", "x509", "-req", "-in", d.resolve("req.csr").toString(), "-CA", ca.resolve("cert.pem").toString(),
      "-CAkey", ca.resolve("key.pem").toString(), "-CAcreateserial", "-days", "2",
      "-extfile", d.resolve("ext.cnf").toString(), "-out", d.resolve("cert.pem").toString());
    return d;
  }

  static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      fail(String.join(" ", command) + " failed: " + out);
    }
  }

  /** One {@link ClusterPeer} JVM. */
  static final class Peer implements AutoCloseable {
    final String name;
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final BufferedWriter in;
    int eventBusPort;
    int hazelcastPort;

    Peer(String name, Map<String, String> env, Path log) throws IOException {
      this.name = name;
      ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx160m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        ClusterPeer.class.getName());
      pb.environment().keySet().removeIf(k -> k.startsWith("IPTV_"));
      pb.environment().putAll(env);
      pb.redirectErrorStream(true);
      process = pb.start();
      in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
      Thread reader = new Thread(() -> copy(process.getInputStream(), log), "peer-" + name);
      reader.setDaemon(true);
      reader.start();
    }

    private void copy(InputStream from, Path log) {
      try (PrintStream to = new PrintStream(Files.newOutputStream(log), true, StandardCharsets.UTF_8);
           Scanner s = new Scanner(from, StandardCharsets.UTF_8)) {
        while (s.hasNextLine()) {
          String line = s.nextLine();
          to.println(line);
          if (line.startsWith("PEER ")) {
            lines.add(line.substring(5));
          }
        }
      } catch (IOException e) {
        lines.add("FAIL log: " + e);
      }
    }

    void awaitReady() throws Exception {
      String ready = next(Duration.ofSeconds(60));
      if (!ready.startsWith("READY ")) {
        fail(name + " did not start: " + ready);
      }
      String[] parts = ready.split(" ");
      eventBusPort = Integer.parseInt(parts[2]);
      hazelcastPort = Integer.parseInt(parts[3]);
    }

    synchronized String ask(String command) {
      try {
        lines.clear();
        in.write(command + "\n");
        in.flush();
        return next(Duration.ofSeconds(15));
      } catch (Exception e) {
        throw new AssertionError(name + ": " + command + ": " + e, e);
      }
    }

    /** The reply once the other member's subscription has reached this one. */
    String sendUntilReply(String address) {
      return eventually(Duration.ofSeconds(20), name + " reaching " + address, () -> ask("SEND " + address),
        r -> r.startsWith("REPLY"));
    }

    private String next(Duration within) throws Exception {
      String line = lines.poll(within.toMillis(), TimeUnit.MILLISECONDS);
      if (line == null) {
        throw new SocketTimeoutException(name + ": no answer within " + within + (process.isAlive() ? "" : " (exited)"));
      }
      return line;
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
