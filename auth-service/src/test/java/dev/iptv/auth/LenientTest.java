package dev.iptv.auth;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Reading stored values leniently, and password hashes")
class LenientTest {

  @Test
  @DisplayName("dates: Z with microseconds, offsets with or without colon, no zone as UTC, a space for T, a bare date; junk is null")
  void dates() {
    assertEquals(Instant.parse("2025-12-07T21:50:51.244826Z"), Lenient.instant("2025-12-07T21:50:51.244826Z"));
    assertEquals(Instant.parse("2025-12-07T19:50:51Z"), Lenient.instant("2025-12-07T21:50:51+02:00"));
    assertEquals(Instant.parse("2025-12-07T19:50:51Z"), Lenient.instant("2025-12-07T21:50:51+0200"));
    assertEquals(Instant.parse("2025-12-07T21:50:51Z"), Lenient.instant("2025-12-07T21:50:51"));
    assertEquals(Instant.parse("2025-12-07T21:50:51Z"), Lenient.instant("2025-12-07 21:50:51"));
    assertEquals(Instant.parse("2025-12-07T00:00:00Z"), Lenient.instant("2025-12-07"));
    assertEquals(Instant.parse("2025-12-07T21:50:51Z"), Lenient.instant((Object) 1765144251));
    assertNull(Lenient.instant("tomorrow"));
    assertNull(Lenient.instant("2025-13-07T21:50:51Z"));
    assertNull(Lenient.instant(""));
    assertNull(Lenient.instant((Object) null));
  }

  @Test
  @DisplayName("numbers and booleans from text, with a fallback for junk")
  void scalars() {
    assertEquals(2, Lenient.integer("2", 1));
    assertEquals(2, Lenient.integer(2.0, 1));
    assertEquals(1, Lenient.integer("two", 1));
    assertEquals(1, Lenient.integer(null, 1));
    assertTrue(Lenient.bool("true", false));
    assertFalse(Lenient.bool("false", true));
    assertFalse(Lenient.bool(0, true));
    assertTrue(Lenient.bool(null, true));
  }

  @Test
  @DisplayName("PBKDF2 hashes verify the right password only, carry their iterations and differ by salt")
  void passwords() {
    String a = Passwords.hash("secret", 1000);
    String b = Passwords.hash("secret", 1000);
    assertTrue(a.startsWith("pbkdf2-sha256$1000$"));
    assertFalse(a.equals(b), "a new salt each time");
    assertTrue(Passwords.verify("secret", a));
    assertFalse(Passwords.verify("Secret", a));
    assertFalse(Passwords.verify("secret", "secret"));
    assertTrue(Passwords.isHash(a));
    assertFalse(Passwords.isHash("2D9phJKJz8TPM37"));
  }
}
