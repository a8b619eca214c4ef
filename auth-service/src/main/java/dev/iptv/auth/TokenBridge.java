package dev.iptv.auth;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeps players playing through the second in which Redis has lost its data and monitor-service
 * has not yet put it back from PostgreSQL. The token records of recent valid checks are kept here;
 * when a token is not in Redis and {@link dev.iptv.common.MirrorSentinel} says Redis lost its data
 * (the mirror runs, its sentinel is gone), the kept record answers instead of "unknown". Tokens changed or deleted through the API are
 * forgotten at once. Runs on the verticle's event loop.
 */
final class TokenBridge {

  /** A record older than this is not used: the panel may have changed it meanwhile. */
  static final long MAX_AGE_MS = 15 * 60_000;
  static final int MAX_ENTRIES = 100_000;

  private record Kept(String record, long atMs) {
  }

  private final Map<String, Kept> recent = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Kept> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  /** A valid check of {@code token}, answered from this token record. */
  void valid(String token, String record, long nowMs) {
    recent.put(token, new Kept(record, nowMs));
  }

  void forget(String token) {
    if (token != null) {
      recent.remove(token);
    }
  }

  /** The token record kept for {@code token}, or null. */
  String kept(String token, long nowMs) {
    Kept k = recent.get(token);
    return k != null && nowMs - k.atMs() <= MAX_AGE_MS ? k.record() : null;
  }
}
