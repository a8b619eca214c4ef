package dev.iptv.server;

import dev.iptv.common.Config;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A test JVM joined to the cluster exactly as {@code java -jar iptv.jar service ...} joins it
 * ({@link Launch#join}, settings from the environment), driven over stdin/stdout by
 * {@code ClusterSecurityTest}. Protocol lines start with {@code PEER } (logs share stdout).
 * It answers requests on {@code test.echo.{IPTV_NODE_NAME}}; commands: {@code SEND address},
 * {@code MEMBERS}.
 */
public final class ClusterPeer {

  private ClusterPeer() {
  }

  public static void main(String[] args) throws Exception {
    JsonObject config = Config.load();
    String name = Config.string(config, Config.NODE_NAME);
    Launch.Joined joined = Launch.join(config).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    Vertx vertx = joined.vertx();
    vertx.eventBus().<String>consumer("test.echo." + name, m -> m.reply("pong from " + name + " to " + m.body()))
      .completion().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    var node = joined.manager().getNodeInfo();
    int hazelcastPort = joined.manager().getHazelcastInstance().getCluster().getLocalMember().getAddress().getPort();
    say("READY " + node.host() + " " + node.port() + " " + hazelcastPort);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.startsWith("SEND ")) {
        try {
          Object body = vertx.eventBus().request(line.substring(5).trim(), name, new DeliveryOptions().setSendTimeout(2000))
            .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
          say("REPLY " + body);
        } catch (Exception e) {
          Throwable cause = e.getCause() != null ? e.getCause() : e;
          say("FAIL " + cause.getClass().getSimpleName() + ": " + String.valueOf(cause.getMessage()).replace('\n', ' '));
        }
      } else if (line.equals("MEMBERS")) {
        say("MEMBERS " + joined.manager().getNodes().size());
      }
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    System.exit(0);
  }

  private static synchronized void say(String line) {
    System.out.println("PEER " + line);
    System.out.flush();
  }
}
