package dev.iptv.monitor.segments;

import dev.iptv.contract.MonitorContract.SegmentServed;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ViewerDirectoryTest {

  private static JsonObject poll(String user, String channel, String ip, String ua, double ts) {
    return new JsonObject().put("username", user).put("channel_id", channel).put("ip", ip).put("user_agent", ua).put("ts", ts);
  }

  private static SegmentServed segment(String channel, String ip, String ua, double ts) {
    return new SegmentServed(channel, 1000, ip, null, ua, 200, ts);
  }

  @Test
  @DisplayName("a segment nginx served gets the user who polled that channel from that address and User-Agent")
  void names() {
    ViewerDirectory d = new ViewerDirectory();
    d.poll(poll("alice", "1", "203.0.113.7", "VLC/3", 1000));
    d.poll(poll("bob", "1", "203.0.113.7", "Kodi/20", 1001));   // same NAT, other player
    assertEquals("alice", d.resolve(segment("1", "203.0.113.7", "VLC/3", 1002)).username());
    assertEquals("bob", d.resolve(segment("1", "203.0.113.7", "Kodi/20", 1002)).username());
    // No User-Agent in the record: the last poller of that channel from that address.
    assertEquals("bob", d.resolve(segment("1", "203.0.113.7", null, 1002)).username());
    // Another channel or address: unknown.
    assertNull(d.resolve(segment("2", "203.0.113.7", "VLC/3", 1002)).username());
    assertNull(d.resolve(segment("1", "198.51.100.1", "VLC/3", 1002)).username());
  }

  @Test
  @DisplayName("a record that names its user keeps it; stale polls and malformed ones name nobody")
  void staleAndMalformed() {
    ViewerDirectory d = new ViewerDirectory();
    d.poll(poll("alice", "1", "203.0.113.7", "VLC/3", 1000));
    SegmentServed own = new SegmentServed("1", 5, "203.0.113.7", "carol", "VLC/3", 200, 1001);
    assertEquals("carol", d.resolve(own).username());
    assertNull(d.resolve(segment("1", "203.0.113.7", "VLC/3", 1000 + ViewerDirectory.FORGET_S + 1)).username());
    d.poll(new JsonObject().put("username", 7).put("channel_id", "1").put("ip", "x"));
    d.poll(null);
    d.prune(1000 + ViewerDirectory.FORGET_S + 1);
    assertEquals(0, d.size());
  }

  @Test
  @DisplayName("a flood of polls from made-up addresses stays within the cap, and a real viewer after it is still named")
  void flood() {
    ViewerDirectory d = new ViewerDirectory();
    double now = System.currentTimeMillis() / 1000.0;
    for (int i = 0; i < ViewerDirectory.MAX_ENTRIES; i++) { // two entries a poll: twice the cap
      d.poll(poll("flood", "1", "10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255), "bot/" + i, now));
    }
    assertEquals(ViewerDirectory.MAX_ENTRIES, d.size());
    d.poll(poll("alice", "7", "203.0.113.7", "VLC/3", now + 1));
    assertEquals(ViewerDirectory.MAX_ENTRIES, d.size(), "the oldest entries made room");
    assertEquals("alice", d.resolve(segment("7", "203.0.113.7", "VLC/3", now + 2)).username());
  }
}
