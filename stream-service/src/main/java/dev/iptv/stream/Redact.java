package dev.iptv.stream;

import java.net.URI;
import java.util.List;

/**
 * Source URLs fit for logs and events: upstream URLs often carry credentials (user and password,
 * a token in the path or the query), and FFmpeg quotes its input URL in what it says.
 */
final class Redact {

  private Redact() {
  }

  /** A source URL fit for logs: scheme, host and the last path element, no credentials. */
  static String url(String url) {
    if (url == null) {
      return "null";
    }
    try {
      URI u = URI.create(url);
      String path = u.getRawPath() == null ? "" : u.getRawPath();
      int slash = path.lastIndexOf('/');
      String last = slash >= 0 ? path.substring(slash + 1) : path;
      return u.getScheme() + "://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "")
        + (slash > 0 ? "/…/" : "/") + last;
    } catch (RuntimeException e) {
      return "(unparseable URL)";
    }
  }

  /** {@code text} (FFmpeg's words) with every one of {@code sources} replaced by its redacted form. */
  static String sources(String text, List<String> sources) {
    if (text == null) {
      return null;
    }
    String out = text;
    for (String src : sources) {
      out = out.replace(src, url(src));
    }
    return out;
  }
}
