package dev.iptv.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * A player's reading of an M3U playlist, strict: {@code #EXTM3U} first, then pairs of one
 * {@code #EXTINF:-1 tvg-id="..." tvg-name="..." tvg-logo="..." group-title="...",title} line and
 * exactly one URL line; LF line ends only (no CR anywhere), a line break after the last URL and
 * nothing after it; no quote inside the four attributes. Anything else fails the test naming the
 * line.
 */
public final class M3u {

  private static final String EXTINF = "#EXTINF:-1 tvg-id=\"";

  private M3u() {
  }

  /** One entry: its #EXTINF line, its title (after the attributes' closing {@code ",}) and its URL. */
  public record Entry(String extinf, String title, String url) {

    /** The value of a quoted attribute of the #EXTINF line, or null when it has none. */
    public String attribute(String name) {
      int at = extinf.indexOf(" " + name + "=\"");
      if (at < 0) {
        return null;
      }
      int start = at + name.length() + 3;
      return extinf.substring(start, extinf.indexOf('"', start));
    }
  }

  public static List<Entry> parse(String body) {
    check(!body.contains("\r"), "a CR in the playlist", body);
    String[] lines = body.split("\n", -1);
    check(lines[0].equals("#EXTM3U"), "the playlist does not start with #EXTM3U: " + lines[0], body);
    check(body.endsWith("\n"), "the playlist does not end with a line break", body);
    List<Entry> out = new ArrayList<>();
    int last = lines.length - 1;    // the empty string after the final line break
    int i = 1;
    while (i < last) {
      String extinf = lines[i];
      check(extinf.startsWith(EXTINF), "line " + i + " is not an #EXTINF line: " + extinf, body);
      check(i + 1 < last, "#EXTINF at line " + i + " is the last line: no URL after it", body);
      String url = lines[i + 1];
      check(!url.isEmpty() && !url.startsWith("#"), "#EXTINF at line " + i + " is not followed by a URL: " + url, body);
      // The attributes end with the first '",' after group-title: the title may hold quotes and commas.
      int group = extinf.indexOf(" group-title=\"");
      int comma = group < 0 ? -1 : extinf.indexOf("\",", group);
      check(comma > 0, "line " + i + ": the attributes do not end with '\",': " + extinf, body);
      String attributes = extinf.substring(0, comma + 1);
      check(attributes.chars().filter(c -> c == '"').count() == 8,
        "line " + i + ": four quoted attributes and no stray quote: " + attributes, body);
      out.add(new Entry(extinf, extinf.substring(comma + 2), url));
      i += 2;
    }
    return out;
  }

  private static void check(boolean ok, String problem, String body) {
    if (!ok) {
      throw new AssertionError(problem + "\n--- playlist ---\n" + (body.length() > 4000 ? body.substring(0, 4000) + "..." : body));
    }
  }
}
