package dev.iptv.common;

import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

import java.security.MessageDigest;

/**
 * Whether a request carries the admin bearer, without answering it: for handlers that serve more
 * to the admin than to anyone ({@code /api/health}) or that run before the route's own
 * {@link Http#adminAuth} check. Constant time, as {@link Http#adminAuth}.
 */
public final class AdminBearer {

  private final byte[] expected;

  /** @param adminToken the admin token; null or blank: no request ever matches */
  public AdminBearer(String adminToken) {
    this.expected = adminToken == null || adminToken.isBlank() ? null : Http.sha256(adminToken);
  }

  public boolean matches(RoutingContext ctx) {
    String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (expected == null || header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    return MessageDigest.isEqual(expected, Http.sha256(header.substring(7).trim()));
  }
}
