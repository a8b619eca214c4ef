package dev.iptv.client;

import dev.iptv.client.api.ChannelsApi;
import dev.iptv.client.api.UsersApi;
import dev.iptv.client.model.Channel;
import dev.iptv.client.model.ChannelCreate;
import dev.iptv.client.model.ChannelCreateChannelId;
import dev.iptv.client.model.ChannelUpdate;
import dev.iptv.client.model.User;
import dev.iptv.client.model.UserCreate;
import dev.iptv.client.model.UserUpdate;
import dev.iptv.server.Launch;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A panel developer with only the repository: the client in {@code dev.iptv.client} is generated at
 * build time from {@code openapi.yaml} by the OpenAPI Generator (Java, library native), and this test
 * uses it, as the panel would, against the all-in-one suite running in this JVM.
 */
@DisplayName("A client generated from openapi.yaml syncs a user and a channel with the running suite")
class GeneratedClientTest {

  /** Redis database of this module (see TestEnv). */
  private static final int DB = 15;

  private static Launch launch;
  private static ApiClient client;

  @BeforeAll
  static void start() {
    Vertx flushing = Vertx.vertx();
    try {
      TestEnv.flushedRedis(flushing, DB); // this suite's database, emptied before the suite starts on it
    } finally {
      await(flushing.close());
    }
    launch = await(Launch.embedded(TestEnv.allInOne(DB, "client-test", 1)));
    client = new ApiClient();
    client.updateBaseUri("http://127.0.0.1:" + launch.frontPort());
    client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + TestEnv.ADMIN_TOKEN));
  }

  @AfterAll
  static void stop() {
    if (launch != null) {
      await(launch.close());
    }
  }

  @Test
  @DisplayName("a user: created, changed (a new limit, the email cleared with null), read back and listed, refused with 400 naming a bad field, deleted")
  void user() throws Exception {
    UsersApi users = new UsersApi(client);
    String token = TestEnv.hexToken();
    User created = users.createUser(new UserCreate().username("john123").token(token).email("john@example.com")
      .expiresAt("2099-12-07T21:50:51.244826Z").maxConnections(2).isActive(true).password("s3cret"));
    assertEquals("john123", created.getUsername());
    assertEquals(token, created.getToken());
    assertEquals(2, created.getMaxConnections());

    User changed = users.updateUser("john123", new UserUpdate().maxConnections(3).email(null));
    assertEquals(3, changed.getMaxConnections());
    assertNull(changed.getEmail(), "null clears the email; the fields not set are not sent");
    assertEquals(token, changed.getToken());

    User read = users.getUser("john123");
    assertEquals(3, read.getMaxConnections());
    assertTrue(read.getIsActive());
    assertEquals("2099-12-07T21:50:51.244826Z", read.getExpiresAt());
    assertTrue(users.listUsers(null, null).getUsers().stream().anyMatch(u -> "john123".equals(u.getUsername())));

    ApiException bad = assertThrows(ApiException.class, () -> users.updateUser("john123", new UserUpdate().maxConnections(0)));
    assertEquals(400, bad.getCode());
    assertTrue(bad.getResponseBody().contains("max_connections"), bad.getResponseBody());
    ApiException missing = assertThrows(ApiException.class, () -> users.getUser("nobody"));
    assertEquals(404, missing.getCode());

    assertEquals("john123", users.deleteUser("john123").getDeleted());
    assertEquals(404, assertThrows(ApiException.class, () -> users.getUser("john123")).getCode());
  }

  @Test
  @DisplayName("a channel: created with backups and headers, changed (renamed, deactivated, backups removed with null), read back and listed, deleted")
  void channel() throws Exception {
    ChannelsApi channels = new ChannelsApi(client);
    Channel created = channels.createChannel(new ChannelCreate().channelId(new ChannelCreateChannelId("48681"))
      .name("MBC Pro aflam").sourceUrl("http://upstream.example/live/48681.ts").logo("images/no_logo.jpg")
      .category("Favorite").quality("high").order(1L).categoryOrder(1L).isActive(true)
      .backupUrls(List.of("http://backup.example/live/48681.ts")).headers(Map.of("Referer", "http://panel.example/")));
    assertEquals("48681", created.getChannelId());
    assertEquals("high", created.getQuality());
    assertEquals(List.of("http://backup.example/live/48681.ts"), created.getBackupUrls());

    Channel changed = channels.updateChannel("48681", new ChannelUpdate().name("MBC Pro").isActive(false).backupUrls(null));
    assertEquals("MBC Pro", changed.getName());
    assertFalse(changed.getIsActive());
    assertNull(changed.getBackupUrls(), "null removes the backups");
    assertEquals(Map.of("Referer", "http://panel.example/"), changed.getHeaders(), "fields not set are kept");

    Channel read = channels.getChannel("48681");
    assertEquals("MBC Pro", read.getName());
    assertEquals("http://upstream.example/live/48681.ts", read.getSourceUrl());
    assertEquals(1, channels.listChannels(null, null).getCount());

    ApiException bad = assertThrows(ApiException.class, () -> channels.createChannel(new ChannelCreate()
      .channelId(new ChannelCreateChannelId(7L)).name("Seven").sourceUrl("file:///etc/passwd")));
    assertEquals(400, bad.getCode());
    assertTrue(bad.getResponseBody().contains("source_url"), bad.getResponseBody());

    assertEquals("48681", channels.deleteChannel("48681").getDeleted());
    assertEquals(0, channels.listChannels(null, null).getCount());
  }
}
