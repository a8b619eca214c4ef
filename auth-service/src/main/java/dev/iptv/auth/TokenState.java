package dev.iptv.auth;

import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.contract.AuthContract.TokenCheck.Status;
import dev.iptv.contract.UserSchema;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.time.Instant;

/**
 * The state of a token, decided from its {@code token:{token}} record alone, as the seed's
 * playlist script did: {@code is_active} false (or "false", 0, or anything unreadable) is disabled,
 * absent is active; an {@code expires_at}
 * in the past is expired, and so is one that is missing or unreadable (the seed's
 * {@code strtotime} check refuses those too). A record without a username, or not JSON, counts as
 * unknown. Checked in that order: disabled before expired.
 */
final class TokenState {

  private TokenState() {
  }

  static TokenCheck of(String record, Instant now) {
    JsonObject o;
    try {
      Object parsed = io.vertx.core.json.Json.decodeValue(record);
      if (!(parsed instanceof JsonObject j)) {
        return TokenCheck.unknown();
      }
      o = j;
    } catch (DecodeException e) {
      return TokenCheck.unknown();
    }
    String username = o.getValue(UserSchema.USERNAME) instanceof String s && !s.isBlank() ? s : null;
    if (username == null) {
      return TokenCheck.unknown();
    }
    int max = Math.max(1, Lenient.integer(o.getValue(UserSchema.MAX_CONNECTIONS), 1));
    Object rawExpiry = o.getValue(UserSchema.EXPIRES_AT);
    Instant expiry = Lenient.instant(rawExpiry);
    String expiresAt = expiry != null ? expiry.toString() : Lenient.text(rawExpiry);
    Status status;
    Object active = o.getValue(UserSchema.IS_ACTIVE);
    if (active != null && !Lenient.bool(active, false)) {
      status = Status.DISABLED;
    } else if (expiry == null || expiry.isBefore(now)) {
      status = Status.EXPIRED;
    } else {
      status = Status.VALID;
    }
    return new TokenCheck(status, username, max, expiresAt);
  }
}
