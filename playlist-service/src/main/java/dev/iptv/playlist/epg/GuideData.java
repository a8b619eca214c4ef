package dev.iptv.playlist.epg;

import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.EpgContract;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Guide data in Redis that is not a read: our channels' guide ids, and deleting a generation. */
final class GuideData {

  static final int CHUNK = 500;

  private GuideData() {
  }

  /** The XMLTV ids of all our channels ({@link GuideChannel#idOf}), read from {@code channel:{id}}. */
  static Future<Set<String>> channelIds(Redis client) {
    return client.send(Request.cmd(Command.SMEMBERS).arg(ChannelContract.CHANNELS_ALL)).compose(members -> {
      List<String> ids = new ArrayList<>();
      members.forEach(m -> ids.add(m.toString()));
      List<Request> batch = new ArrayList<>();
      for (int i = 0; i < ids.size(); i += CHUNK) {
        Request mget = Request.cmd(Command.MGET);
        ids.subList(i, Math.min(ids.size(), i + CHUNK)).forEach(id -> mget.arg(ChannelContract.channelKey(id)));
        batch.add(mget);
      }
      if (batch.isEmpty()) {
        return Future.succeededFuture(Set.of());
      }
      return client.batch(batch).map(replies -> {
        Set<String> out = new HashSet<>();
        for (Response chunk : replies) {
          for (Response value : chunk) {
            JsonObject json = value == null ? null : EpgSources.json(value);
            String id = GuideChannel.idOf(json);
            if (id != null) {
              out.add(id);
            }
          }
        }
        return out;
      });
    });
  }

  /** Deletes every key of a generation: its channels' programmes, its channel sets. */
  static Future<Void> drop(Redis client, long generation) {
    String channels = EpgContract.guideChannelsKey(generation);
    return client.send(Request.cmd(Command.SMEMBERS).arg(channels)).compose(members -> {
      List<Request> batch = new ArrayList<>();
      Request unlink = null;
      int n = 0;
      for (Response m : members) {
        if (unlink == null) {
          unlink = Request.cmd(Command.UNLINK);
        }
        unlink.arg(EpgContract.programmesKey(generation, m.toString()));
        if (++n == CHUNK) {
          batch.add(unlink);
          unlink = null;
          n = 0;
        }
      }
      if (unlink != null) {
        batch.add(unlink);
      }
      batch.add(Request.cmd(Command.UNLINK).arg(channels).arg(EpgContract.guideSeenKey(generation)));
      return client.batch(batch).mapEmpty();
    });
  }
}
