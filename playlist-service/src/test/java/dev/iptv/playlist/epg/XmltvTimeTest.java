package dev.iptv.playlist.epg;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("XMLTV times")
class XmltvTimeTest {

  @ParameterizedTest(name = "{0} is {1}")
  @CsvSource({
    "20260101100000 +0000, 2026-01-01T10:00:00Z",
    "20260101100000, 2026-01-01T10:00:00Z",
    "202601011000, 2026-01-01T10:00:00Z",
    "20260101100000 +0100, 2026-01-01T09:00:00Z",
    "20260101100000 -0530, 2026-01-01T15:30:00Z",
    "20260101100000+0200, 2026-01-01T08:00:00Z",
    "20260101100000 +01:00, 2026-01-01T09:00:00Z",
    "20260101100000 UTC, 2026-01-01T10:00:00Z",
    "20260101100000 GMT, 2026-01-01T10:00:00Z",
    "' 20280229235959 Z ', 2028-02-29T23:59:59Z"
  })
  @DisplayName("the forms guides use, UTC when no zone is given")
  void parses(String text, String expected) {
    assertEquals(Instant.parse(expected).getEpochSecond(), XmltvTime.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "garbage", "2026010110", "20261301100000", "20260101250000", "20260229000000", "20260101100000 CEST",
    "20260101100000 +2500", "20260101100000 +01x0", "２０２６０１０１１０００００"})
  @DisplayName("anything else is invalid")
  void invalid(String text) {
    assertEquals(XmltvTime.INVALID, XmltvTime.parse(text));
  }

  @Test
  @DisplayName("written as YYYYMMDDhhmmss +0000, and read back")
  void format() {
    long t = Instant.parse("2026-07-04T05:06:07Z").getEpochSecond();
    assertEquals("20260704050607 +0000", XmltvTime.format(t));
    assertEquals(t, XmltvTime.parse(XmltvTime.format(t)));
  }
}
