package dev.iptv.auth;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Reading what is already in Redis as it is: values written by the seed's server, by an older
 * release or by hand with redis-cli ({@code "max_connections": "2"}, no {@code is_active},
 * {@code expires_at} without a zone). The admin API is strict; stored data is read leniently.
 */
final class Lenient {

  /** ISO-8601 date-time with an optional offset ({@code Z}, {@code +02:00}, {@code +0200}); 'T' or a space. */
  private static final DateTimeFormatter DATE_TIME = new DateTimeFormatterBuilder()
    .parseCaseInsensitive()
    .append(DateTimeFormatter.ISO_LOCAL_DATE)
    .optionalStart().appendLiteral('T').optionalEnd()
    .optionalStart().appendLiteral(' ').optionalEnd()
    .append(DateTimeFormatter.ISO_LOCAL_TIME)
    .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
    .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
    .optionalStart().appendOffset("+HH", "Z").optionalEnd()
    .toFormatter(Locale.ROOT);

  private Lenient() {
  }

  /**
   * An ISO-8601 instant: {@code 2025-12-07T21:50:51.244826Z}, with an offset, or without a zone
   * (taken as UTC); a bare date is the start of that day, UTC. Null when it is none of these.
   */
  static Instant instant(String text) {
    if (text == null) {
      return null;
    }
    String s = text.trim();
    if (s.isEmpty() || s.length() > 64) {
      return null;
    }
    try {
      var parsed = DATE_TIME.parseBest(s, OffsetDateTime::from, LocalDateTime::from);
      return parsed instanceof OffsetDateTime o ? o.toInstant() : ((LocalDateTime) parsed).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      // not a date-time: maybe a bare date
    }
    try {
      return LocalDate.parse(s, DateTimeFormatter.ISO_LOCAL_DATE).atStartOfDay().toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** {@link #instant(String)}, or epoch seconds when a number (stored by hand). */
  static Instant instant(Object value) {
    if (value instanceof Number n) {
      try {
        return Instant.ofEpochMilli(new BigDecimal(n.toString()).movePointRight(3).longValueExact());
      } catch (ArithmeticException | NumberFormatException e) {
        return null;
      }
    }
    return value instanceof String s ? instant(s) : null;
  }

  /** A whole number from a number or a numeric string; {@code fallback} otherwise. */
  static int integer(Object value, int fallback) {
    if (value instanceof Number n) {
      double d = n.doubleValue();
      return d == Math.rint(d) && d >= Integer.MIN_VALUE && d <= Integer.MAX_VALUE ? (int) d : fallback;
    }
    if (value instanceof String s) {
      try {
        return Integer.parseInt(s.trim());
      } catch (NumberFormatException e) {
        try {
          double d = Double.parseDouble(s.trim());
          return d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE ? (int) d : fallback;
        } catch (NumberFormatException e2) {
          return fallback;
        }
      }
    }
    return fallback;
  }

  /** A boolean from true/false, "true"/"false", "1"/"0", "yes"/"no" or a number; {@code fallback} otherwise. */
  static boolean bool(Object value, boolean fallback) {
    if (value instanceof Boolean b) {
      return b;
    }
    if (value instanceof Number n) {
      return n.doubleValue() != 0;
    }
    if (value instanceof String s) {
      return switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "true", "1", "yes", "on" -> true;
        case "false", "0", "no", "off", "" -> false;
        default -> fallback;
      };
    }
    return fallback;
  }

  /** A string as stored, numbers and booleans as their text; null for null, arrays and objects. */
  static String text(Object value) {
    return value instanceof String || value instanceof Number || value instanceof Boolean ? value.toString() : null;
  }
}
