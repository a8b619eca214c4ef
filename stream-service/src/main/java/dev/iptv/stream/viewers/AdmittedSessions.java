package dev.iptv.stream.viewers;

import dev.iptv.contract.AuthContract.TokenCheck;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The viewer sessions this stream-service instance has seen admitted by auth-service: the live
 * poll's fast path. A session's first poll asks auth-service (a Lua script in Redis decides it within
 * the user's {@code max_connections}, cluster-wide); its next polls, for up to {@code recheckMs}, are
 * answered here, with no event-bus request and no Redis round trip, while the poll touches keep its
 * slot alive in Redis (batched, see {@code ViewerTouches}).
 *
 * <p>What ends a remembered admission: the token changing, being deleted or disabled through the API
 * ({@link #revokeToken}, from auth-service's {@code iptv.users.changed}, so within a second), its
 * {@code expires_at} passing, or {@code recheckMs} passing (which also catches edits made with
 * redis-cli, which send no event). Bounded: past {@code maxEntries} the oldest admissions go (their
 * players are simply asked again).
 *
 * <p>Thread-safe: the all-in-one front reads it from every event loop.
 */
public final class AdmittedSessions {

  /** One admitted session. */
  public record Admitted(String sessionId, String token, String username, int maxConnections,
                         long expiresAtMs, long checkedAtMs) {
  }

  private final Map<String, Admitted> sessions = new ConcurrentHashMap<>();
  private final long recheckMs;
  private final int maxEntries;

  public AdmittedSessions(long recheckMs, int maxEntries) {
    this.recheckMs = recheckMs;
    this.maxEntries = maxEntries;
  }

  /** The session's admission if it may be answered from here now, else null (ask auth-service). */
  public Admitted get(String sessionId, long nowMs) {
    Admitted a = sessions.get(sessionId);
    if (a == null) {
      return null;
    }
    if (nowMs - a.checkedAtMs() >= recheckMs || (a.expiresAtMs() > 0 && nowMs >= a.expiresAtMs())) {
      sessions.remove(sessionId, a);
      return null;
    }
    return a;
  }

  /** auth-service admitted the session: remember it (only a valid check is remembered). */
  public void admitted(String sessionId, String token, TokenCheck check, long nowMs) {
    if (!check.valid()) {
      sessions.remove(sessionId);
      return;
    }
    if (sessions.size() >= maxEntries) {
      evictOldest(nowMs);
    }
    sessions.put(sessionId, new Admitted(sessionId, token, check.username(), check.maxConnections(),
      expiry(check.expiresAt()), nowMs));
  }

  /** A token changed, was deleted or disabled: none of its sessions is answered from here again. */
  public void revokeToken(String token) {
    if (token != null) {
      sessions.values().removeIf(a -> a.token().equals(token));
    }
  }

  /** Every session of a user (a user deleted or changed without its token named). */
  public void revokeUser(String username) {
    if (username != null) {
      sessions.values().removeIf(a -> a.username().equals(username));
    }
  }

  public int size() {
    return sessions.size();
  }

  private void evictOldest(long nowMs) {
    // Expired ones first; then, if still full, everything checked more than half a recheck ago.
    sessions.values().removeIf(a -> nowMs - a.checkedAtMs() >= recheckMs);
    if (sessions.size() >= maxEntries) {
      sessions.values().removeIf(a -> nowMs - a.checkedAtMs() >= recheckMs / 2);
    }
    if (sessions.size() >= maxEntries) {
      sessions.clear();
    }
  }

  private static long expiry(String expiresAt) {
    if (expiresAt == null || expiresAt.isBlank()) {
      return 0;
    }
    try {
      return Instant.parse(expiresAt).toEpochMilli();
    } catch (DateTimeParseException e) {
      return 0;
    }
  }
}
