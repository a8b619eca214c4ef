package dev.iptv.playlist;

import dev.iptv.common.LuaScript;
import dev.iptv.contract.ChannelContract;
import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Stable numeric ids for category names, the Xtream API's {@code category_id} (SPEC section 10):
 * kept in {@code categories:ids} (name → id) and given from {@code categories:seq}, so a category
 * keeps its id across rebuilds, restarts and nodes, and a renamed category is a new one. Known names
 * cost one {@code HGETALL}; new ones are given ids in one atomic script.
 */
final class CategoryIds {

  private static final LuaScript ASSIGN = LuaScript.resource(CategoryIds.class, "lua/category_ids.lua");

  private final RedisAPI api;

  CategoryIds(RedisAPI api) {
    this.api = api;
  }

  /** The id of every name in {@code names}. */
  Future<Map<String, Long>> of(Collection<String> names) {
    return api.hgetall(ChannelContract.CATEGORY_IDS).compose(all -> {
      Map<String, Long> ids = new HashMap<>();
      if (all != null) {
        for (String k : all.getKeys()) {
          Long id = parse(all.get(k));
          if (id != null) {
            ids.put(k, id);
          }
        }
      }
      java.util.LinkedHashSet<String> wanted = new java.util.LinkedHashSet<>();
      for (String n : names) {
        if (!ids.containsKey(n)) {
          wanted.add(n);
        }
      }
      List<String> missing = new ArrayList<>(wanted);
      if (missing.isEmpty()) {
        return Future.succeededFuture(ids);
      }
      return ASSIGN.run(api, List.of(ChannelContract.CATEGORY_IDS, ChannelContract.CATEGORY_SEQ), missing).map(r -> {
        for (int i = 0; i < missing.size(); i++) {
          Long id = parse(r.get(i));
          if (id != null) {
            ids.put(missing.get(i), id);
          }
        }
        return ids;
      });
    });
  }

  private static Long parse(Response r) {
    try {
      return r == null ? null : Long.parseLong(r.toString());
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
