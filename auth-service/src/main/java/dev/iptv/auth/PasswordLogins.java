package dev.iptv.auth;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.PasswordCheck;
import dev.iptv.contract.AuthContract.PasswordCheck.Status;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Username/password checks at request speed (SPEC section 10: every Xtream app request carries the
 * password, and PBKDF2 at 120,000 iterations costs about a tenth of a second of a core).
 *
 * <ul>
 *   <li><b>Verify once.</b> The first request of a pair runs PBKDF2 on a worker thread against
 *       {@code user:{username}}'s hash. A right pair is then remembered as
 *       {@code HMAC-SHA256(key, username NUL password)}, where {@code key} is 32 random bytes made at
 *       start and never stored: memory holds neither the password nor anything that can be checked
 *       against guesses outside this process. At most one pair per user (a user has one password),
 *       at most {@code IPTV_LOGIN_CACHE_SIZE} users, least recently used out first.</li>
 *   <li><b>Forgotten at once.</b> {@link #forget} (every {@code iptv.users.changed} event: a new
 *       password, disabled, deleted) drops the user's entry; a check that read the user before the
 *       change does not store its (stale) answer.</li>
 *   <li><b>Failed attempts per address.</b> More than {@code IPTV_LOGIN_FAILURES_PER_MIN} wrong
 *       pairs from one client address within a minute: answered {@code throttled} unchecked until
 *       the minute ends, so guessing costs the attacker time and the server no PBKDF2. A remembered
 *       right pair is still recognised (it costs nothing).</li>
 * </ul>
 *
 * <p>Threading: used on auth-service's context only (its event-bus consumers), so no locks.
 */
public final class PasswordLogins {

  private static final long WINDOW_MS = 60_000;
  private static final int MAX_ADDRESSES = 100_000;
  private static final AtomicLong VERIFICATIONS = new AtomicLong();

  private final Vertx vertx;
  private final UserStore store;
  private final int cacheSize;
  private final int failuresPerMin;
  private final byte[] key = new byte[32];
  private final LinkedHashMap<String, Remembered> known;
  private final Map<String, long[]> failures = new HashMap<>();
  /** Bumped by every user change: a check that began before one does not remember its answer. */
  private long changes;

  /** A right pair: its keyed hash and what the answer needs (the state is decided at each request). */
  private record Remembered(byte[] mac, User user) {
  }

  PasswordLogins(Vertx vertx, UserStore store, int cacheSize, int failuresPerMin) {
    this.vertx = vertx;
    this.store = store;
    this.cacheSize = Math.max(1, cacheSize);
    this.failuresPerMin = Math.max(1, failuresPerMin);
    new SecureRandom().nextBytes(key);
    this.known = new LinkedHashMap<>(1024, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Remembered> eldest) {
        return size() > PasswordLogins.this.cacheSize;
      }
    };
  }

  /** PBKDF2 verifications run by this JVM since it started (tests count them). */
  public static long verificationsRun() {
    return VERIFICATIONS.get();
  }

  /** The user changed (or went): their remembered pair is forgotten. */
  void forget(String username) {
    changes++;
    if (username != null) {
      known.remove(username);
    }
  }

  /** Users remembered now. */
  int size() {
    return known.size();
  }

  Future<PasswordCheck> check(String username, String password, String ip) {
    if (username == null || password == null || !AuthContract.USERNAME.matcher(username).matches()
      || password.isEmpty() || password.length() > 256) {
      return Future.succeededFuture(failed(ip));
    }
    long now = System.currentTimeMillis();
    byte[] mac = mac(username, password);
    Remembered r = known.get(username);
    if (r != null && MessageDigest.isEqual(r.mac(), mac)) {
      return Future.succeededFuture(answer(r.user(), now));
    }
    if (throttled(ip, now)) {
      return Future.succeededFuture(PasswordCheck.of(Status.THROTTLED));
    }
    long stamp = changes;
    return store.find(username).compose(found -> {
      User user = found == null ? null : found.user();
      String hash = user == null ? null : user.passwordHash();
      if (hash == null) {
        return Future.succeededFuture(failed(ip));
      }
      return vertx.executeBlocking(() -> {
        VERIFICATIONS.incrementAndGet();
        return Passwords.verify(password, hash);
      }, false).map(right -> {
        if (!right) {
          return failed(ip);
        }
        if (stamp == changes) {
          known.put(username, new Remembered(mac, user));
        }
        return answer(user, System.currentTimeMillis());
      });
    });
  }

  private static PasswordCheck answer(User u, long nowMs) {
    Instant expiry = u.expiry();
    Status status = !u.active() ? Status.DISABLED
      : expiry == null || expiry.isBefore(Instant.ofEpochMilli(nowMs)) ? Status.EXPIRED : Status.VALID;
    return new PasswordCheck(status, u.username(), u.token(), u.maxConnections(), u.expiresAt());
  }

  private boolean throttled(String ip, long now) {
    long[] w = failures.get(ip == null ? "" : ip);
    return w != null && now - w[0] < WINDOW_MS && w[1] >= failuresPerMin;
  }

  /** Counts a failed attempt of {@code ip} (window of a minute from its first failure). */
  private PasswordCheck failed(String ip) {
    long now = System.currentTimeMillis();
    String k = ip == null ? "" : ip;
    long[] w = failures.get(k);
    if (w == null || now - w[0] >= WINDOW_MS) {
      if (failures.size() >= MAX_ADDRESSES) {
        failures.values().removeIf(x -> now - x[0] >= WINDOW_MS);
        if (failures.size() >= MAX_ADDRESSES) {
          failures.clear();
        }
      }
      failures.put(k, new long[] {now, 1});
    } else {
      w[1]++;
    }
    return PasswordCheck.of(Status.WRONG);
  }

  private byte[] mac(String username, String password) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(key, "HmacSHA256"));
      m.update(username.getBytes(StandardCharsets.UTF_8));
      m.update((byte) 0);
      return m.doFinal(password.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
