package dev.iptv.stream.limits;

import dev.iptv.contract.ProviderContract;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A provider of sources (seed 003 {@code SOURCE_LIMITS}): the hosts its sources are served from and
 * how many of its streams may run at once across the cluster. A channel names the provider of its
 * primary source with {@code provider}; any source whose host is one of {@link #hosts} is the
 * provider's.
 *
 * @param name       {@link ProviderContract#NAME}
 * @param hosts      host names or IP addresses, lower case (at most 64: openapi.yaml)
 * @param maxStreams 0 to 100000: 0 refuses every stream of the provider
 */
public record Provider(String name, List<String> hosts, int maxStreams) {

  public static final String NAME = "name";
  public static final String HOSTS = "hosts";
  public static final String MAX_STREAMS_FIELD = "max_streams";

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

  /**
   * A provider from a body openapi.yaml's {@code ProviderInput} or {@code ProviderUpdate} accepted (checked by
   * {@code ApiDocument}) or from its stored JSON: hosts trimmed, in lower case, without duplicates.
   */
  public static Provider fromBody(String name, JsonObject body) {
    List<String> hosts = new ArrayList<>();
    for (Object h : body.getJsonArray(HOSTS)) {
      String host = ((String) h).trim().toLowerCase(Locale.ROOT);
      if (!hosts.contains(host)) {
        hosts.add(host);
      }
    }
    return new Provider(name, List.copyOf(hosts), body.getNumber(MAX_STREAMS_FIELD).intValue());
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
}
