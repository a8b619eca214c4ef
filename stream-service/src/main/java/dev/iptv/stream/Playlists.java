package dev.iptv.stream;

import java.util.regex.Pattern;

/** Rewrites FFmpeg's media playlist for players. */
final class Playlists {

  private Playlists() {
  }

  /**
   * Appends {@code ?{proof}} to every segment URI of channel {@code id} ({@code stream_{id}_N.ts},
   * relative, so players resolve it against {@code /live/}). Tags and anything else pass unchanged.
   */
  static String signSegments(String m3u8, String id, String proofQuery) {
    return signSegments(m3u8, id, proofQuery, "");
  }

  /**
   * As {@link #signSegments(String, String, String)}, each segment URI prefixed with {@code base}:
   * {@code ""} (relative), or {@code "http://server/live/"} for a channel whose segments an SSH
   * server's nginx serves.
   */
  static String signSegments(String m3u8, String id, String proofQuery, String base) {
    Pattern segment = Pattern.compile("stream_" + id + "_\\d{1,20}\\.ts");
    StringBuilder out = new StringBuilder(m3u8.length() + 512);
    int start = 0;
    while (start < m3u8.length()) {
      int nl = m3u8.indexOf('\n', start);
      int end = nl < 0 ? m3u8.length() : nl;
      String line = m3u8.substring(start, end);
      String bare = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
      if (!bare.isEmpty() && bare.charAt(0) != '#' && segment.matcher(bare).matches()) {
        out.append(base).append(bare).append('?').append(proofQuery);
      } else {
        out.append(bare);
      }
      out.append('\n');
      start = end + 1;
    }
    return out.toString();
  }
}
