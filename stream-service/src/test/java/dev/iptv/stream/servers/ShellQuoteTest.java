package dev.iptv.stream.servers;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Quoted words read back by a real POSIX shell are exactly the arguments given, and run nothing. */
class ShellQuoteTest {

  private static final List<String> HOSTILE = List.of(
    "http://x/$(touch /tmp/iptv-pwned-q1)",
    "`touch /tmp/iptv-pwned-q2`",
    "a'b\"c\\d",
    "'; touch /tmp/iptv-pwned-q3; echo '",
    "line1\nline2 && touch /tmp/iptv-pwned-q4",
    "${HOME} $PATH * ? [a] ~ | & > /tmp/iptv-pwned-q5 < /etc/passwd",
    "",
    "''''",
    "é ✓ \t tab");

  @Test
  @DisplayName("sh -c reads every quoted word back as one argument, byte for byte")
  void roundTripThroughARealShell() throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "printf '%s\\0' " + ShellQuote.join(HOSTILE)).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    String text = new String(out, StandardCharsets.UTF_8);
    List<String> back = Arrays.asList(text.substring(0, text.length() - 1).split("\0", -1));
    assertEquals(HOSTILE, back);
    for (int i = 1; i <= 5; i++) {
      assertTrue(!new java.io.File("/tmp/iptv-pwned-q" + i).exists(), "nothing ran: q" + i);
    }
  }

  @Test
  @DisplayName("a NUL, which no argument can hold, is refused")
  void nulRefused() {
    assertThrows(IllegalArgumentException.class, () -> ShellQuote.quote("a\0b"));
  }
}
