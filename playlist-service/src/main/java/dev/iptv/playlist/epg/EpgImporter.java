package dev.iptv.playlist.epg;

import dev.iptv.common.LuaScript;
import dev.iptv.contract.EpgContract;
import dev.iptv.contract.EpgContract.ImportEvent;
import dev.iptv.contract.EpgContract.ImportStatus;
import dev.iptv.contract.EpgContract.Source;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Imports EPG sources, one at a time per source across the cluster (a Redis lock,
 * {@code epg:source:{name}:lock}), each as an {@link ImportRun}: the guide is downloaded with the
 * Vert.x HTTP client and parsed as it arrives on a worker thread.
 */
public final class EpgImporter {

  private static final Logger log = LoggerFactory.getLogger(EpgImporter.class);
  private static final LuaScript RENEW = LuaScript.resource(EpgImporter.class, "lua/lock_renew.lua");
  private static final LuaScript RELEASE = LuaScript.resource(EpgImporter.class, "lua/lock_release.lua");
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Imports this instance runs at once; more wait for a worker thread (their locks held). */
  static final int PARALLEL_IMPORTS = 2;
  static final int MAX_REDIRECTS = 5;

  private final Vertx vertx;
  private final Context context;
  private final EpgSources sources;
  private final EpgSettings settings;
  private final WorkerExecutor workers;
  private final HttpClientAgent http;
  private final Map<String, ImportRun> running = new ConcurrentHashMap<>();
  private volatile boolean closed;
  private volatile long graceMs = ImportRun.GRACE_MS;

  EpgImporter(Vertx vertx, EpgSources sources, EpgSettings settings) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.sources = sources;
    this.settings = settings;
    this.workers = vertx.createSharedWorkerExecutor("iptv-epg-import", PARALLEL_IMPORTS, 6, TimeUnit.HOURS);
    int timeoutS = (int) Math.max(1, settings.timeoutMs() / 1000);
    this.http = vertx.httpClientBuilder().with(new HttpClientOptions()
        .setConnectTimeout((int) settings.timeoutMs())
        .setIdleTimeout(timeoutS)
        .setIdleTimeoutUnit(TimeUnit.SECONDS)
        .setMaxRedirects(MAX_REDIRECTS)
        .setKeepAlive(true) // a server that closes after the response can make Vert.x drop its end (GuideInput)
        .setDecompressionSupported(false)
        .setVerifyHost(true))
      .build();
  }

  /**
   * Starts importing {@code name} unless an import of it runs somewhere (this instance or another):
   * the answer is the run, or null when the source is busy. The run's {@link ImportRun#done()}
   * completes with its status (null when the source was deleted meanwhile).
   */
  public Future<ImportRun> start(String name) {
    return start(name, false);
  }

  /**
   * {@link #start(String)}; {@code scheduled}: only when the source is still due once the lock is
   * held (another instance may have refreshed it a moment ago), else the run ends at once with null.
   */
  Future<ImportRun> start(String name, boolean scheduled) {
    if (closed) {
      return Future.succeededFuture(null);
    }
    String holder = settings.node() + ":" + HexFormat.of().formatHex(nonce());
    return sources.redis().set(List.of(EpgContract.lockKey(name), holder, "NX", "PX", Long.toString(EpgContract.LOCK_TTL_MS)))
      .map(r -> {
        if (r == null) {
          return null;
        }
        ImportRun run = new ImportRun(this, name, holder, scheduled);
        running.put(name, run);
        run.done().onComplete(ar -> running.remove(name, run));
        context.runOnContext(v -> run.begin());
        return run;
      });
  }

  /** Whether this instance is importing {@code name} right now. */
  public boolean importing(String name) {
    return running.containsKey(name);
  }

  /** Stops every import in flight (they fail and drop their data); no new import starts. */
  Future<Void> close() {
    closed = true;
    running.values().forEach(r -> r.cancel("the service is stopping"));
    List<Future<ImportStatus>> all = running.values().stream().map(r -> r.done().otherwiseEmpty()).toList();
    return Future.join(all).otherwiseEmpty().compose(v -> {
      workers.close();
      return http.close();
    }).mapEmpty();
  }

  // --- what runs use -------------------------------------------------------------------------------

  Vertx vertx() {
    return vertx;
  }

  Context context() {
    return context;
  }

  EpgSources sources() {
    return sources;
  }

  EpgSettings settings() {
    return settings;
  }

  WorkerExecutor workers() {
    return workers;
  }

  Redis client() {
    return sources.client();
  }

  RedisAPI redis() {
    return sources.redis();
  }

  Future<Boolean> renew(String name, String holder) {
    return RENEW.run(redis(), List.of(EpgContract.lockKey(name)), List.of(holder, Long.toString(EpgContract.LOCK_TTL_MS)))
      .map(r -> r.toInteger() == 1);
  }

  Future<Void> release(String name, String holder) {
    return RELEASE.run(redis(), List.of(EpgContract.lockKey(name)), List.of(holder)).mapEmpty();
  }

  void publish(ImportEvent event) {
    vertx.eventBus().publish(EpgContract.EVENTS, event.toJson());
  }

  /** Sends the GET for a source's URL: redirects followed (at most {@value #MAX_REDIRECTS}), timeouts set. */
  Future<io.vertx.core.http.HttpClientResponse> download(Source source) {
    URI uri = URI.create(source.url());
    boolean ssl = "https".equalsIgnoreCase(uri.getScheme());
    String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
      + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(uri.getHost())
      .setPort(uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80).setSsl(ssl).setURI(path)
      .setFollowRedirects(true).setConnectTimeout(settings.timeoutMs()).setIdleTimeout(settings.timeoutMs())
      .putHeader(HttpHeaders.USER_AGENT, "iptv-epg/1.0").putHeader(HttpHeaders.ACCEPT, "application/xml, application/gzip, */*");
    if (uri.getRawUserInfo() != null) {
      String user = URLDecoder.decode(uri.getRawUserInfo(), StandardCharsets.UTF_8);
      options.putHeader(HttpHeaders.AUTHORIZATION,
        "Basic " + Base64.getEncoder().encodeToString(user.getBytes(StandardCharsets.UTF_8)));
    }
    return http.request(options).compose(req -> req.send());
  }

  /** How long a replaced generation stays readable (readers that started before the switch). */
  long graceMs() {
    return graceMs;
  }

  /** For tests: a shorter grace than {@link ImportRun#GRACE_MS}. */
  void graceMs(long ms) {
    graceMs = ms;
  }

  /** Deletes the keys of a generation after {@code delayMs} (readers may still be using it). */
  void dropLater(String name, long generation, long delayMs) {
    Runnable drop = () -> GuideData.drop(client(), generation)
      .compose(v -> client().send(Request.cmd(Command.SREM).arg(EpgContract.sourceGenerationsKey(name)).arg(generation)))
      .onFailure(err -> log.warn("EPG source {}: generation {} not deleted ({}); its keys expire by themselves", name,
        generation, err.toString()));
    if (delayMs <= 0) {
      drop.run();
    } else {
      vertx.setTimer(delayMs, t -> drop.run());
    }
  }

  static Instant now() {
    return Instant.now();
  }

  private static byte[] nonce() {
    byte[] raw = new byte[8];
    RANDOM.nextBytes(raw);
    return raw;
  }

  static <T> Promise<T> promise() {
    return Promise.promise();
  }
}
