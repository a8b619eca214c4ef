package dev.iptv.server;

import dev.iptv.common.ClientAddress;
import dev.iptv.common.Config;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The nginx front's configuration for this machine's settings: {@code nginx/nginx.conf.template}
 * (packed into the jar) with every {@code @@NAME@@} filled.
 *
 * <p>Every value is checked for the place it goes to, and quoted there or refused with the setting's
 * name: paths go inside double quotes (a {@code "} or {@code \} escaped; a {@code $}, which nginx would
 * read as a variable, or a control character refused), ports are numbers, the listen address and the
 * syslog target follow their grammar, the segment secret is a token of safe characters. So no
 * setting, whatever it holds ({@code &}, {@code |}, {@code "}, {@code ;}, a line break), can break the
 * file or add a directive to it.
 */
public final class NginxConfig {

  static final String TEMPLATE = "/dev/iptv/server/nginx.conf.template";
  /** Default name of the segment log in the run folder (bin/iptv cluster's monitor follows it). */
  static final String SEGMENT_LOG_NAME = "segments.log";

  private static final Pattern PLACEHOLDER = Pattern.compile("@@([A-Z_]+)@@");
  private static final Pattern LISTEN = Pattern.compile(
    "(?:(?:\\[[0-9A-Fa-f:.]{2,45}]|[A-Za-z0-9.-]{1,253}):)?\\d{1,5}");
  private static final Pattern SYSLOG = Pattern.compile("syslog:[A-Za-z0-9=:,._\\[\\]-]{1,512}");
  private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9._~+/=-]{16,512}");

  private NginxConfig() {
  }

  /** The rendered file for {@code config}, with nginx's files in {@code runDir}; {@code daemon} false: in the foreground. */
  public static String render(JsonObject config, Path runDir, boolean daemon) {
    Map<String, String> values = values(config, runDir, daemon);
    String template = template();
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder(template.length() + 1024);
    while (m.find()) {
      String v = values.get(m.group(1));
      if (v == null) {
        throw new IllegalStateException("nginx template names an unknown value @@" + m.group(1) + "@@");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  static Map<String, String> values(JsonObject config, Path runDir, boolean daemon) {
    Map<String, String> v = new LinkedHashMap<>();
    String run = quotedPath("the run folder", runDir.toAbsolutePath().normalize().toString());
    v.put("RUN_DIR", run);
    v.put("TEMP", quotedPath(Config.NGINX_TEMP_DIR, tempPrefix(config, runDir)));
    v.put("DAEMON", daemon ? "" : "daemon off;");
    v.put("HLS_DIR", quotedPath(Config.HLS_DIR, Path.of(Config.string(config, Config.HLS_DIR)).toAbsolutePath().normalize().toString()));
    String listen = setting(config, Config.NGINX_LISTEN);
    if (listen == null) {
      listen = Integer.toString(port(config, Config.HTTP_PORT));
    }
    if (!LISTEN.matcher(listen).matches()) {
      throw new IllegalArgumentException(Config.NGINX_LISTEN + " must be PORT, HOST:PORT or [IPv6]:PORT, not '" + listen + "'");
    }
    v.put("LISTEN", listen);
    v.put("AUTH_PORT", Integer.toString(port(config, Config.AUTH_PORT)));
    v.put("PLAYLIST_PORT", Integer.toString(port(config, Config.PLAYLIST_PORT)));
    v.put("STREAM_PORT", Integer.toString(port(config, Config.STREAM_PORT)));
    v.put("MONITOR_PORT", Integer.toString(port(config, Config.MONITOR_PORT)));
    String secret = Config.segmentSecret(config);
    if (!SECRET.matcher(secret).matches()) {
      throw new IllegalArgumentException(Config.SEGMENT_SECRET + " must be 16 to 512 letters, digits or - _ . ~ + / =");
    }
    v.put("SEGMENT_SECRET", secret);
    v.put("SEGMENT_LOG", segmentLog(config, runDir));
    v.put("REAL_IP", realIp(config));
    return v;
  }

  /**
   * Where nginx writes the segment records: by default a file (64 KiB batches) that monitor-service
   * follows; {@code IPTV_SEGMENT_LOG} may name a syslog target instead, or {@code off}.
   */
  static String segmentLog(JsonObject config, Path runDir) {
    String target = setting(config, Config.SEGMENT_LOG);
    if (target == null) {
      String file = setting(config, Config.SEGMENT_LOG_FILE);
      String path = file != null ? file : runDir.resolve(SEGMENT_LOG_NAME).toString();
      return "\"" + quotedPath(Config.SEGMENT_LOG_FILE, Path.of(path).toAbsolutePath().normalize().toString())
        + "\" iptv_segments buffer=64k flush=1s";
    }
    if (target.equals("off")) {
      return "off";
    }
    if (!SYSLOG.matcher(target).matches()) {
      throw new IllegalArgumentException(Config.SEGMENT_LOG + " must be off or syslog:server=HOST:PORT[,...], not '" + target + "'");
    }
    return target + " iptv_segments";
  }

  /**
   * The prefix of the folders nginx's workers write to (request bodies, the auth subrequest's cache):
   * {@code IPTV_NGINX_TEMP_DIR/} (a folder the operator made, reachable by the worker user), or
   * {@code {java.io.tmpdir}/iptv-nginx-{hash of the run folder}-}: folders of this front's own, right in
   * the system temp folder, which nginx creates at start (it makes the last part of a path only). Not
   * the run folder: started as root, nginx's workers run as an unprivileged user, who may not reach a
   * run folder under a private home; and two fronts on one machine never share a cache.
   */
  static String tempPrefix(JsonObject config, Path runDir) {
    String set = setting(config, Config.NGINX_TEMP_DIR);
    if (set != null) {
      return Path.of(set).toAbsolutePath().normalize() + "/";
    }
    String run = runDir.toAbsolutePath().normalize().toString();
    String tag = java.util.HexFormat.of().formatHex(dev.iptv.common.Http.sha256(run), 0, 6);
    return Path.of(System.getProperty("java.io.tmpdir"), "iptv-nginx-" + tag).toString() + "-";
  }

  /** {@code set_real_ip_from} lines for IPTV_REAL_IP_FROM, checked by the same parser the JVMs use. */
  static String realIp(JsonObject config) {
    String from = setting(config, Config.REAL_IP_FROM);
    if (from == null) {
      return "";
    }
    String header = Config.string(config, Config.REAL_IP_HEADER);
    ClientAddress.of(from, header, false); // refuses a malformed CIDR or header name
    StringBuilder out = new StringBuilder();
    for (String part : from.split(",")) {
      String cidr = part.trim();
      if (!cidr.isEmpty()) {
        out.append("    set_real_ip_from ").append(cidr).append(";\n");
      }
    }
    out.append("    real_ip_header ").append(header.trim()).append(";\n");
    out.append("    real_ip_recursive on;");
    return out.toString();
  }

  /** A path for a double-quoted nginx string (the caller writes the quotes). */
  static String quotedPath(String what, String path) {
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(what + " must not contain control characters or line breaks");
      }
      if (c == '$') {
        throw new IllegalArgumentException(what + " must not contain '$' (nginx would read a variable): " + path);
      }
    }
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException(what + " must be an absolute path: " + path);
    }
    return path.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  private static int port(JsonObject config, String env) {
    int p = Config.integer(config, env);
    if (p < 1 || p > 65535) {
      throw new IllegalArgumentException(env + " must be a port (1-65535), not " + p);
    }
    return p;
  }

  private static String setting(JsonObject config, String env) {
    String s = Config.string(config, env);
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static String template() {
    try (InputStream in = NginxConfig.class.getResourceAsStream(TEMPLATE)) {
      if (in == null) {
        throw new IllegalStateException("the nginx template is missing from the jar (" + TEMPLATE + ")");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the nginx template", e);
    }
  }
}
