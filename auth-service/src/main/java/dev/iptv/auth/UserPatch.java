package dev.iptv.auth;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ApiException;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.UserSchema;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

import static dev.iptv.contract.UserSchema.EMAIL;
import static dev.iptv.contract.UserSchema.EXPIRES_AT;
import static dev.iptv.contract.UserSchema.IS_ACTIVE;
import static dev.iptv.contract.UserSchema.MAX_CONNECTIONS;
import static dev.iptv.contract.UserSchema.PASSWORD;
import static dev.iptv.contract.UserSchema.TOKEN;
import static dev.iptv.contract.UserSchema.USERNAME;

/**
 * The user fields of one admin request. The body has passed its schema in the repository's
 * {@code openapi.yaml} ({@code UserCreate} or {@code UserUpdate}, checked by {@link ApiDocument}),
 * so each field present has its type and form; what is left here is what a schema cannot hold: the
 * date must exist ({@code expires_at}, read by {@link Lenient} and stored as UTC), the username must
 * match the path, and the stored user must have a usable token and expiry. Unknown fields are
 * ignored; a JSON {@code null} counts as absent, except for {@code email}, where it clears the address.
 */
final class UserPatch {

  private String username;
  private String token;
  private boolean emailGiven;
  private String email;
  private String expiresAt;
  private Integer maxConnections;
  private Boolean active;
  private String password;

  private UserPatch() {
  }

  /** The fields of a body its schema has accepted. */
  static UserPatch parse(JsonObject body) {
    UserPatch p = new UserPatch();
    p.username = body.getString(USERNAME);
    p.token = body.getString(TOKEN);
    if (body.containsKey(EMAIL)) {
      p.emailGiven = true;
      p.email = body.getString(EMAIL);
    }
    if (body.getValue(EXPIRES_AT) instanceof String s) {
      Instant at = Lenient.instant(s);
      if (at == null) {
        throw ApiException.badRequest(EXPIRES_AT + " " + UserSchema.EXPIRES_AT_RULE);
      }
      p.expiresAt = at.toString();
    }
    if (body.getValue(MAX_CONNECTIONS) instanceof Number n) {
      p.maxConnections = n.intValue();
    }
    p.active = body.getBoolean(IS_ACTIVE);
    p.password = body.getString(PASSWORD);
    return p;
  }

  /** The password in clear, to hash off the event loop; null when not given. */
  String password() {
    return password;
  }

  /** A new user from this patch (POST): username, token and expires_at are required. */
  User create() {
    require(username, USERNAME);
    require(token, TOKEN);
    require(expiresAt, EXPIRES_AT);
    return new User(username, token, email, expiresAt, maxConnections == null ? 1 : maxConnections,
      active == null || active, null, null);
  }

  /** The stored user with this patch applied (PUT); the path names the user. */
  User applyTo(User stored) {
    if (username != null && !username.equals(stored.username())) {
      throw ApiException.badRequest("username cannot be changed: it must match the path or be left out");
    }
    String mergedToken = token != null ? token : stored.token();
    String mergedExpiry = expiresAt != null ? expiresAt : stored.expiresAt();
    if (!AuthContract.lookupable(mergedToken)) {
      throw ApiException.badRequest(mergedToken == null ? "token is required: the stored user has none"
        : TOKEN + " " + UserSchema.TOKEN_RULE + ": the stored one is not, send a new one");
    }
    if (mergedExpiry == null || Lenient.instant(mergedExpiry) == null) {
      throw ApiException.badRequest("expires_at is required: the stored user has no readable one");
    }
    return new User(stored.username(), mergedToken, emailGiven ? email : stored.email(), mergedExpiry,
      maxConnections != null ? maxConnections : stored.maxConnections(),
      active != null ? active : stored.active(), stored.passwordHash(), stored.legacyPassword());
  }

  private static void require(Object value, String field) {
    if (value == null) {
      throw ApiException.badRequest(field + " is required");
    }
  }
}
