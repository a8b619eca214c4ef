package dev.iptv.monitor.dashboard;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * What the dashboard shows live: the recent events (stream started, stopped, failed, restarted,
 * limit hits, Redis restores), a short series of bandwidth and viewers, and the server-sent-event
 * clients they are pushed to ({@code GET /api/events/stream}). A client that cannot keep up misses
 * frames instead of growing a queue. Runs on the dashboard verticle's event loop; the responses
 * belong to their connections' loops, which Vert.x lets another thread write to.
 */
final class EventHub {

  private static final Logger log = LoggerFactory.getLogger(EventHub.class);

  static final int RECENT = 200;
  /** Ten minutes of points at the two-second tick. */
  static final int SERIES = 300;
  static final int MAX_CLIENTS = 64;

  private final Deque<JsonObject> recent = new ArrayDeque<>();
  private final Deque<JsonObject> series = new ArrayDeque<>();
  private final List<HttpServerResponse> clients = new ArrayList<>();
  private final Context context;

  EventHub(Context context) {
    this.context = context;
  }

  void event(JsonObject e) {
    recent.addFirst(e);
    while (recent.size() > RECENT) {
      recent.pollLast();
    }
    broadcast("event", e);
  }

  void point(JsonObject p) {
    series.addLast(p);
    while (series.size() > SERIES) {
      series.pollFirst();
    }
  }

  JsonArray recent() {
    return new JsonArray(new ArrayList<>(recent));
  }

  JsonObject lastPoint() {
    return series.peekLast();
  }

  JsonArray series() {
    return new JsonArray(new ArrayList<>(series));
  }

  int clients() {
    return clients.size();
  }

  /**
   * Opens an event stream on the response and sends it {@code first} as a {@code snapshot} frame;
   * false (nothing written) when {@link #MAX_CLIENTS} are open.
   */
  boolean open(HttpServerResponse resp, JsonObject first) {
    if (clients.size() >= MAX_CLIENTS) {
      return false;
    }
    resp.setChunked(true)
      .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .putHeader("X-Accel-Buffering", "no");
    clients.add(resp);
    // These fire on the connection's event loop, which may not be this hub's.
    resp.closeHandler(v -> context.runOnContext(x -> clients.remove(resp)));
    resp.exceptionHandler(err -> context.runOnContext(x -> clients.remove(resp)));
    send(resp, "snapshot", first);
    return true;
  }

  void broadcast(String type, JsonObject data) {
    if (clients.isEmpty()) {
      return;
    }
    Buffer frame = frame(type, data);
    for (HttpServerResponse r : List.copyOf(clients)) {
      write(r, frame);
    }
  }

  /** A comment line, so proxies and the browser keep an idle stream open. */
  void keepAlive() {
    Buffer ping = Buffer.buffer(": ping\n\n");
    for (HttpServerResponse r : List.copyOf(clients)) {
      write(r, ping);
    }
  }

  void closeAll() {
    for (HttpServerResponse r : List.copyOf(clients)) {
      if (!r.ended() && !r.closed()) {
        r.end();
      }
    }
    clients.clear();
  }

  private void send(HttpServerResponse r, String type, JsonObject data) {
    write(r, frame(type, data));
  }

  private void write(HttpServerResponse r, Buffer frame) {
    if (r.closed() || r.ended()) {
      clients.remove(r);
      return;
    }
    if (r.writeQueueFull()) {
      log.debug("dashboard client slow: frame skipped");
      return;
    }
    r.write(frame);
  }

  static Buffer frame(String type, JsonObject data) {
    // JSON encoding never contains a raw line break, so one data line is enough.
    return Buffer.buffer("event: " + type + "\ndata: " + data.encode() + "\n\n");
  }
}
