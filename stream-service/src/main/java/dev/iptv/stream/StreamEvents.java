package dev.iptv.stream;

import dev.iptv.contract.StreamContract;
import dev.iptv.contract.StreamContract.StreamEvent;
import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * stream-service's lifecycle events on {@link StreamContract#EVENTS}: published for what this
 * instance runs, and heard from the whole cluster, so that a viewer waiting here for a channel
 * another instance starts ({@link RemoteJoin}) learns of its start at once.
 */
final class StreamEvents {

  private final Vertx vertx;
  private final StreamSettings s;
  private final Map<String, Set<Consumer<Kind>>> listeners = new ConcurrentHashMap<>();
  private MessageConsumer<JsonObject> consumer;

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

  /** Starts hearing the cluster's events; listeners run on the calling context. */
  Future<Void> listen() {
    consumer = vertx.eventBus().consumer(StreamContract.EVENTS, this::heard);
    return consumer.completion();
  }

  /** Stops hearing them. */
  Future<Void> close() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  /** {@code action} is told the kind of every event about channel {@code id}, from any instance, until cancelled. */
  Subscription onChannel(String id, Consumer<Kind> action) {
    listeners.compute(id, (k, set) -> {
      Set<Consumer<Kind>> to = set != null ? set : ConcurrentHashMap.<Consumer<Kind>>newKeySet();
      to.add(action);
      return to;
    });
    return () -> listeners.computeIfPresent(id, (k, set) -> set.remove(action) && set.isEmpty() ? null : set);
  }

  private void heard(Message<JsonObject> msg) {
    if (listeners.isEmpty() || msg.body() == null) {
      return;
    }
    StreamEvent event;
    try {
      event = StreamEvent.fromJson(msg.body());
    } catch (RuntimeException e) {
      // Not one of ours to act on.
      return;
    }
    Set<Consumer<Kind>> set = listeners.get(event.channelId());
    if (set != null) {
      set.forEach(l -> l.accept(event.kind()));
    }
  }
}
