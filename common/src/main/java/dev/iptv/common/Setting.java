package dev.iptv.common;

/**
 * One {@code IPTV_*} setting, declared once in {@link Config}: its environment variable, its type,
 * its default and a one-line meaning. The README's configuration table lists the same settings with
 * the same defaults ({@code SettingsReadmeTest}); {@code java -jar iptv.jar settings} prints them
 * resolved, which is how {@code bin/iptv} reads them.
 *
 * @param env     the environment variable, {@code IPTV_...}
 * @param type    what a value must be
 * @param def     the default the JVM resolves when nothing sets it; null: unset, or derived from
 *                other settings when read ({@link Config#effective})
 * @param shown   the default as the README's table shows it, in backticks at the start of its
 *                default cell ({@code 8080}, {@code {java.io.tmpdir}/iptv-hls}); null when the
 *                README says it in words (unset, derived, the host name)
 * @param owner   who reads it: {@code all}, a service, {@code server}, {@code cluster}, or
 *                {@code bin/iptv} (read by the shell itself before any JVM runs)
 * @param meaning one line
 */
public record Setting(String env, Type type, String def, String shown, String owner, String meaning) {

  /** What a value must be; checked at start ({@link Config#check}) with an error naming the setting. */
  public enum Type {
    TEXT, INT, BOOL, PATH, URL, LIST,
    /** A decimal number such as {@code 0.8}. */
    DECIMAL,
    /** 0 (a free port) to 65535. */
    PORT,
    /** Never printed whole unless asked for by name. */
    SECRET
  }

  /** Read by {@code bin/iptv} only, before any JVM runs. */
  public static final String SHELL = "bin/iptv";

  /** The key in the {@code IPTV_CONFIG} properties file: {@code IPTV_HTTP_PORT} is {@code http.port}. */
  public String key() {
    return Config.key(env);
  }

  public boolean secret() {
    return type == Type.SECRET;
  }

  /** Why {@code value} is not of this setting's type, naming the setting; null when it is (blank: unset, fine). */
  String problem(String value) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    return switch (type) {
      case INT -> integer(v) ? null : env + " must be a whole number, got '" + v + "'";
      case DECIMAL -> decimal(v) ? null : env + " must be a number such as 0.8, got '" + v + "'";
      case PORT -> integer(v) && Long.parseLong(v) >= 0 && Long.parseLong(v) <= 65535 ? null
        : env + " must be a port (0-65535), got '" + v + "'";
      default -> null;
    };
  }

  private static boolean decimal(String v) {
    try {
      return Double.isFinite(Double.parseDouble(v));
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean integer(String v) {
    try {
      Integer.parseInt(v);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }
}
