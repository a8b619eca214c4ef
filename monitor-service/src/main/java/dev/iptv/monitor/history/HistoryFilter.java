package dev.iptv.monitor.history;

import dev.iptv.common.ApiException;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * The query parameters of the history endpoints as openapi.yaml declares them ({@code limit} 1-1000,
 * default 100; {@code offset} 0-1000000; {@code channel}, {@code user}, {@code node}, {@code kind},
 * {@code ip}, {@code from}, {@code to}), already checked by {@code ApiDocument.query}: forms, ranges,
 * a repeated or unknown parameter are 400 naming it there. What a schema cannot hold stays here: a
 * {@code from} or {@code to} of the right form that is no real time (month 13), and {@code from} before
 * {@code to}.
 */
record HistoryFilter(int limit, int offset, OffsetDateTime from, OffsetDateTime to, String channel, String user,
                     String node, String kind, String ip) {

  /** The filter of a validated query (its limit and offset present, as their defaults fill them). */
  static HistoryFilter of(JsonObject query) {
    OffsetDateTime from = time(query, "from");
    OffsetDateTime to = time(query, "to");
    if (from != null && to != null && !from.isBefore(to)) {
      throw ApiException.badRequest("from: must be before to");
    }
    return new HistoryFilter(query.getInteger("limit"), query.getInteger("offset"), from, to,
      query.getString("channel"), query.getString("user"), query.getString("node"), query.getString("kind"),
      query.getString("ip"));
  }

  /** A time of the documented form (ISO-8601 with an offset, or epoch seconds) that must also exist. */
  private static OffsetDateTime time(JsonObject query, String name) {
    String v = query.getString(name);
    if (v == null) {
      return null;
    }
    try {
      if (v.matches("\\d{1,12}(\\.\\d{1,9})?")) {
        return Instant.ofEpochMilli(Math.round(Double.parseDouble(v) * 1000)).atOffset(ZoneOffset.UTC);
      }
      return OffsetDateTime.parse(v);
    } catch (DateTimeParseException | NumberFormatException e) {
      throw ApiException.badRequest(name + ": must be an ISO-8601 time with offset (2025-11-22T21:00:00Z) or epoch"
        + " seconds, got '" + (v.length() > 64 ? v.substring(0, 64) + "…" : v) + "'");
    }
  }
}
