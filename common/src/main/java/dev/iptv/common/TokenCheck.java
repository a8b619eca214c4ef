package dev.iptv.common;

import io.vertx.core.json.JsonObject;

/**
 * The answer of auth-service to a token check, as carried on {@link Addresses#AUTH_VALIDATE}.
 *
 * <p>Wire shape: {@code {"status": "valid|unknown|disabled|expired", "username": "...",
 * "max_connections": 2, "expires_at": "..."}}; user fields are absent when the status is
 * {@code unknown}.
 */
public record TokenCheck(Status status, String username, int maxConnections, String expiresAt) {

  public enum Status {
    VALID("valid", null),
    UNKNOWN("unknown", "ERROR: Invalid token"),
    DISABLED("disabled", "ERROR: Token disabled"),
    EXPIRED("expired", "ERROR: Token expired"),
    /** Valid token, but its user already watches from max_connections other sessions. */
    LIMIT("limit", "ERROR: Max connections reached");

    private final String wire;
    private final String playerError;

    Status(String wire, String playerError) {
      this.wire = wire;
      this.playerError = playerError;
    }

    public String wire() {
      return wire;
    }

    /** The body a player gets with the 403 (SPEC section 2). */
    public String playerError() {
      return playerError;
    }

    public static Status fromWire(String s) {
      for (Status v : values()) {
        if (v.wire.equals(s)) {
          return v;
        }
      }
      return UNKNOWN;
    }
  }

  public static TokenCheck unknown() {
    return new TokenCheck(Status.UNKNOWN, null, 0, null);
  }

  public boolean valid() {
    return status == Status.VALID;
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("status", status.wire());
    if (username != null) {
      o.put("username", username).put("max_connections", maxConnections);
      if (expiresAt != null) {
        o.put("expires_at", expiresAt);
      }
    }
    return o;
  }

  public static TokenCheck fromJson(JsonObject o) {
    return new TokenCheck(Status.fromWire(o.getString("status")), o.getString("username"),
      o.getInteger("max_connections", 1), o.getString("expires_at"));
  }
}
