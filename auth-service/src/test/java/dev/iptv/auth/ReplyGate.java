package dev.iptv.auth;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP gate between a service and the real Redis that can hold back Redis's reply to one
 * command: {@link #holdReplyTo(String)} names a text of the command (for example
 * {@code "token:ab12..."}); the next GET carrying it is passed on to Redis, and the reply is kept
 * until {@link #release()}, while every other command on every other connection goes through.
 * This makes "a read in flight while something changes" happen for real, and deterministically.
 */
final class ReplyGate {

  private final Vertx vertx;
  private final int redisPort;
  private NetServer server;
  private String marker;
  private Conn holding;
  private final Promise<Void> held = Promise.promise();

  private final class Conn {
    final NetSocket client;
    final List<Buffer> replies = new ArrayList<>();
    boolean hold;

    Conn(NetSocket client) {
      this.client = client;
    }
  }

  ReplyGate(Vertx vertx, int redisPort) {
    this.vertx = vertx;
    this.redisPort = redisPort;
  }

  Future<Integer> start() {
    server = vertx.createNetServer().connectHandler(client -> {
      client.pause();
      Conn conn = new Conn(client);
      vertx.createNetClient().connect(redisPort, "127.0.0.1").onSuccess(redis -> {
        client.handler(data -> {
          synchronized (this) {
            String text = data.toString(StandardCharsets.ISO_8859_1);
            if (marker != null && text.toUpperCase(java.util.Locale.ROOT).contains("\r\nGET\r\n") && text.contains(marker)) {
              marker = null;
              conn.hold = true;
              holding = conn;
            }
          }
          redis.write(data);
        });
        redis.handler(data -> {
          synchronized (this) {
            if (conn.hold) {
              conn.replies.add(data);
              held.tryComplete();
              return;
            }
          }
          client.write(data);
        });
        client.closeHandler(v -> redis.close());
        redis.closeHandler(v -> client.close());
        client.resume();
      }).onFailure(err -> client.close());
    });
    return server.listen(0, "127.0.0.1").map(NetServer::actualPort);
  }

  /** The next GET whose command carries {@code text} has its reply held back. */
  synchronized void holdReplyTo(String text) {
    marker = text;
  }

  /** Completes once Redis has answered the held command (the answer is held here). */
  Future<Void> held() {
    return held.future();
  }

  /** Passes the held reply on, and everything after it. */
  void release() {
    List<Buffer> replies;
    Conn conn;
    synchronized (this) {
      conn = holding;
      if (conn == null) {
        return;
      }
      conn.hold = false;
      replies = new ArrayList<>(conn.replies);
      conn.replies.clear();
    }
    replies.forEach(conn.client::write);
  }

  Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
