package dev.iptv.common;

import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.regex.Pattern;

/**
 * A page of a list ({@code GET /api/users}, {@code GET /api/channels}; openapi.yaml's {@code limit} and {@code offset}):
 * {@code ?limit=&offset=}, limit 1000 by default and at most 10000, offset 0 by default. Anything
 * else (negative, not a whole number, over the maximum, given twice) is a 400 naming the parameter.
 */
public record Page(long offset, int limit) {

  public static final int DEFAULT_LIMIT = 1000;
  public static final int MAX_LIMIT = 10_000;

  private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");

  /** The page the request asks for, or an {@link ApiException} 400. */
  public static Page of(RoutingContext ctx) {
    long offset = number(ctx.queryParam("offset"), "offset", 0, Long.MAX_VALUE);
    long limit = number(ctx.queryParam("limit"), "limit", DEFAULT_LIMIT, MAX_LIMIT);
    return new Page(offset, (int) limit);
  }

  private static long number(List<String> values, String name, long absent, long max) {
    if (values.isEmpty()) {
      return absent;
    }
    if (values.size() > 1) {
      throw ApiException.badRequest(name + " is given more than once");
    }
    String v = values.get(0);
    if (v.startsWith("-") && DIGITS.matcher(v.substring(1)).matches()) {
      throw ApiException.badRequest(name + " must not be negative, got " + v);
    }
    if (!DIGITS.matcher(v).matches()) {
      throw ApiException.badRequest(name + " must be a whole number (0 or more), got '"
        + (v.length() > 24 ? v.substring(0, 24) + "…" : v) + "'");
    }
    long n = Long.parseLong(v);
    if (n > max) {
      throw ApiException.badRequest(name + " must be at most " + max + ", got " + n);
    }
    return n;
  }
}
