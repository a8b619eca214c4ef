package dev.iptv.playlist.epg;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static dev.iptv.testing.Await.await;

/**
 * A real HTTP server on loopback serving guides the way providers do: fixed bodies (any status,
 * optionally trickled out in pieces), guides generated while they are sent (with backpressure:
 * nothing is held), redirects. Counts the requests per path.
 */
final class GuideServer implements AutoCloseable {

  /** Pieces of a body made while it is sent; null at the end. */
  interface Pieces {
    byte[] next();
  }

  private record Fixed(int status, byte[] body, int piece, long everyMs) {
  }

  private final Vertx vertx;
  private final HttpServer server;
  private final Map<String, Fixed> fixed = new ConcurrentHashMap<>();
  private final Map<String, Supplier<Pieces>> generated = new ConcurrentHashMap<>();
  private final Map<String, String> redirects = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> aborted = new ConcurrentHashMap<>();

  GuideServer(Vertx vertx) {
    this.vertx = vertx;
    this.server = await(vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1"));
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  GuideServer serve(String path, byte[] body) {
    return serve(path, 200, body);
  }

  GuideServer serve(String path, int status, byte[] body) {
    fixed.put(path, new Fixed(status, body, 0, 0));
    return this;
  }

  /** Sends {@code body} {@code piece} bytes every {@code everyMs} ms. */
  GuideServer trickle(String path, byte[] body, int piece, long everyMs) {
    fixed.put(path, new Fixed(200, body, piece, everyMs));
    return this;
  }

  GuideServer generate(String path, Supplier<Pieces> pieces) {
    generated.put(path, pieces);
    return this;
  }

  GuideServer redirect(String path, String location) {
    redirects.put(path, location);
    return this;
  }

  int hits(String path) {
    AtomicInteger n = hits.get(path);
    return n == null ? 0 : n.get();
  }

  /** Trickled bodies whose client went away before the end. */
  int aborted(String path) {
    AtomicInteger n = aborted.get(path);
    return n == null ? 0 : n.get();
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
    HttpServerResponse resp = req.response();
    String location = redirects.get(path);
    if (location != null) {
      resp.setStatusCode(302).putHeader("Location", location).end();
      return;
    }
    Fixed f = fixed.get(path);
    if (f != null) {
      resp.setStatusCode(f.status()).putHeader("Content-Type", "application/octet-stream");
      if (f.piece() <= 0) {
        resp.end(Buffer.buffer(f.body()));
      } else {
        resp.setChunked(true);
        trickle(path, resp, f, 0);
      }
      return;
    }
    Supplier<Pieces> gen = generated.get(path);
    if (gen != null) {
      resp.setChunked(true).putHeader("Content-Type", "application/octet-stream");
      pump(resp, gen.get());
      return;
    }
    resp.setStatusCode(404).end("not found");
  }

  private void trickle(String path, HttpServerResponse resp, Fixed f, int from) {
    if (resp.closed()) {
      aborted.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      return;
    }
    int to = Math.min(f.body().length, from + f.piece());
    resp.write(Buffer.buffer(f.body()).slice(from, to));
    if (to >= f.body().length) {
      resp.end();
    } else {
      vertx.setTimer(f.everyMs(), t -> trickle(path, resp, f, to));
    }
  }

  private void pump(HttpServerResponse resp, Pieces pieces) {
    while (!resp.writeQueueFull()) {
      if (resp.closed()) {
        return;
      }
      byte[] b = pieces.next();
      if (b == null) {
        resp.end();
        return;
      }
      resp.write(Buffer.buffer(b));
    }
    resp.drainHandler(v -> pump(resp, pieces));
  }

  @Override
  public void close() {
    await(server.close());
  }
}
