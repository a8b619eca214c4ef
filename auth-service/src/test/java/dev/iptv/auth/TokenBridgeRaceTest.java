package dev.iptv.auth;

import dev.iptv.common.Config;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.contract.AuthContract.TokenCheck.Status;
import dev.iptv.contract.MirrorContract;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.util.List;

import static dev.iptv.auth.AuthFixture.user;
import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.TestEnv.hexToken;
import static org.junit.jupiter.api.Assertions.assertEquals;

@ExtendWith(VertxExtension.class)
@DisplayName("A token check whose Redis read is in flight while the user is deleted")
class TokenBridgeRaceTest {

  @Test
  @DisplayName("the read's answer, coming back after the deletion, does not put the token back into the bridge")
  void readInFlightDuringDelete(Vertx vertx) throws Exception {
    ReplyGate gate = new ReplyGate(vertx, URI.create(TestEnv.REDIS_BASE).getPort());
    int gatePort = await(gate.start());
    JsonObject config = TestEnv.config(AuthFixture.DB, TestEnv.freePort())
      .put(Config.key(Config.REDIS_URL), "redis://127.0.0.1:" + gatePort + "/" + AuthFixture.DB);
    AuthFixture fx = new AuthFixture(vertx, config);
    try {
      String token = hexToken();
      assertEquals(201, fx.admin(HttpMethod.POST, "/api/users", user("racer", token)).statusCode());
      fx.set(MirrorContract.SENTINEL, "1");
      // The mirror is on, as auth-service's probe sees it. Time is the subject: the probe reads the
      // sentinel every PROBE_MS and shows what it saw nowhere outside the service.
      Thread.sleep(MirrorContract.PROBE_MS + 500);
      assertEquals(Status.VALID, fx.validate(token).status());

      // A check reads token:{token}; Redis answers (valid), but the answer is held on the way back.
      gate.holdReplyTo(AuthContract.tokenKey(token));
      Future<Message<JsonObject>> inFlight = vertx.eventBus().request(AuthContract.VALIDATE,
        new JsonObject().put("token", token), new DeliveryOptions().setSendTimeout(20_000));
      await(gate.held());

      // Meanwhile the panel deletes the user (through the same service, on other connections).
      assertEquals(200, fx.admin(HttpMethod.DELETE, "/api/users/racer", null).statusCode());
      // The change event was published on the service's loop before the delete's answer: a check
      // the service answers now (a junk token, no Redis read) runs there after the event's handler.
      assertEquals(Status.UNKNOWN, fx.validate("after-the-change-event").status());
      gate.release();
      assertEquals(Status.VALID, TokenCheck.fromJson(await(inFlight).body()).status(),
        "the check itself answers what Redis said when it was asked");

      // Redis then loses its data (the sentinel with it): the deleted token must not be answered from memory.
      await(fx.redis.flushdb(List.of()));
      assertEquals(Status.UNKNOWN, fx.validate(token).status(), "deleted: never bridged again");
    } finally {
      gate.release();
      await(gate.close());
    }
  }
}
