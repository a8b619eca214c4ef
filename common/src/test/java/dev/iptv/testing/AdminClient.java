package dev.iptv.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The panel speaking to a service's admin API: the bearer ({@link TestEnv#ADMIN_TOKEN} unless told
 * otherwise, none with {@code withBearer(null)}), a JSON body in ({@link JsonObject},
 * {@link JsonArray}, or a text sent as it is, for malformed bodies; none for null), and the
 * answer's status, headers and body out.
 *
 * <p>Two ways to send the same request: over Vert.x's web client ({@link #send}, {@link #request}:
 * the answer as Vert.x gives it, for tests that run services on a Vert.x), or over the JDK's client
 * ({@link #call}: for tests without a Vert.x, such as the system tests speaking to other JVMs).
 */
public final class AdminClient {

  /** How long one call may take. */
  public static final Duration TIMEOUT = Duration.ofSeconds(60);

  private static final HttpClient JDK = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final WebClient web;
  private final String host;
  private final int port;
  private final String bearer;

  private AdminClient(WebClient web, String host, int port, String bearer) {
    this.web = web;
    this.host = host;
    this.port = port;
    this.bearer = bearer;
  }

  /** The admin API on 127.0.0.1:{@code port}, over a web client of its own on {@code vertx}. */
  public static AdminClient of(Vertx vertx, int port) {
    return new AdminClient(WebClient.create(vertx), "127.0.0.1", port, TestEnv.ADMIN_TOKEN);
  }

  /** The admin API on 127.0.0.1:{@code port}, over {@code web}. */
  public static AdminClient over(WebClient web, int port) {
    return new AdminClient(web, "127.0.0.1", port, TestEnv.ADMIN_TOKEN);
  }

  /** The admin API on 127.0.0.1:{@code port}, over the JDK's client only ({@link #call}). */
  public static AdminClient plain(int port) {
    return new AdminClient(null, "127.0.0.1", port, TestEnv.ADMIN_TOKEN);
  }

  /** The same API with another bearer; null sends none. */
  public AdminClient withBearer(String bearer) {
    return new AdminClient(web, host, port, bearer);
  }

  public int port() {
    return port;
  }

  // --- over Vert.x ---------------------------------------------------------------------------------

  /** The call, answered asynchronously (for calls made at once). */
  public Future<HttpResponse<Buffer>> request(HttpMethod method, String path, Object body) {
    if (web == null) {
      throw new IllegalStateException("a plain AdminClient has no Vert.x web client: use call()");
    }
    HttpRequest<Buffer> req = web.request(method, port, host, path);
    if (bearer != null) {
      req.bearerTokenAuthentication(bearer);
    }
    String json = encode(body);
    if (json == null) {
      return req.send();
    }
    return req.putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(json));
  }

  /** The call's answer. */
  public HttpResponse<Buffer> send(HttpMethod method, String path, Object body) {
    return Await.await(method + " " + path, request(method, path, body), TIMEOUT);
  }

  public HttpResponse<Buffer> get(String path) {
    return send(HttpMethod.GET, path, null);
  }

  // --- over the JDK's client -----------------------------------------------------------------------

  /** The call's answer over the JDK's HTTP client; a call that gets no answer fails naming it. */
  public java.net.http.HttpResponse<String> call(String method, String path, Object body) {
    java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
      .timeout(TIMEOUT);
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    String json = encode(body);
    if (json == null) {
      b.method(method, java.net.http.HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json")
        .method(method, java.net.http.HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8));
    }
    try {
      return JDK.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " on port " + port + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(method + " " + path + ": interrupted", e);
    }
  }

  /** The body as sent: JSON encoded, a text as it is (malformed on purpose), null for none. */
  static String encode(Object body) {
    if (body == null) {
      return null;
    }
    if (body instanceof JsonObject o) {
      return o.encode();
    }
    if (body instanceof JsonArray a) {
      return a.encode();
    }
    return body.toString();
  }
}
