package dev.iptv.stream.servers;

import dev.iptv.common.ApiException;
import dev.iptv.common.Epoch;
import dev.iptv.contract.ServerContract;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The SSH servers of the cluster as this instance drives them (SPEC section 9): registration
 * (connect, pin the host key, provision), the one {@link SshLink} per server, FFmpeg started and
 * stopped there ({@link RemoteFfmpeg}), and their health read every {@code IPTV_SSH_HEALTH_S} by
 * whichever instance holds the server's watch lease. All SSH work runs on the {@code iptv-ssh}
 * worker pool; the event loop only composes futures and talks to Redis. Call it on its verticle's
 * context.
 */
public final class Servers {

  private static final Logger log = LoggerFactory.getLogger(Servers.class);

  private final Vertx vertx;
  private final ServerStore store;
  private final String instance;
  private final String segmentSecret;
  private final long timeoutMs;
  private final long healthMs;
  private final long stopGraceMs;
  private final WorkerExecutor ssh;
  private final Map<String, SshLink> links = new ConcurrentHashMap<>();
  private final Set<String> polling = new HashSet<>();
  private final ServerReaper reaper;
  private long timer = -1;

  public Servers(Vertx vertx, ServerStore store, String instance, String segmentSecret, long timeoutMs, long healthMs,
                 long stopGraceMs) {
    this.vertx = vertx;
    this.store = store;
    this.instance = instance;
    this.segmentSecret = segmentSecret;
    this.timeoutMs = timeoutMs;
    this.healthMs = healthMs;
    this.stopGraceMs = stopGraceMs;
    // SSH work waits on the network: never on an event loop, and at most the timeout and a grace per call.
    this.ssh = vertx.createSharedWorkerExecutor("iptv-ssh", 8, 3 * timeoutMs + stopGraceMs + 5_000, TimeUnit.MILLISECONDS);
    this.reaper = new ServerReaper(store, orphanGraceMs());
  }

  ServerStore store() {
    return store;
  }

  /** Starts reading every server's health. */
  public void start() {
    timer = vertx.setPeriodic(healthMs, t -> pollAll());
    pollAll();
  }

  public Future<Void> close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return blocking(() -> {
      links.values().forEach(SshLink::close);
      links.clear();
      return null;
    }).eventually(ssh::close).mapEmpty();
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return ssh.executeBlocking(work, false);
  }

  /** The reused link of a server: a new one when its connection settings or credentials changed. */
  private SshLink link(ServerSpec spec, ServerSpec.Credentials credentials) {
    return links.compute(spec.name(), (name, old) -> {
      if (old != null && !old.spec().needsProvisioning(spec) && old.credentials().equals(credentials)) {
        return old;
      }
      if (old != null) {
        old.close();
      }
      return new SshLink(spec, credentials, timeoutMs);
    });
  }

  private Future<SshLink> link(String name) {
    return store.spec(name).compose(spec -> spec == null
      ? Future.failedFuture(ApiException.notFound("no server " + name))
      : store.credentials(name).map(c -> link(spec, c)));
  }

  // -- registration -------------------------------------------------------------------------------

  /**
   * Connects, pins the host key, provisions and reads the health of a new server, then stores it:
   * 409 when the name is taken (by a server or a node), 400 naming what failed, and nothing stored.
   */
  public Future<JsonObject> register(JsonObject body) {
    ServerSpec.Registration reg = ServerSpec.create(body, Epoch.now().doubleValue());
    String name = reg.spec().name();
    return taken(name).compose(taken -> taken ? Future.failedFuture(ApiException.conflict("server " + name + " exists"))
      : provision(reg.spec(), reg.credentials()))
      .compose(ready -> store.create(ready.spec, reg.credentials()).compose(v -> store.putHealth(name, ready.health))
        .map(v -> {
          log.info("server {} registered: {}@{}:{}, host key {}, HLS {}", name, ready.spec.sshUser(), ready.spec.sshHost(),
            ready.spec.sshPort(), HostKeys.fingerprint(ready.spec.hostKey()), ready.spec.hlsDir());
          return view(ready.spec, ready.health, 0, 0);
        }));
  }

  private Future<Boolean> taken(String name) {
    return store.spec(name).compose(s -> s != null ? Future.succeededFuture(true)
      : store.nodes().map(nodes -> nodes.containsKey(name)));
  }

  private record Ready(ServerSpec spec, JsonObject health) {
  }

  /** Provisioning on a worker: the spec with its host key pinned, and a first health reading. */
  private Future<Ready> provision(ServerSpec spec, ServerSpec.Credentials credentials) {
    SshLink probe = new SshLink(spec, credentials, timeoutMs);
    return blocking(() -> {
      try {
        probe.session();
        ServerSpec pinned = spec.hostKey() == null ? spec.withHostKey(probe.seenHostKey()) : spec;
        Provisioner.provision(probe, segmentSecret);
        JsonObject health = ServerHealth.read(probe).put("last_seen", Epoch.now());
        return new Ready(pinned, health);
      } finally {
        probe.close();
      }
    }).recover(err -> Future.failedFuture(err instanceof SshFailure f ? ApiException.badRequest(f.getMessage())
      : err instanceof ApiException ? err : ApiException.badRequest("the server cannot be provisioned: " + err)));
  }

  /** PUT: merged onto the stored server; provisioned again when its connection or paths changed. */
  public Future<JsonObject> update(String name, JsonObject body) {
    return store.spec(name).compose(old -> {
      if (old == null) {
        return Future.failedFuture(ApiException.notFound("no server " + name));
      }
      ServerSpec.Registration reg = ServerSpec.update(body, old);
      return store.credentials(name).compose(stored -> {
        ServerSpec.Credentials creds = reg.credentials() != null ? reg.credentials() : stored;
        boolean again = old.needsProvisioning(reg.spec()) || reg.credentials() != null;
        Future<ServerSpec> ready = again ? provision(reg.spec(), creds).compose(r -> store.putHealth(name, r.health).map(r.spec))
          : Future.succeededFuture(reg.spec());
        return ready.compose(spec -> store.update(spec, reg.credentials()).map(spec));
      });
    }).compose(spec -> one(spec));
  }

  /**
   * DELETE: disabled at once (the channels running there end and are placed again on their next
   * request), our FFmpeg there stopped and the site removed when the server answers, then forgotten.
   */
  public Future<Void> delete(String name) {
    return store.spec(name).compose(spec -> {
      if (spec == null) {
        return Future.failedFuture(ApiException.notFound("no server " + name));
      }
      // Disabled first: the runs of its channels end and nothing starts there while its FFmpeg stop.
      return store.update(spec.disabled(), null).compose(v -> stopAll(name)).compose(v -> link(name))
        .compose(link -> blocking(() -> {
          Provisioner.unprovision(link);
          return null;
        }))
        .otherwise(err -> {
          log.warn("server {}: deleted without cleaning it up: {}", name, err.getMessage());
          return null;
        })
        .compose(v -> store.delete(name))
        .onComplete(v -> {
          SshLink l = links.remove(name);
          if (l != null) {
            blocking(() -> {
              l.close();
              return null;
            });
          }
        });
    });
  }

  // -- FFmpeg -------------------------------------------------------------------------------------

  /** Starts FFmpeg for a channel on the server, its PID recorded ({@link RemoteFfmpeg#start}). */
  public Future<RemoteFfmpeg.Started> startFfmpeg(String name, String channelId, List<String> args) {
    return link(name).compose(link -> blocking(() -> RemoteFfmpeg.start(link, channelId, args)))
      .compose(started -> store.recordFfmpeg(name, started).map(started));
  }

  /** Stops the channel's FFmpeg on the server if it is still ours; its record and files go. Null when none is recorded. */
  public Future<RemoteFfmpeg.Stopped> stopFfmpeg(String name, String channelId) {
    return stopFfmpeg(name, channelId, -1);
  }

  /**
   * As {@link #stopFfmpeg(String, String)}, only while the record is still of {@code pid} (-1:
   * whichever): a run never stops the FFmpeg another instance started for the channel since.
   */
  public Future<RemoteFfmpeg.Stopped> stopFfmpeg(String name, String channelId, long pid) {
    return store.ffmpeg(name, channelId).compose(proc -> proc == null || pid >= 0 && proc.pid() != pid
      ? Future.succeededFuture(null)
      : link(name).compose(link -> blocking(() -> RemoteFfmpeg.stop(link, proc, stopGraceMs)))
        .compose(how -> store.forgetFfmpeg(name, channelId).map(how))
        .onSuccess(how -> log.info("server {}: FFmpeg {} of channel {}: {}", name, proc.pid(), channelId, how)));
  }

  /** The FFmpeg recorded for the channel on the server, or null. */
  public Future<RemoteFfmpeg.Started> recorded(String name, String channelId) {
    return store.ffmpeg(name, channelId);
  }

  /** The last {@code bytes} bytes of the channel's FFmpeg log on the server. */
  public Future<String> logTail(String name, String channelId, int bytes) {
    return link(name).compose(link -> blocking(() -> RemoteFfmpeg.logTail(link, channelId, bytes)));
  }

  /** The registered server, or null (deleted, or never one: a stream node's name). */
  public Future<ServerSpec> spec(String name) {
    return store.spec(name);
  }

  /** Its latest health reading, or null when none lives ({@code status} says online or offline). */
  public Future<JsonObject> health(String name) {
    return store.health(name);
  }

  /**
   * A run found the server unreachable: it is offline now, for placement too, until the next health
   * reading that succeeds.
   */
  public Future<Void> markOffline(String name, String why) {
    return store.health(name).compose(previous -> previous != null && !ServerContract.ONLINE.equals(previous.getString("status"))
      ? Future.succeededFuture()
      : store.putHealth(name, new JsonObject().put("status", ServerContract.OFFLINE).put("error", why)
        .put("last_seen", previous == null ? null : previous.getValue("last_seen"))));
  }

  /** The value of the header that opens a playlist on the servers' nginx ({@link NginxSite}). */
  public String playlistKey() {
    return NginxSite.playlistKey(segmentSecret);
  }

  /** Every registered SSH server as placement sees it. */
  public Future<List<ServerLoad>> loads() {
    return store.names().compose(names -> {
      List<Future<ServerLoad>> all = new java.util.ArrayList<>();
      for (String name : names) {
        all.add(store.spec(name).compose(spec -> spec == null ? Future.succeededFuture(null)
          : store.health(name).compose(h -> store.ffmpegCount(name).map(n -> load(spec, h, n)))));
      }
      return Future.all(all).map(x -> all.stream().map(Future::result).filter(java.util.Objects::nonNull).toList());
    });
  }

  private static ServerLoad load(ServerSpec spec, JsonObject h, int streams) {
    boolean online = spec.enabled() && h != null && ServerContract.ONLINE.equals(h.getString("status"));
    return new ServerLoad(spec.name(), spec.publicUrl(), online, streams, spec.maxStreams(),
      h == null ? 0 : h.getDouble("cpu_percent", 0.0), h == null ? 0 : h.getDouble("memory_percent", 0.0));
  }

  /** Whether the recorded PID of the channel is still our FFmpeg on the server. */
  public Future<Boolean> ffmpegAlive(String name, String channelId) {
    return store.ffmpeg(name, channelId).compose(proc -> proc == null ? Future.succeededFuture(false)
      : link(name).compose(link -> blocking(() -> RemoteFfmpeg.isOurs(link, proc.pid(), proc.output()))));
  }

  private Future<Void> stopAll(String name) {
    return store.ffmpegs(name).compose(all -> {
      Future<Void> chain = Future.succeededFuture();
      for (RemoteFfmpeg.Started p : all) {
        chain = chain.compose(v -> stopFfmpeg(name, p.channelId()).<Void>mapEmpty());
      }
      return chain;
    });
  }

  // -- health -------------------------------------------------------------------------------------

  private void pollAll() {
    store.names().onSuccess(names -> names.forEach(this::poll))
      .onFailure(err -> log.debug("servers: cannot list them: {}", err.toString()));
  }

  private void poll(String name) {
    if (!polling.add(name)) {
      return;
    }
    store.spec(name).compose(spec -> spec == null || !spec.enabled() ? Future.succeededFuture()
        : store.watchLease(name, instance, 3 * healthMs).compose(mine -> !mine ? Future.succeededFuture()
          : store.credentials(name).map(c -> link(spec, c)).compose(link -> read(link)
            .compose(health -> store.putHealth(name, health).compose(v -> reap(link, health))))))
      .onFailure(err -> log.debug("server {}: health not recorded: {}", name, err.toString()))
      .onComplete(v -> polling.remove(name));
  }

  private Future<Void> reap(SshLink link, JsonObject health) {
    return reaper.reap(link.spec().name(), health,
      (name, pid) -> blocking(() -> RemoteFfmpeg.stopOrphan(link, pid, stopGraceMs)),
      this::stopFfmpeg);
  }

  private long orphanGraceMs() {
    return 2 * timeoutMs + 2 * healthMs;
  }

  /** One health reading; a server that cannot be read is offline, with the reason. */
  private Future<JsonObject> read(SshLink link) {
    String name = link.spec().name();
    return blocking(() -> ServerHealth.read(link).put("last_seen", Epoch.now()))
      .recover(err -> store.health(name).map(previous -> {
        if (previous == null || ServerContract.ONLINE.equals(previous.getString("status"))) {
          log.warn("server {} is offline: {}", name, err.getMessage());
        }
        return new JsonObject().put("status", ServerContract.OFFLINE).put("error", String.valueOf(err.getMessage()))
          .put("last_seen", previous == null ? null : previous.getValue("last_seen"));
      }));
  }

  // -- views --------------------------------------------------------------------------------------

  /** {@code GET /api/servers}: the SSH servers, then the stream nodes that report. */
  public Future<JsonObject> list() {
    return ServersView.list(this);
  }

  public Future<JsonObject> get(String name) {
    return store.spec(name).compose(spec -> spec != null ? one(spec)
      : ServersView.node(this, name).compose(node -> node != null ? Future.succeededFuture(node)
        : Future.failedFuture(ApiException.notFound("no server " + name))));
  }

  private Future<JsonObject> one(ServerSpec spec) {
    return ServersView.ssh(this, spec);
  }

  static JsonObject view(ServerSpec spec, JsonObject health, int streams, long viewers) {
    String status = !spec.enabled() ? ServerContract.DISABLED
      : health != null && ServerContract.ONLINE.equals(health.getString("status")) ? ServerContract.ONLINE
      : ServerContract.OFFLINE;
    JsonObject h = health == null ? new JsonObject() : health;
    JsonObject o = spec.toJson().put("status", status).put("cpu_percent", h.getValue("cpu_percent"))
      .put("memory_percent", h.getValue("memory_percent")).put("load_1m", h.getValue("load_1m"))
      .put("disk_percent", h.getValue("disk_percent")).put("ffmpeg_running", h.getValue("ffmpeg_running"))
      .put("streams", streams).put("viewers", viewers).put("last_seen", h.getValue("last_seen"));
    if (h.getString("error") != null && !ServerContract.ONLINE.equals(status)) {
      o.put("error", h.getString("error"));
    }
    return o;
  }
}
