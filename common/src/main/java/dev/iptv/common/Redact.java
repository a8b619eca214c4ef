package dev.iptv.common;

import java.net.URI;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Source URLs fit for logs and events: upstream URLs often carry credentials (user and password,
 * a token in the path or the query), and FFmpeg quotes its input URL in what it says. Used by
 * stream-service (logs, events, the log API) and the monitor's dashboard (each stream's source).
 */
public final class Redact {

  /** The user info of a URL: {@code scheme://user:pass@}. */
  private static final Pattern USER_INFO = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/\\s@'\"]+@");
  /** A query parameter that usually carries a secret. */
  private static final Pattern SECRET_PARAM =
    Pattern.compile("(?i)([?&](?:password|passwd|pass|pwd|token|key|auth|secret|signature|sig)=)[^&\\s'\"]+");

  private Redact() {
  }

  /**
   * {@code text} with the credentials of any URL in it masked: user info ({@code user:pass@}) and
   * the values of query parameters named like secrets. For what FFmpeg says of URLs that are not
   * the channel's own (a redirect's target, an HLS source's nested URIs), after {@link #sources}.
   */
  public static String credentials(String text) {
    if (text == null) {
      return null;
    }
    return SECRET_PARAM.matcher(USER_INFO.matcher(text).replaceAll("$1***@")).replaceAll("$1***");
  }

  /** A source URL fit for logs: scheme, host and the last path element, no credentials. */
  public static String url(String url) {
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
  public static String sources(String text, List<String> sources) {
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
