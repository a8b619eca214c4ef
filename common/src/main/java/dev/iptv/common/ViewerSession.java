package dev.iptv.common;

import java.util.HexFormat;

/**
 * One player of one token: the session {@code max_connections} counts, the viewer a stream counts,
 * the tag a segment proof carries. Its id is a hash of token, client address and User-Agent, so the
 * token is never stored or shown twice.
 */
public final class ViewerSession {

  private ViewerSession() {
  }

  /** 24 hex characters: the first 12 bytes of SHA-256 of {@code token|ip|userAgent}. */
  public static String id(String token, Object ip, Object userAgent) {
    String key = token + "|" + (ip == null ? "" : ip) + "|" + (userAgent == null ? "" : userAgent);
    return HexFormat.of().formatHex(Http.sha256(key), 0, 12);
  }
}
