package dev.iptv.auth;

import io.vertx.core.json.JsonObject;

import java.time.Instant;

import static dev.iptv.contract.UserSchema.EMAIL;
import static dev.iptv.contract.UserSchema.EXPIRES_AT;
import static dev.iptv.contract.UserSchema.IS_ACTIVE;
import static dev.iptv.contract.UserSchema.MAX_CONNECTIONS;
import static dev.iptv.contract.UserSchema.PASSWORD;
import static dev.iptv.contract.UserSchema.PASSWORD_HASH;
import static dev.iptv.contract.UserSchema.TOKEN;
import static dev.iptv.contract.UserSchema.USERNAME;

/**
 * A user as auth-service keeps it (fields: {@link dev.iptv.contract.UserSchema}): {@code user:{username}} holds {@link #stored()}, its token key
 * {@code token:{token}} holds {@link #tokenRecord()}, and the admin API answers {@link #view()}.
 * Neither the token record nor the view ever holds the password or its hash.
 *
 * @param username       the name ({@link dev.iptv.contract.AuthContract#USERNAME})
 * @param token          the player token (hex), or null for a stored record that has none
 * @param email          optional
 * @param expiresAt      ISO-8601 as normalised ({@link Instant#toString()}), or as found when unreadable
 * @param maxConnections concurrent viewer sessions, at least 1
 * @param active         false: the token is refused with "Token disabled"
 * @param passwordHash   {@code pbkdf2-sha256$...}, or null
 * @param legacyPassword a password in clear found in a record written by the seed's server; it is
 *                       hashed and dropped at the next write, and never answered
 */
record User(String username, String token, String email, String expiresAt, int maxConnections, boolean active,
            String passwordHash, String legacyPassword) {

  /** The expiry as an instant, or null when the stored text is not a date. */
  Instant expiry() {
    return Lenient.instant(expiresAt);
  }

  User withPasswordHash(String hash) {
    return new User(username, token, email, expiresAt, maxConnections, active, hash, null);
  }

  /** The JSON of {@code user:{username}}. */
  JsonObject stored() {
    JsonObject o = view();
    if (passwordHash != null) {
      o.put(PASSWORD_HASH, passwordHash);
    }
    return o;
  }

  /** What the admin API answers: every field but the password and its hash. */
  JsonObject view() {
    return new JsonObject().put(USERNAME, username).put(TOKEN, token).put(EMAIL, email).put(EXPIRES_AT, expiresAt)
      .put(MAX_CONNECTIONS, maxConnections).put(IS_ACTIVE, active);
  }

  /** The JSON of {@code token:{token}}, what token checks read (seed layout, minus the password). */
  JsonObject tokenRecord() {
    return view();
  }

  /**
   * A stored user record read as it is ({@link Lenient}); the key's username wins over the
   * record's. Unknown fields are dropped at the next write.
   */
  static User fromStored(String username, JsonObject o) {
    String hash = o.getValue(PASSWORD_HASH) instanceof String h && Passwords.isHash(h) ? h : null;
    String legacy = null;
    if (o.getValue(PASSWORD) instanceof String p && !p.isEmpty()) {
      if (Passwords.isHash(p)) {
        hash = hash == null ? p : hash;
      } else if (hash == null) {
        legacy = p;
      }
    }
    Object rawExpiry = o.getValue(EXPIRES_AT);
    Instant expiry = Lenient.instant(rawExpiry);
    String expiresAt = expiry != null ? expiry.toString() : Lenient.text(rawExpiry);
    return new User(username, Lenient.text(o.getValue(TOKEN)), Lenient.text(o.getValue(EMAIL)), expiresAt,
      Math.max(1, Lenient.integer(o.getValue(MAX_CONNECTIONS), 1)), o.getValue(IS_ACTIVE) == null || Lenient.bool(o.getValue(IS_ACTIVE), false),
      hash, legacy);
  }
}
