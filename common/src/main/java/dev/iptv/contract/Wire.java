package dev.iptv.contract;

import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;

/** Reading message fields the way every contract does: strict where required, null where absent. */
final class Wire {

  /** The field names every event carries. */
  static final String EVENT = "event";
  static final String TS = "ts";

  private Wire() {
  }

  /** A non-empty string, or {@link BadMessage}. */
  static String required(JsonObject o, String field) {
    if (!(o.getValue(field) instanceof String s) || s.isEmpty()) {
      throw new BadMessage(field, "must be a non-empty string");
    }
    return s;
  }

  /** A string, or null when absent (or not a string). */
  static String text(JsonObject o, String field) {
    return o.getValue(field) instanceof String s ? s : null;
  }

  /** Strings, numbers and booleans as text; null otherwise. */
  static String lenientText(Object v) {
    return v instanceof String || v instanceof Number || v instanceof Boolean ? v.toString() : null;
  }

  /** A number, or {@code fallback} when absent or not a number. */
  static Number number(JsonObject o, String field, Number fallback) {
    return o.getValue(field) instanceof Number n ? n : fallback;
  }

  /**
   * A number as a decimal written without an exponent (epoch seconds with their fraction read back
   * from the wire, where they arrive as doubles), or null when absent or not a number.
   */
  static BigDecimal decimal(JsonObject o, String field) {
    Object v = o.getValue(field);
    if (v instanceof BigDecimal d) {
      return d;
    }
    return v instanceof Number n ? new BigDecimal(new BigDecimal(n.toString()).toPlainString()) : null;
  }

  /** The message's {@code "event"}, which must be {@code expected}. */
  static void event(JsonObject o, String expected) {
    if (!expected.equals(o.getValue(EVENT))) {
      throw new BadMessage(EVENT, "must be \"" + expected + "\"");
    }
  }

  static JsonObject object(Object body, String what) {
    if (!(body instanceof JsonObject o)) {
      throw new BadMessage(what, "must be a JSON object");
    }
    return o;
  }
}
