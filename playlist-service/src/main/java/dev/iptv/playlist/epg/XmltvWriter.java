package dev.iptv.playlist.epg;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * XMLTV text, piece by piece, valid against the XMLTV DTD ({@code /usr/share/xmltv/xmltv.dtd}) and
 * written the way {@code tv_validate_file} wants: {@code <channel>} elements before
 * {@code <programme>} ones, each channel once, children in the DTD's order (title, sub-title, desc,
 * category, icon, episode-num), times {@code YYYYMMDDhhmmss +0000}, no empty title or description,
 * {@code xmltv_ns} episode numbers only when well-formed, no character XML forbids and none
 * {@code tv_validate_file} takes for mis-encoding (C1 controls, U+FFFD), only the five predefined
 * entities. {@link EpgStore#writeXmltv} streams it.
 */
public final class XmltvWriter {

  /** What {@code xmltv.php} answers with. */
  public static final String CONTENT_TYPE = "application/xml; charset=utf-8";

  private static final Pattern XMLTV_NS = Pattern.compile(
    "^\\s*\\d*(\\s*/\\s*\\d+)?\\s*\\.\\s*\\d*(\\s*/\\s*\\d+)?\\s*\\.\\s*\\d*(\\s*/\\s*\\d+)?\\s*$");

  private XmltvWriter() {
  }

  static String header() {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE tv SYSTEM \"xmltv.dtd\">\n"
      + "<tv generator-info-name=\"iptv\">\n";
  }

  static String footer() {
    return "</tv>\n";
  }

  static String channels(List<GuideChannel> chunk) {
    StringBuilder sb = new StringBuilder(chunk.size() * 128);
    for (GuideChannel c : chunk) {
      channel(sb, c);
    }
    return sb.toString();
  }

  static void channel(StringBuilder sb, GuideChannel c) {
    String name = c.name() == null || clean(c.name()).isBlank() ? c.epgChannelId() : c.name();
    sb.append("  <channel id=\"").append(escape(c.epgChannelId())).append("\">\n");
    sb.append("    <display-name>").append(escape(name.strip())).append("</display-name>\n");
    if (isWebUrl(c.logo())) {
      sb.append("    <icon src=\"").append(escape(c.logo())).append("\"/>\n");
    }
    sb.append("  </channel>\n");
  }

  static String programmes(List<GuideChannel> chunk, Map<String, List<Programme>> byChannel) {
    StringBuilder sb = new StringBuilder(4096);
    for (GuideChannel c : chunk) {
      for (Programme p : byChannel.getOrDefault(c.epgChannelId(), List.of())) {
        programme(sb, p);
      }
    }
    return sb.toString();
  }

  static void programme(StringBuilder sb, Programme p) {
    sb.append("  <programme start=\"").append(XmltvTime.format(p.start())).append("\" stop=\"")
      .append(XmltvTime.format(p.stop())).append("\" channel=\"").append(escape(p.channel())).append("\">\n");
    String title = clean(p.title()).strip();
    sb.append("    <title");
    lang(sb, p.lang());
    sb.append('>').append(escape(title.isEmpty() ? "?" : title)).append("</title>\n");
    element(sb, "sub-title", p.subTitle());
    element(sb, "desc", p.description());
    for (String category : p.categories()) {
      element(sb, "category", category);
    }
    if (isWebUrl(p.icon())) {
      sb.append("    <icon src=\"").append(escape(p.icon())).append("\"/>\n");
    }
    for (Programme.Episode e : p.episodes()) {
      String system = clean(e.system()).strip();
      String value = clean(e.value()).strip();
      if (value.isEmpty() || (system.equals("xmltv_ns") && !XMLTV_NS.matcher(value).matches())) {
        continue;
      }
      sb.append("    <episode-num system=\"").append(escape(system.isEmpty() ? "onscreen" : system)).append("\">")
        .append(escape(value)).append("</episode-num>\n");
    }
    sb.append("  </programme>\n");
  }

  private static void lang(StringBuilder sb, String lang) {
    if (lang != null && !clean(lang).isBlank()) {
      sb.append(" lang=\"").append(escape(lang.strip())).append('"');
    }
  }

  private static void element(StringBuilder sb, String name, String text) {
    if (text == null) {
      return;
    }
    String t = clean(text).strip();
    if (!t.isEmpty()) {
      sb.append("    <").append(name).append('>').append(escape(t)).append("</").append(name).append(">\n");
    }
  }

  private static boolean isWebUrl(String url) {
    if (url == null) {
      return false;
    }
    String u = url.strip().toLowerCase(Locale.ROOT);
    return (u.startsWith("http://") || u.startsWith("https://")) && u.length() > 8;
  }

  /**
   * Drops what may not appear: characters XML 1.0 forbids (most C0 controls, lone surrogates,
   * U+FFFE/U+FFFF), C1 controls and U+FFFD (tv_validate_file's "badutf8").
   */
  static String clean(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok;
      if (Character.isHighSurrogate(c)) {
        ok = i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        if (ok) {
          if (sb != null) {
            sb.append(c).append(s.charAt(i + 1));
          }
          i++;
          continue;
        }
      } else if (Character.isLowSurrogate(c)) {
        ok = false;
      } else {
        ok = (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') && !(c >= 0x7f && c <= 0x9f) && c != 0xfffd
          && c != 0xfffe && c != 0xffff;
      }
      if (!ok && sb == null) {
        sb = new StringBuilder(s.length());
        sb.append(s, 0, i);
      } else if (ok && sb != null) {
        sb.append(c);
      }
    }
    return sb == null ? s : sb.toString();
  }

  /** Text or attribute value: cleaned, then the five predefined entities only. */
  static String escape(String s) {
    String t = clean(s);
    StringBuilder sb = null;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      String rep = switch (c) {
        case '&' -> "&amp;";
        case '<' -> "&lt;";
        case '>' -> "&gt;";
        case '"' -> "&quot;";
        case '\'' -> "&apos;";
        case '\n' -> "&#10;";
        case '\r' -> "&#13;";
        case '\t' -> "&#9;";
        default -> null;
      };
      if (rep != null && sb == null) {
        sb = new StringBuilder(t.length() + 16);
        sb.append(t, 0, i);
      }
      if (sb != null) {
        if (rep != null) {
          sb.append(rep);
        } else {
          sb.append(c);
        }
      }
    }
    return sb == null ? t : sb.toString();
  }
}
