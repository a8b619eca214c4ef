package dev.iptv.monitor.webhooks;

import dev.iptv.common.ApiException;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.StreamContract;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An operator's webhook: where the suite POSTs its events, which events, and the secret their
 * HMAC-SHA256 signature is made with. The secret is write-only: {@link #toPublicJson()} never holds it.
 *
 * <p>Rules (a 400 names the field): {@code name} 1-64 of {@code [A-Za-z0-9._-]}; {@code url} an
 * absolute http or https URL with a host, at most {@value #MAX_URL} characters, no user info (put a
 * token in the path or query instead); {@code events} a non-empty list of {@link #EVENTS} or
 * {@code ["*"]}; {@code secret} 16-256 characters; {@code enabled} a boolean (default true).
 */
public record Webhook(String name, String url, List<String> events, String secret, boolean enabled) {

  public static final int MAX_URL = 2048;
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  /** Every event a webhook can ask for. */
  public static final Set<String> EVENTS;

  static {
    Set<String> all = new LinkedHashSet<>();
    for (StreamContract.StreamEvent.Kind k : StreamContract.StreamEvent.Kind.values()) {
      all.add(k.wire());
    }
    all.add("limit_hit");
    all.add("redis_restored");
    all.add(MonitorContract.NODE_OFFLINE);
    all.add(MonitorContract.NODE_ONLINE);
    EVENTS = Set.copyOf(all);
  }

  /** Whether it wants {@code event}. */
  public boolean wants(String event) {
    return enabled && (events.contains("*") || events.contains(event));
  }

  /** As stored (with the secret). */
  public JsonObject toJson() {
    return toPublicJson().put("secret", secret);
  }

  /** As the API shows it: no secret, only that there is one. */
  public JsonObject toPublicJson() {
    return new JsonObject().put("name", name).put("url", url).put("events", new JsonArray(events))
      .put("enabled", enabled).put("has_secret", secret != null);
  }

  /** A stored record; null when it is not one (then it is left out). */
  public static Webhook stored(String json) {
    try {
      return create(new JsonObject(json));
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** A new webhook from an API body: every field checked. */
  public static Webhook create(JsonObject body) {
    return new Webhook(name(body.getValue("name")), url(body.getValue("url")), events(body.getValue("events")),
      secret(body.getValue("secret")), enabled(body.getValue("enabled"), true));
  }

  /** This webhook with the fields {@code body} gives changed ({@code name} may be given, equal). */
  public Webhook patch(JsonObject body) {
    if (body.containsKey("name") && !name.equals(body.getValue("name"))) {
      throw ApiException.badRequest("name cannot be changed (delete and create instead)");
    }
    for (String field : body.fieldNames()) {
      if (!Set.of("name", "url", "events", "secret", "enabled").contains(field)) {
        throw ApiException.badRequest("unknown field '" + field + "'");
      }
    }
    return new Webhook(name, body.containsKey("url") ? url(body.getValue("url")) : url,
      body.containsKey("events") ? events(body.getValue("events")) : events,
      body.containsKey("secret") ? secret(body.getValue("secret")) : secret,
      body.containsKey("enabled") ? enabled(body.getValue("enabled"), enabled) : enabled);
  }

  public static String name(Object v) {
    if (!(v instanceof String s) || !NAME.matcher(s).matches()) {
      throw ApiException.badRequest("name must be 1-64 letters, digits, '.', '_' or '-'");
    }
    return s;
  }

  static String url(Object v) {
    if (!(v instanceof String s) || s.isEmpty() || s.length() > MAX_URL) {
      throw ApiException.badRequest("url must be an http or https URL of at most " + MAX_URL + " characters");
    }
    URI u;
    try {
      u = new URI(s);
    } catch (Exception e) {
      throw ApiException.badRequest("url is not a valid URL");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || u.getHost().isEmpty()) {
      throw ApiException.badRequest("url must be an absolute http or https URL with a host");
    }
    if (u.getRawUserInfo() != null) {
      throw ApiException.badRequest("url must not carry user info: sign with the secret instead");
    }
    return s;
  }

  static List<String> events(Object v) {
    if (!(v instanceof JsonArray a) || a.isEmpty() || a.size() > EVENTS.size() + 1) {
      throw ApiException.badRequest("events must be a non-empty list of event names, or [\"*\"]");
    }
    List<String> out = new ArrayList<>();
    for (Object e : a) {
      if (!(e instanceof String s) || !(s.equals("*") || EVENTS.contains(s))) {
        throw ApiException.badRequest("events: unknown event " + (e instanceof String ? "'" + e + "'" : String.valueOf(e))
          + " (known: " + String.join(", ", EVENTS.stream().sorted().toList()) + ", or *)");
      }
      if (!out.contains(s)) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  static String secret(Object v) {
    if (!(v instanceof String s) || s.length() < 16 || s.length() > 256) {
      throw ApiException.badRequest("secret must be a string of 16 to 256 characters");
    }
    return s;
  }

  static boolean enabled(Object v, boolean absent) {
    if (v == null) {
      return absent;
    }
    if (!(v instanceof Boolean b)) {
      throw ApiException.badRequest("enabled must be true or false");
    }
    return b;
  }
}
