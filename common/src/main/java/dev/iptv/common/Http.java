package dev.iptv.common;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Small HTTP helpers every service uses: JSON answers, the admin bearer, body parsing, errors. */
public final class Http {

  private static final Logger log = LoggerFactory.getLogger(Http.class);

  /** Bodies over 1 MiB are refused with 413 (openapi.yaml: {@code PayloadTooLarge}). */
  public static final long MAX_BODY_BYTES = 1024 * 1024;

  public static final String JSON = "application/json; charset=utf-8";

  private Http() {
  }

  public static void sendJson(RoutingContext ctx, int status, Object body) {
    String text = body instanceof JsonObject o ? o.encode() : io.vertx.core.json.Json.encode(body);
    ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON).end(text);
  }

  public static void sendError(RoutingContext ctx, int status, String message) {
    HttpServerResponse resp = ctx.response();
    if (resp.ended() || resp.closed()) {
      return;
    }
    if (resp.headWritten()) {
      resp.reset();
      return;
    }
    resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, JSON)
      .end(new JsonObject().put("error", message).encode());
  }

  /** A plain-text answer for players (SPEC section 2: {@code 403 ERROR: Invalid token}). */
  public static void sendText(RoutingContext ctx, int status, String text) {
    ctx.response().setStatusCode(status)
      .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8").end(text);
  }

  /** Body handler for the JSON API: 1 MiB, no uploads to disk. */
  public static BodyHandler bodyHandler() {
    return BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
  }

  /**
   * The request body as a JSON object, or a 400 naming what is wrong. Never null.
   */
  public static JsonObject jsonBody(RoutingContext ctx) {
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw ApiException.badRequest("request body is empty: a JSON object is required");
    }
    Object parsed;
    try {
      parsed = io.vertx.core.json.Json.decodeValue(body);
    } catch (DecodeException e) {
      throw ApiException.badRequest("malformed JSON: " + firstLine(e.getMessage()));
    }
    if (!(parsed instanceof JsonObject o)) {
      throw ApiException.badRequest("the body must be a JSON object");
    }
    return o;
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "unreadable";
    }
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }

  /** The User-Agent, at most 512 characters, "" when absent. */
  public static String userAgent(HttpServerRequest req) {
    String ua = req.getHeader(HttpHeaders.USER_AGENT);
    return ua == null ? "" : ua.length() > 512 ? ua.substring(0, 512) : ua;
  }

  /**
   * Admin bearer check, constant time (both sides hashed first, so even the length does not
   * leak). Missing or wrong: 401 JSON. It is a {@link SecurityPolicyHandler}, so Vert.x Web lets it
   * come before a route's {@link BodyHandler}: put it first, and a client without the bearer is
   * answered before its body is read, and never makes the server hold one.
   */
  public static Handler<RoutingContext> adminAuth(String adminToken) {
    return new AdminBearer(sha256(adminToken));
  }

  private static final class AdminBearer implements SecurityPolicyHandler {

    private final byte[] expected;

    AdminBearer(byte[] expected) {
      this.expected = expected;
    }

    @Override
    public void handle(RoutingContext ctx) {
      String header = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
      if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        sendError(ctx, 401, "missing bearer token: send 'Authorization: Bearer <admin token>'");
        return;
      }
      byte[] given = sha256(header.substring(7).trim());
      if (!MessageDigest.isEqual(expected, given)) {
        sendError(ctx, 401, "invalid bearer token");
        return;
      }
      ctx.next();
    }
  }

  public static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * One error mapping for a router: {@link ApiException} keeps its status, framework failures
   * (413 from the body handler, 405, 404 of the router) keep theirs, anything else is a logged 500.
   */
  public static void installErrorHandler(Router router) {
    installFailureHandler(router);
    router.errorHandler(404, ctx -> sendError(ctx, 404, "no such resource: " + ctx.request().path()));
    router.errorHandler(405, ctx -> sendError(ctx, 405, "method not allowed on " + ctx.request().path()));
  }

  /**
   * Only the failure mapping, for a router mounted as a sub-router: it must not answer 404 for
   * paths it does not know, so that the next mounted router gets them.
   */
  public static void installFailureHandler(Router router) {
    router.route().failureHandler(Http::handleFailure);
  }

  public static void handleFailure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (failure instanceof ApiException api) {
      sendError(ctx, api.status(), api.getMessage());
      return;
    }
    int status = ctx.statusCode();
    if (failure == null && status > 0) {
      sendError(ctx, status, switch (status) {
        case 400 -> "bad request";
        case 401 -> "unauthorized";
        case 403 -> "forbidden";
        case 404 -> "not found";
        case 405 -> "method not allowed";
        case 413 -> "request body too large: the limit is " + MAX_BODY_BYTES + " bytes";
        default -> "request failed";
      });
      return;
    }
    if (status == 413) {
      sendError(ctx, 413, "request body too large: the limit is " + MAX_BODY_BYTES + " bytes");
      return;
    }
    log.error("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
    sendError(ctx, 500, "internal error");
  }

  /** Masks a secret for logs: the first 6 characters and the length. */
  public static String mask(String secret) {
    if (secret == null) {
      return "null";
    }
    return (secret.length() <= 6 ? "" : secret.substring(0, 6)) + "…(" + secret.length() + ")";
  }
}
