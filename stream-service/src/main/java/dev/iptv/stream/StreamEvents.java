package dev.iptv.stream;

import dev.iptv.contract.StreamContract;
import dev.iptv.contract.StreamContract.StreamEvent;
import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import io.vertx.core.Vertx;

/** stream-service's lifecycle events on {@link StreamContract#EVENTS}. */
final class StreamEvents {

  private final Vertx vertx;
  private final StreamSettings s;

  StreamEvents(Vertx vertx, StreamSettings settings) {
    this.vertx = vertx;
    this.s = settings;
  }

  /** started, stopped, failed or restarted, from this node. */
  void publish(Kind kind, String id, String mode, String reason) {
    vertx.eventBus().publish(StreamContract.EVENTS, StreamEvent.of(kind, id, s.node(), mode, reason).toJson());
  }

  /** The HLS folder's disk is full. */
  void diskFull(String id, String reason) {
    vertx.eventBus().publish(StreamContract.EVENTS, StreamEvent.diskFull(id, s.node(), s.hlsDir().toString(), reason)
      .toJson());
  }
}
