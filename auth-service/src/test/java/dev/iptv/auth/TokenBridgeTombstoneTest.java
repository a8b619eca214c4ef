package dev.iptv.auth;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

@DisplayName("The token bridge's tombstones: a changed or deleted token is never answered with a record read before the change")
class TokenBridgeTombstoneTest {

  private static final String T = "ab".repeat(32);
  private static final String OLD = "{\"username\":\"john\",\"is_active\":true}";
  private static final String NEW = "{\"username\":\"john\",\"is_active\":true,\"max_connections\":3}";

  @Test
  @DisplayName("a read in flight when the token is deleted comes back after the deletion: its record is not kept")
  void inFlightReadAfterChange() {
    TokenBridge bridge = new TokenBridge();
    long now = 1_000_000;
    bridge.valid(T, OLD, now, bridge.stamp());
    assertEquals(OLD, bridge.kept(T, now));

    long readStarted = bridge.stamp();       // check() sends GET token:T
    bridge.changed(T, now + 5);              // USERS_CHANGED {"action": "deleted"} arrives first
    bridge.valid(T, OLD, now + 10, readStarted);  // then the GET's answer, read before the deletion
    assertNull(bridge.kept(T, now + 10));
  }

  @Test
  @DisplayName("a changed token is not answered from the bridge for the tombstone's time, even with a record read after the change")
  void tombstoneTime() {
    TokenBridge bridge = new TokenBridge();
    long now = 1_000_000;
    bridge.changed(T, now);
    bridge.valid(T, NEW, now + 1, bridge.stamp());
    assertNull(bridge.kept(T, now + 1));
    bridge.valid(T, NEW, now + TokenBridge.TOMBSTONE_MS, bridge.stamp());
    assertNull(bridge.kept(T, now + TokenBridge.TOMBSTONE_MS), "still within the tombstone's time");

    long later = now + TokenBridge.TOMBSTONE_MS + 1;
    bridge.valid(T, NEW, later, bridge.stamp());
    assertEquals(NEW, bridge.kept(T, later), "a record read after the tombstone went is kept again");
    assertEquals(0, bridge.tombstones());
  }

  @Test
  @DisplayName("tombstones are bounded in count; a read that started before a dropped tombstone's change is still refused")
  void boundedCount() {
    TokenBridge bridge = new TokenBridge();
    long now = 1_000_000;
    long readStarted = bridge.stamp();       // a slow read of T starts
    bridge.changed(T, now);                  // T is deleted...
    for (int i = 0; i < TokenBridge.MAX_TOMBSTONES; i++) {
      bridge.changed(String.format("%064x", i), now);   // ...then a bulk sync changes every other token
    }
    assertEquals(TokenBridge.MAX_TOMBSTONES, bridge.tombstones(), "bounded: T's tombstone was dropped");

    bridge.valid(T, OLD, now + 1, readStarted);
    assertNull(bridge.kept(T, now + 1), "the slow read predates the dropped tombstone: refused");

    long after = now + TokenBridge.TOMBSTONE_MS + 1;
    assertNull(bridge.kept(String.format("%064x", 0), after));
    assertEquals(0, bridge.tombstones(), "every tombstone goes with its time");
    bridge.valid(T, NEW, after, bridge.stamp());
    assertEquals(NEW, bridge.kept(T, after), "a read started after every change is kept");
  }

  @Test
  @DisplayName("a created token is forgotten without a tombstone: its first valid check is kept")
  void created() {
    TokenBridge bridge = new TokenBridge();
    bridge.forget(T);
    bridge.valid(T, NEW, 5, bridge.stamp());
    assertEquals(NEW, bridge.kept(T, 5));
    assertEquals(0, bridge.tombstones());
  }
}
