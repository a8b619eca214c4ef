package dev.iptv.stream.viewers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The polls of admitted viewers since the last flush, one entry per session and channel however
 * often it polled: what the instance writes in one batch per interval instead of per poll (the
 * session's slot in {@code user:{u}:sessions}, the channel's {@code stream:{id}:viewers} and
 * {@code :last_access}, and the {@code ViewerPoll}s the monitor names nginx's segment records by).
 *
 * <p>Thread-safe (every front event loop records; one timer drains). Bounded by
 * {@code maxEntries}: past it, a poll is still answered but its touch waits for the next one.
 */
public final class ViewerTouches {

  /** The latest poll of one session on one channel. */
  public record Touch(String sessionId, String username, String channelId, String ip, String userAgent, long atMs) {
  }

  private final ConcurrentHashMap<String, Touch> pending = new ConcurrentHashMap<>();
  private final int maxEntries;

  public ViewerTouches(int maxEntries) {
    this.maxEntries = maxEntries;
  }

  /** A poll of an admitted session: kept until the next drain (the latest one wins). */
  public void record(Touch t) {
    String key = t.sessionId() + "|" + t.channelId();
    if (pending.size() >= maxEntries && !pending.containsKey(key)) {
      return;
    }
    pending.put(key, t);
  }

  /** Everything recorded since the last drain, removed. */
  public List<Touch> drain() {
    List<Touch> out = new ArrayList<>(pending.size());
    for (Map.Entry<String, Touch> e : pending.entrySet()) {
      if (pending.remove(e.getKey(), e.getValue())) {
        out.add(e.getValue());
      }
    }
    return out;
  }

  public int size() {
    return pending.size();
  }
}
