package dev.iptv.common;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * A page of a list ({@code GET /api/users}, {@code GET /api/channels}): {@code ?limit=&offset=} as
 * openapi.yaml's {@code Limit} and {@code Offset} parameters declare them (limit 0-10000, default 1000;
 * offset 0 or more, default 0), checked by {@link ApiDocument#query}: anything else (negative, not a
 * whole number, over the maximum, given twice) is a 400 naming the parameter.
 */
public record Page(long offset, int limit) {

  /** The page the request asks for, or an {@link ApiException} 400. */
  public static Page of(ApiDocument document, RoutingContext ctx, String operationId) {
    JsonObject q = document.query(ctx, operationId);
    return new Page(q.getLong("offset"), q.getInteger("limit"));
  }
}
