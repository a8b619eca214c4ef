package dev.iptv.playlist;

import java.nio.charset.StandardCharsets;

/**
 * The text of an M3U entry (SPEC section 2), made safe whatever a channel's fields hold:
 * <pre>
 * #EXTINF:-1 tvg-id="ID" tvg-name="NAME" tvg-logo="LOGO" group-title="CATEGORY",NAME
 * {PUBLIC_URL}/live/stream_{ID}.m3u8?token=T
 * </pre>
 * No control character (CR, LF, NUL, the C1 range, Unicode line and paragraph separators) survives
 * anywhere: each becomes a space, so a name can neither end the line nor start a forged entry.
 * Attribute values also lose {@code "} (it becomes an apostrophe), so a value cannot close its
 * attribute early. Titles keep quotes and commas (everything after the first comma is the title).
 * UTF-8 is kept; broken UTF-16 (a lone surrogate) becomes U+FFFD.
 */
final class M3u {

  static final String CONTENT_TYPE = "audio/x-mpegurl";
  static final byte[] HEADER = "#EXTM3U\n".getBytes(StandardCharsets.UTF_8);

  private M3u() {
  }

  /**
   * One entry up to, not including, the token: the {@code #EXTINF} line, a line break and the
   * stream URL ending in {@code ?token=}. {@code base} is the public URL without a trailing slash.
   */
  static String entryBeforeToken(Channel c, String base) {
    String name = title(c.name());
    if (name.isEmpty()) {
      name = "Channel " + c.id();
    }
    return "#EXTINF:-1 tvg-id=\"" + attribute(c.guideId()) + "\" tvg-name=\"" + attribute(name) + "\" tvg-logo=\"" + attribute(c.logo())
      + "\" group-title=\"" + attribute(c.category()) + "\"," + name + "\n"
      + base + "/live/stream_" + c.id() + ".m3u8?token=";
  }

  /** A title: control characters become spaces, broken surrogates U+FFFD, trimmed. */
  static String title(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        out.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        out.append('\uFFFD');
      } else {
        out.append(unsafe(c) ? ' ' : c);
      }
    }
    return out.toString().trim();
  }

  /** An attribute value: a title without {@code "}. */
  static String attribute(String s) {
    return title(s).replace('"', '\'');
  }

  /** Characters that could break a line or hide in one: C0 (tab too), DEL, C1, U+2028, U+2029. */
  static boolean unsafe(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }

  /** True when {@code s} is fit to start every URL line of a playlist. */
  static boolean safeBase(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || unsafe(c) || Character.isWhitespace(c) || c == '"') {
        return false;
      }
    }
    return !s.isEmpty();
  }
}
