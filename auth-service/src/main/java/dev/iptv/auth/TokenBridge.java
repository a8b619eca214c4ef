package dev.iptv.auth;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeps players playing through the second in which Redis has lost its data and monitor-service
 * has not yet put it back from PostgreSQL. The token records of recent valid checks are kept here;
 * when a token is not in Redis and {@link dev.iptv.contract.MirrorContract.Probe} says Redis lost its data
 * (the mirror runs, its sentinel is gone), the kept record answers instead of "unknown". Runs on
 * the verticle's event loop.
 *
 * <p><b>Tombstones.</b> A token changed or deleted through the API (any auth-service of the
 * cluster) is forgotten and leaves a tombstone: for {@value #TOMBSTONE_MS} ms it is never kept nor
 * answered from here, even when a Redis read that was in flight at the change comes back after it
 * with the old record. At most {@value #MAX_TOMBSTONES} tombstones are kept; past that (or past
 * their time) the oldest go, and a record whose read started before a dropped tombstone's change
 * is refused too: every read carries the {@link #stamp()} taken when it started, so no stale
 * record gets in whatever the bounds dropped.
 */
final class TokenBridge {

  /** A record older than this is not used: the panel may have changed it meanwhile. */
  static final long MAX_AGE_MS = 15 * 60_000;
  static final int MAX_ENTRIES = 100_000;
  /** A token changed or deleted this recently is never answered from the bridge. */
  static final long TOMBSTONE_MS = 5 * 60_000;
  static final int MAX_TOMBSTONES = 100_000;

  private record Kept(String record, long atMs) {
  }

  private record Tombstone(long atMs, long stamp) {
  }

  private final Map<String, Kept> recent = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Kept> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  /** Oldest first (a token changed again is moved to the end). */
  private final LinkedHashMap<String, Tombstone> tombstones = new LinkedHashMap<>();
  /** Changes seen so far: a read stamped {@code s} started before every change numbered above s. */
  private long changes;
  /** The newest change whose tombstone was dropped: reads stamped before it are refused. */
  private long droppedUpTo;

  /** Taken when a Redis read of a token starts, and handed to {@link #valid} with its result. */
  long stamp() {
    return changes;
  }

  /**
   * A valid check of {@code token}, answered from this token record, read from Redis by a read
   * that started at {@code readStamp}. Not kept when the token has a tombstone, or when the read
   * may predate a change whose tombstone is gone.
   */
  void valid(String token, String record, long nowMs, long readStamp) {
    trim(nowMs);
    if (readStamp < droppedUpTo || tombstones.containsKey(token)) {
      return;
    }
    recent.put(token, new Kept(record, nowMs));
  }

  /** The token was changed or deleted: forgotten, and tombstoned for {@value #TOMBSTONE_MS} ms. */
  void changed(String token, long nowMs) {
    if (token == null) {
      return;
    }
    recent.remove(token);
    changes++;
    tombstones.remove(token);
    tombstones.put(token, new Tombstone(nowMs, changes));
    trim(nowMs);
  }

  /** Forgotten without a tombstone: for a token that has just been created (no older record can be read). */
  void forget(String token) {
    if (token != null) {
      recent.remove(token);
    }
  }

  /** The token record kept for {@code token}, or null. */
  String kept(String token, long nowMs) {
    trim(nowMs);
    if (tombstones.containsKey(token)) {
      recent.remove(token);
      return null;
    }
    Kept k = recent.get(token);
    return k != null && nowMs - k.atMs() <= MAX_AGE_MS ? k.record() : null;
  }

  int tombstones() {
    return tombstones.size();
  }

  /** Drops tombstones past their time or beyond the count, remembering the newest change dropped. */
  private void trim(long nowMs) {
    Iterator<Tombstone> oldest = tombstones.values().iterator();
    while (oldest.hasNext()) {
      Tombstone t = oldest.next();
      if (tombstones.size() <= MAX_TOMBSTONES && nowMs - t.atMs() <= TOMBSTONE_MS) {
        return;
      }
      droppedUpTo = Math.max(droppedUpTo, t.stamp());
      oldest.remove();
    }
  }
}
