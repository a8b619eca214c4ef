package dev.iptv.monitor;

import dev.iptv.common.Http;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The monitor's one router served as the all-in-one front serves it: mounted on a front router,
 * by several HTTP server instances on the same port, so its handlers run on event loops other than
 * its verticles' own. Every route answers from every loop, and the dashboard's stream opens.
 */
@ExtendWith(VertxExtension.class)
class FrontLoopsTest {

  static final int LOOPS = 4;
  static final int CLIENTS = 12;

  /** One server of the front: the shared router on the shared port. */
  /** One front instance, as the all-in-one server has: its own router on its own event loop. */
  static final class Front extends VerticleBase {
    private final ServiceVerticle service;
    private final int port;

    Front(ServiceVerticle service, int port) {
      this.service = service;
      this.port = port;
    }

    @Override
    public Future<?> start() {
      Router router = Router.router(vertx);
      router.route("/*").subRouter(service.mountable(vertx));
      Http.installErrorHandler(router);
      return vertx.createHttpServer().requestHandler(router).listen(port, "127.0.0.1");
    }
  }

  private static Future<Buffer> get(HttpClient client, int port, String path) {
    return client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI(path)
        .putHeader("Authorization", "Bearer " + TestEnv.ADMIN_TOKEN))
      .compose(req -> req.send())
      .compose(resp -> resp.body().map(body -> {
        if (resp.statusCode() != 200) {
          throw new AssertionError(path + ": " + resp.statusCode() + " " + body);
        }
        return body;
      }));
  }

  /** Opens the dashboard's event stream and answers its first frame. */
  private static Future<String> firstFrame(HttpClient client, int port) {
    Promise<String> first = Promise.promise();
    client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
        .setURI("/api/events/stream").putHeader("Authorization", "Bearer " + TestEnv.ADMIN_TOKEN))
      .compose(req -> req.send())
      .onSuccess(resp -> {
        StringBuilder text = new StringBuilder();
        resp.handler(chunk -> {
          text.append(chunk.toString());
          int end = text.indexOf("\n\n");
          if (end > 0) {
            first.tryComplete(text.substring(0, end));
            resp.request().connection().close();
          }
        });
      })
      .onFailure(first::tryFail);
    return first.future();
  }

  @Test
  @DisplayName("health, stats, metrics and the dashboard's stream answer from every event loop of a shared front")
  void everyLoop(Vertx vertx) {
    MonitorVerticle monitor = new MonitorVerticle();
    await(vertx.deployVerticle(monitor, new DeploymentOptions().setConfig(Support.config(0))));
    int port = TestEnv.freePort();
    await(vertx.deployVerticle(() -> new Front(monitor, port), new DeploymentOptions().setInstances(LOOPS)));

    List<Future<?>> answers = new ArrayList<>();
    List<HttpClient> clients = new ArrayList<>();
    for (int i = 0; i < CLIENTS; i++) {
      HttpClient client = vertx.createHttpClient();
      clients.add(client);
      answers.add(get(client, port, "/api/health").map(b -> {
        JsonObject checks = b.toJsonObject().getJsonObject("checks");
        assertTrue(checks.getJsonObject("segment_log").getBoolean("ok"), checks.encode());
        return b;
      }));
      answers.add(get(client, port, "/api/stats").map(b -> b.toJsonObject().getJsonArray("nodes")));
      answers.add(get(client, port, "/metrics").map(b -> {
        assertTrue(b.toString().contains("iptv_streams_running"), "the suite's gauges in the scrape");
        return b;
      }));
      answers.add(firstFrame(vertx.createHttpClient(), port).map(frame -> {
        assertTrue(frame.startsWith("event: snapshot\ndata: {"), frame);
        assertEquals(Support.NODE, new JsonObject(frame.substring(frame.indexOf('{'))).getString("node"));
        return frame;
      }));
    }
    await(Future.all(answers));
    clients.forEach(HttpClient::close);
  }
}
