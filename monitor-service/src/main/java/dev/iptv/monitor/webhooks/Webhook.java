package dev.iptv.monitor.webhooks;

import dev.iptv.common.ApiException;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.StreamContract;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * An operator's webhook: where the suite POSTs its events, which events, and the secret their
 * HMAC-SHA256 signature is made with. The secret is write-only: {@link #toPublicJson()} never holds it.
 *
 * <p>Its rules are openapi.yaml's {@code WebhookInput} and {@code WebhookUpdate} (a 400 names the field):
 * {@code name} 1-64 of {@code [A-Za-z0-9._-]}; {@code url} an absolute http or https URL with a host,
 * at most 2048 characters, no user info; {@code events} a non-empty list of {@link #EVENTS} or
 * {@code ["*"]}; {@code secret} 16-256 characters; {@code enabled} a boolean (default true).
 */
public record Webhook(String name, String url, List<String> events, String secret, boolean enabled) {

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

  /**
   * A new webhook from a body openapi.yaml's {@code WebhookInput} accepted ({@code ApiDocument} checked
   * every field's form there), or from its stored JSON. The URL is parsed here too: what the URI syntax
   * refuses is what a pattern cannot tell.
   */
  public static Webhook create(JsonObject body) {
    return new Webhook(body.getString("name"), url(body.getString("url")), events(body.getJsonArray("events")),
      body.getString("secret"), body.getBoolean("enabled", true));
  }

  /**
   * This webhook with the fields {@code body} gives changed (a {@code WebhookUpdate} the document accepted);
   * {@code name} may be given, equal to this one's: a rule against the path, not a schema's.
   */
  public Webhook patch(JsonObject body) {
    if (body.containsKey("name") && !name.equals(body.getValue("name"))) {
      throw ApiException.badRequest("name cannot be changed (delete and create instead)");
    }
    return new Webhook(name, body.containsKey("url") ? url(body.getString("url")) : url,
      body.containsKey("events") ? events(body.getJsonArray("events")) : events,
      body.getString("secret", secret), body.getBoolean("enabled", enabled));
  }

  /** A URL of the documented form, parsed: one the URI syntax refuses (a bad escape, a bad host) is a 400. */
  static String url(String s) {
    try {
      URI u = new URI(s);
      if (u.getHost() == null || u.getHost().isEmpty()) {
        throw ApiException.badRequest("url must be an absolute http or https URL with a host");
      }
      return s;
    } catch (URISyntaxException e) {
      throw ApiException.badRequest("url is not a valid URL");
    }
  }

  /** The events, each once. */
  static List<String> events(JsonArray a) {
    List<String> out = new ArrayList<>();
    for (Object e : a) {
      if (!out.contains((String) e)) {
        out.add((String) e);
      }
    }
    return List.copyOf(out);
  }
}
