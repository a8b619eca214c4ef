package dev.iptv.auth;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.SessionTouches;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Keeps the slots of sessions stream-service answered from memory: one pipeline per batch of
 * {@link SessionTouches} (once a second per stream-service instance), a {@code ZADD} of each session
 * at now and a fresh expiry on each user's set. Admission itself stays with the Lua script
 * ({@code session_admit.lua}): a touch only refreshes a session that was admitted, so
 * {@code max_connections} stays exact across the cluster for new sessions.
 */
final class SessionSlots {

  private final Redis redis;

  SessionSlots(Redis redis) {
    this.redis = redis;
  }

  Future<Void> touch(SessionTouches touches, double nowS, int windowS) {
    if (touches.sessions().isEmpty()) {
      return Future.succeededFuture();
    }
    String now = String.format(Locale.ROOT, "%.3f", nowS);
    List<Request> batch = new ArrayList<>(touches.sessions().size() + 16);
    Set<String> users = new HashSet<>();
    for (SessionTouches.Touched t : touches.sessions()) {
      String key = AuthContract.sessionsKey(t.username());
      batch.add(Request.cmd(Command.ZADD).arg(key).arg(now).arg(t.session()));
      if (users.add(key)) {
        batch.add(Request.cmd(Command.EXPIRE).arg(key).arg(windowS * 2));
      }
    }
    return redis.batch(batch).mapEmpty();
  }
}
