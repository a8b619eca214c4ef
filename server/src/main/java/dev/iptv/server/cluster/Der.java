package dev.iptv.server.cluster;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The few DER (X.690) encodings an X.509 certificate needs: the JDK parses certificates but has no
 * public API to write one, and a certificate library for one self-signed CA is more than we need.
 */
final class Der {

  private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
  private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'");

  private Der() {
  }

  static byte[] tlv(int tag, byte[]... parts) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      body.writeBytes(p);
    }
    byte[] content = body.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int len = content.length;
    if (len < 0x80) {
      out.write(len);
    } else {
      byte[] l = BigInteger.valueOf(len).toByteArray();
      int start = l[0] == 0 ? 1 : 0;
      out.write(0x80 | (l.length - start));
      out.write(l, start, l.length - start);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  static byte[] sequence(byte[]... parts) {
    return tlv(0x30, parts);
  }

  static byte[] set(byte[]... parts) {
    return tlv(0x31, parts);
  }

  static byte[] integer(BigInteger value) {
    return tlv(0x02, value.toByteArray());
  }

  static byte[] bool(boolean value) {
    return tlv(0x01, new byte[] {(byte) (value ? 0xFF : 0x00)});
  }

  /** A BIT STRING of whole bytes (no unused bits): keys and signatures. */
  static byte[] bits(byte[] bytes) {
    byte[] body = new byte[bytes.length + 1];
    System.arraycopy(bytes, 0, body, 1, bytes.length);
    return tlv(0x03, body);
  }

  /** A BIT STRING of one byte, {@code unused} trailing bits not part of it: key usage flags. */
  static byte[] bits(int oneByte, int unused) {
    return tlv(0x03, new byte[] {(byte) unused, (byte) oneByte});
  }

  static byte[] octets(byte[] bytes) {
    return tlv(0x04, bytes);
  }

  static byte[] utf8(String text) {
    return tlv(0x0C, text.getBytes(StandardCharsets.UTF_8));
  }

  /** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
  static byte[] time(ZonedDateTime at) {
    ZonedDateTime utc = at.withZoneSameInstant(ZoneOffset.UTC);
    return utc.getYear() < 2050
      ? tlv(0x17, UTC_TIME.format(utc).getBytes(StandardCharsets.US_ASCII))
      : tlv(0x18, GENERALIZED_TIME.format(utc).getBytes(StandardCharsets.US_ASCII));
  }

  /** Context-specific, constructed, explicit: {@code [n] EXPLICIT}. */
  static byte[] explicit(int n, byte[] inner) {
    return tlv(0xA0 | n, inner);
  }

  static byte[] oid(String dotted) {
    String[] arcs = dotted.split("\\.");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Integer.parseInt(arcs[0]) * 40 + Integer.parseInt(arcs[1]));
    for (int i = 2; i < arcs.length; i++) {
      long v = Long.parseLong(arcs[i]);
      int groups = 1;
      for (long t = v >>> 7; t != 0; t >>>= 7) {
        groups++;
      }
      for (int g = groups - 1; g >= 0; g--) {
        int b = (int) ((v >>> (7 * g)) & 0x7F);
        out.write(g == 0 ? b : b | 0x80);
      }
    }
    return tlv(0x06, out.toByteArray());
  }
}
