package dev.iptv.system;

import dev.iptv.testing.AdminClient;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** A plain HTTP client speaking to the suite the way a panel, an operator or a player does. */
final class Client {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final int port;
  private final String base;
  private final String adminToken;

  Client(int port, String adminToken) {
    this.port = port;
    this.base = "http://127.0.0.1:" + port;
    this.adminToken = adminToken;
  }

  int port() {
    return port;
  }

  /** The same server with another bearer. */
  Client withBearer(String bearer) {
    return new Client(port, bearer);
  }

  HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).GET().build(),
      HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** A player's GET: its own User-Agent. */
  HttpResponse<String> get(String path, String userAgent) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
        .header("User-Agent", userAgent).GET().build(),
      HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  /** A player's GET of bytes (a segment). */
  HttpResponse<byte[]> bytes(String path, String userAgent) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
        .header("User-Agent", userAgent).GET().build(),
      HttpResponse.BodyHandlers.ofByteArray());
  }

  /**
   * The first {@code n} lines of a server-sent event stream (admin bearer), read within the
   * timeout; the stream is closed afterwards.
   */
  List<String> eventLines(String path, int n, Duration timeout) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + adminToken)
      .header("Accept", "text/event-stream").GET().build();
    java.util.concurrent.CompletableFuture<List<String>> lines = HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofLines())
      .thenApply(r -> {
        if (r.statusCode() != 200) {
          r.body().close();
          throw new IllegalStateException(path + ": " + r.statusCode());
        }
        try (java.util.stream.Stream<String> body = r.body()) {
          return body.limit(n).toList();
        }
      });
    try {
      return lines.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } finally {
      lines.cancel(true);
    }
  }

  HttpResponse<String> admin(String method, String path, JsonObject body) {
    return AdminClient.plain(port).withBearer(adminToken).call(method, path, body);
  }

  static JsonObject user(String username, String token, int maxConnections) {
    return new JsonObject().put("username", username).put("token", token)
      .put("email", username + "@example.com").put("expires_at", "2099-12-07T21:50:51.244826Z")
      .put("max_connections", maxConnections).put("is_active", true).put("password", "secret");
  }

  static JsonObject channel(String id, String name, String sourceUrl, int order) {
    return new JsonObject().put("channel_id", id).put("name", name).put("source_url", sourceUrl)
      .put("logo", "images/no_logo.jpg").put("category", "Favorite").put("quality", "medium")
      .put("order", order).put("category_order", 1).put("is_active", true);
  }
}
