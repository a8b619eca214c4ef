package dev.iptv.monitor.webhooks;

import dev.iptv.common.RedisReads;
import dev.iptv.contract.MonitorContract;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.List;

/**
 * The webhooks in Redis ({@link MonitorContract#WEBHOOKS_ALL}, {@link MonitorContract#webhookKey}) and
 * their delivery logs ({@link MonitorContract#webhookDeliveriesKey}, the newest {@value #LOG_SIZE}).
 * Safe from any thread (the Redis client is).
 */
final class WebhookStore {

  static final int LOG_SIZE = 100;
  static final int MAX_WEBHOOKS = 100;

  private final Redis redis;

  WebhookStore(Redis redis) {
    this.redis = redis;
  }

  /** Every webhook, by name; unreadable records are left out. */
  Future<List<Webhook>> all() {
    return redis.send(Request.cmd(Command.SMEMBERS).arg(MonitorContract.WEBHOOKS_ALL)).compose(names -> {
      List<String> keys = new ArrayList<>();
      if (names != null) {
        names.forEach(n -> keys.add(MonitorContract.webhookKey(n.toString())));
      }
      if (keys.isEmpty()) {
        return Future.succeededFuture(List.<Webhook>of());
      }
      return RedisReads.mget(redis, keys).map(values -> {
        List<Webhook> out = new ArrayList<>();
        for (String v : values) {
          Webhook w = v == null ? null : Webhook.stored(v);
          if (w != null) {
            out.add(w);
          }
        }
        out.sort((a, b) -> a.name().compareTo(b.name()));
        return out;
      });
    });
  }

  /** One webhook, or null. */
  Future<Webhook> find(String name) {
    return redis.send(Request.cmd(Command.GET).arg(MonitorContract.webhookKey(name)))
      .map(r -> r == null ? null : Webhook.stored(r.toString()));
  }

  /** Creates it; false when one of that name exists, or when there are {@value #MAX_WEBHOOKS} already. */
  Future<Boolean> create(Webhook w) {
    return redis.send(Request.cmd(Command.SCARD).arg(MonitorContract.WEBHOOKS_ALL)).compose(count -> {
      if (count != null && count.toLong() >= MAX_WEBHOOKS) {
        return Future.failedFuture(new dev.iptv.common.ApiException(409, "at most " + MAX_WEBHOOKS + " webhooks"));
      }
      return redis.send(Request.cmd(Command.SET).arg(MonitorContract.webhookKey(w.name())).arg(w.toJson().encode()).arg("NX"))
        .compose(r -> {
          if (r == null) {
            return Future.succeededFuture(false);
          }
          return redis.send(Request.cmd(Command.SADD).arg(MonitorContract.WEBHOOKS_ALL).arg(w.name())).map(true);
        });
    });
  }

  /** Replaces it (it exists). */
  Future<Void> save(Webhook w) {
    return redis.send(Request.cmd(Command.SET).arg(MonitorContract.webhookKey(w.name())).arg(w.toJson().encode())
      .arg("XX")).mapEmpty();
  }

  /** Deletes it and its log; false when there was none. */
  Future<Boolean> delete(String name) {
    return redis.send(Request.cmd(Command.DEL).arg(MonitorContract.webhookKey(name))
        .arg(MonitorContract.webhookDeliveriesKey(name)))
      .compose(n -> redis.send(Request.cmd(Command.SREM).arg(MonitorContract.WEBHOOKS_ALL).arg(name))
        .map(removed -> removed != null && removed.toLong() > 0));
  }

  /** Takes one event's delivery to one webhook for this monitor; false when another monitor took it. */
  Future<Boolean> claim(String name, String eventId) {
    return redis.send(Request.cmd(Command.SET).arg(MonitorContract.webhookClaimKey(name, eventId)).arg("1").arg("NX")
      .arg("EX").arg(3600)).map(r -> r != null);
  }

  /** Adds an attempt to the webhook's log (newest first, capped). */
  Future<Void> log(String name, JsonObject attempt) {
    String key = MonitorContract.webhookDeliveriesKey(name);
    return redis.batch(List.of(Request.cmd(Command.LPUSH).arg(key).arg(attempt.encode()),
      Request.cmd(Command.LTRIM).arg(key).arg(0).arg(LOG_SIZE - 1))).mapEmpty();
  }

  /** The log, newest first. */
  Future<JsonArray> deliveries(String name) {
    return redis.send(Request.cmd(Command.LRANGE).arg(MonitorContract.webhookDeliveriesKey(name)).arg(0).arg(LOG_SIZE - 1))
      .map(list -> {
        JsonArray out = new JsonArray();
        if (list != null) {
          for (Response r : list) {
            try {
              out.add(new JsonObject(r.toString()));
            } catch (RuntimeException e) {
              // not ours: left out
            }
          }
        }
        return out;
      });
  }
}
