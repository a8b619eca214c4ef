package dev.iptv.stream;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A stream-service in a JVM of its own, for tests that kill it with -9:
 * {@code StreamNodeMain CONFIG.json}; prints {@code READY} once it serves.
 */
public final class StreamNodeMain {

  private StreamNodeMain() {
  }

  public static void main(String[] args) throws Exception {
    JsonObject config = new JsonObject(Files.readString(Path.of(args[0])));
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(new StreamVerticle(), new DeploymentOptions().setConfig(config))
      .toCompletionStage().toCompletableFuture().get();
    System.out.println("READY");
    System.out.flush();
    Thread.currentThread().join();
  }
}
