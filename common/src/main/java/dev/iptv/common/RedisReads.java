package dev.iptv.common;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Small Redis helpers shared by the services that read many keys: SCAN to the end, MGET in chunks, nil-safe reads of replies. */
public final class RedisReads {

  public static final int SCAN_COUNT = 1000;

  private RedisReads() {
  }

  /** Every key matching {@code pattern}, by SCAN (never KEYS): a key may be reported once only. */
  public static Future<Set<String>> scan(Redis redis, String pattern) {
    Set<String> out = new LinkedHashSet<>();
    return scanFrom(redis, pattern, "0", out).map(v -> out);
  }

  private static Future<Void> scanFrom(Redis redis, String pattern, String cursor, Set<String> out) {
    return redis.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg(pattern).arg("COUNT").arg(SCAN_COUNT))
      .compose(reply -> {
        String next = reply.get(0).toString();
        for (Response key : reply.get(1)) {
          out.add(key.toString());
        }
        return "0".equals(next) ? Future.succeededFuture() : scanFrom(redis, pattern, next, out);
      });
  }

  /** MGET of many keys, by chunks; the values in order, null where a key is missing. */
  public static Future<List<String>> mget(Redis redis, List<String> keys) {
    if (keys.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Request> requests = new ArrayList<>();
    for (int i = 0; i < keys.size(); i += 500) {
      Request r = Request.cmd(Command.MGET);
      keys.subList(i, Math.min(keys.size(), i + 500)).forEach(r::arg);
      requests.add(r);
    }
    return redis.batch(requests).map(replies -> {
      List<String> values = new ArrayList<>(keys.size());
      for (Response reply : replies) {
        for (int i = 0; i < reply.size(); i++) {
          values.add(str(reply.get(i)));
        }
      }
      return values;
    });
  }

  public static String str(Response r) {
    return r == null ? null : r.toString();
  }

  public static long longOr(Response r, long fallback) {
    if (r == null) {
      return fallback;
    }
    try {
      return r.toLong();
    } catch (RuntimeException e) {
      return fallback;
    }
  }

  public static Long parseLong(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  public static Double parseDouble(String s) {
    if (s == null) {
      return null;
    }
    try {
      double d = Double.parseDouble(s.trim());
      return Double.isFinite(d) ? d : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
