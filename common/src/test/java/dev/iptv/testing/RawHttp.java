package dev.iptv.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP client on a plain socket, for what well-behaved clients never do: send half a request,
 * trickle headers, stay silent, come from another loopback address (127.0.0.2, 127.0.0.3, ...:
 * Linux routes all of 127.0.0.0/8 to the loopback interface).
 */
public final class RawHttp implements AutoCloseable {

  private final Socket socket;

  private RawHttp(Socket socket) {
    this.socket = socket;
  }

  /** A connection to 127.0.0.1:{@code port} from {@code from} (null: any local address). */
  public static RawHttp connect(String from, int port) throws IOException {
    Socket s = new Socket();
    if (from != null) {
      s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
    }
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    s.setTcpNoDelay(true);
    return new RawHttp(s);
  }

  /**
   * Slowloris clients, one from each of 127.0.0.2, 127.0.0.3, ..., started now on threads of their
   * own: each sends the head of a GET of {@code path}, then one header byte a second, for at most
   * 10 s.
   */
  public static Slowloris slowloris(int clients, int port, String path) {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    List<Future<Long>> cut = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      String from = "127.0.0." + (2 + i);
      cut.add(pool.submit(() -> {
        try (RawHttp slow = connect(from, port)) {
          long started = System.nanoTime();
          slow.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
          for (int s = 0; s < 10; s++) {
            if (!slow.trickle('a') || slow.closedWithin(1_000)) {
              return (System.nanoTime() - started) / 1_000_000;
            }
          }
          return -1L;
        }
      }));
    }
    return new Slowloris(pool, cut);
  }

  /** Slowloris clients at work. */
  public static final class Slowloris {
    private final ExecutorService pool;
    private final List<Future<Long>> cut;

    private Slowloris(ExecutorService pool, List<Future<Long>> cut) {
      this.pool = pool;
      this.cut = cut;
    }

    /** Waits for every client: the milliseconds until the server cut each one (-1: not cut after 10 s). */
    public List<Long> cutAfterMs() throws Exception {
      try {
        List<Long> out = new ArrayList<>();
        for (Future<Long> f : cut) {
          out.add(f.get(20, TimeUnit.SECONDS));
        }
        return out;
      } finally {
        pool.shutdownNow();
      }
    }
  }

  public RawHttp send(String text) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  /**
   * The first line the server answers (for example {@code HTTP/1.1 401 Unauthorized}), waiting at
   * most {@code timeoutMs}; null when the server closed the connection without a byte.
   */
  public String statusLine(int timeoutMs) throws IOException {
    socket.setSoTimeout(timeoutMs);
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') {
        line.write(b);
      }
    }
    return b < 0 && line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  /**
   * Sends a request without a body and reads its whole answer (status line, headers, a body of
   * Content-Length bytes), so that the connection can carry the next one; answers the status line,
   * or null when the server closed the connection instead.
   */
  public String exchange(String request, int timeoutMs) throws IOException {
    send(request);
    String status = statusLine(timeoutMs);
    if (status == null) {
      return null;
    }
    int length = 0;
    String header;
    while ((header = statusLine(timeoutMs)) != null && !header.isEmpty()) {
      if (header.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(header.substring(15).trim());
      }
    }
    InputStream in = socket.getInputStream();
    for (int i = 0; i < length; i++) {
      if (in.read() < 0) {
        return null;
      }
    }
    return status;
  }

  /**
   * Whether the server has closed the connection: reads (and drops) what it still sends until the
   * end of the stream, waiting at most {@code timeoutMs}; false when the connection is still open
   * then.
   */
  public boolean closedWithin(int timeoutMs) throws IOException {
    long deadline = System.currentTimeMillis() + timeoutMs;
    InputStream in = socket.getInputStream();
    byte[] sink = new byte[8192];
    while (true) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      socket.setSoTimeout((int) Math.max(1, left));
      try {
        if (in.read(sink) < 0) {
          return true;
        }
      } catch (SocketTimeoutException e) {
        return false;
      } catch (IOException e) {
        return true; // reset by the server
      }
    }
  }

  /**
   * {@link #exchange}'s status line; null when the server closed the connection instead, and a
   * text saying so when it neither answered nor closed it within {@code timeoutMs}.
   */
  public String statusOrClosed(String request, int timeoutMs) {
    try {
      return exchange(request, timeoutMs);
    } catch (SocketTimeoutException e) {
      return "no answer and not closed within " + timeoutMs + " ms";
    } catch (IOException e) {
      return null;
    }
  }

  /** Sends one byte; false when the server has closed the connection (the write fails). */
  public boolean trickle(char c) {
    try {
      OutputStream out = socket.getOutputStream();
      out.write(c);
      out.flush();
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
