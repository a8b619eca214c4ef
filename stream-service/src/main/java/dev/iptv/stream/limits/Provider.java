package dev.iptv.stream.limits;

import dev.iptv.common.ApiException;
import dev.iptv.contract.ProviderContract;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A provider of sources (seed 003 {@code SOURCE_LIMITS}): the hosts its sources are served from and
 * how many of its streams may run at once across the cluster. A channel names the provider of its
 * primary source with {@code provider}; any source whose host is one of {@link #hosts} is the
 * provider's.
 *
 * @param name       {@link ProviderContract#NAME}
 * @param hosts      host names or IP addresses, lower case (at most {@value #MAX_HOSTS})
 * @param maxStreams 0 to {@value #MAX_STREAMS}: 0 refuses every stream of the provider
 */
public record Provider(String name, List<String> hosts, int maxStreams) {

  public static final String NAME = "name";
  public static final String HOSTS = "hosts";
  public static final String MAX_STREAMS_FIELD = "max_streams";
  static final int MAX_HOSTS = 64;
  static final int MAX_STREAMS = 100_000;
  private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9-]{0,62})(\\.[a-z0-9]([a-z0-9-]{0,62}))*"
    + "|\\[[0-9a-f:.]{2,45}]");

  /** True when {@code source}'s host is one of this provider's. */
  public boolean serves(String source) {
    String host = hostOf(source);
    return host != null && hosts.contains(host);
  }

  /** The lower-case host of a source URL, or null. */
  public static String hostOf(String source) {
    try {
      String h = URI.create(source).getHost();
      return h == null ? null : h.toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put(NAME, name).put(HOSTS, new JsonArray(List.copyOf(hosts))).put(MAX_STREAMS_FIELD, maxStreams);
  }

  /** A provider from the API: every field checked, 400 naming the field. */
  public static Provider fromBody(String name, JsonObject body) {
    if (!ProviderContract.isName(name)) {
      throw ApiException.badRequest(NAME + ": must be " + ProviderContract.NAME_RULE);
    }
    Object h = body.getValue(HOSTS);
    if (!(h instanceof JsonArray arr) || arr.size() > MAX_HOSTS) {
      throw ApiException.badRequest(HOSTS + ": must be an array of at most " + MAX_HOSTS + " host names");
    }
    List<String> hosts = new ArrayList<>();
    for (int i = 0; i < arr.size(); i++) {
      String host = arr.getValue(i) instanceof String s ? s.trim().toLowerCase(Locale.ROOT) : "";
      if (host.length() > 253 || !HOST.matcher(host).matches()) {
        throw ApiException.badRequest(HOSTS + "[" + i + "]: must be a host name or an IP address (no scheme, port or path)");
      }
      if (!hosts.contains(host)) {
        hosts.add(host);
      }
    }
    return new Provider(name, List.copyOf(hosts), whole(body.getValue(MAX_STREAMS_FIELD), MAX_STREAMS_FIELD, 0, MAX_STREAMS));
  }

  /** A stored provider, or null when unreadable. */
  public static Provider fromStored(String raw) {
    try {
      JsonObject o = new JsonObject(raw);
      return fromBody(o.getString(NAME), o);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** A whole number within bounds in {@code field}, or 400. */
  static int whole(Object v, String field, int min, int max) {
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= min
      && n.doubleValue() <= max) {
      return n.intValue();
    }
    throw ApiException.badRequest(field + ": must be a whole number from " + min + " to " + max);
  }
}
