package dev.iptv.monitor.segments;

import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MonitorContract.SegmentServed;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads nginx's segment log lines as nginx sends them over syslog
 * ({@code access_log syslog:server=127.0.0.1:8514,tag=iptv iptv_segments;}):
 *
 * <pre>
 *   &lt;190&gt;Nov 22 21:00:00 host iptv: 1700000000.123 48681 203.0.113.7 1880000 200
 * </pre>
 *
 * The syslog header (priority, RFC 3164 time, optional host name, tag) is optional; the message is
 * {@code log_format iptv_segments '$msec $chan $remote_addr $body_bytes_sent $status'}, optionally
 * followed by a quoted user agent ({@code "$http_user_agent"}) should the format grow one.
 */
final class SegmentLogParser {

  private static final Pattern HEADER = Pattern.compile(
    "^<\\d{1,3}>(?:[A-Z][a-z]{2} [ 0-9]\\d \\d\\d:\\d\\d:\\d\\d )?(?:[^\\s:]+ )?[^\\s:]{1,64}: ");
  private static final Pattern MESSAGE = Pattern.compile(
    "^(\\d{1,12}(?:\\.\\d{1,6})?) (" + ChannelContract.ID_REGEX + ") ([0-9A-Fa-f:.]{2,45}) (\\d{1,15}) (\\d{3})(?: \"((?:[^\"\\\\]|\\\\.){0,512})\")?\\s*$");

  private SegmentLogParser() {
  }

  /** The record of one line; {@link IllegalArgumentException} saying why when it is not one. */
  static SegmentServed parse(String line) {
    String text = line.strip();
    Matcher h = HEADER.matcher(text);
    if (h.find()) {
      text = text.substring(h.end());
    } else if (text.startsWith("<")) {
      throw new IllegalArgumentException("unreadable syslog header");
    }
    Matcher m = MESSAGE.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException("not an iptv_segments record");
    }
    String ua = m.group(6);
    return new SegmentServed(m.group(2), Long.parseLong(m.group(4)), m.group(3), null,
      ua == null || ua.isEmpty() || ua.equals("-") ? null : unescape(ua),
      Integer.parseInt(m.group(5)), Double.parseDouble(m.group(1)));
  }

  /** nginx writes {@code "}, {@code \} and non-printable bytes as {@code \xHH}. */
  static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.charAt(i + 1) == 'x') {
        try {
          out.append((char) Integer.parseInt(s.substring(i + 2, i + 4), 16));
          i += 3;
          continue;
        } catch (NumberFormatException e) {
          // not an escape: keep as is
        }
      }
      out.append(c);
    }
    return out.toString();
  }
}
