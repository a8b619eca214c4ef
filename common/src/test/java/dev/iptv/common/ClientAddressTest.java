package dev.iptv.common;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ClientAddressTest {

  private static Function<String, String> headers(String... pairs) {
    Map<String, String> m = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m::get;
  }

  @Test
  @DisplayName("the all-in-one edge believes no header: a local client forging X-Real-IP stays itself")
  void edgeTrustsNobody() {
    ClientAddress edge = ClientAddress.of(null, null, false);
    assertEquals("127.0.0.1", edge.resolve("127.0.0.1", headers("X-Real-IP", "203.0.113.9")));
    assertEquals("127.0.0.2", edge.resolve("127.0.0.2", headers("X-Forwarded-For", "203.0.113.9")));
    assertEquals("198.51.100.4", edge.resolve("198.51.100.4", headers("X-Real-IP", "127.0.0.1")));
  }

  @Test
  @DisplayName("behind the local nginx front, X-Real-IP from a loopback peer is the viewer; from anyone else it is ignored")
  void localFront() {
    ClientAddress service = ClientAddress.of("", null, true);
    assertEquals("127.0.0.3", service.resolve("127.0.0.1", headers("X-Real-IP", "127.0.0.3")));
    assertEquals("203.0.113.9", service.resolve("127.0.0.1", headers("X-Real-IP", " 203.0.113.9 ")));
    assertEquals("127.0.0.1", service.resolve("127.0.0.1", headers()), "no header: the peer");
    assertEquals("127.0.0.1", service.resolve("127.0.0.1", headers("X-Real-IP", "evil.example")), "a host name is no address");
    assertEquals("127.0.0.1", service.resolve("127.0.0.1", headers("X-Real-IP", "1.2.3.4, 5.6.7.8")));
    assertEquals("198.51.100.4", service.resolve("198.51.100.4", headers("X-Real-IP", "203.0.113.9")),
      "a remote peer cannot pick its address");
    assertEquals("2001:db8:0:0:0:0:0:7", service.resolve("0:0:0:0:0:0:0:1", headers("X-Real-IP", "2001:db8::7")));
  }

  @Test
  @DisplayName("a trusted CDN's X-Forwarded-For is walked from the right past every trusted hop")
  void trustedCdn() {
    ClientAddress cdn = ClientAddress.of("10.0.0.0/8, 2001:db8::/32", "X-Forwarded-For", false);
    assertEquals("203.0.113.9", cdn.resolve("10.1.2.3", headers("X-Forwarded-For", "203.0.113.9")));
    assertEquals("203.0.113.9", cdn.resolve("10.1.2.3", headers("X-Forwarded-For", "1.1.1.1, 203.0.113.9, 10.9.9.9")),
      "the client's own left-most entries are not believed");
    assertEquals("10.1.2.3", cdn.resolve("10.1.2.3", headers("X-Forwarded-For", "junk")));
    assertEquals("10.0.0.1", cdn.resolve("10.1.2.3", headers("X-Forwarded-For", "10.0.0.1")), "only trusted hops: the left-most");
    assertEquals("198.51.100.4", cdn.resolve("198.51.100.4", headers("X-Forwarded-For", "203.0.113.9")),
      "an untrusted peer's header is ignored");
    assertEquals("203.0.113.9", cdn.resolve("2001:db8::1", headers("X-Forwarded-For", "203.0.113.9")));
    assertEquals("203.0.113.9", cdn.resolve("::ffff:10.0.0.5", headers("X-Forwarded-For", "203.0.113.9")),
      "an IPv4-mapped peer is its IPv4 address");
  }

  @Test
  @DisplayName("a forwarded IPv4 address is four decimals of 0-255: anything else is no address and the peer stays")
  void dottedQuads() {
    ClientAddress service = ClientAddress.of("", null, true);
    assertEquals("203.0.113.9", service.resolve("127.0.0.1", headers("X-Real-IP", "203.0.113.9")));
    assertEquals("0.0.0.0", service.resolve("127.0.0.1", headers("X-Real-IP", "0.0.0.0")));
    assertEquals("255.255.255.255", service.resolve("127.0.0.1", headers("X-Real-IP", "255.255.255.255")));
    assertEquals("1.2.3.4", service.resolve("127.0.0.1", headers("X-Real-IP", "001.2.3.4")), "leading zeros: decimal");
    for (String bad : List.of("256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", ".1.2.3", "1.2.3.4.", "0001.2.3.4", "1.2.3.-4",
      "1.2.3.4a", "a.b.c.d", "1.2.3.\u0664", "", "1,2,3,4")) {
      assertEquals("127.0.0.1", service.resolve("127.0.0.1", headers("X-Real-IP", bad)), "'" + bad + "'");
    }
  }

  @Test
  @DisplayName("a CDN's single-address header (CF-Connecting-IP) is believed only from its ranges")
  void singleHeader() {
    ClientAddress cf = ClientAddress.of("173.245.48.0/20", "CF-Connecting-IP", false);
    assertEquals("203.0.113.9", cf.resolve("173.245.48.7", headers("CF-Connecting-IP", "203.0.113.9")));
    assertEquals("173.245.63.254", cf.resolve("173.245.63.254", headers()));
    assertEquals("173.245.64.1", cf.resolve("173.245.64.1", headers("CF-Connecting-IP", "203.0.113.9")));
  }

  @Test
  @DisplayName("malformed ranges and header names are refused at start, naming the setting")
  void badSettings() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClientAddress.of("10.0.0.0/33", null, false));
    assertEquals(true, e.getMessage().contains("IPTV_REAL_IP_FROM"));
    assertThrows(IllegalArgumentException.class, () -> ClientAddress.of("example.com", null, false));
    assertThrows(IllegalArgumentException.class, () -> ClientAddress.of("1.2.3.4;", null, false));
    assertThrows(IllegalArgumentException.class, () -> ClientAddress.of("1.2.3.4", "X-Real-IP\nX", false));
  }
}
