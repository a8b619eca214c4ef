package dev.iptv.stream;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ApiException;
import dev.iptv.common.Http;
import dev.iptv.common.Redact;
import dev.iptv.contract.ChannelSchema;
import dev.iptv.stream.limits.LimitsStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Response;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/streams/{id}/sources} (admin bearer): the channel's sources in the order a start or
 * a failover tries them ({@code source_priorities}), each with its role, priority, whether the
 * channel plays from it now and its last check ({@link SourceChecks}: when, ok, codecs found or the
 * error, the node that checked), and the slate while it shows. Read from Redis: any instance answers.
 * Sources appear as scheme, host, port and the path's last element (no credentials).
 */
final class SourcesView {

  private final StreamStore store;
  private final ApiDocument document;

  SourcesView(StreamStore store, ApiDocument document) {
    this.store = store;
    this.document = document;
  }

  void sources(RoutingContext ctx) {
    String id = document.pathParam(ctx, "streamSources", "id");
    store.sourcesOf(id).onSuccess(rs -> {
      if (rs.get(0) == null) {
        ctx.fail(ApiException.notFound("channel " + id + " does not exist"));
        return;
      }
      Http.sendJson(ctx, 200, view(id, new JsonObject(rs.get(0).toString()), rs.get(1), rs.get(2), rs.get(3)));
    }).onFailure(ctx::fail);
  }

  private static JsonObject view(String id, JsonObject channel, Response checks, Response slate, Response playing) {
    Map<String, JsonObject> byField = LimitsStore.parse(checks, text -> {
      try {
        return new JsonObject(text);
      } catch (RuntimeException e) {
        return null;
      }
    });
    List<String> given = new ArrayList<>();
    given.add(channel.getValue(ChannelSchema.SOURCE_URL) instanceof String s ? s.trim() : null);
    if (channel.getValue(ChannelSchema.BACKUP_URLS) instanceof JsonArray backups) {
      backups.forEach(b -> given.add(b instanceof String s ? s.trim() : null));
    }
    JsonArray priorities = channel.getValue(ChannelSchema.SOURCE_PRIORITIES) instanceof JsonArray a ? a : new JsonArray();
    String now = playing == null ? null : playing.toString();
    JsonArray out = new JsonArray();
    List<String> order = ChannelSpec.fromJson(id, channel).sources();
    for (String src : order) {
      int index = given.indexOf(src);
      JsonObject check = byField.get(ProbePolicy.field(src));
      if (check != null) {
        check.remove("source");
      }
      out.add(new JsonObject().put("source", Redact.url(src)).put("role", index == 0 ? "primary" : "backup")
        .put("index", index).put("priority", ChannelSchema.storedPriority(index < priorities.size()
          ? priorities.getValue(index) : null, index))
        .put("playing", src.equals(now)).put("last_check", check));
    }
    return new JsonObject().put("channel_id", id).put("playing", now == null ? null : Redact.url(now))
      .put("slate", slate == null ? null : new JsonObject(slate.toString())).put("sources", out);
  }
}
