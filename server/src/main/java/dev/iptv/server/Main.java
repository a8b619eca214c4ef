package dev.iptv.server;

import dev.iptv.auth.AuthVerticle;
import dev.iptv.common.Config;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.mirror.MirrorVerticle;
import dev.iptv.monitor.MonitorVerticle;
import dev.iptv.playlist.PlaylistVerticle;
import dev.iptv.stream.StreamVerticle;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The one entry point of the jar.
 *
 * <pre>
 *   java -jar iptv.jar run                 the five services in one JVM on IPTV_HTTP_PORT (embedded)
 *   java -jar iptv.jar service NAME[,NAME]  the named services, clustered over Hazelcast, each on its own port
 *   java -jar iptv.jar nginx-config RUN_DIR [foreground]   the nginx front's configuration, on stdout
 *   java -jar iptv.jar settings [--cluster RUN_DIR] [IPTV_NAME ...]   the settings, resolved (see SettingsCommand)
 * </pre>
 */
public final class Main {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  /**
   * The services by the names operators use; {@code cluster}: the cluster the JVM joined, or null
   * (the monitor's health shows its members).
   */
  public static Supplier<ServiceVerticle> service(String name, ClusterManager cluster) {
    return switch (name.toLowerCase(Locale.ROOT).replace("-service", "")) {
      case "auth" -> AuthVerticle::new;
      case "playlist" -> PlaylistVerticle::new;
      case "stream" -> StreamVerticle::new;
      case "monitor" -> () -> new MonitorVerticle(cluster);
      case "mirror" -> MirrorVerticle::new;
      default -> throw new IllegalArgumentException("unknown service '" + name
        + "': expected auth, playlist, stream, monitor or mirror");
    };
  }

  public static void main(String[] args) {
    String mode = args.length == 0 ? "run" : args[0];
    JsonObject config;
    try {
      if (mode.equals("settings")) {
        // java -jar iptv.jar settings [--cluster RUN_DIR] [IPTV_NAME ...]: for bin/iptv, on stdout.
        System.out.print(SettingsCommand.render(Arrays.asList(args).subList(1, args.length), System.getenv()));
        System.out.flush();
        System.exit(0);
        return;
      }
      config = Config.load();
      Config.check(config);
      if (mode.equals("nginx-config")) {
        // java -jar iptv.jar nginx-config RUN_DIR [foreground]: the front's nginx.conf on stdout.
        if (args.length < 2) {
          throw new IllegalArgumentException("usage: nginx-config RUN_DIR [foreground]");
        }
        boolean foreground = args.length > 2 && args[2].equals("foreground");
        System.out.print(NginxConfig.render(config, java.nio.file.Path.of(args[1]), !foreground));
        System.out.flush();
        System.exit(0);
        return;
      }
      Launch.checkAdminToken(config);
    } catch (IllegalStateException | IllegalArgumentException e) {
      System.err.println("iptv: " + e.getMessage());
      System.exit(2);
      return;
    }
    Launch launch;
    try {
      launch = switch (mode) {
        case "run" -> Launch.embedded(config).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        case "service" -> {
          if (args.length < 2) {
            throw new IllegalArgumentException("usage: service auth|playlist|stream|monitor|mirror[,...]");
          }
          List<String> names = Arrays.asList(args[1].split(","));
          yield Launch.clustered(config, names).toCompletionStage().toCompletableFuture().get(180, TimeUnit.SECONDS);
        }
        default -> throw new IllegalArgumentException("unknown mode '" + mode
          + "': expected run, service, nginx-config or settings");
      };
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      log.error("start failed: {}", cause.getMessage(), cause);
      System.err.println("iptv: start failed: " + cause.getMessage());
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("stopping");
      try {
        launch.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("stop did not finish cleanly: {}", e.toString());
      }
    }, "iptv-shutdown"));
  }
}
