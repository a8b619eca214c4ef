package dev.iptv.monitor.segments;

import dev.iptv.contract.MonitorContract.SegmentServed;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SegmentLogParserTest {

  @Test
  @DisplayName("a syslog line from nginx gives the channel, bytes, client address, status and time")
  void nginxLine() {
    SegmentServed r = SegmentLogParser.parse("<190>Nov 22 21:00:00 host iptv: 1700000000.123 48681 203.0.113.7 1880000 200");
    assertEquals("48681", r.channelId());
    assertEquals(1_880_000L, r.bytes());
    assertEquals("203.0.113.7", r.ip());
    assertEquals(200, r.status());
    assertEquals(1700000000.123, r.ts(), 1e-6);
    assertNull(r.username());
    assertNull(r.userAgent());
  }

  @Test
  @DisplayName("the header may come without host name, with a one-digit day, or not at all; IPv6 clients are read")
  void variants() {
    assertEquals("7", SegmentLogParser.parse("<190>Nov  2 01:02:03 iptv: 1700000000.000 7 ::1 10 206").channelId());
    assertEquals("2001:db8::5", SegmentLogParser.parse("1700000000.5 9 2001:db8::5 0 304").ip());
    assertEquals(304, SegmentLogParser.parse("1700000000.5 9 2001:db8::5 0 304").status());
  }

  @Test
  @DisplayName("an optional quoted user agent at the end is read, with nginx's \\xHH escapes undone")
  void userAgent() {
    SegmentServed r = SegmentLogParser.parse("<190>Nov 22 21:00:00 h iptv: 1700000000.1 5 10.0.0.1 99 200 \"VLC/3.0 \\x22x\\x22\"");
    assertEquals("VLC/3.0 \"x\"", r.userAgent());
  }

  @Test
  @DisplayName("lines that are not segment records are refused, never half read")
  void refused() {
    for (String bad : new String[] {"", "hello", "<190>Nov 22 21:00:00 host iptv: - 48681 1.2.3.4 10 200",
      "<190>Nov 22 21:00:00 host iptv: 1700000000.1 - 1.2.3.4 10 200",
      "<190>Nov 22 21:00:00 host iptv: 1700000000.1 48681 1.2.3.4 -5 200",
      "1700000000.1 48681 1.2.3.4 10 200 trailing", "<bad>x"}) {
      assertThrows(IllegalArgumentException.class, () -> SegmentLogParser.parse(bad), bad);
    }
  }
}
