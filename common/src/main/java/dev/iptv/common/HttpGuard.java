package dev.iptv.common;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Timeouts and a connection cap for an HTTP server (SPEC section 11), so that no client holds
 * the server's connections: the all-in-one front ({@code IPTV_HTTP_PORT}, every event loop's server
 * sharing one guard) and each service's own server.
 *
 * <ul>
 *   <li>{@code IPTV_HTTP_HEADER_TIMEOUT_S} (10): a new connection must have sent a complete request
 *       head within this, or it is closed; a client that trickles its headers (slowloris) holds a
 *       connection no longer than that.</li>
 *   <li>{@code IPTV_HTTP_IDLE_TIMEOUT_S} (60): a connection silent this long is closed (Vert.x's
 *       idle timeout: nothing read or written), and so is a keep-alive connection whose next
 *       complete request head has not come this long after the previous answer, silent or not.
 *       Players polling every few seconds keep their connection.</li>
 *   <li>{@code IPTV_HTTP_MAX_CONNECTIONS} (10000): open connections at most; a new one past that
 *       is closed at once, and those within keep being served.</li>
 * </ul>
 *
 * <p>Cleartext HTTP/2 upgrades are off on guarded servers: players, panels and nginx speak HTTP/1.1,
 * and one request per connection at a time is what the timeouts reason about.
 */
public final class HttpGuard {

  private static final Logger log = LoggerFactory.getLogger(HttpGuard.class);
  private static final long WARN_EVERY_MS = 10_000;

  private final int idleS;
  private final long headerMs;
  private final int maxConnections;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong lastWarn = new AtomicLong();
  private final Map<HttpConnection, Watch> watches = new ConcurrentHashMap<>();

  private HttpGuard(int idleS, int headerS, int maxConnections) {
    this.idleS = idleS;
    this.headerMs = headerS * 1000L;
    this.maxConnections = maxConnections;
  }

  /** The guard of the settings in {@code config}; an {@link IllegalArgumentException} names a bad one. */
  public static HttpGuard of(JsonObject config) {
    return of(HttpSettings.from(config));
  }

  public static HttpGuard of(HttpSettings http) {
    return new HttpGuard(http.idleTimeoutS(), http.headerTimeoutS(), http.maxConnections());
  }

  /** {@code options} with the idle timeout set and cleartext HTTP/2 off. */
  public HttpServerOptions options(HttpServerOptions options) {
    return options.setIdleTimeout(idleS).setIdleTimeoutUnit(TimeUnit.SECONDS).setHttp2ClearTextEnabled(false);
  }

  /**
   * Follows every request of {@code router} (a first route): a connection with a request in hand
   * is never closed by the request timer. Once per router, before it serves.
   */
  public Router watch(Router router) {
    router.route().order(Integer.MIN_VALUE).handler(this::onRequest);
    return router;
  }

  /** Counts and times the connections of {@code server}; before it listens. */
  public HttpServer install(Vertx vertx, HttpServer server) {
    return server.connectionHandler(conn -> onConnection(vertx, conn));
  }

  /** Connections open now (all servers of this guard). */
  public int open() {
    return open.get();
  }

  /** Connections refused by the cap so far. */
  public long refused() {
    return refused.get();
  }

  private void onConnection(Vertx vertx, HttpConnection conn) {
    int now = open.incrementAndGet();
    conn.closeHandler(v -> {
      open.decrementAndGet();
      Watch w = watches.remove(conn);
      if (w != null) {
        w.closed();
      }
    });
    if (now > maxConnections) {
      refused.incrementAndGet();
      long t = System.currentTimeMillis();
      long last = lastWarn.get();
      if (t - last >= WARN_EVERY_MS && lastWarn.compareAndSet(last, t)) {
        log.warn("{} connections open, the cap ({}): new connections are closed at once ({} so far; {})",
          now - 1, maxConnections, refused.get(), Config.HTTP_MAX_CONNECTIONS);
      }
      conn.close();
      return;
    }
    Watch w = new Watch(vertx, conn);
    watches.put(conn, w);
    w.expectRequestWithin(headerMs);
  }

  private void onRequest(RoutingContext ctx) {
    Watch w = watches.get(ctx.request().connection());
    if (w != null) {
      w.requestStarted();
      ctx.addEndHandler(done -> w.requestEnded(idleS * 1000L));
    }
    ctx.next();
  }

  /**
   * One connection: requests in hand, and the timer that closes it when the next head is late. The
   * deadline moves with every answer but the timer does not: it fires when it was set for, finds the
   * deadline later and sleeps again for the rest. A keep-alive request then costs no timer at all
   * (a timer set and cancelled per request showed in the segment path's profile).
   */
  private static final class Watch {

    private final Vertx vertx;
    private final HttpConnection conn;
    private int inHand;
    /** {@link System#nanoTime()} by which the next complete request head must have come. */
    private long deadline;
    private long timer = -1;
    private long timerAt;
    private boolean closed;

    Watch(Vertx vertx, HttpConnection conn) {
      this.vertx = vertx;
      this.conn = conn;
    }

    synchronized void expectRequestWithin(long ms) {
      if (closed) {
        return;
      }
      deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
      if (timer >= 0 && timerAt - deadline <= 0) {
        return; // the pending timer fires first and looks at the new deadline then
      }
      cancel();
      schedule(ms);
    }

    private void schedule(long ms) {
      long delay = Math.max(1, ms);
      timerAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
      timer = vertx.setTimer(delay, this::fired);
    }

    private void fired(long id) {
      synchronized (this) {
        if (timer != id) {
          return;
        }
        timer = -1;
        if (inHand > 0 || closed) {
          return; // the request's end sets the next deadline
        }
        long left = deadline - System.nanoTime();
        if (left > 0) {
          schedule(TimeUnit.NANOSECONDS.toMillis(left) + 1);
          return;
        }
      }
      log.debug("closing a connection from {}: no complete request in time", conn.remoteAddress());
      conn.close();
    }

    synchronized void requestStarted() {
      inHand++;
    }

    synchronized void requestEnded(long idleMs) {
      inHand = Math.max(0, inHand - 1);
      if (inHand == 0) {
        expectRequestWithin(idleMs);
      }
    }

    synchronized void closed() {
      closed = true;
      cancel();
    }

    private void cancel() {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }
}
