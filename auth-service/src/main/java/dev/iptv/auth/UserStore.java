package dev.iptv.auth;

import dev.iptv.common.ApiException;
import dev.iptv.common.LuaScript;
import dev.iptv.common.SortedIndex;
import dev.iptv.contract.AuthContract;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Users in Redis, in the seed's layout: {@code user:{username}} (user JSON), {@code token:{token}}
 * (token JSON with a TTL), {@code users:all} (set of usernames), plus
 * {@code user:{username}:sessions} (live viewer sessions) and {@code users:by_name} (the sorted
 * index of {@code users:all} that pages the list, see {@link SortedIndex}). Every write that spans keys is one Lua
 * script, so a 409 check and the writes it guards happen in one step; updates and deletes compare
 * the record with the one read before (compare and set) and tell the caller to retry when another
 * request changed it in between.
 */
final class UserStore {

  private static final Logger log = LoggerFactory.getLogger(UserStore.class);

  private static final LuaScript CREATE = LuaScript.resource(UserStore.class, "lua/user_create.lua");
  private static final LuaScript UPDATE = LuaScript.resource(UserStore.class, "lua/user_update.lua");
  private static final LuaScript DELETE = LuaScript.resource(UserStore.class, "lua/user_delete.lua");
  private static final LuaScript ADMIT = LuaScript.resource(UserStore.class, "lua/session_admit.lua");
  /** Users read (one MGET) and answered per step of a page. */
  static final int MGET_BATCH = 500;

  /** What a write script answered. */
  enum Outcome {
    OK, MISSING, CHANGED, USER_EXISTS, TOKEN_EXISTS;

    static Outcome of(Response r) {
      return valueOf(r.toString().toUpperCase(Locale.ROOT));
    }
  }

  /** A user as read: the exact stored text (for compare and set) and its reading. */
  record Found(String raw, User user) {
  }

  private final RedisAPI redis;
  private final SortedIndex index;

  UserStore(RedisAPI redis) {
    this.redis = redis;
    this.index = new SortedIndex(redis, AuthContract.USERS_ALL, AuthContract.USERS_BY_NAME, name -> new SortedIndex.Entry(0, name),
      member -> member);
  }

  /** The user, or null. */
  Future<Found> find(String username) {
    return redis.get(AuthContract.userKey(username)).map(r -> r == null ? null : found(username, r.toString()))
      .recover(UserStore::unavailable);
  }

  /** The usernames of one page of the list, in username order, with the number of all users. */
  Future<SortedIndex.Slice> page(long offset, int limit) {
    return index.page(offset, limit).recover(UserStore::unavailable);
  }

  /**
   * What the API answers for these users (JSON text, never the password), in the same order; a
   * name without its record is left out, and its index entry goes if it has left {@code users:all}.
   */
  Future<List<String>> views(List<String> names) {
    return redis.mget(names.stream().map(AuthContract::userKey).toList()).map(values -> {
      List<String> out = new ArrayList<>(names.size());
      List<String> missing = new ArrayList<>();
      int i = 0;
      for (Response value : values) {
        String name = names.get(i++);
        if (value == null) {
          missing.add(name);
        } else {
          out.add(found(name, value.toString()).user().view().encode());
        }
      }
      index.prune(missing).onFailure(err -> log.warn("could not prune {}: {}", AuthContract.USERS_BY_NAME, err.toString()));
      return out;
    })
      .recover(UserStore::unavailable);
  }

  /** The raw {@code token:{token}} record, or null. */
  Future<String> tokenRecord(String token) {
    return redis.get(AuthContract.tokenKey(token)).map(r -> r == null ? null : r.toString())
      .recover(UserStore::unavailable);
  }

  Future<Outcome> create(User user, long tokenTtlMs) {
    return CREATE.run(redis, List.of(AuthContract.userKey(user.username()), AuthContract.tokenKey(user.token()), AuthContract.USERS_ALL, AuthContract.USERS_BY_NAME),
      List.of(user.stored().encode(), user.tokenRecord().encode(), Long.toString(tokenTtlMs), user.username()))
      .map(Outcome::of)
      .recover(UserStore::unavailable);
  }

  /** Replaces {@code before} by {@code after}; a changed token retires the old one and its sessions. */
  Future<Outcome> update(Found before, User after, long tokenTtlMs) {
    String name = after.username();
    List<String> keys = new ArrayList<>(List.of(AuthContract.userKey(name), AuthContract.USERS_ALL, AuthContract.sessionsKey(name), AuthContract.tokenKey(after.token()),
      AuthContract.USERS_BY_NAME));
    String old = before.user().token();
    if (old != null && !old.isEmpty() && !old.equals(after.token())) {
      keys.add(AuthContract.tokenKey(old));
    }
    return UPDATE.run(redis, keys, List.of(before.raw(), after.stored().encode(), after.tokenRecord().encode(),
      Long.toString(tokenTtlMs), name)).map(Outcome::of)
      .recover(UserStore::unavailable);
  }

  /** Deletes the user read as {@code before}, its token and its sessions. */
  Future<Outcome> delete(Found before) {
    String name = before.user().username();
    List<String> keys = new ArrayList<>(List.of(AuthContract.userKey(name), AuthContract.USERS_ALL, AuthContract.sessionsKey(name), AuthContract.USERS_BY_NAME));
    String token = before.user().token();
    if (token != null && !token.isEmpty()) {
      keys.add(AuthContract.tokenKey(token));
    }
    return DELETE.run(redis, keys, List.of(before.raw(), name)).map(Outcome::of)
      .recover(UserStore::unavailable);
  }

  /**
   * Records a poll of viewer session {@code session} and answers whether it fits in
   * {@code maxConnections} sessions polled within the last {@code windowS} seconds.
   */
  Future<Boolean> admit(String username, String session, int maxConnections, double nowS, int windowS, boolean hold) {
    return ADMIT.run(redis, List.of(AuthContract.sessionsKey(username)),
        List.of(String.format(Locale.ROOT, "%.3f", nowS), Integer.toString(windowS), session,
          Integer.toString(maxConnections), hold ? "1" : "0"))
      .map(r -> r != null && r.toInteger() == 1)
      .recover(UserStore::unavailable);
  }

  private static Found found(String username, String raw) {
    JsonObject o;
    try {
      Object parsed = io.vertx.core.json.Json.decodeValue(raw);
      o = parsed instanceof JsonObject j ? j : new JsonObject();
    } catch (DecodeException e) {
      o = new JsonObject();
    }
    if (o.isEmpty()) {
      log.warn("{} does not hold a JSON object: read as a user without fields", AuthContract.userKey(username));
    }
    return new Found(raw, User.fromStored(username, o));
  }

  /** A Redis failure as the admin API reports it: 503, logged once here without values. */
  private static <T> Future<T> unavailable(Throwable err) {
    if (err instanceof ApiException) {
      return Future.failedFuture(err);
    }
    log.warn("Redis failed: {}", err.toString());
    return Future.failedFuture(new ApiException(503, "the user store (Redis) is unavailable: retry later"));
  }
}
