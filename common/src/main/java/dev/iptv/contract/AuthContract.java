package dev.iptv.contract;

import dev.iptv.common.Http;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * auth-service's contract: the users and tokens the panel syncs, token checks and viewer sessions.
 * Its addresses, its messages, its Redis keys and its id formats; the user record's fields and
 * rules are {@link UserSchema}.
 *
 * <p>Redis (SPEC section 5 and the README): {@code user:{username}} (user JSON),
 * {@code token:{token}} (token JSON, TTL {@code expires_at} + {@code IPTV_TOKEN_GRACE_S}),
 * {@code users:all} (set of usernames), {@code users:by_name} (its sorted index: score 0, member the
 * username), {@code user:{username}:sessions} (sorted set: session id → last poll).
 */
public final class AuthContract {

  // --- event-bus addresses -----------------------------------------------------------------------

  /** Request/reply: {@link TokenRequest} → {@link TokenCheck}. */
  public static final String VALIDATE = "iptv.auth.validate";

  /**
   * Request/reply: {@link SessionRequest} → {@link TokenCheck}, with status {@code limit} when the
   * user already watches from {@code max_connections} other live sessions. A session is one token on
   * one client (address and User-Agent, {@link #sessionId}); it lives while it polls and is freed
   * {@code IPTV_SESSION_WINDOW_S} (at most 60 s) after its last request.
   */
  public static final String SESSION = "iptv.auth.session";

  /** Published when a viewer is refused for {@code max_connections}: {@link LimitHit}. */
  public static final String LIMIT_EVENTS = "iptv.auth.limit";

  /** Published after every user write: {@link UserChanged}. */
  public static final String USERS_CHANGED = "iptv.users.changed";

  /**
   * Send (no reply): {@link SessionTouches}, the sessions a stream-service instance answered from
   * memory since its last batch (once a second): auth-service refreshes their slots in
   * {@code user:{username}:sessions}, so they stay counted for {@code max_connections} while they
   * poll without asking again.
   */
  public static final String SESSION_TOUCHES = "iptv.auth.session.touches";

  /**
   * Request/reply: {@link PasswordRequest} → {@link PasswordCheck}: a username and password (the
   * Xtream API's credentials) checked against the user's PBKDF2 hash, once; the same pair is then
   * recognised from memory (a keyed hash, never the password) until the user changes. Failed
   * attempts are limited per client address ({@code IPTV_LOGIN_FAILURES_PER_MIN}): beyond, the
   * answer is {@code throttled} without any check.
   */
  public static final String PASSWORD = "iptv.auth.password";

  // --- id formats ----------------------------------------------------------------------------------

  /** Usernames (openapi.yaml: {@code UserCreate.username}). */
  public static final Pattern USERNAME = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");

  /** Tokens the admin API accepts: hex, 32-128 characters (openapi.yaml: {@code UserCreate.token}). */
  public static final Pattern TOKEN = Pattern.compile("[0-9A-Fa-f]{32,128}");

  /** Tokens worth looking up (a little more lenient, for tokens written with redis-cli). */
  public static final Pattern TOKEN_LOOKUP = Pattern.compile("[0-9A-Fa-f]{16,128}");

  /**
   * True when {@code token} may name a {@code token:{token}} key: hex, 16-128 characters. Junk never
   * costs a Redis round trip and never reaches a key or a playlist URL.
   */
  public static boolean lookupable(String token) {
    return token != null && TOKEN_LOOKUP.matcher(token).matches();
  }

  /**
   * One player of one token: the session {@code max_connections} counts, the viewer a stream counts,
   * the tag a segment proof carries. 24 hex characters, the first 12 bytes of SHA-256 of
   * {@code token|ip|userAgent}, so the token is never stored or shown twice.
   */
  public static String sessionId(String token, Object ip, Object userAgent) {
    String key = token + "|" + (ip == null ? "" : ip) + "|" + (userAgent == null ? "" : userAgent);
    return HexFormat.of().formatHex(Http.sha256(key), 0, 12);
  }

  // --- Redis keys ----------------------------------------------------------------------------------

  public static final String USER_PREFIX = "user:";
  public static final String TOKEN_PREFIX = "token:";
  public static final String USERS_ALL = "users:all";
  /** Sorted index of {@code users:all} (score 0, member the username): pages in username order. */
  public static final String USERS_BY_NAME = "users:by_name";
  /** SCAN patterns of the user and token keys (they also match other keys: check with {@link #isUserKey}). */
  public static final String USER_SCAN = USER_PREFIX + "*";
  public static final String TOKEN_SCAN = TOKEN_PREFIX + "*";

  public static String userKey(String username) {
    return USER_PREFIX + username;
  }

  public static String tokenKey(String token) {
    return TOKEN_PREFIX + token;
  }

  /** Sorted set of the user's live viewer sessions ({@link #sessionId} → epoch seconds of the last poll). */
  public static String sessionsKey(String username) {
    return userKey(username) + ":sessions";
  }

  /** {@code user:{username}} with a username of {@link #USERNAME} form (not its sessions or starts). */
  public static boolean isUserKey(String key) {
    return key != null && key.startsWith(USER_PREFIX) && USERNAME.matcher(key.substring(USER_PREFIX.length())).matches();
  }

  /** {@code token:{token}} with a token of {@link #TOKEN} form. */
  public static boolean isTokenKey(String key) {
    return key != null && key.startsWith(TOKEN_PREFIX) && TOKEN.matcher(key.substring(TOKEN_PREFIX.length())).matches();
  }

  /** The username of a {@link #isUserKey user key}, or null. */
  public static String usernameOfKey(String key) {
    return isUserKey(key) ? key.substring(USER_PREFIX.length()) : null;
  }

  // --- messages ------------------------------------------------------------------------------------

  private static final String F_TOKEN = "token";
  private static final String F_IP = "ip";
  private static final String F_USER_AGENT = "user_agent";
  private static final String F_CHANNEL_ID = "channel_id";
  private static final String F_HOLD = "hold";
  private static final String F_USERNAME = "username";
  private static final String F_STATUS = "status";
  private static final String F_MAX_CONNECTIONS = "max_connections";
  private static final String F_EXPIRES_AT = "expires_at";
  private static final String F_ACTION = "action";
  private static final String F_OLD_TOKEN = "old_token";

  /** {@link #VALIDATE}'s request: {@code {"token"}}. */
  public record TokenRequest(String token) {

    public JsonObject toJson() {
      return new JsonObject().put(F_TOKEN, token);
    }

    /** Fails naming {@code token} when it is not a string (such a request is answered {@code unknown}). */
    public static TokenRequest fromJson(Object body) {
      JsonObject o = Wire.object(body, "body");
      if (!(o.getValue(F_TOKEN) instanceof String s)) {
        throw new BadMessage(F_TOKEN, "must be a string");
      }
      return new TokenRequest(s);
    }
  }

  /**
   * {@link #SESSION}'s request: {@code {"token", "ip", "user_agent", "channel_id", "hold"}};
   * {@code "hold": false} (a playlist download) checks the limit without taking a slot, anything
   * else takes one. {@code channel_id} is absent for a playlist.
   */
  public record SessionRequest(String token, String ip, String userAgent, String channelId, boolean hold) {

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put(F_TOKEN, token).put(F_IP, ip).put(F_USER_AGENT, userAgent);
      if (channelId != null) {
        o.put(F_CHANNEL_ID, channelId);
      }
      return o.put(F_HOLD, hold);
    }

    /** Fails naming {@code token} when it is not a string; the other fields are read as they come. */
    public static SessionRequest fromJson(Object body) {
      JsonObject o = Wire.object(body, "body");
      if (!(o.getValue(F_TOKEN) instanceof String token)) {
        throw new BadMessage(F_TOKEN, "must be a string");
      }
      return new SessionRequest(token, Wire.lenientText(o.getValue(F_IP)), Wire.lenientText(o.getValue(F_USER_AGENT)),
        Wire.lenientText(o.getValue(F_CHANNEL_ID)), !Boolean.FALSE.equals(o.getValue(F_HOLD)));
    }

    /** This session's id ({@link AuthContract#sessionId}). */
    public String sessionId() {
      return AuthContract.sessionId(token, ip, userAgent);
    }
  }

  /** {@code {"sessions": [{"username", "session"}, ...]}}: sessions that polled, to keep their slots. */
  public record SessionTouches(java.util.List<Touched> sessions) {

    private static final String F_SESSIONS = "sessions";
    private static final String F_SESSION = "session";

    /** One session of one user. */
    public record Touched(String username, String session) {
    }

    public JsonObject toJson() {
      io.vertx.core.json.JsonArray a = new io.vertx.core.json.JsonArray();
      for (Touched t : sessions) {
        a.add(new JsonObject().put(F_USERNAME, t.username()).put(F_SESSION, t.session()));
      }
      return new JsonObject().put(F_SESSIONS, a);
    }

    /** The readable entries (a username, a 24-hex session id); others are dropped. */
    public static SessionTouches fromJson(Object body) {
      JsonObject o = Wire.object(body, "body");
      java.util.List<Touched> out = new java.util.ArrayList<>();
      if (o.getValue(F_SESSIONS) instanceof io.vertx.core.json.JsonArray a) {
        for (Object e : a) {
          if (e instanceof JsonObject t && t.getValue(F_USERNAME) instanceof String u && USERNAME.matcher(u).matches()
            && t.getValue(F_SESSION) instanceof String sid && sid.matches("[0-9a-f]{24}")) {
            out.add(new Touched(u, sid));
          }
        }
      }
      return new SessionTouches(out);
    }
  }

  /**
   * The answer to {@link #VALIDATE} and {@link #SESSION}: {@code {"status":
   * "valid|unknown|disabled|expired|limit", "username", "max_connections", "expires_at"}}; user
   * fields are absent when the status is {@code unknown}.
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

      /** The status a wire value names; {@code unknown} for anything else. */
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

    /** The same user, refused for max_connections. */
    public TokenCheck limited() {
      return new TokenCheck(Status.LIMIT, username, maxConnections, expiresAt);
    }

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put(F_STATUS, status.wire());
      if (username != null) {
        o.put(F_USERNAME, username).put(F_MAX_CONNECTIONS, maxConnections);
        if (expiresAt != null) {
          o.put(F_EXPIRES_AT, expiresAt);
        }
      }
      return o;
    }

    /** An unreadable status reads as {@code unknown}, so a bad answer never admits anyone. */
    public static TokenCheck fromJson(JsonObject o) {
      Object max = o.getValue(F_MAX_CONNECTIONS);
      return new TokenCheck(Status.fromWire(Wire.text(o, F_STATUS)), Wire.text(o, F_USERNAME),
        max instanceof Number n ? n.intValue() : 1, Wire.text(o, F_EXPIRES_AT));
    }
  }

  /** {@link #LIMIT_EVENTS}: {@code {"event": "limit_hit", "username", "channel_id", "ts"}}. */
  public record LimitHit(String username, String channelId, BigDecimal ts) {

    public static final String EVENT = "limit_hit";

    public JsonObject toJson() {
      return new JsonObject().put(Wire.EVENT, EVENT).put(F_USERNAME, username).put(F_CHANNEL_ID, channelId).put(Wire.TS, ts);
    }

    /** Fails naming {@code event} or {@code username}; {@code channel_id} and {@code ts} may be absent. */
    public static LimitHit fromJson(JsonObject o) {
      Wire.event(o, EVENT);
      Number ts = Wire.number(o, Wire.TS, null);
      return new LimitHit(Wire.required(o, F_USERNAME), Wire.lenientText(o.getValue(F_CHANNEL_ID)),
        ts == null ? null : new BigDecimal(ts.toString()));
    }
  }

  /**
   * {@link #USERS_CHANGED}: {@code {"action": "created|updated|deleted", "username", "token",
   * "old_token"}}, {@code old_token} only when an update retired it.
   */
  public record UserChanged(ChangeAction action, String username, String token, String oldToken) {

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put(F_ACTION, action.wire()).put(F_USERNAME, username).put(F_TOKEN, token);
      if (oldToken != null) {
        o.put(F_OLD_TOKEN, oldToken);
      }
      return o;
    }

    /**
     * Fails naming {@code action} when it is given and is not one of created, updated, deleted (absent:
     * read as updated); the other fields may be absent.
     */
    public static UserChanged fromJson(JsonObject o) {
      ChangeAction action = ChangeAction.read(o.getValue(F_ACTION));
      if (action == null) {
        throw new BadMessage(F_ACTION, "must be created, updated or deleted");
      }
      return new UserChanged(action, Wire.text(o, F_USERNAME), Wire.text(o, F_TOKEN), Wire.text(o, F_OLD_TOKEN));
    }
  }

  /** {@link #PASSWORD}'s request: {@code {"username", "password", "ip"}}. */
  public record PasswordRequest(String username, String password, String ip) {

    private static final String F_PASSWORD = "password";

    public JsonObject toJson() {
      return new JsonObject().put(F_USERNAME, username).put(F_PASSWORD, password).put(F_IP, ip);
    }

    /** Fails naming {@code username} or {@code password} when either is not a string. */
    public static PasswordRequest fromJson(Object body) {
      JsonObject o = Wire.object(body, "body");
      if (!(o.getValue(F_USERNAME) instanceof String u)) {
        throw new BadMessage(F_USERNAME, "must be a string");
      }
      if (!(o.getValue(F_PASSWORD) instanceof String p)) {
        throw new BadMessage(F_PASSWORD, "must be a string");
      }
      return new PasswordRequest(u, p, Wire.lenientText(o.getValue(F_IP)));
    }
  }

  /**
   * {@link #PASSWORD}'s answer: {@code {"status": "valid|wrong|disabled|expired|throttled",
   * "username", "token", "max_connections", "expires_at"}}; the user's fields only for valid,
   * disabled and expired (the password was right).
   */
  public record PasswordCheck(Status status, String username, String token, int maxConnections, String expiresAt) {

    public enum Status {
      VALID, WRONG, DISABLED, EXPIRED, THROTTLED;

      public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
      }

      /** Anything unreadable is {@code wrong}: a bad answer never admits anyone. */
      public static Status fromWire(String s) {
        for (Status v : values()) {
          if (v.wire().equals(s)) {
            return v;
          }
        }
        return WRONG;
      }
    }

    public static PasswordCheck of(Status status) {
      return new PasswordCheck(status, null, null, 0, null);
    }

    /** The password was right (the user may still be disabled or expired). */
    public boolean known() {
      return status == Status.VALID || status == Status.DISABLED || status == Status.EXPIRED;
    }

    public JsonObject toJson() {
      JsonObject o = new JsonObject().put(F_STATUS, status.wire());
      if (username != null) {
        o.put(F_USERNAME, username).put(F_TOKEN, token).put(F_MAX_CONNECTIONS, maxConnections).put(F_EXPIRES_AT, expiresAt);
      }
      return o;
    }

    public static PasswordCheck fromJson(JsonObject o) {
      Object max = o.getValue(F_MAX_CONNECTIONS);
      return new PasswordCheck(Status.fromWire(Wire.text(o, F_STATUS)), Wire.text(o, F_USERNAME), Wire.text(o, F_TOKEN),
        max instanceof Number n ? n.intValue() : 1, Wire.text(o, F_EXPIRES_AT));
    }
  }

  private AuthContract() {
  }
}
