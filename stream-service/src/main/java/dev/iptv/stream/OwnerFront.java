package dev.iptv.stream;

import dev.iptv.contract.StreamContract.StreamStatus;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;

/**
 * The front of the stream node that runs a channel, when it is not this one (SPEC section 9): a
 * player asking us for a channel another node runs (its own HLS folder, its own nginx) is sent there
 * with {@code 302} to the same path and query (token kept), and fetches every segment from it with
 * the proof it checks with the same secret. Null where the channel is served here: it runs on this
 * node, or its node has no report or the same public URL as ours (one machine, one folder).
 */
final class OwnerFront {

  private final Placement placement;
  private final String localNode;
  private final String publicUrl;

  OwnerFront(Placement placement, String localNode, String publicUrl) {
    this.placement = placement;
    this.localNode = localNode;
    this.publicUrl = trim(publicUrl);
  }

  /** The public URL (no trailing slash) players of {@code info}'s channel go to, or null: serve it here. */
  Future<String> of(StreamStatus info) {
    if (info == null || info.node() == null || info.node().equals(localNode)) {
      return Future.succeededFuture(null);
    }
    return placement.node(info.node()).map(node -> {
      String url = node == null ? null : trim(node.publicUrl());
      return url == null || url.isEmpty() || url.equals(publicUrl) ? null : url;
    });
  }

  /** A player's {@code 302}: never cached, readable cross-origin. */
  static void redirect(RoutingContext ctx, String location) {
    ctx.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, location)
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store").putHeader("Access-Control-Allow-Origin", "*").end();
  }

  private static String trim(String url) {
    if (url == null) {
      return null;
    }
    String u = url.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    return u;
  }
}
