package dev.iptv.playlist;

import dev.iptv.common.ApiException;
import dev.iptv.common.LuaScript;
import dev.iptv.common.SortedIndex;
import dev.iptv.contract.ChannelContract;
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
 * Channels in Redis, in the seed's layout: {@code channel:{id}} (channel JSON) and
 * {@code channels:all} (set of ids). Writes are Lua scripts, so the 409 check and the writes happen
 * in one step; updates compare the record with the one read before (compare and set) and tell the
 * caller to retry when another request changed it in between. Reading all channels costs one
 * {@code SMEMBERS} and one {@code MGET} per {@value #MGET_BATCH} ids, never a round trip per channel.
 * The admin list is paged through {@code channels:by_id}, the sorted index of {@code channels:all}
 * in id order ({@link SortedIndex}): a page reads only its own records.
 */
final class ChannelStore {

  private static final Logger log = LoggerFactory.getLogger(ChannelStore.class);

  private static final LuaScript CREATE = LuaScript.resource(ChannelStore.class, "lua/channel_create.lua");
  private static final LuaScript UPDATE = LuaScript.resource(ChannelStore.class, "lua/channel_update.lua");
  private static final LuaScript DELETE = LuaScript.resource(ChannelStore.class, "lua/channel_delete.lua");
  static final int MGET_BATCH = 1000;

  /** What a write script answered. */
  enum Outcome {
    OK, MISSING, CHANGED, EXISTS;

    static Outcome of(Response r) {
      return valueOf(r.toString().toUpperCase(Locale.ROOT));
    }
  }

  /** A stored channel record: its id and the exact text (for compare and set). */
  record Raw(String id, String json) {

    /** The record read leniently; one that is not a JSON object reads as a channel without fields. */
    Channel channel() {
      JsonObject o = object();
      if (o == null) {
        log.warn("{} does not hold a JSON object: read as a channel without fields", ChannelContract.channelKey(id));
        o = new JsonObject();
      }
      return Channel.fromStored(id, o);
    }

    /** False when the record is not a JSON object (playlists leave such channels out). */
    boolean readable() {
      return object() != null;
    }

    /** The record as a JSON object, or null when it is not one. */
    JsonObject object() {
      try {
        return io.vertx.core.json.Json.decodeValue(json) instanceof JsonObject j ? j : null;
      } catch (DecodeException e) {
        return null;
      }
    }
  }

  private final RedisAPI redis;
  private final SortedIndex index;

  ChannelStore(RedisAPI redis) {
    this.redis = redis;
    this.index = new SortedIndex(redis, ChannelContract.CHANNELS_ALL, ChannelContract.CHANNELS_BY_ID, ChannelStore::indexEntry,
      member -> member.substring(member.indexOf(':') + 1));
  }

  /**
   * The place of a channel id in {@code channels:by_id}: score the number of its digits without
   * leading zeros, member those digits, ':' and the id. Redis orders by score, then member bytes:
   * the order of {@link Channel#compareIds} (numeric, then the id's text).
   */
  static SortedIndex.Entry indexEntry(String id) {
    String digits = Channel.stripZeros(id);
    return new SortedIndex.Entry(digits.length(), digits + ":" + id);
  }

  /** The ids of one page of the list, in id order, with the number of all channels. */
  Future<SortedIndex.Slice> page(long offset, int limit) {
    return index.page(offset, limit).recover(ChannelStore::unavailable);
  }

  /**
   * The records of these ids, in the same order; an id without its record is left out, and its
   * index entry goes if it has left {@code channels:all}.
   */
  Future<List<Raw>> records(List<String> ids) {
    return redis.mget(ids.stream().map(ChannelContract::channelKey).toList()).map(values -> {
      List<Raw> out = new ArrayList<>(ids.size());
      List<String> missing = new ArrayList<>();
      int i = 0;
      for (Response value : values) {
        String id = ids.get(i++);
        if (value == null) {
          missing.add(id);
        } else {
          out.add(new Raw(id, value.toString()));
        }
      }
      index.prune(missing).onFailure(err -> log.warn("could not prune {}: {}", ChannelContract.CHANNELS_BY_ID, err.toString()));
      return out;
    })
      .recover(ChannelStore::unavailable);
  }

  /** The channel's record, or null. */
  Future<Raw> find(String id) {
    return redis.get(ChannelContract.channelKey(id)).map(r -> r == null ? null : new Raw(id, r.toString()))
      .recover(ChannelStore::unavailable);
  }

  /** The records of every id in {@code channels:all} that has one (unparsed: callers parse off the event loop). */
  /** SHA-256 over every record read (id and text, in order): equal digests, the same records. */
  static byte[] digest(List<Raw> raws) {
    java.security.MessageDigest sha;
    try {
      sha = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (Raw raw : raws) {
      sha.update(raw.id().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(raw.json().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      sha.update((byte) '\n');
    }
    return sha.digest();
  }

  Future<List<Raw>> all() {
    return redis.smembers(ChannelContract.CHANNELS_ALL).compose(members -> {
      List<String> ids = new ArrayList<>(members.size());
      members.forEach(m -> ids.add(m.toString()));
      List<Future<Response>> batches = new ArrayList<>();
      for (int i = 0; i < ids.size(); i += MGET_BATCH) {
        batches.add(redis.mget(ids.subList(i, Math.min(ids.size(), i + MGET_BATCH)).stream().map(ChannelContract::channelKey).toList()));
      }
      return Future.all(batches).map(done -> {
        List<Raw> out = new ArrayList<>(ids.size());
        int i = 0;
        for (Future<Response> batch : batches) {
          for (Response value : batch.result()) {
            String id = ids.get(i++);
            if (value != null) {
              out.add(new Raw(id, value.toString()));
            }
          }
        }
        return out;
      });
    })
      .recover(ChannelStore::unavailable);
  }

  Future<Outcome> create(Channel c) {
    SortedIndex.Entry e = indexEntry(c.id());
    return CREATE.run(redis, List.of(ChannelContract.channelKey(c.id()), ChannelContract.CHANNELS_ALL, ChannelContract.CHANNELS_BY_ID),
        List.of(c.toJson().encode(), c.id(), Long.toString(e.score()), e.member()))
      .map(Outcome::of)
      .recover(ChannelStore::unavailable);
  }

  Future<Outcome> update(Raw before, Channel after) {
    SortedIndex.Entry e = indexEntry(after.id());
    return UPDATE.run(redis, List.of(ChannelContract.channelKey(after.id()), ChannelContract.CHANNELS_ALL, ChannelContract.CHANNELS_BY_ID),
      List.of(before.json(), after.toJson().encode(), after.id(), Long.toString(e.score()), e.member())).map(Outcome::of)
      .recover(ChannelStore::unavailable);
  }

  Future<Outcome> delete(String id) {
    return DELETE.run(redis, List.of(ChannelContract.channelKey(id), ChannelContract.CHANNELS_ALL, ChannelContract.CHANNELS_BY_ID),
        List.of(id, indexEntry(id).member())).map(Outcome::of)
      .recover(ChannelStore::unavailable);
  }

  /** A Redis failure as the admin API reports it: 503, logged once here without values. */
  private static <T> Future<T> unavailable(Throwable err) {
    if (err instanceof ApiException) {
      return Future.failedFuture(err);
    }
    log.warn("Redis failed: {}", err.toString());
    return Future.failedFuture(new ApiException(503, "the channel store (Redis) is unavailable: retry later"));
  }
}
