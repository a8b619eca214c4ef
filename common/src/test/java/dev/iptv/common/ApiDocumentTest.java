package dev.iptv.common;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelSchema;
import dev.iptv.contract.ProviderContract;
import dev.iptv.contract.ServerContract;
import dev.iptv.contract.UserSchema;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.openapi.contract.OpenAPIVersion;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("openapi.yaml: a valid OpenAPI 3.1 document whose schemas refuse bad input in words that name the field")
class ApiDocumentTest {

  private final ApiDocument doc = ApiDocument.get();

  private JsonObject schema(String name) {
    return doc.resolved().getJsonObject("components").getJsonObject("schemas").getJsonObject(name);
  }

  private String error(String schemaName, JsonObject body) {
    JsonObject schema = schema(schemaName);
    OutputUnit result = doc.validator(schema).validate(body);
    return Boolean.TRUE.equals(result.getValid()) ? null : ApiDocument.bodyError(schema, result);
  }

  @Test
  @DisplayName("the document passes the OpenAPI 3.1 schema (checked by vertx-openapi)")
  void validOpenApi() {
    Vertx vertx = Vertx.vertx();
    try {
      JsonObject raw = ApiDocument.parse(doc.yaml());
      OpenAPIVersion version = OpenAPIVersion.fromContract(raw);
      assertEquals(OpenAPIVersion.V3_1, version);
      SchemaRepository repo = await(version.getRepository(vertx, "app://"));
      OutputUnit result = await(version.validateContract(vertx, repo, raw));
      assertTrue(Boolean.TRUE.equals(result.getValid()), "valid OpenAPI 3.1: " + result.toJson().encodePrettily());
    } finally {
      await(vertx.close());
    }
  }

  @Test
  @DisplayName("the limits the code keeps (UserSchema, ChannelSchema, the id formats) are the document's")
  void limitsAgree() {
    JsonObject user = schema("UserCreate").getJsonObject("properties");
    assertEquals(UserSchema.MAX_EMAIL, user.getJsonObject("email").getInteger("maxLength"));
    assertEquals(UserSchema.MAX_PASSWORD, user.getJsonObject("password").getInteger("maxLength"));
    assertEquals(UserSchema.MAX_CONNECTIONS_LIMIT, user.getJsonObject("max_connections").getInteger("maximum"));
    assertEquals("^" + AuthContract.USERNAME.pattern() + "$", user.getJsonObject("username").getString("pattern"));
    assertEquals("^" + AuthContract.TOKEN.pattern() + "$", user.getJsonObject("token").getString("pattern"));
    JsonObject channel = schema("ChannelCreate").getJsonObject("properties");
    assertEquals(ChannelSchema.MAX_NAME, channel.getJsonObject("name").getInteger("maxLength"));
    assertEquals(ChannelSchema.MAX_URL, channel.getJsonObject("source_url").getInteger("maxLength"));
    assertEquals(ChannelSchema.MAX_TEXT, channel.getJsonObject("logo").getInteger("maxLength"));
    assertEquals(ChannelSchema.MAX_BACKUPS, channel.getJsonObject("backup_urls").getInteger("maxItems"));
    assertEquals(ChannelSchema.MAX_HEADERS, channel.getJsonObject("headers").getInteger("maxProperties"));
    assertEquals(ChannelSchema.MAX_USER_AGENT, channel.getJsonObject("user_agent").getInteger("maxLength"));
    assertEquals(ChannelSchema.MAX_EPG_ID, channel.getJsonObject("epg_channel_id").getInteger("maxLength"));
    assertEquals(ChannelSchema.MAX_AUTO_RESTART_HOURS, channel.getJsonObject("auto_restart_hours").getInteger("maximum"));
    assertEquals("^" + ChannelSchema.HEADER_NAME.pattern() + "$",
      channel.getJsonObject("headers").getJsonObject("propertyNames").getString("pattern"));
    assertEquals("^" + ServerContract.NAME.pattern() + "$", channel.getJsonObject("server").getString("pattern"));
    assertEquals("^" + ProviderContract.NAME.pattern() + "$", channel.getJsonObject("provider").getString("pattern"));
  }

  @Test
  @DisplayName("a user body: good ones pass, each bad field is named with the document's rule")
  void users() {
    String token = "ab".repeat(32);
    JsonObject ok = new JsonObject().put("username", "john123").put("token", token).put("expires_at", "2099-01-01T00:00:00Z");
    assertEquals(null, error("UserCreate", ok));
    assertEquals(null, error("UserCreate", ok.copy().put("email", null).put("max_connections", 3).put("extra", 1)));
    assertEquals(null, error("UserCreate", ok.copy().put("expires_at", "2030-01-02T03:04:05.5-05:30")));
    assertEquals("token is required", error("UserCreate", new JsonObject().put("username", "a").put("expires_at", "2099-01-01")));
    assertEquals("max_connections must be an integer from 1 to 1000000", error("UserCreate", ok.copy().put("max_connections", 0)));
    assertEquals("max_connections must be an integer from 1 to 1000000", error("UserCreate", ok.copy().put("max_connections", "2")));
    assertEquals("max_connections must be an integer from 1 to 1000000", error("UserCreate", ok.copy().put("max_connections", 1.5)));
    assertTrue(error("UserCreate", ok.copy().put("username", "john 123")).startsWith("username must be"));
    assertTrue(error("UserCreate", ok.copy().put("expires_at", "tomorrow")).startsWith("expires_at must be"));
    assertTrue(error("UserCreate", ok.copy().put("is_active", "true")).startsWith("is_active must be"));
    assertEquals(null, error("UserUpdate", new JsonObject().put("username", null).put("is_active", false)));
  }

  @Test
  @DisplayName("a channel body: ids as digits or whole numbers, source URLs, headers, backups named by index")
  void channels() {
    JsonObject ok = new JsonObject().put("channel_id", "48681").put("name", "MBC").put("source_url", "http://up.example/1.ts");
    assertEquals(null, error("ChannelCreate", ok));
    assertEquals(null, error("ChannelCreate", ok.copy().put("channel_id", 48681).put("quality", " HIGH ")
      .put("headers", new JsonObject().put("Referer", "http://x/")).put("backup_urls", new JsonArray().add("srt://h:9000"))));
    assertTrue(error("ChannelCreate", ok.copy().put("channel_id", -5)).startsWith("channel_id must be digits"));
    assertTrue(error("ChannelCreate", ok.copy().put("channel_id", "12a")).startsWith("channel_id must be digits"));
    assertTrue(error("ChannelCreate", ok.copy().put("name", "  ")).startsWith("name must be"));
    for (String url : new String[] {"file:///etc/passwd", "concat:http://a/1.ts|http://b/2.ts", "-i http://a/1.ts",
      "http://host/a b.ts", "http://host/a.ts\r\nX: 1", "http:/a.ts", "http://h/" + "a".repeat(2048)}) {
      assertTrue(error("ChannelCreate", ok.copy().put("source_url", url)).startsWith("source_url must be"), url);
    }
    assertTrue(error("ChannelCreate", ok.copy().put("backup_urls", new JsonArray().add("http://b/1.ts").add("file:///x")))
      .startsWith("backup_urls[1] must be"));
    assertTrue(error("ChannelCreate", ok.copy().put("headers", new JsonObject().put("Bad Name", "x"))).startsWith("headers must be"));
    assertTrue(error("ChannelCreate", ok.copy().put("headers", new JsonObject().put("Referer", "a\r\nb"))).startsWith("headers must be"));
    assertTrue(error("ChannelCreate", ok.copy().put("user_agent", "VLC\nX")).startsWith("user_agent must be"));
    assertTrue(error("ChannelCreate", ok.copy().put("auto_restart_hours", 0)).startsWith("auto_restart_hours must be"));
    assertTrue(error("ChannelCreate", ok.copy().put("transcode_profile", "x;y")).startsWith("transcode_profile must be"));
    assertEquals(null, error("ChannelUpdate", new JsonObject().put("backup_urls", null).put("server", "node-2")));
  }

  @Test
  @DisplayName("servers, providers, profiles, webhooks, EPG sources and stream calls: each bad field named with the document's rule")
  void otherBodies() {
    JsonObject server = new JsonObject().put("name", "edge1").put("public_url", "http://edge1.example:8080")
      .put("ssh_host", "10.0.0.5").put("ssh_user", "iptv").put("ssh_password", "secret");
    assertEquals(null, error("ServerInput", server));
    assertTrue(error("ServerInput", server.copy().put("colour", "red")).startsWith("colour"));
    assertTrue(error("ServerInput", server.copy().put("ssh_port", "22")).startsWith("ssh_port must be"));
    assertTrue(error("ServerInput", server.copy().put("hls_dir", "/tmp/x;rm -rf /")).startsWith("hls_dir must be"));
    assertTrue(error("ServerInput", server.copy().put("hls_dir", "/var/../etc")).startsWith("hls_dir must be"));
    assertTrue(error("ServerInput", server.copy().put("nginx_site", "/etc/nginx/x.txt")).startsWith("nginx_site must be"));
    assertTrue(error("ServerInput", server.copy().put("public_url", "http://u:p@h/")).startsWith("public_url must be"));
    assertEquals("ssh_user is required", error("ServerInput", new JsonObject().put("name", "a").put("public_url", "http://h")
      .put("ssh_host", "h")));
    assertEquals(null, error("ServerUpdate", new JsonObject().put("enabled", false).put("nginx_conf", null)));

    JsonObject provider = new JsonObject().put("name", "acme").put("hosts", new JsonArray().add("Up.Example")).put("max_streams", 0);
    assertEquals(null, error("ProviderInput", provider));
    assertTrue(error("ProviderInput", provider.copy().put("hosts", new JsonArray().add("a.b").add("http://x;y")))
      .startsWith("hosts[1] must be a host name"));
    assertTrue(error("ProviderUpdate", provider.copy().put("max_streams", 100_001)).startsWith("max_streams must be"));

    JsonObject profile = new JsonObject().put("name", "tiny").put("video_bitrate", "5M").put("resolution", "320x180")
      .put("extra_params", new JsonObject().put("crf", "23").put("tune", "zerolatency").put("deinterlace", true));
    assertEquals(null, error("TranscodeProfileInput", profile));
    assertTrue(error("TranscodeProfileInput", profile.copy().put("name", "High")).startsWith("name must be"));
    assertTrue(error("TranscodeProfileInput", profile.copy().put("preset", "fast\n-y")).startsWith("preset must be"));
    assertTrue(error("TranscodeProfileInput", profile.copy().put("extra_params", new JsonObject().put("-i", "/etc/passwd")))
      .startsWith("extra_params must be"));
    assertTrue(error("TranscodeProfileInput", profile.copy().put("extra_params", new JsonObject().put("crf", "52")))
      .startsWith("extra_params must be"));

    JsonObject hook = new JsonObject().put("name", "ops").put("url", "https://hooks.example/x?t=1")
      .put("events", new JsonArray().add("started")).put("secret", "s".repeat(16));
    assertEquals(null, error("WebhookInput", hook));
    assertTrue(error("WebhookInput", hook.copy().put("url", "http://user:pw@hooks.example/")).contains("user info"));
    assertTrue(error("WebhookUpdate", new JsonObject().put("colour", "red")).startsWith("colour"));

    assertEquals(null, error("EpgSourceInput", new JsonObject().put("name", "g").put("url", "https://guides.example/e.xml.gz")));
    assertTrue(error("EpgSourceInput", new JsonObject().put("name", "g").put("url", "http:///nohost")).startsWith("url is required"));
    assertEquals(null, error("ChannelRef", new JsonObject().put("channel_id", " 42 ")));
    assertTrue(error("ChannelRef", new JsonObject().put("channel_id", "../1")).startsWith("channel_id is required"));
  }
}
