package dev.iptv.monitor.segments;

import dev.iptv.contract.BadMessage;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.StreamContract.ViewerPoll;
import dev.iptv.contract.StreamContract.ViewerPollBatch;
import io.vertx.core.json.JsonObject;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Who a segment request belongs to. nginx logs a segment with the client's address and User-Agent
 * but cannot know the user: the segment proof is per channel. stream-service knows the user at each
 * playlist poll and publishes it ({@link dev.iptv.contract.StreamContract#VIEWER_POLLS}); this directory
 * keeps the last user seen per (channel, address, User-Agent), and per (channel, address) as a
 * fallback, for {@link #FORGET_S} seconds, and names the user of the records that come without one.
 * Runs on the segment accounting verticle's event loop.
 */
final class ViewerDirectory {

  /** Polls come every segment duration; a viewer silent this long is gone. */
  static final int FORGET_S = 180;
  /**
   * At most this many entries (each poll makes two): a bound, not a working size. Past it the entry
   * used least recently goes, so a flood of made-up addresses cannot keep real viewers out.
   */
  static final int MAX_ENTRIES = 200_000;

  private record Seen(String username, double at) {
  }

  private final Map<String, Seen> seen = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Seen> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  /** A poll ({@link ViewerPoll}) or a batch of them ({@link ViewerPollBatch}); anything malformed is ignored. */
  void poll(JsonObject p) {
    for (ViewerPoll poll : ViewerPollBatch.read(p)) {
      Seen s = new Seen(poll.username(), poll.ts());
      seen.put(key(poll.channelId(), poll.ip(), poll.userAgent()), s);
      seen.put(key(poll.channelId(), poll.ip(), null), s);
    }
  }

  /** The record, with its user named when it came without one and a poll tells who it is. */
  SegmentServed resolve(SegmentServed r) {
    if (r.username() != null) {
      return r;
    }
    Seen s = seen.get(key(r.channelId(), r.ip(), r.userAgent() == null ? "" : r.userAgent()));
    if (s == null) {
      s = seen.get(key(r.channelId(), r.ip(), null));
    }
    if (s == null || r.ts() - s.at() > FORGET_S) {
      return r;
    }
    return r.withUsername(s.username());
  }

  /** Forgets viewers not seen for {@link #FORGET_S} seconds. */
  void prune(double nowS) {
    for (Iterator<Seen> it = seen.values().iterator(); it.hasNext(); ) {
      if (nowS - it.next().at() > FORGET_S) {
        it.remove();
      }
    }
  }

  int size() {
    return seen.size();
  }

  private static String key(String channel, String ip, String userAgent) {
    return userAgent == null ? channel + '\u0000' + ip : channel + '\u0000' + ip + '\u0000' + userAgent;
  }
}
