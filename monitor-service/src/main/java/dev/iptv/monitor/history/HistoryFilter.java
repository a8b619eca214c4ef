package dev.iptv.monitor.history;

import dev.iptv.common.ApiException;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import io.vertx.core.MultiMap;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The query parameters of the history endpoints, checked: {@code limit} (1-1000, default 100),
 * {@code offset} (0-1000000), {@code from} and {@code to} (ISO-8601 or epoch seconds),
 * {@code channel} (digits), {@code user} (a username), {@code node}, {@code kind}, {@code ip}.
 * A bad or unknown parameter is a 400 naming it.
 */
record HistoryFilter(int limit, int offset, OffsetDateTime from, OffsetDateTime to, String channel, String user,
                     String node, String kind, String ip) {

  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;
  private static final Pattern USER = AuthContract.USERNAME;
  private static final Pattern CHANNEL = ChannelContract.ID;
  private static final Pattern WORD = Pattern.compile("[A-Za-z0-9_.:@-]{1,128}");
  private static final Pattern IP = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  static HistoryFilter parse(MultiMap params, Set<String> allowed) {
    for (String name : params.names()) {
      if (!allowed.contains(name) && !name.equals("limit") && !name.equals("offset")) {
        throw ApiException.badRequest(name + ": unknown parameter; expected one of limit, offset, "
          + String.join(", ", allowed.stream().sorted().toList()));
      }
      if (params.getAll(name).size() > 1) {
        throw ApiException.badRequest(name + ": given more than once");
      }
    }
    int limit = integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    int offset = integer(params, "offset", 0, 0, 1_000_000);
    OffsetDateTime from = time(params, "from");
    OffsetDateTime to = time(params, "to");
    if (from != null && to != null && !from.isBefore(to)) {
      throw ApiException.badRequest("from: must be before to");
    }
    return new HistoryFilter(limit, offset, from, to,
      text(params, "channel", CHANNEL, "digits"),
      text(params, "user", USER, "a username (" + USER.pattern() + ")"),
      text(params, "node", WORD, "a node name"),
      text(params, "kind", WORD, "an event kind such as started, stopped, failed, restarted, stalled, switched, limit_hit"),
      text(params, "ip", IP, "an IP address"));
  }

  private static int integer(MultiMap params, String name, int fallback, int min, int max) {
    String v = params.get(name);
    if (v == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min || n > max) {
        throw ApiException.badRequest(name + ": must be between " + min + " and " + max + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(name + ": must be a whole number, got '" + cut(v) + "'");
    }
  }

  private static OffsetDateTime time(MultiMap params, String name) {
    String v = params.get(name);
    if (v == null) {
      return null;
    }
    String s = v.trim();
    try {
      if (s.matches("\\d{1,12}(\\.\\d{1,9})?")) {
        double secs = Double.parseDouble(s);
        return Instant.ofEpochMilli(Math.round(secs * 1000)).atOffset(ZoneOffset.UTC);
      }
      return OffsetDateTime.parse(s);
    } catch (DateTimeParseException | NumberFormatException e) {
      throw ApiException.badRequest(name + ": must be an ISO-8601 time with offset (2025-11-22T21:00:00Z) or epoch"
        + " seconds, got '" + cut(v) + "'");
    }
  }

  private static String text(MultiMap params, String name, Pattern pattern, String what) {
    String v = params.get(name);
    if (v == null) {
      return null;
    }
    if (!pattern.matcher(v).matches()) {
      throw ApiException.badRequest(name + ": must be " + what + ", got '" + cut(v) + "'");
    }
    return v;
  }

  private static String cut(String v) {
    return v.length() > 64 ? v.substring(0, 64) + "…" : v;
  }
}
