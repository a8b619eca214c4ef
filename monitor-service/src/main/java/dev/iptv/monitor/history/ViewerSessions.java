package dev.iptv.monitor.history;

import dev.iptv.common.SegmentServed;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Viewer sessions made from segment records: one client (IP, and username and User-Agent when
 * known) on one channel, from its first segment until {@link #IDLE_S} s pass without one. Kept in
 * memory while open; {@link #drain} hands over what changed since the last call, and the sessions
 * that ended. Runs on the verticle's event loop.
 */
final class ViewerSessions {

  static final int IDLE_S = 60;

  static final class Session {
    final UUID id = UUID.randomUUID();
    final String username;
    final String channel;
    final String ip;
    final String userAgent;
    final double started;
    double lastSeen;
    long bytes;
    boolean dirty = true;
    boolean ended;

    Session(SegmentServed r) {
      username = r.username();
      channel = r.channelId();
      ip = r.ip();
      userAgent = r.userAgent();
      started = r.ts();
      lastSeen = r.ts();
    }
  }

  private final Map<String, Session> open = new HashMap<>();
  private final List<Session> pendingEnded = new ArrayList<>();

  void observe(SegmentServed r) {
    if (r.status() < 200 || r.status() >= 300) {
      return;
    }
    String key = r.channelId() + '\u0000' + r.ip() + '\u0000' + r.username() + '\u0000' + r.userAgent();
    Session s = open.get(key);
    if (s != null && r.ts() - s.lastSeen > IDLE_S) {
      s.ended = true;
      s.dirty = true;
      pendingEnded.add(s);
      s = null;
    }
    if (s == null) {
      s = new Session(r);
      open.put(key, s);
    }
    s.lastSeen = Math.max(s.lastSeen, r.ts());
    s.bytes += r.bytes();
    s.dirty = true;
  }

  int open() {
    return open.size();
  }

  /**
   * Sessions to write: every changed one, and those idle longer than {@link #IDLE_S} at
   * {@code now} (epoch seconds), or all when {@code closeAll}, marked ended and forgotten.
   */
  List<Session> drain(double now, boolean closeAll) {
    List<Session> out = new ArrayList<>(pendingEnded);
    pendingEnded.clear();
    Iterator<Session> it = open.values().iterator();
    while (it.hasNext()) {
      Session s = it.next();
      if (closeAll || now - s.lastSeen > IDLE_S) {
        s.ended = true;
        s.dirty = true;
        it.remove();
      }
      if (s.dirty) {
        s.dirty = false;
        out.add(s);
      }
    }
    return out;
  }
}
