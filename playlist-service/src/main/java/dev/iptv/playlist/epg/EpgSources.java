package dev.iptv.playlist.epg;

import dev.iptv.common.LuaScript;
import dev.iptv.contract.EpgContract;
import dev.iptv.contract.EpgContract.ImportProgress;
import dev.iptv.contract.EpgContract.ImportStatus;
import dev.iptv.contract.EpgContract.Source;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The EPG sources in Redis ({@link EpgContract}): records, last imports, imports in flight. */
final class EpgSources {

  private static final LuaScript CREATE = LuaScript.resource(EpgSources.class, "lua/source_create.lua");
  private static final LuaScript DELETE = LuaScript.resource(EpgSources.class, "lua/source_delete.lua");

  /** A source with what is known of its imports, for the API. */
  record View(Source source, ImportStatus lastImport, ImportProgress importing) {

    JsonObject toJson() {
      return source.toJson().put("last_import", lastImport == null ? null : lastImport.toJson())
        .put("importing", importing == null ? null : importing.toJson());
    }
  }

  private final Redis client;
  private final RedisAPI redis;

  EpgSources(Redis client) {
    this.client = client;
    this.redis = RedisAPI.api(client);
  }

  Redis client() {
    return client;
  }

  RedisAPI redis() {
    return redis;
  }

  /** False when a source of that name exists (nothing written). */
  Future<Boolean> create(Source s) {
    return CREATE.run(redis, List.of(EpgContract.sourceKey(s.name()), EpgContract.SOURCES),
      List.of(s.toJson().encode(), s.name())).map(r -> r.toInteger() == 1);
  }

  /** Null when there is no such source; else the generations whose keys are now to be deleted. */
  Future<List<Long>> delete(String name) {
    return DELETE.run(redis, List.of(EpgContract.sourceKey(name), EpgContract.SOURCES, EpgContract.importKey(name),
        EpgContract.progressKey(name), EpgContract.lockKey(name), EpgContract.GENERATIONS,
        EpgContract.sourceGenerationsKey(name)), List.of(name))
      .map(r -> {
        if (r == null) {
          return null;
        }
        List<Long> gens = new ArrayList<>();
        r.forEach(g -> gens.add(g.toLong()));
        return gens;
      });
  }

  Future<Source> find(String name) {
    return redis.get(EpgContract.sourceKey(name)).map(r -> r == null ? null : Source.fromJson(json(r)));
  }

  /** Every source name, sorted. */
  Future<List<String>> names() {
    return redis.smembers(EpgContract.SOURCES).map(r -> {
      List<String> names = new ArrayList<>();
      r.forEach(n -> names.add(n.toString()));
      names.sort(null);
      return names;
    });
  }

  Future<ImportStatus> lastImport(String name) {
    return redis.get(EpgContract.importKey(name)).map(r -> r == null ? null : ImportStatus.fromJson(json(r)));
  }

  /** The sources named (in that order) with their imports; a name without a record is left out. */
  Future<List<View>> views(List<String> names) {
    if (names.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    List<Request> batch = new ArrayList<>();
    for (String name : names) {
      batch.add(Request.cmd(Command.MGET).arg(EpgContract.sourceKey(name)).arg(EpgContract.importKey(name))
        .arg(EpgContract.progressKey(name)));
    }
    return client.batch(batch).map(replies -> {
      List<View> out = new ArrayList<>();
      for (Response r : replies) {
        Source s = r.get(0) == null ? null : Source.fromJson(json(r.get(0)));
        if (s != null) {
          out.add(new View(s, r.get(1) == null ? null : ImportStatus.fromJson(json(r.get(1))),
            r.get(2) == null ? null : ImportProgress.fromJson(json(r.get(2)))));
        }
      }
      return out;
    });
  }

  /** Source name → the generation readers use. */
  Future<Map<String, Long>> generations() {
    return redis.hgetall(EpgContract.GENERATIONS).map(r -> {
      Map<String, Long> out = new HashMap<>();
      if (r != null) {
        for (String key : r.getKeys()) {
          try {
            out.put(key, Long.parseLong(r.get(key).toString()));
          } catch (NumberFormatException e) {
            // not ours: ignored
          }
        }
      }
      return out;
    });
  }

  static JsonObject json(Response r) {
    try {
      return new JsonObject(r.toString());
    } catch (RuntimeException e) {
      return null;
    }
  }
}
