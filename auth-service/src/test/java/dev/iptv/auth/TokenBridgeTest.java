package dev.iptv.auth;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.TokenCheck.Status;
import dev.iptv.contract.MirrorContract;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static dev.iptv.auth.AuthFixture.user;
import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.TestEnv.hexToken;
import static org.junit.jupiter.api.Assertions.assertEquals;

@ExtendWith(VertxExtension.class)
@DisplayName("Token checks while Redis has lost its data and is not yet restored")
class TokenBridgeTest {

  private AuthFixture fx;

  @BeforeEach
  void deploy(Vertx vertx) {
    fx = new AuthFixture(vertx);
  }

  /**
   * The sentinel set, and seen by auth-service's probe. Time is the subject: the probe reads the
   * sentinel every PROBE_MS and shows what it saw nowhere outside the service.
   */
  private void mirrorOn() throws InterruptedException {
    fx.set(MirrorContract.SENTINEL, "1");
    Thread.sleep(MirrorContract.PROBE_MS + 500);
  }

  @Test
  @DisplayName("with the mirror on, a token checked before a FLUSHALL stays valid until the restore; a deleted one does not")
  void bridged() throws Exception {
    String kept = hexToken();
    String deleted = hexToken();
    fx.admin(HttpMethod.POST, "/api/users", user("kept", kept));
    fx.admin(HttpMethod.POST, "/api/users", user("gone", deleted));
    mirrorOn();
    assertEquals(Status.VALID, fx.validate(kept).status());
    assertEquals(Status.VALID, fx.validate(deleted).status());
    assertEquals(200, fx.admin(HttpMethod.DELETE, "/api/users/gone", null).statusCode());

    await(fx.redis.flushdb(List.of()));   // the sentinel goes with everything else
    assertEquals(Status.VALID, fx.validate(kept).status());
    assertEquals("kept", fx.validate(kept).username());
    assertEquals(Status.UNKNOWN, fx.validate(deleted).status(), "deleted through the API: forgotten");
    assertEquals(Status.UNKNOWN, fx.validate(hexToken()).status(), "never seen: unknown");
  }

  @Test
  @DisplayName("a token changed through the API in the last minutes is not answered from memory, even after a fresh valid check")
  void changedRecently() throws Exception {
    String token = hexToken();
    fx.admin(HttpMethod.POST, "/api/users", user("changed", token));
    mirrorOn();
    assertEquals(Status.VALID, fx.validate(token).status());
    HttpResponse<Buffer> put = fx.admin(HttpMethod.PUT, "/api/users/changed", new JsonObject().put("max_connections", 3));
    assertEquals(200, put.statusCode());
    assertEquals(3, fx.validate(token).maxConnections(), "checked again after the change");

    await(fx.redis.flushdb(List.of()));
    assertEquals(Status.UNKNOWN, fx.validate(token).status(), "changed in the last minutes: not bridged");
  }

  @Test
  @DisplayName("with the sentinel there, a token missing from Redis is unknown (deleted with redis-cli)")
  void sentinelThere() throws Exception {
    String token = hexToken();
    fx.admin(HttpMethod.POST, "/api/users", user("cli", token));
    mirrorOn();
    assertEquals(Status.VALID, fx.validate(token).status());
    await(fx.redis.del(List.of(AuthContract.tokenKey(token))));
    assertEquals(Status.UNKNOWN, fx.validate(token).status());
  }

  @Test
  @DisplayName("without a mirror (no sentinel ever seen) nothing is bridged")
  void noMirror() {
    String token = hexToken();
    fx.admin(HttpMethod.POST, "/api/users", user("plain", token));
    assertEquals(Status.VALID, fx.validate(token).status());
    await(fx.redis.flushdb(List.of()));
    assertEquals(Status.UNKNOWN, fx.validate(token).status());
  }
}
