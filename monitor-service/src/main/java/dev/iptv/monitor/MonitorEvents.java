package dev.iptv.monitor;

import dev.iptv.common.Epoch;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.LimitHit;
import dev.iptv.contract.BadMessage;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.MirrorContract.RedisRestored;
import dev.iptv.contract.StreamContract;
import dev.iptv.contract.StreamContract.StreamEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The events the monitor hears: stream events ({@link StreamContract#EVENTS}), limit hits
 * ({@link AuthContract#LIMIT_EVENTS}) and restores of Redis ({@link MirrorContract#EVENTS}), each
 * read by its contract record. Every verticle that needs them registers its own consumers (the
 * meters, the dashboard, the history), so each hears every published event on its own event loop.
 */
public final class MonitorEvents {

  private static final Logger log = LoggerFactory.getLogger(MonitorEvents.class);

  /**
   * One event: its record ({@link StreamEvent}, {@link LimitHit} or {@link RedisRestored}) and its
   * JSON as it came, with a {@code ts} (epoch seconds) added when it had none.
   */
  public record Heard(Record event, JsonObject json) {
  }

  private MonitorEvents() {
  }

  /** Registers {@code handler} for the three addresses on the calling verticle's context. */
  public static Future<Void> listen(Vertx vertx, Consumer<Heard> handler) {
    return Future.join(List.of(
      consumer(vertx, StreamContract.EVENTS, StreamEvent::fromJson, handler),
      consumer(vertx, AuthContract.LIMIT_EVENTS, LimitHit::fromJson, handler),
      consumer(vertx, MirrorContract.EVENTS, RedisRestored::fromJson, handler))).mapEmpty();
  }

  private static Future<Void> consumer(Vertx vertx, String address, Function<JsonObject, Record> read,
                                       Consumer<Heard> handler) {
    return vertx.eventBus().<JsonObject>consumer(address, m -> {
      Heard heard = read(m, read);
      if (heard != null) {
        handler.accept(heard);
      }
    }).completion();
  }

  /** The event, or null (logged at debug) when {@code read} finds a bad field. */
  static Heard read(Message<JsonObject> m, Function<JsonObject, Record> read) {
    JsonObject body = m.body();
    Record event;
    try {
      event = read.apply(body == null ? new JsonObject() : body);
    } catch (BadMessage err) {
      log.debug("ignored an event on {}: {}", m.address(), err.getMessage());
      return null;
    }
    JsonObject e = body.copy();
    if (!(e.getValue("ts") instanceof Number)) {
      e.put("ts", Epoch.now());
    }
    return new Heard(event, e);
  }
}
