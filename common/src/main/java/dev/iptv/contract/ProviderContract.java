package dev.iptv.contract;

import java.util.regex.Pattern;

/**
 * Providers and transcode profiles (issue 12 items 3 and 6), configured through {@code /api/providers}
 * and {@code /api/transcode-profiles} on stream-service.
 *
 * <p>Redis: {@code providers:all} (hash: provider name → its JSON {@code {"name", "hosts",
 * "max_streams"}}), {@code provider:{name}:streams} (hash: channel id → the owner lease value of the
 * instance that runs it from one of the provider's sources; an entry whose {@code stream:{id}:owner}
 * no longer holds that value is dead and pruned by the next count, so a crash never leaks a stream)
 * and {@code transcode:profiles} (hash: profile name → its JSON).
 */
public final class ProviderContract {

  /** A provider's or a transcode profile's name: what the API path and the keys carry. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
  public static final String NAME_RULE = "1-64 letters, digits, '_', '.', '-' (a letter or digit first)";

  public static final String PROVIDERS_ALL = "providers:all";
  public static final String TRANSCODE_PROFILES = "transcode:profiles";

  public static boolean isName(String s) {
    return s != null && NAME.matcher(s).matches();
  }

  public static String providerStreamsKey(String name) {
    return "provider:" + name + ":streams";
  }

  private ProviderContract() {
  }
}
