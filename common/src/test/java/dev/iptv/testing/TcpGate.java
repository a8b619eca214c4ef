package dev.iptv.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP gate in front of a dependency (PostgreSQL, Redis): listens on a free loopback port and
 * forwards every connection to {@code host:port} while open. {@link #close()} cuts the live
 * connections and refuses new ones (accepted and reset at once, as a host whose service is down),
 * {@link #open()} forwards again. Point the service at {@link #port()}; {@link #stop()} releases
 * everything. Plain threads: this is test support, never on an event loop.
 */
public final class TcpGate {

  private final String host;
  private final int targetPort;
  private final ServerSocket server;
  private final Set<Socket> live = ConcurrentHashMap.newKeySet();
  private volatile boolean open;
  private volatile boolean stopped;

  private TcpGate(String host, int targetPort, boolean open) throws IOException {
    this.host = host;
    this.targetPort = targetPort;
    this.open = open;
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    Thread acceptor = new Thread(this::accept, "tcp-gate-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A gate to {@code host:port}, open or closed from the start. */
  public static TcpGate to(String host, int port, boolean open) {
    try {
      return new TcpGate(host, port, open);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start a TCP gate: " + e.getMessage(), e);
    }
  }

  /** The loopback port to connect to instead of the target. */
  public int port() {
    return server.getLocalPort();
  }

  public boolean isOpen() {
    return open;
  }

  /** Forwards new connections again. */
  public void open() {
    open = true;
  }

  /** Cuts every live connection and refuses new ones until {@link #open()}. */
  public void close() {
    open = false;
    for (Socket s : live) {
      reset(s);
    }
  }

  /** Closes the gate for good: the listening socket and every connection. */
  public void stop() {
    stopped = true;
    close();
    try {
      server.close();
    } catch (IOException ignored) {
      // closing
    }
  }

  private void accept() {
    while (!stopped) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // stopped
      }
      if (!open) {
        reset(client);
        continue;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(new InetSocketAddress(host, targetPort), 5_000);
      } catch (IOException e) {
        reset(client);
        reset(upstream);
        continue;
      }
      live.add(client);
      live.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException ignored) {
        // cut or closed: the other side goes too
      } finally {
        reset(from);
        reset(to);
      }
    }, "tcp-gate-pump");
    t.setDaemon(true);
    t.start();
  }

  /** Closes with an RST (linger 0), as a connection cut by a failing host or a firewall reset. */
  private void reset(Socket s) {
    live.remove(s);
    try {
      if (!s.isClosed()) {
        s.setSoLinger(true, 0);
      }
    } catch (SocketException ignored) {
      // already gone
    }
    try {
      s.close();
    } catch (IOException ignored) {
      // already gone
    }
  }
}
