package dev.iptv.stream.servers;

import dev.iptv.common.ApiException;
import dev.iptv.contract.ServerContract;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * An SSH server as registered through {@code /api/servers} (openapi.yaml: {@code ServerInput}), without its secret
 * ({@link Credentials}). Every value that reaches the remote shell or the nginx site is checked by
 * the document's schemas first: paths are absolute and made of {@code [A-Za-z0-9_./+-]} only, so they
 * need no escaping in nginx and are quoted anyway for the shell.
 *
 * @param hostKey   the pinned host key, {@code "type base64"}, or null until the first contact
 * @param nginxSite the site file written over SFTP (it must be included by the server's nginx)
 * @param nginxConf the main nginx.conf given to {@code nginx -c} for test and reload, or null: nginx's own
 * @param nginxPort the port the site listens on: {@code public_url}'s, 80 when it names none
 */
public record ServerSpec(String name, String publicUrl, String sshHost, int sshPort, String sshUser, String hostKey,
                         String hlsDir, int maxStreams, boolean enabled, String ffmpeg, String nginx, String nginxSite,
                         String nginxConf, int nginxPort, String auth, double createdAt) {

  public static final String NAME = "name";
  public static final String PUBLIC_URL = "public_url";
  public static final String SSH_HOST = "ssh_host";
  public static final String SSH_PORT = "ssh_port";
  public static final String SSH_USER = "ssh_user";
  public static final String SSH_HOST_KEY = "ssh_host_key";
  public static final String SSH_PRIVATE_KEY = "ssh_private_key";
  public static final String SSH_PASSWORD = "ssh_password";
  public static final String HLS_DIR = "hls_dir";
  public static final String MAX_STREAMS = "max_streams";
  public static final String ENABLED = "enabled";
  public static final String FFMPEG = "ffmpeg";
  public static final String NGINX = "nginx";
  public static final String NGINX_SITE = "nginx_site";
  public static final String NGINX_CONF = "nginx_conf";
  public static final String NGINX_PORT = "nginx_port";
  public static final String AUTH = "auth";
  public static final String CREATED_AT = "created_at";

  public static final String DEFAULT_HLS_DIR = "/var/lib/iptv/hls";
  public static final int DEFAULT_MAX_STREAMS = 10;


  /** The secret half of a registration: never returned, never logged. */
  public record Credentials(String privateKey, String password) {

    public JsonObject toJson() {
      return privateKey != null ? new JsonObject().put(SSH_PRIVATE_KEY, privateKey)
        : new JsonObject().put(SSH_PASSWORD, password);
    }

    public static Credentials fromJson(JsonObject o) {
      return new Credentials(o.getString(SSH_PRIVATE_KEY), o.getString(SSH_PASSWORD));
    }

    @Override
    public String toString() {
      return privateKey != null ? "Credentials[private key]" : "Credentials[password]";
    }
  }

  /** What a POST or PUT body says: the merged spec, and new credentials when it gives some. */
  public record Registration(ServerSpec spec, Credentials credentials) {
  }

  /** The stored and returned shape: no secret. */
  public JsonObject toJson() {
    return new JsonObject().put(NAME, name).put("kind", ServerContract.KIND_SSH).put(PUBLIC_URL, publicUrl)
      .put(SSH_HOST, sshHost).put(SSH_PORT, sshPort).put(SSH_USER, sshUser).put(SSH_HOST_KEY, hostKey)
      .put(HLS_DIR, hlsDir).put(MAX_STREAMS, maxStreams).put(ENABLED, enabled).put(FFMPEG, ffmpeg).put(NGINX, nginx)
      .put(NGINX_SITE, nginxSite).put(NGINX_CONF, nginxConf).put(NGINX_PORT, nginxPort).put(AUTH, auth)
      .put(CREATED_AT, createdAt);
  }

  /** A stored server (written by {@link #toJson}). */
  public static ServerSpec fromStored(JsonObject o) {
    return new ServerSpec(o.getString(NAME), o.getString(PUBLIC_URL), o.getString(SSH_HOST), o.getInteger(SSH_PORT, 22),
      o.getString(SSH_USER), o.getString(SSH_HOST_KEY), o.getString(HLS_DIR), o.getInteger(MAX_STREAMS, DEFAULT_MAX_STREAMS),
      o.getBoolean(ENABLED, true), o.getString(FFMPEG, "ffmpeg"), o.getString(NGINX, "nginx"), o.getString(NGINX_SITE),
      o.getString(NGINX_CONF), o.getInteger(NGINX_PORT, 80), o.getString(AUTH), o.getDouble(CREATED_AT, 0.0));
  }

  /** The same server, disabled: nothing new is started there. */
  public ServerSpec disabled() {
    return new ServerSpec(name, publicUrl, sshHost, sshPort, sshUser, hostKey, hlsDir, maxStreams, false, ffmpeg, nginx,
      nginxSite, nginxConf, nginxPort, auth, createdAt);
  }

  public ServerSpec withHostKey(String key) {
    return new ServerSpec(name, publicUrl, sshHost, sshPort, sshUser, key, hlsDir, maxStreams, enabled, ffmpeg, nginx,
      nginxSite, nginxConf, nginxPort, auth, createdAt);
  }

  /** True when {@code other} differs in something the server's connection or provisioning depends on. */
  public boolean needsProvisioning(ServerSpec other) {
    return !(publicUrl.equals(other.publicUrl) && sshHost.equals(other.sshHost) && sshPort == other.sshPort
      && sshUser.equals(other.sshUser) && java.util.Objects.equals(hostKey, other.hostKey) && hlsDir.equals(other.hlsDir)
      && ffmpeg.equals(other.ffmpeg) && nginx.equals(other.nginx) && nginxSite.equals(other.nginxSite)
      && java.util.Objects.equals(nginxConf, other.nginxConf) && nginxPort == other.nginxPort);
  }

  // -- reading a request --------------------------------------------------------------------------
  // Every field's form (names, hosts, paths, commands, ports, numbers, booleans, unknown fields) is
  // checked from openapi.yaml ({@code ServerInput}, {@code ServerUpdate}) by ApiDocument before these
  // run. What a schema cannot hold stays here: the name against the path, one credential and not two,
  // public_url and ssh_host_key parsed (URI syntax, a key's encoding).

  /** A POST body the document accepted: merged with the defaults; one credential required. */
  public static Registration create(JsonObject body, double now) {
    return read(body, body.getString(NAME), null, now);
  }

  /** A PUT body the document accepted, merged onto the stored server: any subset of the fields. */
  public static Registration update(JsonObject body, ServerSpec stored) {
    if (body.containsKey(NAME) && !stored.name.equals(body.getValue(NAME))) {
      throw bad(NAME, "cannot be changed (it is the server's path)");
    }
    return read(body, stored.name, stored, stored.createdAt);
  }

  private static Registration read(JsonObject b, String name, ServerSpec old, double createdAt) {
    String publicUrl = b.containsKey(PUBLIC_URL) || old == null ? publicUrl(b.getString(PUBLIC_URL)) : old.publicUrl;
    String host = b.containsKey(SSH_HOST) || old == null ? b.getString(SSH_HOST) : old.sshHost;
    int port = b.containsKey(SSH_PORT) ? b.getInteger(SSH_PORT) : old == null ? 22 : old.sshPort;
    String user = b.containsKey(SSH_USER) || old == null ? b.getString(SSH_USER) : old.sshUser;
    String hostKey = b.containsKey(SSH_HOST_KEY) ? (b.getValue(SSH_HOST_KEY) == null ? null
      : HostKeys.normalize(b.getString(SSH_HOST_KEY))) : old == null ? null : old.hostKey;
    String hls = b.containsKey(HLS_DIR) ? path(b.getString(HLS_DIR)) : old == null ? DEFAULT_HLS_DIR : old.hlsDir;
    int max = b.containsKey(MAX_STREAMS) ? b.getInteger(MAX_STREAMS) : old == null ? DEFAULT_MAX_STREAMS : old.maxStreams;
    boolean enabled = b.containsKey(ENABLED) ? b.getBoolean(ENABLED) : old == null || old.enabled;
    String ffmpeg = b.containsKey(FFMPEG) ? b.getString(FFMPEG) : old == null ? "ffmpeg" : old.ffmpeg;
    String nginx = b.containsKey(NGINX) ? b.getString(NGINX) : old == null ? "nginx" : old.nginx;
    String site = b.containsKey(NGINX_SITE) ? b.getString(NGINX_SITE) : old == null ? "/etc/nginx/conf.d/iptv-" + name + ".conf"
      : old.nginxSite;
    String conf = b.containsKey(NGINX_CONF) ? (b.getValue(NGINX_CONF) == null ? null : path(b.getString(NGINX_CONF)))
      : old == null ? null : old.nginxConf;
    int nginxPort = b.containsKey(NGINX_PORT) ? b.getInteger(NGINX_PORT)
      : old != null && !b.containsKey(PUBLIC_URL) ? old.nginxPort : portOf(publicUrl);

    String key = b.getString(SSH_PRIVATE_KEY);
    String password = b.getString(SSH_PASSWORD);
    if (key != null && password != null) {
      throw bad(SSH_PRIVATE_KEY, "give ssh_private_key or ssh_password, not both");
    }
    Credentials credentials = key != null || password != null ? new Credentials(key, password) : null;
    if (old == null && credentials == null) {
      throw bad(SSH_PRIVATE_KEY, "is required (or ssh_password)");
    }
    String auth = credentials == null ? old.auth : key != null ? "key" : "password";
    return new Registration(new ServerSpec(name, publicUrl, host, port, user, hostKey, hls, max, enabled, ffmpeg, nginx,
      site, conf, nginxPort, auth, createdAt), credentials);
  }

  /** The documented form of URL, parsed (a host the URI syntax refuses); without a trailing '/'. */
  private static String publicUrl(String s) {
    try {
      if (new URI(s).getHost() == null) {
        throw bad(PUBLIC_URL, "must be an http(s) URL with a host, without user, query or fragment");
      }
    } catch (URISyntaxException e) {
      throw bad(PUBLIC_URL, "is not a URL");
    }
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  private static int portOf(String publicUrl) {
    int p = URI.create(publicUrl).getPort();
    return p > 0 ? p : 80;
  }

  /** A documented path without its trailing '/'. */
  private static String path(String s) {
    return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  static ApiException bad(String field, String rule) {
    return ApiException.badRequest(field + ": " + rule);
  }
}
