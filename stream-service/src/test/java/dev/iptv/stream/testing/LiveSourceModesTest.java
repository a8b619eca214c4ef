package dev.iptv.stream.testing;

import dev.iptv.stream.testing.LiveSource.Mode;
import dev.iptv.testing.TestEnv;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The live source's feeds behave as their modes say, for clients connected and to come. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LiveSourceModesTest {

  private LiveSource source;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
  }

  @AfterAll
  void tearDown() {
    source.close();
  }

  /** A raw client of one feed: the answer's head read, then the stream's bytes counted. */
  private static final class Client implements AutoCloseable {
    final Socket socket;
    final InputStream in;
    final String status;
    boolean ended;

    Client(String url) throws IOException {
      URI u = URI.create(url);
      socket = new Socket(u.getHost(), u.getPort());
      socket.getOutputStream().write(("GET " + u.getPath() + " HTTP/1.1\r\nHost: x\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
      in = socket.getInputStream();
      socket.setSoTimeout(5_000);
      StringBuilder head = new StringBuilder();
      int c;
      while (!head.toString().endsWith("\r\n\r\n") && (c = in.read()) >= 0) {
        head.append((char) c);
      }
      status = head.toString().lines().findFirst().orElse("");
      ended = head.isEmpty();
    }

    /** Bytes read within {@code ms} (time is the subject); {@link #ended} once the server closed. */
    long readFor(long ms) throws IOException {
      long n = 0;
      long end = System.currentTimeMillis() + ms;
      byte[] buf = new byte[64 * 1024];
      while (!ended && System.currentTimeMillis() < end) {
        socket.setSoTimeout((int) Math.max(1, end - System.currentTimeMillis()));
        try {
          int r = in.read(buf);
          if (r < 0) {
            ended = true;
          } else {
            n += r;
          }
        } catch (SocketTimeoutException e) {
          break;
        } catch (IOException e) {
          ended = true; // reset
        }
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  @DisplayName("slow sends about half of what the source makes, stall nothing on an open connection, and both come back")
  void slowAndStall() throws Exception {
    try (Client normal = new Client(source.url("n1")); Client slow = new Client(source.url("s1"));
         Client stalled = new Client(source.url("t1"))) {
      assertTrue(normal.status.contains("200") && slow.status.contains("200"), normal.status + " / " + slow.status);
      normal.readFor(1_000);
      slow.readFor(1_000);
      stalled.readFor(1_000);
      source.mode("s1", Mode.SLOW);
      source.mode("t1", Mode.STALL);
      TestEnv.pause(300); // what was in flight arrives
      stalled.readFor(200);
      // Read in turns, 4 s each, so both see the same stretch of the source.
      long fast = 0;
      long paced = 0;
      long frozen = 0;
      for (int i = 0; i < 8; i++) {
        fast += normal.readFor(150);
        paced += slow.readFor(150);
        frozen += stalled.readFor(150);
      }
      double ratio = (double) paced / fast;
      assertTrue(ratio > 0.3 && ratio < 0.7, "slow feed at " + ratio + " of the normal one (" + paced + "/" + fast + ")");
      assertEquals(0, frozen, "a stalled feed sends nothing");
      assertTrue(!stalled.ended, "a stalled feed keeps the connection");
      source.comeBack("s1");
      source.comeBack("t1");
      assertTrue(stalled.readFor(1_500) > 50_000, "the stalled feed came back on the same connection");
      long back = slow.readFor(1_000);
      long ref = normal.readFor(1_000);
      assertTrue(back > ref / 2, "the slow feed is at full pace again: " + back + " vs " + ref);
    }
  }

  @Test
  @DisplayName("die closes the feed's connections and refuses new ones until it comes back")
  void die() throws Exception {
    try (Client c = new Client(source.url("d1"))) {
      assertTrue(c.readFor(1_000) > 0);
      source.mode("d1", Mode.DIE);
      c.readFor(3_000);
      assertTrue(c.ended, "the connection was closed");
    }
    try (Client refused = new Client(source.url("d1"))) {
      assertTrue(refused.ended || refused.readFor(1_000) == 0 && refused.ended, "a new connection is closed: "
        + refused.status);
    }
    source.comeBack("d1");
    try (Client again = new Client(source.url("d1"))) {
      assertTrue(again.status.contains("200"), again.status);
      assertTrue(again.readFor(1_000) > 50_000, "live again");
    }
  }
}
