package dev.iptv.stream.viewers;

import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.contract.AuthContract.TokenCheck.Status;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdmittedSessionsTest {

  private static final String FUTURE = "2099-01-01T00:00:00Z";

  @Test
  @DisplayName("an admitted session is answered from memory until the recheck, its expiry, or its token's revocation")
  void lifecycle() {
    AdmittedSessions s = new AdmittedSessions(30_000, 100);
    s.admitted("s1", "tok1", new TokenCheck(Status.VALID, "ann", 2, FUTURE), 1_000);
    s.admitted("s2", "tok1", new TokenCheck(Status.VALID, "ann", 2, FUTURE), 1_000);
    s.admitted("s3", "tok2", new TokenCheck(Status.VALID, "bob", 1, FUTURE), 1_000);
    assertNotNull(s.get("s1", 20_000));
    assertNull(s.get("s1", 31_000), "asked again after the recheck interval");
    s.revokeToken("tok1");
    assertNull(s.get("s2", 2_000), "revoked with its token");
    assertNotNull(s.get("s3", 2_000), "another token's session stays");
    s.revokeUser("bob");
    assertNull(s.get("s3", 2_000));
  }

  @Test
  @DisplayName("a refusal is never remembered, and a token past its expires_at is asked again")
  void refusalsAndExpiry() {
    AdmittedSessions s = new AdmittedSessions(30_000, 100);
    s.admitted("s1", "tok", new TokenCheck(Status.LIMIT, "ann", 1, FUTURE), 1_000);
    assertNull(s.get("s1", 1_001));
    s.admitted("s2", "tok", new TokenCheck(Status.VALID, "ann", 1, "1970-01-01T00:00:05Z"), 1_000);
    assertNotNull(s.get("s2", 4_000));
    assertNull(s.get("s2", 5_000), "expired");
  }

  @Test
  @DisplayName("bounded: a flood of sessions never grows it past its cap")
  void bounded() {
    AdmittedSessions s = new AdmittedSessions(30_000, 1_000);
    for (int i = 0; i < 50_000; i++) {
      s.admitted("s" + i, "tok" + i, new TokenCheck(Status.VALID, "u" + i, 1, FUTURE), 1_000 + i);
      assertTrue(s.size() <= 1_000);
    }
  }

  @Test
  @DisplayName("touches keep one entry per session and channel, the latest; a drain empties them; bounded")
  void touches() {
    ViewerTouches t = new ViewerTouches(3);
    t.record(new ViewerTouches.Touch("s1", "ann", "101", "127.0.0.2", "ua", 1));
    t.record(new ViewerTouches.Touch("s1", "ann", "101", "127.0.0.2", "ua", 2));
    t.record(new ViewerTouches.Touch("s1", "ann", "102", "127.0.0.2", "ua", 3));
    t.record(new ViewerTouches.Touch("s2", "bob", "101", "127.0.0.3", "ua", 4));
    t.record(new ViewerTouches.Touch("s3", "cy", "101", "127.0.0.4", "ua", 5));
    assertEquals(3, t.size());
    List<ViewerTouches.Touch> drained = t.drain();
    assertEquals(3, drained.size());
    assertTrue(drained.stream().anyMatch(x -> x.sessionId().equals("s1") && x.channelId().equals("101") && x.atMs() == 2));
    assertEquals(0, t.size());
  }
}
