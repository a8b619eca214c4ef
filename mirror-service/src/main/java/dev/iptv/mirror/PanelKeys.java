package dev.iptv.mirror;

import dev.iptv.common.RedisReads;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.UserSchema;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The panel's keys in Redis as the mirror reads them: {@code user:}, {@code token:} and
 * {@code channel:} keys ({@link AuthContract}, {@link ChannelContract}), their values with the end
 * of their TTL, found by SCAN; and what a row records about them (its owner, its hash).
 */
final class PanelKeys {

  /** A key's value and the end of its TTL (null: none). */
  record Stored(String value, OffsetDateTime expiresAt) {
  }

  private final Redis redis;

  PanelKeys(Redis redis) {
    this.redis = redis;
  }

  /** GET and PTTL of each key, in one pipeline; null where the key is missing. */
  Future<List<Stored>> read(List<String> keys) {
    List<Request> requests = new ArrayList<>(keys.size() * 2);
    for (String k : keys) {
      requests.add(Request.cmd(Command.GET).arg(k));
      requests.add(Request.cmd(Command.PTTL).arg(k));
    }
    long now = System.currentTimeMillis();
    return redis.batch(requests).map(replies -> {
      List<Stored> out = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        String value = RedisReads.str(replies.get(2 * i));
        long pttl = RedisReads.longOr(replies.get(2 * i + 1), -1);
        out.add(value == null ? null
          : new Stored(value, pttl > 0 ? Instant.ofEpochMilli(now + pttl).atOffset(ZoneOffset.UTC) : null));
      }
      return out;
    });
  }

  /** Every user, token and channel key Redis holds now (string keys of the exact shapes), by SCAN. */
  Future<List<String>> scan() {
    List<String> keys = new ArrayList<>();
    return scanStrings(AuthContract.USER_SCAN, AuthContract::isUserKey, keys)
      .compose(v -> scanStrings(AuthContract.TOKEN_SCAN, AuthContract::isTokenKey, keys))
      .compose(v -> scanStrings(ChannelContract.CHANNEL_SCAN, ChannelContract::isChannelKey, keys))
      .map(v -> keys);
  }

  private Future<Void> scanStrings(String pattern, Predicate<String> exact, List<String> out) {
    return scanFrom("0", pattern, exact, new HashSet<>(), out);
  }

  private Future<Void> scanFrom(String cursor, String pattern, Predicate<String> exact, Set<String> dedupe,
                                List<String> out) {
    return redis.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern)
        .arg("COUNT").arg(RedisReads.SCAN_COUNT).arg("TYPE").arg("string"))
      .compose(reply -> {
        for (Response k : reply.get(1)) {
          String key = k.toString();
          if (exact.test(key) && dedupe.add(key)) {
            out.add(key);
          }
        }
        String next = reply.get(0).toString();
        return "0".equals(next) ? Future.succeededFuture() : scanFrom(next, pattern, exact, dedupe, out);
      });
  }

  /** A key the mirror copies: a user, a token or a channel. */
  static boolean mirrored(String key) {
    return AuthContract.isUserKey(key) || AuthContract.isTokenKey(key) || ChannelContract.isChannelKey(key);
  }

  /** The username a user or token row belongs to. */
  static String owner(String key, String value) {
    if (key.startsWith(AuthContract.USER_PREFIX)) {
      return key.substring(AuthContract.USER_PREFIX.length());
    }
    if (key.startsWith(AuthContract.TOKEN_PREFIX)) {
      try {
        Object u = new JsonObject(value).getValue(UserSchema.USERNAME);
        return u instanceof String s ? s : null;
      } catch (DecodeException | ClassCastException e) {
        return null;
      }
    }
    return null;
  }

  static String md5(String value) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
