package dev.iptv.stream.servers;

import dev.iptv.common.Http;

import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The nginx site an SSH server serves its HLS folder with: the same segment-proof checks as the
 * front's {@code /live/} segments ({@code nginx/nginx.conf.template}: {@code secure_link} over
 * {@code "e:n:channel:t secret"}, expired and too-far-ahead proofs refused with the same texts),
 * CORS and the HLS MIME types. A playlist is served only to a request carrying
 * {@code X-Iptv-Key: }{@link #playlistKey} (the suite fetches it and hands players absolute segment
 * URIs with their proofs); no viewer token ever reaches the server.
 *
 * <p>Every value was checked before (paths {@code [A-Za-z0-9_./+-]}, the port a number, the secret
 * below), so nothing can break out of a string or add a directive.
 */
final class NginxSite {

  static final String KEY_HEADER = "X-Iptv-Key";
  private static final Pattern SECRET = Pattern.compile("[A-Za-z0-9._~+/=-]{16,512}");

  private NginxSite() {
  }

  /** The playlist key of a segment secret: hex SHA-256 of {@code "iptv-server-playlist:" + secret}. */
  static String playlistKey(String segmentSecret) {
    return HexFormat.of().formatHex(Http.sha256("iptv-server-playlist:" + segmentSecret));
  }

  static String render(ServerSpec spec, String segmentSecret) {
    if (!SECRET.matcher(segmentSecret).matches()) {
      throw new SshFailure("IPTV_SEGMENT_SECRET cannot go into an nginx site: use 16-512 characters of "
        + "letters, digits and ._~+/=-");
    }
    // One map variable per server: several sites of ours can live in one nginx.
    String capped = "$iptv_capped_" + HexFormat.of().formatHex(Http.sha256(spec.name())).substring(0, 12);
    String hls = spec.hlsDir();
    StringBuilder m = new StringBuilder();
    String[] higher = {"[1-9]", "[2-9]", "[3-9]", "[4-9]", "[5-9]", "[6-9]", "[7-9]", "[89]", "[9]"};
    for (int d = 0; d < higher.length; d++) {
      m.append("    \"~^(?=\\d{10}:)(\\d*)").append(d).append("\\d*:\\1").append(higher[d]).append("\" 1;\n");
    }
    return """
      # Written by the IPTV suite for its SSH server "%1$s" on every registration: do not edit.
      # HLS segments from %2$s with their proofs, as the suite's front serves them.
      # %3$s is 1 when the proof's n (ten digits) is below the clock's epoch seconds.
      map "$arg_n:$msec" %3$s {
      %4$s    default 0;
      }

      server {
          listen %5$d;
          server_tokens off;
          sendfile on;
          tcp_nopush on;
          default_type application/octet-stream;
          types {
              application/vnd.apple.mpegurl m3u8;
              video/mp2t ts;
          }

          location ~ ^/live/(?<segment>stream_(?<chan>\\d+)_\\d+\\.ts)$ {
              secure_link $arg_s,$arg_e;
              secure_link_md5 "$arg_e:$arg_n:$chan:$arg_t %6$s";
              if ($secure_link = "") { return 403 "ERROR: Invalid segment proof\\n"; }
              if ($secure_link = "0") { return 403 "ERROR: Segment proof expired\\n"; }
              if (%3$s = 0) { return 403 "ERROR: Segment proof expiry too far ahead\\n"; }
              root "%2$s";
              access_log off;
              add_header Cache-Control "public, max-age=60" always;
              add_header Access-Control-Allow-Origin "*" always;
              try_files /$segment =404;
          }

          location ~ ^/live/(?<playlist>stream_\\d+\\.m3u8)$ {
              if ($http_x_iptv_key != "%7$s") { return 403 "ERROR: Invalid token\\n"; }
              root "%2$s";
              access_log off;
              add_header Cache-Control "no-cache" always;
              add_header Access-Control-Allow-Origin "*" always;
              try_files /$playlist =404;
          }

          location /live/ {
              add_header Access-Control-Allow-Origin "*" always;
              return 404 "not found\\n";
          }

          location = /iptv-health {
              default_type text/plain;
              return 200 "ok\\n";
          }
      }
      """.formatted(spec.name(), hls, capped, m.toString(), spec.nginxPort(), segmentSecret, playlistKey(segmentSecret));
  }
}
