package dev.iptv.server;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.json.schema.OutputUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * openapi.yaml against the running suite (the all-in-one server, in this JVM): its paths and methods
 * are exactly the routes of the services' real routers, and real answers match the schemas it
 * documents for their status.
 */
@DisplayName("openapi.yaml describes the running suite: every route and no other, and the answers it documents")
class OpenApiDocumentTest {

  /** Redis database of this test and the generated client's ({@code api-client-test}: 15). */
  private static final int DB = 14;

  private static Launch launch;
  private static AdminClient admin;
  private static final ApiDocument DOC = ApiDocument.get();

  @BeforeAll
  static void start() {
    Vertx flushing = Vertx.vertx();
    try {
      TestEnv.flushedRedis(flushing, DB); // this suite's database, emptied before the suite starts on it
    } finally {
      await(flushing.close());
    }
    launch = await(Launch.embedded(TestEnv.allInOne(DB, "openapi-test", 1)));
    admin = AdminClient.of(launch.vertx(), launch.frontPort());
  }

  @AfterAll
  static void stop() {
    if (launch != null) {
      await(launch.close());
    }
  }

  /** "GET /api/users/{username}" for every method of every route the services declare. */
  static Set<String> routerOperations(List<ServiceVerticle> services, Vertx vertx) {
    Set<String> out = new TreeSet<>();
    for (ServiceVerticle service : services) {
      Router router = service.mountable(vertx);
      for (Route route : router.getRoutes()) {
        String path = route.isRegexPath() ? route.getName() : route.getPath();
        if (route.methods() == null || route.methods().isEmpty()) {
          if (path != null && route.isExactPath() && !route.isRegexPath()) {
            out.add("ANY " + path + " (" + service.name() + ": a route for every method)");
          }
          continue; // a filter: the bearer of a prefix, the restore guard, failure handlers
        }
        if (path == null) {
          path = "regex " + route + " (" + service.name() + ": name it with its openapi.yaml path, Route#setName)";
        }
        String template = path.replaceAll(":([A-Za-z_][A-Za-z0-9_]*)", "{$1}");
        for (HttpMethod m : route.methods()) {
          out.add(m.name().toUpperCase(Locale.ROOT) + " " + template);
        }
      }
    }
    return out;
  }

  @Test
  @DisplayName("the document's operations are exactly the routes of the services' routers")
  void noDrift() {
    Set<String> routes = routerOperations(launch.services(), launch.vertx());
    Set<String> documented = new TreeSet<>(DOC.operationKeys());
    Set<String> missing = new TreeSet<>(routes);
    missing.removeAll(documented);
    Set<String> extra = new TreeSet<>(documented);
    extra.removeAll(routes);
    if (!missing.isEmpty() || !extra.isEmpty()) {
      fail("openapi.yaml and the routers differ.\n  routes the document does not describe (add them to openapi.yaml):\n    "
        + String.join("\n    ", missing) + "\n  operations of the document no router serves (remove them, or add the route):\n    "
        + String.join("\n    ", extra));
    }
    assertTrue(routes.size() > 60, "the suite's routes were found: " + routes.size());
  }

  @Test
  @DisplayName("real answers of users, channels, streams, servers, providers, profiles, EPG, webhooks, health and stats match their documented schemas")
  void answersMatchTheirSchemas() {
    List<String> problems = new ArrayList<>();
    String token = TestEnv.hexToken();
    JsonObject user = new JsonObject().put("username", "schema.user").put("token", token)
      .put("expires_at", "2099-01-01T00:00:00Z").put("email", "u@example.com").put("max_connections", 2).put("password", "pw");
    JsonObject channel = new JsonObject().put("channel_id", "48681").put("name", "MBC").put("source_url", "http://up.example/1.ts")
      .put("backup_urls", List.of("http://b.example/1.ts")).put("headers", new JsonObject().put("Referer", "http://x/"));
    check(problems, HttpMethod.POST, "/api/users", "/api/users", user, 201);
    check(problems, HttpMethod.POST, "/api/users", "/api/users", user, 409);
    check(problems, HttpMethod.POST, "/api/users", "/api/users", new JsonObject().put("username", "x"), 400);
    check(problems, HttpMethod.GET, "/api/users", "/api/users", null, 200);
    check(problems, HttpMethod.GET, "/api/users?limit=ten", "/api/users", null, 400);
    check(problems, HttpMethod.GET, "/api/users/schema.user", "/api/users/{username}", null, 200);
    check(problems, HttpMethod.GET, "/api/users/nobody", "/api/users/{username}", null, 404);
    check(problems, HttpMethod.PUT, "/api/users/schema.user", "/api/users/{username}", new JsonObject().put("email", null), 200);
    check(problems, HttpMethod.POST, "/api/channels", "/api/channels", channel, 201);
    check(problems, HttpMethod.GET, "/api/channels", "/api/channels", null, 200);
    check(problems, HttpMethod.GET, "/api/channels/48681", "/api/channels/{id}", null, 200);
    check(problems, HttpMethod.PUT, "/api/channels/48681", "/api/channels/{id}", new JsonObject().put("order", 3), 200);
    check(problems, HttpMethod.GET, "/api/channels/x1", "/api/channels/{id}", null, 400);
    check(problems, HttpMethod.POST, "/api/stream/stop", "/api/stream/stop", new JsonObject().put("channel_id", "48681"), 404);
    check(problems, HttpMethod.GET, "/api/streams/active", "/api/streams/active", null, 200);
    check(problems, HttpMethod.GET, "/api/servers", "/api/servers", null, 200);
    check(problems, HttpMethod.POST, "/api/providers", "/api/providers",
      new JsonObject().put("name", "XCodes").put("hosts", List.of("xcodes.example")).put("max_streams", 5), 201);
    check(problems, HttpMethod.GET, "/api/providers", "/api/providers", null, 200);
    check(problems, HttpMethod.GET, "/api/providers/XCodes", "/api/providers/{name}", null, 200);
    check(problems, HttpMethod.PUT, "/api/providers/XCodes", "/api/providers/{name}",
      new JsonObject().put("hosts", List.of("XCodes.example", "b.example")).put("max_streams", 0), 200);
    check(problems, HttpMethod.POST, "/api/providers", "/api/providers",
      new JsonObject().put("name", "bad").put("hosts", List.of("http://x;y")).put("max_streams", 1), 400);
    check(problems, HttpMethod.GET, "/api/providers/a;b", "/api/providers/{name}", null, 400);
    check(problems, HttpMethod.DELETE, "/api/providers/XCodes", "/api/providers/{name}", null, 200);
    check(problems, HttpMethod.POST, "/api/transcode-profiles", "/api/transcode-profiles", new JsonObject().put("name", "hd")
      .put("video_codec", "libx264").put("audio_codec", "aac").put("video_bitrate", "2500k").put("resolution", "1280x720"), 201);
    check(problems, HttpMethod.GET, "/api/transcode-profiles/hd", "/api/transcode-profiles/{name}", null, 200);
    check(problems, HttpMethod.GET, "/api/transcode-profiles", "/api/transcode-profiles", null, 200);
    check(problems, HttpMethod.PUT, "/api/transcode-profiles/hd", "/api/transcode-profiles/{name}", new JsonObject()
      .put("video_codec", "copy").put("audio_codec", "aac").put("audio_bitrate", 128)
      .put("extra_params", new JsonObject().put("audio_channels", 2)), 200);
    check(problems, HttpMethod.POST, "/api/transcode-profiles", "/api/transcode-profiles",
      new JsonObject().put("name", "evil").put("preset", "fast -y"), 400);
    check(problems, HttpMethod.DELETE, "/api/transcode-profiles/hd", "/api/transcode-profiles/{name}", null, 200);
    check(problems, HttpMethod.POST, "/api/stream/start", "/api/stream/start", new JsonObject().put("channel_id", "../1"), 400);
    check(problems, HttpMethod.POST, "/api/servers", "/api/servers", new JsonObject().put("name", "edge").put("colour", "red"), 400);
    check(problems, HttpMethod.PUT, "/api/servers/nowhere", "/api/servers/{name}", new JsonObject().put("enabled", false), 404);
    check(problems, HttpMethod.GET, "/api/streams/x1/log", "/api/streams/{id}/log", null, 400);
    check(problems, HttpMethod.POST, "/api/epg/sources", "/api/epg/sources",
      new JsonObject().put("name", "guide").put("url", "http://127.0.0.1:9/guide.xml").put("refresh_hours", 12), 201);
    check(problems, HttpMethod.GET, "/api/epg/sources/guide", "/api/epg/sources/{name}", null, 200);
    check(problems, HttpMethod.POST, "/api/epg/sources/guide/refresh", "/api/epg/sources/{name}/refresh", null, 202);
    check(problems, HttpMethod.POST, "/api/epg/sources", "/api/epg/sources", new JsonObject().put("name", "g2").put("url", "ftp://x/"), 400);
    check(problems, HttpMethod.DELETE, "/api/epg/sources/guide", "/api/epg/sources/{name}", null, 200);
    check(problems, HttpMethod.POST, "/api/stream/switch", "/api/stream/switch", new JsonObject().put("channel_id", "48681"), 404);
    check(problems, HttpMethod.GET, "/api/streams/48681/log", "/api/streams/{id}/log", null, 404);
    check(problems, HttpMethod.GET, "/api/servers/nowhere", "/api/servers/{name}", null, 404);
    check(problems, HttpMethod.GET, "/api/epg/sources/none", "/api/epg/sources/{name}", null, 404);
    check(problems, HttpMethod.GET, "/metrics", "/metrics", null, 200);
    check(problems, HttpMethod.GET, "/get_playlist.php?token=" + token, "/get_playlist.php", null, 200);
    check(problems, HttpMethod.GET, "/playlist/" + TestEnv.hexToken() + ".m3u8", "/playlist/{token}.m3u8", null, 403);
    check(problems, HttpMethod.GET, "/player_api.php?username=schema.user&password=wrong", "/player_api.php", null, 200);
    check(problems, HttpMethod.GET, "/get.php?username=schema.user&password=pw", "/get.php", null, 200);
    check(problems, HttpMethod.GET, "/live/schema.user/pw/999.m3u8", "/live/{username}/{password}/{stream}", null, 404);
    check(problems, HttpMethod.GET, "/api/epg/sources", "/api/epg/sources", null, 200);
    check(problems, HttpMethod.POST, "/api/webhooks", "/api/webhooks", new JsonObject().put("name", "hook")
      .put("url", "http://127.0.0.1:9/hook").put("events", List.of("*")).put("secret", "0123456789abcdef"), 201);
    check(problems, HttpMethod.GET, "/api/webhooks", "/api/webhooks", null, 200);
    check(problems, HttpMethod.GET, "/api/webhooks/hook", "/api/webhooks/{name}", null, 200);
    check(problems, HttpMethod.POST, "/api/webhooks", "/api/webhooks", new JsonObject().put("name", "bad")
      .put("url", "http://127.0.0.1:9/hook").put("events", List.of("nope")).put("secret", "0123456789abcdef"), 400);
    check(problems, HttpMethod.GET, "/api/webhooks/hook/deliveries", "/api/webhooks/{name}/deliveries", null, 200);
    check(problems, HttpMethod.PUT, "/api/webhooks/hook", "/api/webhooks/{name}", new JsonObject().put("enabled", false), 200);
    check(problems, HttpMethod.DELETE, "/api/webhooks/hook", "/api/webhooks/{name}", null, 200);
    check(problems, HttpMethod.GET, "/api/stats", "/api/stats", null, 200);
    check(problems, HttpMethod.GET, "/api/health", "/api/health", null, -1);
    check(problems, HttpMethod.GET, "/api/history/streams", "/api/history/streams", null, -1);
    check(problems, HttpMethod.GET, "/api/history/events?limit=0&colour=red", "/api/history/events", null, -1);
    check(problems, HttpMethod.DELETE, "/api/channels/48681", "/api/channels/{id}", null, 200);
    check(problems, HttpMethod.DELETE, "/api/users/schema.user", "/api/users/{username}", null, 200);
    HttpResponse<Buffer> noBearer = await(admin.withBearer(null).request(HttpMethod.GET, "/api/users", null));
    validate(problems, "GET /api/users without bearer", "/api/users", "get", noBearer);
    HttpResponse<Buffer> yaml = admin.withBearer(null).get("/api/openapi.yaml");
    assertEquals(200, yaml.statusCode());
    assertEquals(DOC.yaml(), yaml.body(), "the document served is the repository's openapi.yaml");
    HttpResponse<Buffer> page = admin.withBearer(null).get("/api/docs");
    assertEquals(200, page.statusCode());
    assertTrue(page.bodyAsString().contains("createUser") && !page.bodyAsString().contains("<script"),
      "a self-contained reference page naming the operations");
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  /** One call; its status must be {@code expected} (-1: any documented one) and its body must match. */
  private void check(List<String> problems, HttpMethod method, String path, String template, Object body, int expected) {
    HttpResponse<Buffer> r = admin.send(method, path, body);
    String what = method + " " + path;
    if (expected > 0 && r.statusCode() != expected) {
      problems.add(what + ": expected " + expected + ", got " + r.statusCode() + " " + r.bodyAsString());
      return;
    }
    validate(problems, what, template, method.name().toLowerCase(Locale.ROOT), r);
  }

  private void validate(List<String> problems, String what, String template, String method, HttpResponse<Buffer> r) {
    JsonObject op = DOC.resolved().getJsonObject("paths").getJsonObject(template).getJsonObject(method);
    JsonObject response = op.getJsonObject("responses").getJsonObject(String.valueOf(r.statusCode()));
    if (response == null) {
      problems.add(what + ": status " + r.statusCode() + " is not documented (" + r.bodyAsString() + ")");
      return;
    }
    JsonObject content = response.getJsonObject("content", new JsonObject());
    String type = r.getHeader("Content-Type");
    String media = type == null ? null : type.split(";")[0].trim();
    if (content.isEmpty() || r.body() == null) {
      return; // documented without a body (a redirect, a HEAD)
    }
    if (media == null || !content.containsKey(media)) {
      problems.add(what + ": answered " + type + ", documented " + content.fieldNames());
      return;
    }
    JsonObject json = content.getJsonObject("application/json");
    if (json == null) {
      return;
    }
    OutputUnit result = DOC.validator(json.getJsonObject("schema")).validate(Json.decodeValue(r.body()));
    if (!Boolean.TRUE.equals(result.getValid())) {
      problems.add(what + " " + r.statusCode() + " does not match its schema: " + result.toJson().encode() + "\n  body: "
        + r.bodyAsString());
    }
  }
}
