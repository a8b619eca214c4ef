package dev.iptv.contract;

/**
 * The user record's field names and limits, declared once for the code. The admin API's checks of
 * a user body are the {@code UserCreate} and {@code UserUpdate} schemas of the repository's
 * {@code openapi.yaml} (applied by {@code dev.iptv.common.ApiDocument}); these constants must agree
 * with them. {@code user:{username}} holds every field but {@link #PASSWORD} (only
 * {@link #PASSWORD_HASH}); {@code token:{token}} holds the same minus the hash.
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
}
