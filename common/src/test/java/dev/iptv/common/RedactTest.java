package dev.iptv.common;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** What FFmpeg says of URLs, fit for logs, events and the log endpoint. */
class RedactTest {

  @Test
  @DisplayName("a channel's own source is shown as scheme, host and last path element; any other URL loses its user info and secret parameters")
  void credentials() {
    String src = "http://alice:pw1@up.example:8080/live/alice/pw1/48681.ts?token=abc";
    String said = "Input #0, mpegts, from '" + src + "':";
    assertEquals("Input #0, mpegts, from 'http://up.example:8080/…/48681.ts':", Redact.sources(said, List.of(src)));
    String other = "[hls @ 0x1] Opening 'https://bob:pw2@cdn.example/seg/1.ts?x=1&password=pw3&sig=pw4' for reading";
    String masked = Redact.credentials(other);
    assertEquals("[hls @ 0x1] Opening 'https://***@cdn.example/seg/1.ts?x=1&password=***&sig=***' for reading", masked);
    for (String secret : List.of("bob", "pw2", "pw3", "pw4")) {
      assertFalse(masked.contains(secret), masked);
    }
    assertEquals("no URL here: a@b", Redact.credentials("no URL here: a@b"));
  }
}
