package dev.iptv.stream;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.RedisSupport;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.BadMessage;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ChannelContract.ChannelChanged;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.ServerContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.common.Config;
import dev.iptv.stream.limits.LimitsApi;
import dev.iptv.stream.limits.LimitsStore;
import dev.iptv.stream.servers.Servers;
import dev.iptv.stream.servers.ServersApi;
import io.vertx.core.Future;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * stream-service: on-demand FFmpeg behind the player-facing {@code /live/} URLs (SPEC sections 2,
 * 4, 5, 8). The verticle only wires: settings, Redis, the channel lifecycles ({@link StreamManager}),
 * the player routes ({@link PlayerRoutes}), the admin API ({@link StreamAdminApi}) and the
 * event-bus consumers.
 */
public class StreamVerticle extends ServiceVerticle {

  private static final Logger log = LoggerFactory.getLogger(StreamVerticle.class);

  private Redis redis;
  private StreamManager manager;
  private PlayerRoutes player;
  private ChannelGate gate;
  private StreamAdminApi admin;
  private Servers servers;
  private ServerPlaylists serverPlaylists;
  private ServersApi serversApi;
  private LimitsApi limitsApi;
  private ApiDocument document;
  private NodeReport report;
  private MirrorContract.Probe sentinel;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();

  @Override
  public String name() {
    return "stream-service";
  }

  @Override
  protected Future<?> setUp() {
    StreamSettings settings;
    try {
      settings = StreamSettings.from(config());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    redis = RedisSupport.client(vertx, settings.redisUrl());
    StreamStore store = new StreamStore(redis);
    byte[] raw = new byte[4];
    new SecureRandom().nextBytes(raw);
    String instance = settings.node() + "/" + HexFormat.of().formatHex(raw);
    sentinel = new MirrorContract.Probe(RedisAPI.api(redis)).start(vertx);
    HlsFolder hls = new HlsFolder(vertx, settings);
    LimitsStore limits = new LimitsStore(RedisAPI.api(redis));
    String publicUrl = Config.effective(config(), Config.PUBLIC_URL);
    try {
      servers = new Servers(vertx, new dev.iptv.stream.servers.ServerStore(RedisAPI.api(redis)), instance,
        settings.segmentSecret(), 1000L * positive(Config.SSH_TIMEOUT_S), 1000L * positive(Config.SSH_HEALTH_S),
        settings.stopGraceMs());
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    serverPlaylists = new ServerPlaylists(vertx, servers, settings.node());
    Placement placement = new Placement(RedisAPI.api(redis), settings.node(), servers);
    manager = new StreamManager(vertx, context, settings, store, hls, sentinel, instance, limits, placement, servers,
      serverPlaylists);
    report = new NodeReport(vertx, redis, settings, instance, publicUrl, manager::running, Path.of("/proc"));
    gate = new ChannelGate(store, sentinel);
    player = new PlayerRoutes(vertx, settings, store, manager, hls, gate, this::clientIp,
      new OwnerFront(placement, settings.node(), publicUrl), serverPlaylists);
    admin = new StreamAdminApi(vertx, settings, store, manager);
    serversApi = new ServersApi(servers, settings.adminToken());
    limitsApi = new LimitsApi(limits, settings.adminToken());
    log.info("stream-service {} writes HLS to {} (idle {} s, start timeout {} s, segments {} s)", instance,
      settings.hlsDir(), settings.idleTimeoutMs() / 1000, settings.startTimeoutMs() / 1000, settings.hlsTimeS());

    player.start();
    consumers.add(vertx.eventBus().<JsonObject>consumer(ChannelContract.CHANNELS_CHANGED, this::onChannelChanged));
    consumers.add(vertx.eventBus().<JsonObject>consumer(StreamContract.START, admin::onStartRequest));
    consumers.add(vertx.eventBus().<JsonObject>consumer(StreamContract.STOP, admin::onStopRequest));
    consumers.add(vertx.eventBus().<JsonObject>consumer(StreamContract.stopAddress(instance), admin::onStopRequest));
    consumers.add(vertx.eventBus().<JsonObject>consumer(StreamContract.switchAddress(instance), admin::onSwitchRequest));
    consumers.add(vertx.eventBus().<JsonObject>consumer(StreamContract.logAddress(instance), admin::onLogRequest));
    consumers.add(vertx.eventBus().<JsonObject>consumer(StreamContract.ensureAddress(instance), admin::onEnsureRequest));
    consumers.add(vertx.eventBus().<JsonObject>consumer(ServerContract.LIST, m -> servers.list()
      .onSuccess(m::reply).onFailure(err -> m.fail(503, "servers unavailable: " + err.getMessage()))));
    List<Future<Void>> ready = new ArrayList<>();
    consumers.forEach(c -> ready.add(c.completion()));
    ready.add(player.ready());
    ready.add(ApiDocument.load(vertx).<Void>map(d -> {
      document = d; // openapi.yaml: the admin API's bodies and parameters are checked from it
      return null;
    }));
    return Future.all(ready)
      .compose(v -> manager.start())
      .compose(v -> report.start())
      .onSuccess(v -> servers.start());
  }

  @Override
  protected void routes(Router router) {
    // nginx's auth_request only on our own port: the all-in-one front mounts these routes for
    // everyone and has no nginx in front of it.
    player.mount(router, config().getInteger(SERVE_PORT, 0) > 0);
    admin.mount(router, document);
    serversApi.mount(router, document);
    limitsApi.mount(router, document);
  }

  private int positive(String env) {
    int v = Config.integer(config(), env);
    if (v < 1) {
      throw new IllegalArgumentException(env + " must be at least 1, got " + v);
    }
    return v;
  }

  @Override
  protected Future<?> tearDown() {
    if (sentinel != null) {
      sentinel.stop(vertx);
    }
    // The manager stops the channels on SSH servers too: the servers' links close after it.
    Future<Void> closing = (report == null ? Future.<Void>succeededFuture() : report.close())
      .compose(v -> player == null ? Future.<Void>succeededFuture() : player.close().otherwiseEmpty())
      .compose(v -> manager == null ? Future.<Void>succeededFuture() : manager.close().otherwiseEmpty())
      .compose(v -> serverPlaylists == null ? Future.<Void>succeededFuture() : serverPlaylists.close().otherwiseEmpty())
      .compose(v -> servers == null ? Future.<Void>succeededFuture() : servers.close().otherwiseEmpty());
    return closing.eventually(() -> {
      List<Future<Void>> unregistered = new ArrayList<>();
      consumers.forEach(c -> unregistered.add(c.unregister()));
      return Future.join(unregistered);
    }).eventually(() -> {
      if (redis != null) {
        redis.close();
      }
      return Future.succeededFuture();
    });
  }

  /** playlist-service changed a channel: the gate forgets it, its stream stops or reloads. */
  private void onChannelChanged(Message<JsonObject> msg) {
    ChannelChanged change;
    try {
      change = ChannelChanged.fromJson(msg.body() == null ? new JsonObject() : msg.body());
    } catch (BadMessage e) {
      log.debug("ignored a channel change: {}", e.getMessage());
      return;
    }
    gate.forget(change.channelId());
    manager.channelChanged(change.channelId(), change.action(), change.active())
      .onFailure(err -> log.warn("channel {}: cannot follow its change: {}", change.channelId(), err.toString()));
  }

  /** For tests: the SSH servers this instance drives. */
  Servers servers() {
    return servers;
  }

  /** For tests: the manager's instance id (the value of stream:{id}:owner). */
  String instanceId() {
    return manager.instance();
  }

  /** Channels with MPEG-TS viewers on this instance, and how many (empty before start). */
  java.util.Map<String, Integer> tsViewers() {
    return player == null ? java.util.Map.of() : player.tsViewers();
  }
}
