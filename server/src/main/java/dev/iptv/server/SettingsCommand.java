package dev.iptv.server;

import dev.iptv.common.Config;
import dev.iptv.common.Setting;
import io.vertx.core.json.JsonObject;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code java -jar iptv.jar settings [--cluster RUN_DIR] [IPTV_NAME ...]}: the settings as the JVMs
 * resolve them (environment, then the {@code IPTV_CONFIG} file, then the declared default or the
 * derived one), one {@code IPTV_NAME=value} line each, for {@code bin/iptv} to read instead of
 * resolving them itself. Every declared setting by default, or the named ones.
 *
 * <p>A value is one line: one holding a line break or a NUL is refused, naming the setting. Secrets
 * ({@code IPTV_ADMIN_TOKEN}, {@code IPTV_SEGMENT_SECRET}) print as {@value #HIDDEN} when set, and a
 * URL's password as {@code ****}, unless the setting is named. An unset one prints empty.
 *
 * <p>{@code --cluster RUN_DIR}: with {@code bin/iptv cluster}'s defaults where nothing sets them:
 * {@code IPTV_BIND_HOST} {@code 127.0.0.1} (the services behind the local nginx), the segment log
 * file {@code RUN_DIR/segments.log} (unless {@code IPTV_SEGMENT_LOG} sends the records elsewhere) and
 * {@code IPTV_CLUSTER_MEMBERS} the four local JVMs from {@code IPTV_CLUSTER_PORT} up.
 */
final class SettingsCommand {

  static final String HIDDEN = "(hidden)";

  private SettingsCommand() {
  }

  /** The lines for {@code args} (what follows {@code settings}), with {@code env} as the environment. */
  static String render(List<String> args, Map<String, String> env) {
    Path clusterRun = null;
    List<String> names = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("--cluster")) {
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException("usage: settings [--cluster RUN_DIR] [IPTV_NAME ...]");
        }
        clusterRun = Path.of(args.get(++i));
      } else if (Config.setting(args.get(i)) == null) {
        throw new IllegalArgumentException("no setting named '" + args.get(i) + "'");
      } else {
        names.add(args.get(i));
      }
    }
    JsonObject given = Config.given(env);
    JsonObject config = Config.load(env);
    if (clusterRun != null) {
      localCluster(config, given, clusterRun);
    }
    Config.check(config);
    StringBuilder out = new StringBuilder();
    for (Setting s : Config.settings()) {
      if (!names.isEmpty() && !names.contains(s.env())) {
        continue;
      }
      String value = s.env().equals(Config.CONFIG_FILE) ? env.get(Config.CONFIG_FILE) : Config.effective(config, s.env());
      value = value == null ? "" : value;
      if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(s.env() + " must be one line: it holds a line break");
      }
      if (names.isEmpty()) {
        value = masked(s, value);
      }
      out.append(s.env()).append('=').append(value).append('\n');
    }
    return out.toString();
  }

  /** {@code bin/iptv cluster}'s defaults, where neither the environment nor the file sets the setting. */
  static void localCluster(JsonObject config, JsonObject given, Path runDir) {
    if (blank(given, Config.BIND_HOST)) {
      config.put(Config.key(Config.BIND_HOST), "127.0.0.1");
    }
    if (blank(given, Config.SEGMENT_LOG) && blank(given, Config.SEGMENT_LOG_FILE)) {
      config.put(Config.key(Config.SEGMENT_LOG_FILE),
        runDir.resolve(NginxConfig.SEGMENT_LOG_NAME).toAbsolutePath().normalize().toString());
    }
    if (blank(given, Config.CLUSTER_MEMBERS)) {
      int base = Config.integer(config, Config.CLUSTER_PORT);
      List<String> members = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        members.add("127.0.0.1:" + (base + i));
      }
      config.put(Config.key(Config.CLUSTER_MEMBERS), String.join(",", members));
    }
  }

  private static boolean blank(JsonObject given, String env) {
    Object v = given.getValue(Config.key(env));
    return v == null || v.toString().isBlank();
  }

  /** A secret as {@value #HIDDEN}, a URL without its password. */
  static String masked(Setting s, String value) {
    if (value.isEmpty()) {
      return value;
    }
    if (s.secret()) {
      return HIDDEN;
    }
    if (s.type() == Setting.Type.URL) {
      int scheme = value.indexOf("://");
      int at = value.indexOf('@');
      int slash = scheme < 0 ? -1 : value.indexOf('/', scheme + 3);
      if (scheme >= 0 && at > scheme && (slash < 0 || at < slash)) {
        int colon = value.indexOf(':', scheme + 3);
        if (colon >= 0 && colon < at) {
          return value.substring(0, colon + 1) + "****" + value.substring(at);
        }
      }
    }
    return value;
  }
}
