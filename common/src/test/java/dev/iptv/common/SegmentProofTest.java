package dev.iptv.common;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SegmentProofTest {

  private static final Pattern QUERY = Pattern.compile("e=(\\d+)&n=(\\d+)&t=([0-9a-f]+)&s=([A-Za-z0-9_-]{22})");
  private static final String TAG = "0123456789abcdef01234567";
  private final SegmentProof proofs = new SegmentProof("a-secret-of-the-installation-0123", 120);

  private static Matcher parts(String query) {
    Matcher m = QUERY.matcher(query);
    assertTrue(m.matches(), query);
    return m;
  }

  @Test
  @DisplayName("a proof just issued opens its channel's segments, and no other channel's")
  void issued() {
    long now = 1_800_000_003L;
    Matcher m = parts(proofs.query("48681", TAG, now));
    assertEquals(SegmentProof.Verdict.OK, proofs.check("48681", m.group(1), m.group(2), m.group(3), m.group(4), now));
    assertEquals(SegmentProof.Verdict.OK, proofs.check("48681", m.group(1), m.group(2), m.group(3), m.group(4), now + 120));
    assertEquals(SegmentProof.Verdict.EXPIRED, proofs.check("48681", m.group(1), m.group(2), m.group(3), m.group(4), now + 200));
    assertEquals(SegmentProof.Verdict.INVALID, proofs.check("48682", m.group(1), m.group(2), m.group(3), m.group(4), now));
    assertEquals(SegmentProof.Verdict.INVALID, proofs.check("48681", m.group(1), m.group(2), "ffff", m.group(4), now),
      "bound to the session it was issued to");
  }

  @Test
  @DisplayName("a digit moved from the channel id into the expiry no longer opens another channel until centuries from now")
  void noDigitMoves() {
    long now = 1_800_000_003L;
    Matcher m = parts(proofs.query("12", TAG, now));
    // Old text "{e}{channel} secret": e=E, channel 12 signed the same bytes as e=E1, channel 2.
    String movedE = m.group(1) + "1";
    assertEquals(SegmentProof.Verdict.INVALID, proofs.check("2", movedE, m.group(2), m.group(3), m.group(4), now));
    assertEquals(SegmentProof.Verdict.INVALID, proofs.check("2", m.group(1), m.group(2) + "1", m.group(3), m.group(4), now));
  }

  @Test
  @DisplayName("a validly signed expiry further ahead than the TTL plus slack is refused")
  void cap() {
    long now = 1_800_000_003L;
    long far = now + 10L * 365 * 86400;
    Matcher m = parts(proofs.signed("7", TAG, far, proofs.notAfter(far)));
    assertEquals(SegmentProof.Verdict.TOO_FAR, proofs.check("7", m.group(1), m.group(2), m.group(3), m.group(4), now));
    long edge = now + 120 + SegmentProof.SLACK_S - 1;
    Matcher ok = parts(proofs.signed("7", TAG, edge, proofs.notAfter(edge)));
    assertEquals(SegmentProof.Verdict.OK, proofs.check("7", ok.group(1), ok.group(2), ok.group(3), ok.group(4), now));
    long over = now + 120 + SegmentProof.SLACK_S;
    Matcher no = parts(proofs.signed("7", TAG, over, proofs.notAfter(over)));
    assertEquals(SegmentProof.Verdict.TOO_FAR, proofs.check("7", no.group(1), no.group(2), no.group(3), no.group(4), now));
  }

  @Test
  @DisplayName("junk parameters are invalid, never an exception")
  void junk() {
    long now = 1_800_000_003L;
    assertEquals(SegmentProof.Verdict.INVALID, proofs.check("7", null, null, null, null, now));
    assertEquals(SegmentProof.Verdict.INVALID, proofs.check("7", "-5", "1", TAG, "x", now));
    assertEquals(SegmentProof.Verdict.INVALID, proofs.check("7", "99999999999999999999", "1", TAG, "x", now));
    assertEquals(SegmentProof.Verdict.INVALID, proofs.check("7", "1", "1", "not hex!", "x", now));
  }
}
