package dev.iptv.stream.testing;

import dev.iptv.contract.StreamContract;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.iptv.testing.Await.await;

/**
 * The stream events ({@link StreamContract#EVENTS}) a test hears, each with the time it arrived:
 * what the monitor and the webhooks would receive, in order.
 */
public final class HeardEvents implements AutoCloseable {

  /** One event and when it was heard. */
  public record Heard(long atMs, JsonObject event) {

    public String kind() {
      return event.getString("event");
    }

    public String channel() {
      return event.getString("channel_id");
    }
  }

  private final List<Heard> heard = new CopyOnWriteArrayList<>();
  private final MessageConsumer<JsonObject> consumer;

  private HeardEvents(Vertx vertx) {
    consumer = vertx.eventBus().consumer(StreamContract.EVENTS,
      m -> heard.add(new Heard(System.currentTimeMillis(), m.body())));
  }

  /** Listens from now on; returns once the consumer is registered. */
  public static HeardEvents listen(Vertx vertx) {
    HeardEvents events = new HeardEvents(vertx);
    await(events.consumer.completion());
    return events;
  }

  public void clear() {
    heard.clear();
  }

  /** The first event of {@code kind} for channel {@code id} heard after {@code afterMs}, or null. */
  public Heard first(String kind, String id, long afterMs) {
    return heard.stream().filter(h -> kind.equals(h.kind()) && id.equals(h.channel()) && h.atMs() > afterMs)
      .findFirst().orElse(null);
  }

  /** The first event of {@code kind} for channel {@code id}, or null. */
  public Heard first(String kind, String id) {
    return first(kind, id, Long.MIN_VALUE);
  }

  /** The kinds of the events of channel {@code id}, in the order heard. */
  public List<String> kinds(String id) {
    return heard.stream().filter(h -> id.equals(h.channel())).map(Heard::kind).toList();
  }

  @Override
  public void close() {
    consumer.unregister();
  }
}
