package dev.iptv.common;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Who the viewer is, by address: the one rule every path uses (playlist downloads, live polls, the
 * front's auth subrequest, cold starts, segment records, sessions and history), in both fronts.
 *
 * <p>The peer's address is the client's, except when the peer is a proxy this server trusts:
 * <ul>
 *   <li>the <b>local front</b> (nginx on the same machine, a loopback peer), only for a service
 *       serving its own port behind it: nginx always overwrites {@code X-Real-IP} with its own
 *       {@code $remote_addr} (already resolved from a CDN's header by its realip module), so that
 *       header is believed from it;</li>
 *   <li>a CDN or load balancer listed in {@code IPTV_REAL_IP_FROM} (SPEC section 11): its
 *       {@code IPTV_REAL_IP_HEADER} is believed. For {@code X-Forwarded-For}, the chain is walked
 *       from the right past every trusted address, as nginx's {@code real_ip_recursive on} does.</li>
 * </ul>
 * No other client chooses its own address with a header: the all-in-one server trusts no loopback
 * peer by default (a local client is a client), and a header value that is not an IP literal is
 * ignored.
 */
public final class ClientAddress {

  /** Header nginx sets to the client address on every request it passes to a service. */
  public static final String FRONT_HEADER = "X-Real-IP";

  private final List<Cidr> trusted;
  private final String header;
  private final boolean localFront;

  private ClientAddress(List<Cidr> trusted, String header, boolean localFront) {
    this.trusted = trusted;
    this.header = header;
    this.localFront = localFront;
  }

  /**
   * The rule for a server: {@code IPTV_REAL_IP_FROM} and {@code IPTV_REAL_IP_HEADER} from its config;
   * {@code localFront} when it serves behind the local nginx (a service on its own port).
   *
   * @throws IllegalArgumentException when a CIDR or the header name is malformed
   */
  public static ClientAddress from(JsonObject config, boolean localFront) {
    return of(Config.string(config, Config.REAL_IP_FROM), Config.string(config, Config.REAL_IP_HEADER), localFront);
  }

  public static ClientAddress of(String cidrs, String header, boolean localFront) {
    List<Cidr> list = new ArrayList<>();
    if (cidrs != null) {
      for (String part : cidrs.split(",")) {
        String c = part.trim();
        if (!c.isEmpty()) {
          list.add(Cidr.parse(c));
        }
      }
    }
    String h = header == null || header.isBlank() ? "X-Forwarded-For" : header.trim();
    if (!h.matches("[A-Za-z0-9-]{1,64}")) {
      throw new IllegalArgumentException(Config.REAL_IP_HEADER + " '" + h + "' is not a header name");
    }
    return new ClientAddress(List.copyOf(list), h, localFront);
  }

  /** The viewer's address for this request. */
  public String of(HttpServerRequest req) {
    String peer = req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
    return resolve(peer, req::getHeader);
  }

  /** The rule itself, on a peer address and a header lookup. */
  public String resolve(String peer, Function<String, String> headers) {
    byte[] peerBytes = Ip.parse(peer);
    if (peerBytes == null) {
      return peer;
    }
    if (localFront && Ip.loopback(peerBytes)) {
      String forwarded = Ip.normalize(headers.apply(FRONT_HEADER));
      return forwarded != null ? forwarded : Ip.format(peerBytes);
    }
    if (!trusts(peerBytes)) {
      return Ip.format(peerBytes);
    }
    String value = headers.apply(header);
    if (value == null || value.length() > 4096) {
      return Ip.format(peerBytes);
    }
    if (!header.equalsIgnoreCase("X-Forwarded-For")) {
      String one = Ip.normalize(value);
      return one != null ? one : Ip.format(peerBytes);
    }
    // Right to left: the first address that is not a trusted proxy is the client.
    String[] hops = value.split(",");
    String client = Ip.format(peerBytes);
    for (int i = hops.length - 1; i >= 0; i--) {
      byte[] hop = Ip.parse(hops[i].trim());
      if (hop == null) {
        return client;
      }
      client = Ip.format(hop);
      if (!trusts(hop)) {
        return client;
      }
    }
    return client;
  }

  private boolean trusts(byte[] address) {
    for (Cidr c : trusted) {
      if (c.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** True when no proxy is trusted: every address is the peer's own. */
  public boolean trustsNobody() {
    return trusted.isEmpty() && !localFront;
  }

  /** An address block: {@code 203.0.113.0/24}, {@code 2001:db8::/32}, or one address. */
  record Cidr(byte[] network, int bits) {

    static Cidr parse(String text) {
      int slash = text.indexOf('/');
      String addr = slash < 0 ? text : text.substring(0, slash);
      byte[] net = Ip.parse(addr);
      if (net == null) {
        throw new IllegalArgumentException(Config.REAL_IP_FROM + ": '" + text + "' is not an address or CIDR");
      }
      int bits = net.length * 8;
      if (slash >= 0) {
        try {
          bits = Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
          bits = -1;
        }
        if (bits < 0 || bits > net.length * 8) {
          throw new IllegalArgumentException(Config.REAL_IP_FROM + ": '" + text + "' has a bad prefix length");
        }
      }
      return new Cidr(net, bits);
    }

    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = bits / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = bits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[full] & mask) == (network[full] & mask);
    }
  }

  /** IP literals only: never a host name, so never a DNS lookup. */
  static final class Ip {

    private Ip() {
    }

    /** The address as 4 or 16 bytes (an IPv4-mapped IPv6 address as its IPv4), or null. */
    static byte[] parse(String s) {
      if (s == null || s.isEmpty() || s.length() > 45) {
        return null;
      }
      if (s.indexOf(':') < 0) {
        return v4(s);
      }
      String t = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
      int zone = t.indexOf('%');
      if (zone >= 0) {
        t = t.substring(0, zone);
      }
      for (int i = 0; i < t.length(); i++) {
        char c = t.charAt(i);
        if (!(c == ':' || c == '.' || Character.digit(c, 16) >= 0)) {
          return null;
        }
      }
      byte[] b;
      try {
        // A literal with ':' and only hex digits, dots and colons: parsed, never resolved.
        b = java.net.InetAddress.getByName(t).getAddress();
      } catch (java.net.UnknownHostException | SecurityException e) {
        return null;
      }
      if (b.length == 16 && isMappedV4(b)) {
        return new byte[] {b[12], b[13], b[14], b[15]};
      }
      return b;
    }

    private static boolean isMappedV4(byte[] b) {
      for (int i = 0; i < 10; i++) {
        if (b[i] != 0) {
          return false;
        }
      }
      return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }

    /** Four dotted decimals of 0-255 (one to three digits each), or null. A loop: this runs per request. */
    private static byte[] v4(String s) {
      byte[] out = new byte[4];
      int part = 0;
      int value = 0;
      int digits = 0;
      for (int i = 0, n = s.length(); i <= n; i++) {
        char c = i < n ? s.charAt(i) : '.';
        if (c >= '0' && c <= '9') {
          value = value * 10 + (c - '0');
          if (++digits > 3) {
            return null;
          }
        } else if (c == '.') {
          if (digits == 0 || value > 255 || part > 3) {
            return null;
          }
          out[part++] = (byte) value;
          value = 0;
          digits = 0;
        } else {
          return null;
        }
      }
      return part == 4 ? out : null;
    }

    static boolean loopback(byte[] b) {
      if (b.length == 4) {
        return (b[0] & 0xff) == 127;
      }
      for (int i = 0; i < 15; i++) {
        if (b[i] != 0) {
          return false;
        }
      }
      return b[15] == 1;
    }

    static String format(byte[] b) {
      try {
        String s = java.net.InetAddress.getByAddress(b).getHostAddress();
        return s.toLowerCase(Locale.ROOT);
      } catch (java.net.UnknownHostException e) {
        throw new IllegalStateException(e);
      }
    }

    /** A header value as a canonical address, or null when it is not exactly one IP literal. */
    static String normalize(String value) {
      if (value == null) {
        return null;
      }
      byte[] b = parse(value.trim());
      return b == null ? null : format(b);
    }
  }
}
