package dev.iptv.common;

import java.util.regex.Pattern;

/**
 * What a user token looks like. The panel sets hex tokens of 32 to 128 characters (SPEC section 3);
 * a player's token is looked up in Redis only when it is hex of a plausible length, so junk never
 * costs a round trip and never reaches a Redis key or a playlist URL.
 */
public final class TokenFormat {

  /** Tokens the admin API accepts. */
  public static final Pattern API = Pattern.compile("[0-9A-Fa-f]{32,128}");

  /** Tokens worth looking up (a little more lenient, for tokens written with redis-cli). */
  public static final Pattern LOOKUP = Pattern.compile("[0-9A-Fa-f]{16,128}");

  private TokenFormat() {
  }

  /** True when {@code token} may name a {@code token:{token}} key: hex, 16-128 characters. */
  public static boolean lookupable(String token) {
    return token != null && LOOKUP.matcher(token).matches();
  }
}
