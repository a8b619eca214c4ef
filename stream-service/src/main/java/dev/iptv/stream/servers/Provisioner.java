package dev.iptv.stream.servers;

import java.util.ArrayList;
import java.util.List;

/**
 * Makes a registered server ready (SPEC section 9), blocking, over its {@link SshLink}: FFmpeg and
 * nginx must be there, the HLS folder is created, the nginx site ({@link NginxSite}) written over
 * SFTP, checked with {@code nginx -t} and loaded with {@code nginx -s reload}. Whatever is missing
 * or refused is an {@link SshFailure} that names it (the API's 400).
 */
final class Provisioner {

  private Provisioner() {
  }

  static void provision(SshLink link, String segmentSecret) {
    ServerSpec spec = link.spec();
    String site = NginxSite.render(spec, segmentSecret);
    // Which of the two commands the server lacks, in one round trip.
    String check = "for c in " + ShellQuote.quote(spec.ffmpeg()) + " " + ShellQuote.quote(spec.nginx())
      + "; do command -v \"$c\" >/dev/null 2>&1 || echo \"missing $c\"; done; echo checked";
    SshLink.Result r = link.exec(check, null);
    if (!r.out().contains("checked")) {
      throw new SshFailure(ServerSpec.SSH_USER + ": the server's shell did not run a command (" + r.tail() + ")");
    }
    List<String> missing = new ArrayList<>();
    for (String line : r.out().split("\n")) {
      if (line.startsWith("missing ")) {
        String what = line.substring(8);
        missing.add(what.equals(spec.ffmpeg()) ? "ffmpeg (" + ServerSpec.FFMPEG + " '" + what + "' is not on the server: install ffmpeg or give its path)"
          : "nginx (" + ServerSpec.NGINX + " '" + what + "' is not on the server: install nginx or give its path)");
      }
    }
    if (!missing.isEmpty()) {
      throw new SshFailure("the server " + spec.sshHost() + " lacks " + String.join(" and ", missing));
    }
    SshLink.Result dir = link.exec("mkdir -p " + ShellQuote.quote(spec.hlsDir()) + " " + ShellQuote.quote(logDir(spec))
      + " && test -w " + ShellQuote.quote(spec.hlsDir()), null);
    if (!dir.ok()) {
      throw new SshFailure(ServerSpec.HLS_DIR + ": cannot create or write " + spec.hlsDir() + " on the server as "
        + spec.sshUser() + " (" + dir.tail() + ")");
    }
    link.write(spec.nginxSite(), site);
    String nginx = ShellQuote.quote(spec.nginx()) + (spec.nginxConf() == null ? "" : " -c " + ShellQuote.quote(spec.nginxConf()));
    SshLink.Result test = link.exec(nginx + " -t", null);
    if (!test.ok()) {
      link.exec("rm -f " + ShellQuote.quote(spec.nginxSite()), null);
      throw new SshFailure(ServerSpec.NGINX_SITE + ": nginx refuses its configuration with the site " + spec.nginxSite()
        + " (removed again): " + test.tail());
    }
    SshLink.Result reload = link.exec(nginx + " -s reload", null);
    if (!reload.ok()) {
      throw new SshFailure(ServerSpec.NGINX + ": 'nginx -s reload' failed on the server (is nginx running, and does "
        + (spec.nginxConf() == null ? "its nginx.conf" : spec.nginxConf()) + " include " + spec.nginxSite() + "?): "
        + reload.tail());
    }
  }

  /** Removes the site and reloads nginx; best effort (the server may be gone). */
  static void unprovision(SshLink link) {
    ServerSpec spec = link.spec();
    String nginx = ShellQuote.quote(spec.nginx()) + (spec.nginxConf() == null ? "" : " -c " + ShellQuote.quote(spec.nginxConf()));
    link.exec("rm -f " + ShellQuote.quote(spec.nginxSite()) + " && " + nginx + " -s reload", null);
  }

  /** Where FFmpeg's stderr goes on the server: beside the HLS folder's files, never served. */
  static String logDir(ServerSpec spec) {
    return spec.hlsDir() + "/.ffmpeg-logs";
  }
}
