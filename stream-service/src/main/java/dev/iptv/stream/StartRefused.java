package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.common.Config;

/**
 * A cold start this instance will not make (SPEC section 11): the node runs as many channels as
 * {@code IPTV_MAX_STREAMS} allows ({@code 503 ERROR: Capacity reached}), or the user started as many
 * channels in the last minute as {@code IPTV_USER_STARTS_PER_MIN} allows
 * ({@code 429 ERROR: Too many channel starts}), or every source's provider runs as many streams as
 * it allows ({@code 503 ERROR: Source busy}, {@link ProviderSlot}). Both come with the seconds after which a retry may
 * succeed. The message is for the admin API's JSON; {@link #playerText()} is what players read.
 */
final class StartRefused extends ApiException {

  /** Players retry a channel refused for capacity after this many seconds. */
  static final int CAPACITY_RETRY_AFTER_S = 10;
  /** Players retry a channel whose providers are full after this many seconds. */
  static final int SOURCE_BUSY_RETRY_AFTER_S = 10;

  private final String playerText;
  private final long retryAfterS;
  private final String user;

  private StartRefused(int status, String message, String playerText, long retryAfterS, String user) {
    super(status, message);
    this.playerText = playerText;
    this.retryAfterS = Math.max(1, retryAfterS);
    this.user = user;
  }

  static StartRefused capacity(String node, int running, int max) {
    return new StartRefused(503, "capacity reached: node " + node + " runs " + running + " channels, "
      + Config.MAX_STREAMS + " is " + max, "ERROR: Capacity reached", CAPACITY_RETRY_AFTER_S, null);
  }

  /** Every source of the channel belongs to a provider that runs as many streams as it allows. */
  static StartRefused sourceBusy(String id, String why) {
    return new StartRefused(503, "channel " + id + ": source busy: " + why, "ERROR: Source busy",
      SOURCE_BUSY_RETRY_AFTER_S, null);
  }

  static StartRefused tooManyStarts(String user, int perMinute, long retryAfterMs) {
    return new StartRefused(429, "user " + user + " started " + perMinute + " channels in the last minute ("
      + Config.USER_STARTS_PER_MIN + ")", "ERROR: Too many channel starts", (retryAfterMs + 999) / 1000, user);
  }

  String playerText() {
    return playerText;
  }

  long retryAfterS() {
    return retryAfterS;
  }

  /** The user refused for their starts, or null for a refusal that applies to everyone. */
  String user() {
    return user;
  }
}
