package dev.iptv.monitor.history;

import dev.iptv.contract.MonitorContract.SegmentServed;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ViewerSessionsTest {

  private static SegmentServed segment(String ip, String ua, long bytes, double ts) {
    return new SegmentServed("48681", bytes, ip, null, ua, 200, ts);
  }

  private static String ip(int i) {
    return "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255);
  }

  @Test
  @DisplayName("a flood of distinct clients keeps at most MAX_OPEN sessions open: the least recent end early and are still written")
  void flood() {
    ViewerSessions v = new ViewerSessions();
    double now = System.currentTimeMillis() / 1000.0;
    v.observe(segment("203.0.113.7", "VLC/3", 500, now));          // a real viewer, first
    int extra = 5_000;
    for (int i = 0; i < ViewerSessions.MAX_OPEN + extra; i++) {
      v.observe(segment(ip(i), "bot/" + i, 100, now));
      if (i % 10_000 == 0) {
        v.observe(segment("203.0.113.7", "VLC/3", 500, now));      // who keeps watching stays open
      }
    }
    assertEquals(ViewerSessions.MAX_OPEN, v.open());
    List<ViewerSessions.Session> out = v.drain(now, false);
    long ended = out.stream().filter(s -> s.ended).count();
    assertEquals(extra + 1, ended, "the evicted sessions are handed over as ended");
    assertEquals(ViewerSessions.MAX_OPEN + extra + 1, out.size(), "every session is written once");
    assertTrue(out.stream().anyMatch(s -> s.ip.equals("203.0.113.7") && !s.ended && s.bytes == 500L * 12),
      "the viewer who kept watching is still open with all its bytes");
  }
}
