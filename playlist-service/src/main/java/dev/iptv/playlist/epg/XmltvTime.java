package dev.iptv.playlist.epg;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * XMLTV times: {@code YYYYMMDDhhmmss} (or {@code YYYYMMDDhhmm}), then optionally a zone: {@code +hhmm}
 * or {@code -hhmm} (also {@code +hh:mm}), {@code Z}, {@code UTC} or {@code GMT}, with or without a
 * space before it. No zone means UTC (the XMLTV DTD's rule). We write UTC with an explicit
 * {@code +0000}.
 */
public final class XmltvTime {

  /** What {@link #parse} answers for a value it cannot read. */
  public static final long INVALID = Long.MIN_VALUE;

  private XmltvTime() {
  }

  /** Epoch seconds, or {@link #INVALID}. */
  public static long parse(String value) {
    if (value == null) {
      return INVALID;
    }
    String s = value.trim();
    int digits = 0;
    while (digits < s.length() && Character.isDigit(s.charAt(digits)) && s.charAt(digits) < 128) {
      digits++;
    }
    if (digits != 14 && digits != 12) {
      return INVALID;
    }
    int offsetSeconds = zone(s.substring(digits).trim());
    if (offsetSeconds == Integer.MIN_VALUE) {
      return INVALID;
    }
    try {
      LocalDateTime t = LocalDateTime.of(num(s, 0, 4), num(s, 4, 6), num(s, 6, 8), num(s, 8, 10), num(s, 10, 12),
        digits == 14 ? num(s, 12, 14) : 0);
      return t.toEpochSecond(ZoneOffset.UTC) - offsetSeconds;
    } catch (DateTimeException e) {
      return INVALID;
    }
  }

  /** Offset in seconds east of UTC, or Integer.MIN_VALUE when not understood. */
  private static int zone(String z) {
    if (z.isEmpty() || z.equals("Z") || z.equals("UTC") || z.equals("GMT")) {
      return 0;
    }
    char sign = z.charAt(0);
    if (sign != '+' && sign != '-') {
      return Integer.MIN_VALUE;
    }
    String rest = z.substring(1).replace(":", "");
    if ((rest.length() != 4 && rest.length() != 2) || !rest.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return Integer.MIN_VALUE;
    }
    int hours = Integer.parseInt(rest.substring(0, 2));
    int minutes = rest.length() == 4 ? Integer.parseInt(rest.substring(2)) : 0;
    if (hours > 18 || minutes > 59) {
      return Integer.MIN_VALUE;
    }
    int seconds = hours * 3600 + minutes * 60;
    return sign == '-' ? -seconds : seconds;
  }

  private static int num(String s, int from, int to) {
    return Integer.parseInt(s, from, to, 10);
  }

  /** {@code YYYYMMDDhhmmss +0000}. */
  public static String format(long epochSecond) {
    LocalDateTime t = LocalDateTime.ofEpochSecond(epochSecond, 0, ZoneOffset.UTC);
    char[] out = new char[20];
    put(out, 0, t.getYear(), 4);
    put(out, 4, t.getMonthValue(), 2);
    put(out, 6, t.getDayOfMonth(), 2);
    put(out, 8, t.getHour(), 2);
    put(out, 10, t.getMinute(), 2);
    put(out, 12, t.getSecond(), 2);
    " +0000".getChars(0, 6, out, 14);
    return new String(out);
  }

  private static void put(char[] out, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }
}
