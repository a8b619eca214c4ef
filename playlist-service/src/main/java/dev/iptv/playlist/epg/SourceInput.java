package dev.iptv.playlist.epg;

import dev.iptv.common.ApiException;
import dev.iptv.contract.EpgContract.Source;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * The body of {@code POST /api/epg/sources}: {@code {"name", "url", "refresh_hours"}}, checked
 * from openapi.yaml ({@code EpgSourceInput}); a problem is a 400 naming the field. Also the one place that makes a source URL
 * fit for logs, errors and events: scheme, host, port and path only.
 */
final class SourceInput {

  static final int DEFAULT_REFRESH_HOURS = 24;
  static final int MAX_URL = 2048;

  private SourceInput() {
  }

  /**
   * A source from a body openapi.yaml's {@code EpgSourceInput} accepted ({@code ApiDocument} checked the
   * name, the URL's form and length, refresh_hours and its default). The URL is parsed here too: a
   * host the URI syntax refuses is what a pattern cannot tell.
   */
  static Source parse(JsonObject body, Instant now) {
    String url = body.getString(Source.URL);
    if (!validUrl(url)) {
      throw ApiException.badRequest("url is required: an absolute http or https URL with a host, at most " + MAX_URL
        + " characters, no spaces");
    }
    return new Source(body.getString(Source.NAME), url, body.getInteger(Source.REFRESH_HOURS, DEFAULT_REFRESH_HOURS),
      now.truncatedTo(ChronoUnit.SECONDS));
  }

  static boolean validUrl(String u) {
    if (u.isEmpty() || u.length() > MAX_URL || u.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
      return false;
    }
    try {
      URI uri = new URI(u);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      return (scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && !uri.getHost().isEmpty();
    } catch (URISyntaxException e) {
      return false;
    }
  }

  /**
   * The URL without what may be a secret: no user info, no query ({@code ?…} marks one), no
   * fragment, and of the path only its last segment (a username and password travel in the query
   * of Xtream-style guide URLs, and in the path of some others).
   */
  static String forLogs(String url) {
    try {
      URI uri = new URI(url);
      StringBuilder sb = new StringBuilder();
      sb.append(uri.getScheme()).append("://").append(uri.getHost());
      if (uri.getPort() >= 0) {
        sb.append(':').append(uri.getPort());
      }
      String path = uri.getRawPath() == null ? "" : uri.getRawPath();
      int last = path.lastIndexOf('/');
      sb.append(last > 0 ? "/…" + path.substring(last) : path);
      if (uri.getRawQuery() != null) {
        sb.append("?…");
      }
      return sb.toString();
    } catch (URISyntaxException | RuntimeException e) {
      return "(unreadable URL)";
    }
  }
}
