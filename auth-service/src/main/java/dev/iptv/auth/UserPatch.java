package dev.iptv.auth;

import dev.iptv.common.ApiException;
import dev.iptv.common.TokenFormat;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.regex.Pattern;

import static dev.iptv.auth.User.EMAIL;
import static dev.iptv.auth.User.EXPIRES_AT;
import static dev.iptv.auth.User.IS_ACTIVE;
import static dev.iptv.auth.User.MAX_CONNECTIONS;
import static dev.iptv.auth.User.PASSWORD;
import static dev.iptv.auth.User.TOKEN;
import static dev.iptv.auth.User.USERNAME;

/**
 * The user fields of one admin request, checked strictly: each field present must have its type
 * and form, or the request ends in {@code 400 {"error"}} naming it before anything is written.
 * Unknown fields are ignored; a JSON {@code null} counts as absent, except for {@code email},
 * where it clears the address.
 */
final class UserPatch {

  static final Pattern USERNAME_FORM = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");
  static final int MAX_CONNECTIONS_LIMIT = 1_000_000;
  private static final int MAX_EMAIL = 320;
  private static final int MAX_PASSWORD = 1024;

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
    if (!(value instanceof String s) || !USERNAME_FORM.matcher(s).matches()) {
      throw ApiException.badRequest("username must be 1-64 characters of A-Z a-z 0-9 _ . @ -");
    }
    return s;
  }

  static UserPatch parse(JsonObject body) {
    UserPatch p = new UserPatch();
    Object v;
    if ((v = body.getValue(USERNAME)) != null) {
      p.username = username(v);
    }
    if ((v = body.getValue(TOKEN)) != null) {
      if (!(v instanceof String s) || !TokenFormat.API.matcher(s).matches()) {
        throw ApiException.badRequest("token must be a string of 32-128 hex characters");
      }
      p.token = s;
    }
    if (body.containsKey(EMAIL)) {
      v = body.getValue(EMAIL);
      if (v != null && !(v instanceof String)) {
        throw ApiException.badRequest("email must be a string");
      }
      if (v != null && ((String) v).length() > MAX_EMAIL) {
        throw ApiException.badRequest("email must be at most " + MAX_EMAIL + " characters");
      }
      p.emailGiven = true;
      p.email = (String) v;
    }
    if ((v = body.getValue(EXPIRES_AT)) != null) {
      Instant at = v instanceof String s ? Lenient.instant(s) : null;
      if (at == null) {
        throw ApiException.badRequest("expires_at must be an ISO-8601 date-time string, e.g. 2025-12-07T21:50:51.244826Z");
      }
      p.expiresAt = at.toString();
    }
    if ((v = body.getValue(MAX_CONNECTIONS)) != null) {
      if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.doubleValue() < 1 || n.doubleValue() > MAX_CONNECTIONS_LIMIT) {
        throw ApiException.badRequest("max_connections must be an integer from 1 to " + MAX_CONNECTIONS_LIMIT);
      }
      p.maxConnections = n.intValue();
    }
    if ((v = body.getValue(IS_ACTIVE)) != null) {
      if (!(v instanceof Boolean b)) {
        throw ApiException.badRequest("is_active must be true or false");
      }
      p.active = b;
    }
    if ((v = body.getValue(PASSWORD)) != null) {
      if (!(v instanceof String s)) {
        throw ApiException.badRequest("password must be a string");
      }
      if (s.length() > MAX_PASSWORD) {
        throw ApiException.badRequest("password must be at most " + MAX_PASSWORD + " characters");
      }
      p.password = s;
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
    if (!TokenFormat.lookupable(mergedToken)) {
      throw ApiException.badRequest(mergedToken == null ? "token is required: the stored user has none"
        : "token must be a string of 32-128 hex characters: the stored one is not, send a new one");
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
