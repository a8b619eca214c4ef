package dev.iptv.monitor.dashboard;

import io.vertx.core.buffer.Buffer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dashboard: one self-contained HTML page (inline CSS, vanilla JS, SVG chart; nothing fetched
 * from elsewhere), with a Content-Security-Policy that allows exactly its own inline script and
 * style (by hash) and requests to its own origin. Immutable: served from any event loop.
 */
record DashboardPage(Buffer html, String contentSecurityPolicy) {

  static final String RESOURCE = "/dashboard/index.html";

  static DashboardPage load() throws IOException {
    String text;
    try (InputStream in = DashboardPage.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IOException("dashboard page missing from the jar (" + RESOURCE + ")");
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String csp = "default-src 'none'; script-src " + hashes(text, "script") + "; style-src " + hashes(text, "style")
      + "; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    return new DashboardPage(Buffer.buffer(text), csp);
  }

  private static String hashes(String html, String tag) throws IOException {
    Matcher m = Pattern.compile("<" + tag + ">(.*?)</" + tag + ">", Pattern.DOTALL).matcher(html);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      try {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(m.group(1).getBytes(StandardCharsets.UTF_8));
        out.append(out.isEmpty() ? "" : " ").append("'sha256-").append(Base64.getEncoder().encodeToString(digest)).append('\'');
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
    if (out.isEmpty()) {
      throw new IOException("dashboard page has no inline " + tag);
    }
    return out.toString();
  }
}
