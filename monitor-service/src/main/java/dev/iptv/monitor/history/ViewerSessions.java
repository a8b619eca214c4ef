package dev.iptv.monitor.history;

import dev.iptv.contract.MonitorContract.SegmentServed;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
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

  /**
   * Open sessions at most (they are keyed by client input: address, User-Agent). Past it the session
   * seen least recently is ended early and handed over like any ended one.
   */
  static final int MAX_OPEN = 100_000;
  /** Ended sessions waiting for {@link #drain} at most; past it the oldest are forgotten (counted). */
  static final int MAX_ENDED = 100_000;

  private final Map<String, Session> open = new LinkedHashMap<>(1024, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Session> eldest) {
      if (size() <= MAX_OPEN) {
        return false;
      }
      end(eldest.getValue());
      return true;
    }
  };
  private final Deque<Session> pendingEnded = new ArrayDeque<>();
  private long forgotten;

  void observe(SegmentServed r) {
    if (r.status() < 200 || r.status() >= 300) {
      return;
    }
    String key = r.channelId() + '\u0000' + r.ip() + '\u0000' + r.username() + '\u0000' + r.userAgent();
    Session s = open.get(key);
    if (s != null && r.ts() - s.lastSeen > IDLE_S) {
      open.remove(key);
      end(s);
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

  private void end(Session s) {
    s.ended = true;
    s.dirty = true;
    pendingEnded.addLast(s);
    while (pendingEnded.size() > MAX_ENDED) {
      pendingEnded.pollFirst();
      forgotten++;
    }
  }

  int open() {
    return open.size();
  }

  /** Ended sessions dropped before they could be written (more than {@link #MAX_ENDED} waiting). */
  long forgotten() {
    return forgotten;
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
