package dev.iptv.contract;

/**
 * The user record (SPEC section 3), declared once: its fields, their types and limits, and the
 * checks the admin API applies to a field that is given. {@code user:{username}} holds every field
 * but {@link #PASSWORD} (only {@link #PASSWORD_HASH}); {@code token:{token}} holds the same minus the
 * hash. Each check fails with {@link BadMessage} naming the field.
 *
 * <ul>
 *   <li>{@code username}: {@link AuthContract#USERNAME}, required</li>
 *   <li>{@code token}: {@link AuthContract#TOKEN} (hex, 32-128), required</li>
 *   <li>{@code expires_at}: ISO-8601 date-time, required</li>
 *   <li>{@code max_connections}: integer 1 to {@value #MAX_CONNECTIONS_LIMIT}, default 1</li>
 *   <li>{@code is_active}: boolean, default true</li>
 *   <li>{@code email}: string of at most {@value #MAX_EMAIL} characters, or null</li>
 *   <li>{@code password}: string of at most {@value #MAX_PASSWORD} characters, stored only as a hash</li>
 * </ul>
 */
public final class UserSchema {

  public static final String USERNAME = "username";
  public static final String TOKEN = "token";
  public static final String EMAIL = "email";
  public static final String EXPIRES_AT = "expires_at";
  public static final String MAX_CONNECTIONS = "max_connections";
  public static final String IS_ACTIVE = "is_active";
  public static final String PASSWORD = "password";
  public static final String PASSWORD_HASH = "password_hash";

  public static final int MAX_CONNECTIONS_LIMIT = 1_000_000;
  public static final int MAX_EMAIL = 320;
  public static final int MAX_PASSWORD = 1024;

  /** What an {@code expires_at} must be (the parsing is the reader's: see auth-service). */
  public static final String EXPIRES_AT_RULE = "must be an ISO-8601 date-time string, e.g. 2025-12-07T21:50:51.244826Z";
  public static final String TOKEN_RULE = "must be a string of 32-128 hex characters";

  private UserSchema() {
  }

  /** A username from a path or a body. */
  public static String username(Object value) {
    if (!(value instanceof String s) || !AuthContract.USERNAME.matcher(s).matches()) {
      throw new BadMessage(USERNAME, "must be 1-64 characters of A-Z a-z 0-9 _ . @ -");
    }
    return s;
  }

  public static String token(Object value) {
    if (!(value instanceof String s) || !AuthContract.TOKEN.matcher(s).matches()) {
      throw new BadMessage(TOKEN, TOKEN_RULE);
    }
    return s;
  }

  /** An email or null (null clears it). */
  public static String email(Object value) {
    if (value != null && !(value instanceof String)) {
      throw new BadMessage(EMAIL, "must be a string");
    }
    if (value != null && ((String) value).length() > MAX_EMAIL) {
      throw new BadMessage(EMAIL, "must be at most " + MAX_EMAIL + " characters");
    }
    return (String) value;
  }

  public static int maxConnections(Object value) {
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
      || n.doubleValue() < 1 || n.doubleValue() > MAX_CONNECTIONS_LIMIT) {
      throw new BadMessage(MAX_CONNECTIONS, "must be an integer from 1 to " + MAX_CONNECTIONS_LIMIT);
    }
    return n.intValue();
  }

  public static boolean isActive(Object value) {
    if (!(value instanceof Boolean b)) {
      throw new BadMessage(IS_ACTIVE, "must be true or false");
    }
    return b;
  }

  public static String password(Object value) {
    if (!(value instanceof String s)) {
      throw new BadMessage(PASSWORD, "must be a string");
    }
    if (s.length() > MAX_PASSWORD) {
      throw new BadMessage(PASSWORD, "must be at most " + MAX_PASSWORD + " characters");
    }
    return s;
  }
}
