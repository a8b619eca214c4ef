package dev.iptv.mirror;

import dev.iptv.common.RedisReads;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.UserSchema;
import dev.iptv.pg.Db;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One restore of Redis from the PostgreSQL copy, in one of two modes:
 *
 * <ul>
 *   <li><b>fill</b> (Redis lost its data): every live row is written with {@code SET NX}, so nothing
 *       in Redis is overwritten and nothing removed; {@code users:all} and {@code channels:all} get
 *       the restored members added.</li>
 *   <li><b>replace</b> (Redis restarted from a snapshot older than the copy): every live row is
 *       written over what Redis holds, every other {@code user:}, {@code token:} and
 *       {@code channel:} key is removed, and the two sets are rebuilt exactly (each built aside and
 *       renamed into place).</li>
 * </ul>
 *
 * <p>Users and tokens are written together: a token row is written only when its user row exists
 * and names that token, and its value names that user (a token is valid only while its user names
 * it). In fill mode a user Redis already holds is the reference. Token rows that no user names are
 * skipped and counted, never logged. Runs on the mirror's event loop.
 */
final class MirrorRestore {

  /** What a restore did: keys written, keys removed (replace), token rows skipped. */
  record Result(long written, long removed, long skippedTokens) {
  }

  private static final int CHUNK = 500;

  private final Redis redis;
  private final Db db;
  private final boolean replace;
  private final Set<String> kept = new HashSet<>();
  private final List<String> usernames = new ArrayList<>();
  private final List<String> channelIds = new ArrayList<>();
  private long written;
  private long removed;
  private long pairedRows;
  private long skippedInRedis;

  MirrorRestore(Redis redis, Db db, boolean replace) {
    this.redis = redis;
    this.db = db;
    this.replace = replace;
  }

  Future<Result> run() {
    return users("").compose(v -> channels(""))
      .compose(v -> db.pool().query(MirrorSql.LIVE_TOKENS).execute())
      .compose(count -> {
        long liveTokens = count.iterator().next().getLong("n");
        long skipped = Math.max(0, liveTokens - pairedRows) + skippedInRedis;
        Future<Void> cleaned = replace ? removeOthers() : Future.succeededFuture();
        return cleaned.compose(v -> indexSets()).map(v -> new Result(written, removed, skipped));
      });
  }

  // --- users and their tokens ------------------------------------------------------------------

  private record UserRow(String key, String username, String value, String token) {
  }

  private record TokenRow(String key, String value, OffsetDateTime expiresAt) {
  }

  private Future<Void> users(String after) {
    return db.pool().preparedQuery(MirrorSql.USERS_PAGE).execute(Tuple.of(after, CHUNK)).compose(page -> {
      if (page.size() == 0) {
        return Future.succeededFuture();
      }
      List<UserRow> users = new ArrayList<>(page.size());
      List<String> tokenKeys = new ArrayList<>();
      String last = after;
      for (Row row : page) {
        String key = row.getString("key");
        last = key;
        String username = AuthContract.usernameOfKey(key);
        if (username == null) {
          continue;
        }
        String value = row.getString("value");
        String token = tokenOf(value);
        users.add(new UserRow(key, username, value, token));
        if (token != null) {
          tokenKeys.add(AuthContract.tokenKey(token));
        }
      }
      String next = last;
      int size = page.size();
      return tokens(tokenKeys)
        .compose(tokens -> writeUsers(users, tokens))
        .compose(v -> size < CHUNK ? Future.succeededFuture() : users(next));
    });
  }

  private Future<Map<String, TokenRow>> tokens(List<String> keys) {
    if (keys.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    return db.pool().preparedQuery(MirrorSql.TOKENS_BY_KEY).execute(Tuple.of(keys.toArray(new String[0])))
      .map((RowSet<Row> rows) -> {
        Map<String, TokenRow> out = new HashMap<>();
        for (Row r : rows) {
          out.put(r.getString("key"), new TokenRow(r.getString("key"), r.getString("value"),
            r.getOffsetDateTime("expires_at")));
        }
        return out;
      });
  }

  /** The token row a user row names, when that row exists, lives and names the user back; else null. */
  private TokenRow pairOf(UserRow u, Map<String, TokenRow> tokens) {
    if (u.token() == null) {
      return null;
    }
    TokenRow t = tokens.get(AuthContract.tokenKey(u.token()));
    return t != null && u.username().equals(PanelKeys.owner(t.key(), t.value())) ? t : null;
  }

  private Future<Void> writeUsers(List<UserRow> users, Map<String, TokenRow> tokens) {
    long now = System.currentTimeMillis();
    List<Request> userWrites = new ArrayList<>(users.size());
    for (UserRow u : users) {
      Request set = Request.cmd(Command.SET).arg(u.key()).arg(u.value());
      userWrites.add(replace ? set : set.arg("NX"));
      usernames.add(u.username());
      kept.add(u.key());
      if (pairOf(u, tokens) != null) {
        pairedRows++;
      }
    }
    if (userWrites.isEmpty()) {
      return Future.succeededFuture();
    }
    return redis.batch(userWrites).compose(replies -> {
      List<UserRow> present = new ArrayList<>();
      List<UserRow> ours = new ArrayList<>();
      for (int i = 0; i < users.size(); i++) {
        if (replies.get(i) != null) {
          written++;
          ours.add(users.get(i));
        } else {
          present.add(users.get(i)); // fill mode: Redis already holds this user, which is the reference
        }
      }
      return tokensNamedInRedis(present).compose(named -> {
        List<Request> tokenWrites = new ArrayList<>();
        for (UserRow u : ours) {
          addToken(tokenWrites, pairOf(u, tokens), now);
        }
        for (int i = 0; i < present.size(); i++) {
          UserRow u = present.get(i);
          TokenRow t = pairOf(u, tokens);
          if (t != null && u.token().equals(named.get(i))) {
            addToken(tokenWrites, t, now);
          } else if (t != null) {
            skippedInRedis++; // the user Redis holds names another token (or none)
          }
        }
        if (tokenWrites.isEmpty()) {
          return Future.succeededFuture();
        }
        return redis.batch(tokenWrites).map(r -> {
          r.forEach(reply -> written += reply != null ? 1 : 0);
          return null;
        });
      });
    });
  }

  private void addToken(List<Request> writes, TokenRow t, long now) {
    if (t == null) {
      return;
    }
    Request set = Request.cmd(Command.SET).arg(t.key()).arg(t.value());
    if (!replace) {
      set.arg("NX");
    }
    if (t.expiresAt() != null) {
      long ms = t.expiresAt().toInstant().toEpochMilli() - now;
      if (ms <= 0) {
        return;
      }
      set.arg("PX").arg(ms);
    }
    writes.add(set);
    kept.add(t.key());
  }

  /** The token each of these users names in Redis now (null where none). */
  private Future<List<String>> tokensNamedInRedis(List<UserRow> users) {
    if (users.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Request> reads = new ArrayList<>(users.size());
    users.forEach(u -> reads.add(Request.cmd(Command.GET).arg(u.key())));
    return redis.batch(reads).map(replies -> {
      List<String> out = new ArrayList<>(replies.size());
      for (Response r : replies) {
        out.add(tokenOf(RedisReads.str(r)));
      }
      return out;
    });
  }

  /** The {@code token} a user value names, or null. */
  static String tokenOf(String userJson) {
    if (userJson == null) {
      return null;
    }
    try {
      Object t = new JsonObject(userJson).getValue(UserSchema.TOKEN);
      return t instanceof String s && AuthContract.isTokenKey(AuthContract.tokenKey(s)) ? s : null;
    } catch (DecodeException | ClassCastException e) {
      return null;
    }
  }

  // --- channels --------------------------------------------------------------------------------

  private Future<Void> channels(String after) {
    return db.pool().preparedQuery(MirrorSql.CHANNELS_PAGE).execute(Tuple.of(after, CHUNK)).compose(page -> {
      if (page.size() == 0) {
        return Future.succeededFuture();
      }
      List<Request> writes = new ArrayList<>(page.size());
      String last = after;
      for (Row row : page) {
        String key = row.getString("key");
        last = key;
        String id = ChannelContract.idOfKey(key);
        if (id == null) {
          continue;
        }
        Request set = Request.cmd(Command.SET).arg(key).arg(row.getString("value"));
        writes.add(replace ? set : set.arg("NX"));
        channelIds.add(id);
        kept.add(key);
      }
      String next = last;
      int size = page.size();
      Future<List<Response>> sent = writes.isEmpty() ? Future.succeededFuture(List.of()) : redis.batch(writes);
      return sent.compose(replies -> {
        replies.forEach(r -> written += r != null ? 1 : 0);
        return size < CHUNK ? Future.succeededFuture() : channels(next);
      });
    });
  }

  // --- replace mode: what the copy does not hold goes ------------------------------------------

  private Future<Void> removeOthers() {
    return RedisReads.scan(redis, AuthContract.USER_SCAN).compose(users -> RedisReads.scan(redis, AuthContract.TOKEN_SCAN).compose(tokens ->
      RedisReads.scan(redis, ChannelContract.CHANNEL_SCAN).compose(channels -> {
        List<String> gone = new ArrayList<>();
        for (Set<String> keys : List.of(users, tokens, channels)) {
          for (String k : keys) {
            if (PanelKeys.mirrored(k) && !kept.contains(k)) {
              gone.add(k);
            }
          }
        }
        return delete(gone, 0);
      })));
  }

  private Future<Void> delete(List<String> keys, int from) {
    if (from >= keys.size()) {
      return Future.succeededFuture();
    }
    Request del = Request.cmd(Command.DEL);
    List<String> chunk = keys.subList(from, Math.min(keys.size(), from + CHUNK));
    chunk.forEach(del::arg);
    return redis.send(del).compose(r -> {
      removed += RedisReads.longOr(r, 0);
      return delete(keys, from + CHUNK);
    });
  }

  // --- users:all and channels:all --------------------------------------------------------------

  private Future<Void> indexSets() {
    return index(AuthContract.USERS_ALL, MirrorContract.RESTORE_USERS, usernames)
      .compose(v -> index(ChannelContract.CHANNELS_ALL, MirrorContract.RESTORE_CHANNELS, channelIds));
  }

  private Future<Void> index(String set, String aside, List<String> members) {
    String target = replace ? aside : set;
    Future<?> start = replace ? redis.send(Request.cmd(Command.DEL).arg(aside)) : Future.succeededFuture();
    Future<Void> chain = start.mapEmpty();
    for (int i = 0; i < members.size(); i += CHUNK) {
      List<String> chunk = members.subList(i, Math.min(members.size(), i + CHUNK));
      chain = chain.compose(v -> {
        Request add = Request.cmd(Command.SADD).arg(target);
        chunk.forEach(add::arg);
        return redis.send(add).mapEmpty();
      });
    }
    if (!replace) {
      return chain;
    }
    return chain.compose(v -> members.isEmpty()
      ? redis.send(Request.cmd(Command.DEL).arg(set)).mapEmpty()
      : redis.send(Request.cmd(Command.RENAME).arg(aside).arg(set)).mapEmpty());
  }
}
