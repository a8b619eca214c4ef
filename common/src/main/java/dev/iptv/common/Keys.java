package dev.iptv.common;

/**
 * Redis key names. The seed's layout (SPEC section 5) is kept exactly; keys the project adds use
 * the same {@code kind:{id}:field} style and are listed in the README.
 */
public final class Keys {

  public static final String USERS_ALL = "users:all";
  public static final String CHANNELS_ALL = "channels:all";
  /** Sorted index of {@code users:all} (score 0, member the username): pages in username order. */
  public static final String USERS_BY_NAME = "users:by_name";
  /** Sorted index of {@code channels:all} (score the id's digit count, member {@code digits:id}): pages in id order. */
  public static final String CHANNELS_BY_ID = "channels:by_id";

  private Keys() {
  }

  public static String user(String username) {
    return "user:" + username;
  }

  public static String token(String token) {
    return "token:" + token;
  }

  public static String channel(String id) {
    return "channel:" + id;
  }

  public static String streamPid(String id) {
    return "stream:" + id + ":pid";
  }

  public static String streamStarted(String id) {
    return "stream:" + id + ":started";
  }

  public static String streamSource(String id) {
    return "stream:" + id + ":source";
  }

  public static String streamResolvedSource(String id) {
    return "stream:" + id + ":resolved_source";
  }

  public static String streamLastAccess(String id) {
    return "stream:" + id + ":last_access";
  }
}
