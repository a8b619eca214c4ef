package dev.iptv.auth;

import dev.iptv.common.ApiException;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.BadMessage;
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
 * The user fields of one admin request, checked strictly by the rules of {@link UserSchema}: each
 * field present must have its type and form, or the request ends in {@code 400 {"error"}} naming it
 * before anything is written. Unknown fields are ignored; a JSON {@code null} counts as absent,
 * except for {@code email}, where it clears the address.
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

  /** A username from a path or a body, or 400. */
  static String username(Object value) {
    try {
      return UserSchema.username(value);
    } catch (BadMessage e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  static UserPatch parse(JsonObject body) {
    try {
      return read(body);
    } catch (BadMessage e) {
      throw ApiException.badRequest(e.getMessage());
    }
  }

  private static UserPatch read(JsonObject body) {
    UserPatch p = new UserPatch();
    Object v;
    if ((v = body.getValue(USERNAME)) != null) {
      p.username = UserSchema.username(v);
    }
    if ((v = body.getValue(TOKEN)) != null) {
      p.token = UserSchema.token(v);
    }
    if (body.containsKey(EMAIL)) {
      p.emailGiven = true;
      p.email = UserSchema.email(body.getValue(EMAIL));
    }
    if ((v = body.getValue(EXPIRES_AT)) != null) {
      Instant at = v instanceof String s ? Lenient.instant(s) : null;
      if (at == null) {
        throw new BadMessage(EXPIRES_AT, UserSchema.EXPIRES_AT_RULE);
      }
      p.expiresAt = at.toString();
    }
    if ((v = body.getValue(MAX_CONNECTIONS)) != null) {
      p.maxConnections = UserSchema.maxConnections(v);
    }
    if ((v = body.getValue(IS_ACTIVE)) != null) {
      p.active = UserSchema.isActive(v);
    }
    if ((v = body.getValue(PASSWORD)) != null) {
      p.password = UserSchema.password(v);
    }
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
