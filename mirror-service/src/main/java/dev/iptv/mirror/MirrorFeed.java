package dev.iptv.mirror;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.UserChanged;
import dev.iptv.contract.BadMessage;
import dev.iptv.contract.ChangeAction;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ChannelContract.ChannelChanged;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The panel's changes, followed into the copy: {@link AuthContract#USERS_CHANGED} and
 * {@link ChannelContract#CHANNELS_CHANGED} are queued and synced in order, in batches: the named
 * keys are read from Redis and their rows upserted. A row is deleted only for an <i>observed
 * deletion</i>: a user or channel deleted through the API (action {@code deleted}; a user takes its
 * tokens' rows along) or a token retired by a user update ({@code old_token}), and only while the
 * key is indeed gone from Redis. A batch PostgreSQL refuses or misses stays queued and is retried.
 * Each synced batch advances the generation and moves the sentinel along. Runs on the mirror's
 * event loop.
 */
final class MirrorFeed {

  private static final Logger log = LoggerFactory.getLogger(MirrorFeed.class);

  static final int CHUNK = 500;
  /** Changes waiting for PostgreSQL at most; past this the oldest go (the reconciliation catches their upserts). */
  static final int FEED_MAX = 100_000;
  private static final long LOG_EVERY_MS = 60_000;

  /** One change event: the keys it names, those it saw deleted, and a deleted user. */
  private record Change(List<String> keys, Set<String> deleted, String deletedUser) {
  }

  private final PanelKeys redisKeys;
  private final Sentinel sentinel;
  private final Deque<Change> feed = new ArrayDeque<>();
  private long dropped;
  private boolean draining;
  private long lastFeedLog;
  private long lastDropLog;

  MirrorFeed(PanelKeys redisKeys, Sentinel sentinel) {
    this.redisKeys = redisKeys;
    this.sentinel = sentinel;
  }

  /** Changes waiting for PostgreSQL. */
  int size() {
    return feed.size();
  }

  /** Queues a {@link UserChanged}; a message that is not one is ignored. */
  void userChanged(JsonObject m) {
    UserChanged change;
    try {
      change = UserChanged.fromJson(m);
    } catch (BadMessage e) {
      return;
    }
    boolean deleted = change.action() == ChangeAction.DELETED;
    String user = change.username() == null ? null : AuthContract.userKey(change.username());
    String username = AuthContract.isUserKey(user) ? change.username() : null;
    List<String> keys = new ArrayList<>();
    Set<String> gone = new HashSet<>();
    if (username != null) {
      keys.add(user);
      if (deleted) {
        gone.add(user);
      }
    }
    String token = change.token() == null ? null : AuthContract.tokenKey(change.token());
    if (AuthContract.isTokenKey(token)) {
      keys.add(token);
      if (deleted) {
        gone.add(token);
      }
    }
    String retired = change.oldToken() == null ? null : AuthContract.tokenKey(change.oldToken());
    if (AuthContract.isTokenKey(retired)) {
      keys.add(retired); // retired by this update
      gone.add(retired);
    }
    add(new Change(keys, gone, deleted ? username : null));
  }

  /** Queues a {@link ChannelChanged}; a message that is not one is ignored. */
  void channelChanged(JsonObject m) {
    ChannelChanged change;
    try {
      change = ChannelChanged.fromJson(m);
    } catch (BadMessage e) {
      return;
    }
    String key = ChannelContract.channelKey(change.channelId());
    add(new Change(List.of(key), change.action() == ChangeAction.DELETED ? Set.of(key) : Set.of(), null));
  }

  private void add(Change c) {
    if (c.keys().isEmpty()) {
      return;
    }
    feed.addLast(c);
    while (feed.size() > FEED_MAX) {
      feed.pollFirst();
      dropped++;
      long now = System.currentTimeMillis();
      if (now - lastDropLog > LOG_EVERY_MS) {
        lastDropLog = now;
        log.error("mirror: {} changes wait for PostgreSQL: the oldest are dropped ({} so far; the reconciliation"
          + " catches their writes, not their deletions)", FEED_MAX, dropped);
      }
    }
  }

  /**
   * Syncs queued changes into the copy in order, a batch at a time; a failed batch goes back to the
   * front (and is logged here, unless {@code quiet}: the service stops). Never fails.
   */
  Future<Void> drain(SyncedKeys copy, boolean quiet) {
    if (draining || feed.isEmpty()) {
      return Future.succeededFuture();
    }
    draining = true;
    List<Change> batch = new ArrayList<>();
    while (!feed.isEmpty() && batch.size() < CHUNK) {
      batch.add(feed.pollFirst());
    }
    return sync(copy, batch).transform(ar -> {
      draining = false;
      if (ar.failed()) {
        for (int i = batch.size() - 1; i >= 0; i--) {
          feed.addFirst(batch.get(i));
        }
        long now = System.currentTimeMillis();
        if (now - lastFeedLog > LOG_EVERY_MS && !quiet) {
          lastFeedLog = now;
          log.warn("mirror: cannot sync {} changes into PostgreSQL (kept, retried every second): {}", feed.size(),
            ar.cause().toString());
        }
        return Future.succeededFuture();
      }
      return drain(copy, quiet);
    });
  }

  private Future<Void> sync(SyncedKeys copy, List<Change> batch) {
    Set<String> ordered = new LinkedHashSet<>();
    Set<String> deleted = new HashSet<>();
    Set<String> deletedUsers = new LinkedHashSet<>();
    for (Change c : batch) {
      ordered.addAll(c.keys());
      deleted.addAll(c.deleted());
      if (c.deletedUser() != null) {
        deletedUsers.add(c.deletedUser());
      }
    }
    List<String> keys = new ArrayList<>(ordered);
    return redisKeys.read(keys).compose(values -> {
      List<Tuple> upserts = new ArrayList<>();
      List<Tuple> deletes = new ArrayList<>();
      List<String> dropTokensOf = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        String key = keys.get(i);
        PanelKeys.Stored v = values.get(i);
        if (v != null) {
          upserts.add(Tuple.of(key, v.value(), v.expiresAt(), PanelKeys.owner(key, v.value())));
        } else if (deleted.contains(key)) {
          deletes.add(Tuple.of(key));
        }
      }
      for (String u : deletedUsers) {
        if (values.get(keys.indexOf(AuthContract.userKey(u))) == null) {
          dropTokensOf.add(u);
        }
      }
      if (upserts.isEmpty() && deletes.isEmpty() && dropTokensOf.isEmpty()) {
        return Future.succeededFuture();
      }
      long redisGeneration = Math.max(0, sentinel.knownGeneration());
      return copy.pool().withTransaction(conn -> {
        Future<?> f = upserts.isEmpty() ? Future.succeededFuture()
          : conn.preparedQuery(MirrorSql.UPSERT).executeBatch(upserts);
        if (!deletes.isEmpty()) {
          f = f.compose(r -> conn.preparedQuery(MirrorSql.DELETE).executeBatch(deletes));
        }
        for (String u : dropTokensOf) {
          f = f.compose(r -> conn.preparedQuery(MirrorSql.DELETE_TOKENS_OF).execute(Tuple.of(u)));
        }
        return f.compose(r -> copy.advance(conn, redisGeneration));
      }).compose(sentinel::advance);
    });
  }
}
