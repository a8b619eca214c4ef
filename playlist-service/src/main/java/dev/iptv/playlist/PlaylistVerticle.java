package dev.iptv.playlist;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ApiException;
import dev.iptv.common.Http;
import dev.iptv.common.JsonPageWriter;
import dev.iptv.common.Page;
import dev.iptv.common.PanelGuard;
import dev.iptv.common.RedisSupport;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.SessionRequest;
import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.contract.BadMessage;
import dev.iptv.contract.ChangeAction;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.ChannelContract.ChannelChanged;
import dev.iptv.contract.MirrorContract;
import dev.iptv.contract.MirrorContract.RedisRestored;
import dev.iptv.playlist.ChannelStore.Outcome;
import dev.iptv.playlist.ChannelStore.Raw;
import dev.iptv.playlist.epg.Epg;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * playlist-service: the channels the panel syncs and one M3U playlist per token (the channels and
 * players calls of the repository's openapi.yaml; Redis as SPEC section 5 lays it out).
 *
 * <ul>
 *   <li>{@code /api/channels} CRUD behind the admin bearer; writes are atomic Lua scripts
 *       ({@link ChannelStore}); every write publishes {@link ChannelContract#CHANNELS_CHANGED}
 *       ({@link ChannelChanged}) to every node.</li>
 *   <li>{@code GET|HEAD /get_playlist.php?token=T} and {@code /playlist/T.m3u8}: the token is checked
 *       by auth-service over the event bus, then the rendered list ({@link PlaylistCache}) is copied
 *       into one buffer with the token in each URL: one token check and one copy per request.</li>
 * </ul>
 */
public class PlaylistVerticle extends ServiceVerticle {

  private static final Logger log = LoggerFactory.getLogger(PlaylistVerticle.class);

  private static final long AUTH_TIMEOUT_MS = 5_000;
  private static final int WRITE_ATTEMPTS = 5;
  /** Channels read (one MGET) and answered per step of an admin list page. */
  private static final int LIST_BATCH = 500;
  private final String instance = newInstanceId();
  private String adminToken;
  private Redis client;
  private ChannelStore store;
  private PlaylistCache cache;
  /** Written by the builds, which run one at a time ({@link PlaylistCache}). */
  private volatile Built lastBuilt;
  private final BodyBuffers bodies = new BodyBuffers();
  private String publicUrl;
  private ApiDocument document; // the API's openapi.yaml: channel bodies and ids are validated from it
  private MessageConsumer<Object> changes;
  private MessageConsumer<Object> restored;
  private MirrorContract.Probe sentinel;
  private Epg epg;
  private CategoryIds categories;
  private XtreamRoutes xtream;
  private long trimTimer = -1;

  @Override
  public String name() {
    return "playlist-service";
  }

  @Override
  protected Future<?> setUp() {
    PlaylistSettings settings;
    try {
      settings = PlaylistSettings.from(config());
    } catch (IllegalArgumentException | IllegalStateException e) {
      return Future.failedFuture(e);
    }
    adminToken = settings.adminToken();
    publicUrl = settings.publicUrl();
    int maxAge = settings.cacheS();
    client = RedisSupport.client(vertx, settings.redisUrl());
    store = new ChannelStore(RedisAPI.api(client));
    sentinel = new MirrorContract.Probe(RedisAPI.api(client)).start(vertx);
    cache = new PlaylistCache(context, this::buildPlaylist, maxAge);
    trimTimer = vertx.setPeriodic(BodyBuffers.TRIM_MS, id -> bodies.trimIdle()); // idle body buffers go back to the OS
    categories = new CategoryIds(RedisAPI.api(client));

    epg = Epg.start(vertx, client, config()); // imports on schedule, the guide
    xtream = new XtreamRoutes(vertx, cache, epg.store(), RedisAPI.api(client), publicUrl,
      dev.iptv.common.Config.integer(config(), dev.iptv.common.Config.SESSION_WINDOW_S), this::clientIp);

    changes = vertx.eventBus().consumer(ChannelContract.CHANNELS_CHANGED, this::onChannelsChanged);
    // Redis lost its data and monitor-service put it back: the list read meanwhile may be empty.
    restored = vertx.eventBus().consumer(MirrorContract.EVENTS, msg -> {
      try {
        RedisRestored event = RedisRestored.fromJson(msg.body() instanceof JsonObject o ? o : new JsonObject());
        log.info("Redis restored by {}: rebuilding the channel list", event.node() == null ? "the mirror" : event.node());
        cache.invalidate();
      } catch (BadMessage e) {
        log.debug("ignored a mirror event: {}", e.getMessage());
      }
    });
    log.info("playlist-service writes stream URLs under {} (list rebuilt at least every {} s)", publicUrl, maxAge);
    return Future.all(changes.completion(), restored.completion(), ApiDocument.load(vertx).onSuccess(d -> document = d));
  }

  /** The panel's channel API, the playlists and the EPG sources. */
  @Override
  protected void routes(Router router) {
    Handler<RoutingContext> admin = Http.adminAuth(adminToken);
    BodyHandler body = Http.bodyHandler();
    router.route("/api/channels*").handler(PanelGuard.create(RedisAPI.api(client), config())); // 503 while a restore is pending
    router.get("/api/channels").handler(admin).handler(this::listChannels);
    router.post("/api/channels").handler(admin).handler(body).handler(this::createChannel);
    router.get("/api/channels/:id").handler(admin).handler(this::getChannel);
    router.put("/api/channels/:id").handler(admin).handler(body).handler(this::updateChannel);
    router.delete("/api/channels/:id").handler(admin).handler(this::deleteChannel);
    router.route("/get_playlist.php").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::playlistByQuery);
    router.routeWithRegex("^/playlist/(?<token>[^/]+)\\.m3u8$").setName("/playlist/{token}.m3u8").method(HttpMethod.GET).method(HttpMethod.HEAD)
      .handler(this::playlistByPath);
    epg.mount(router, admin, body, document); // /api/epg/sources
    xtream.mount(router); // player_api.php, get.php, xmltv.php, /live/U/P/{id}
  }

  @Override
  protected Future<?> tearDown() {
    vertx.cancelTimer(trimTimer);
    if (sentinel != null) {
      sentinel.stop(vertx);
    }
    Future<Void> unregistered = Future.join(changes == null ? Future.succeededFuture() : changes.unregister(),
      restored == null ? Future.succeededFuture() : restored.unregister(), epg == null ? Future.succeededFuture() : epg.close()).mapEmpty();
    return unregistered.eventually(() -> {
      bodies.close();
      if (client != null) {
        client.close();
      }
      return Future.succeededFuture();
    });
  }

  private static String newInstanceId() {
    byte[] raw = new byte[6];
    new SecureRandom().nextBytes(raw);
    return HexFormat.of().formatHex(raw);
  }

  // --- playlists -------------------------------------------------------------------------------

  private void playlistByQuery(RoutingContext ctx) {
    List<String> tokens = ctx.queryParam("token");
    playlist(ctx, tokens.isEmpty() ? null : tokens.get(0));
  }

  private void playlistByPath(RoutingContext ctx) {
    playlist(ctx, ctx.pathParam("token"));
  }

  private void playlist(RoutingContext ctx, String token) {
    checkToken(ctx, token)
      .compose(check -> check.valid() ? cache.get() : Future.failedFuture(new ApiException(403, check.status().playerError())))
      .onSuccess(p -> sendPlaylist(ctx, p, token))
      .onFailure(err -> playerError(ctx, err));
  }

  /**
   * auth-service's verdict, with max_connections checked: while other players fill every slot of
   * the account, the playlist is refused too; a download takes no slot itself (the player that
   * fetched it with curl or an app, under another User-Agent, may still start watching). A token
   * that is not hex (so not URL-safe) never leaves this method.
   */
  private Future<TokenCheck> checkToken(RoutingContext ctx, String token) {
    if (!AuthContract.lookupable(token)) {
      return Future.succeededFuture(TokenCheck.unknown());
    }
    JsonObject session = new SessionRequest(token, clientIp(ctx.request()), Http.userAgent(ctx.request()), null, false)
      .toJson();
    return vertx.eventBus().<JsonObject>request(AuthContract.SESSION, session,
        new DeliveryOptions().setSendTimeout(AUTH_TIMEOUT_MS))
      .map(m -> TokenCheck.fromJson(m.body()))
      .recover(err -> {
        log.warn("token check for {} failed: {}", Http.mask(token), err.toString());
        return Future.failedFuture(new ApiException(503, "ERROR: Authentication unavailable, retry later"));
      });
  }

  private void sendPlaylist(RoutingContext ctx, Playlist p, String token) {
    HttpServerResponse resp = ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, M3u.CONTENT_TYPE)
      .putHeader(HttpHeaders.CACHE_CONTROL, "private, no-cache");
    int length = p.length(token.length());
    if (ctx.request().method() == HttpMethod.HEAD) {
      resp.putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(length)).end();
    } else {
      // The copy (about 1 ms for 25,000 channels) runs on a worker: the event loop only writes.
      vertx.executeBlocking(() -> bodies.render(p, token), false)
        .onSuccess(body -> bodies.send(resp, body))
        .onFailure(err -> playerError(ctx, err));
    }
  }

  /** The one error mapping of the player side: SPEC texts for 403, 503 with Retry-After otherwise. */
  private void playerError(RoutingContext ctx, Throwable err) {
    if (ctx.response().ended()) {
      return;
    }
    if (err instanceof ApiException api && api.status() == 403) {
      Http.sendText(ctx, 403, api.getMessage());
      return;
    }
    String message = err.getMessage();
    if (!(err instanceof ApiException)) {
      log.warn("playlist unavailable: {}", err.toString());
    }
    ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "5");
    Http.sendText(ctx, 503, err instanceof ApiException && message != null && message.startsWith("ERROR:") ? message
      : "ERROR: Playlist unavailable, retry later");
  }

  /**
   * Reads every channel, parses them on a worker thread, gives their categories ids
   * ({@link CategoryIds}), then sorts and renders them (M3U and Xtream) on a worker thread.
   *
   * <p>When the records read are byte for byte those the newest list was built from (the rebuild a
   * list's age asks for, most often), that list is kept, stamped with this build's time and
   * generation: no parse, no render, and no second copy of a big lineup in the heap (at 25,000
   * channels a rebuild under load cost the collector several full collections each time).
   */
  private Future<Playlist> buildPlaylist(long generation) {
    long started = System.nanoTime();
    return store.all().compose(raws -> raws.isEmpty() ? notLost().map(raws) : Future.succeededFuture(raws))
      .compose(raws -> vertx.executeBlocking(() -> {
        byte[] digest = ChannelStore.digest(raws);
        Built last = lastBuilt;
        if (last != null && java.util.Arrays.equals(digest, last.digest())) {
          return new Parsed(digest, null);
        }
        List<Channel> channels = new ArrayList<>(raws.size());
        for (Raw raw : raws) {
          JsonObject record = raw.object();
          if (record != null) {
            channels.add(Channel.fromStored(raw.id(), record));
          } else {
            log.warn("{} does not hold a JSON object: left out of playlists", ChannelContract.channelKey(raw.id()));
          }
        }
        return new Parsed(digest, channels);
      }, false))
      .compose(parsed -> {
        if (parsed.channels() == null) {
          Playlist same = lastBuilt.playlist().stamped(started, generation);
          lastBuilt = new Built(parsed.digest(), same);
          return Future.succeededFuture(same);
        }
        List<Channel> channels = parsed.channels();
        return categories.of(channels.stream().filter(Channel::active).map(XtreamLineup::categoryName)
            .collect(java.util.stream.Collectors.toSet()))
          .compose(ids -> vertx.executeBlocking(() -> {
            Playlist p = Playlist.render(channels, publicUrl, started, generation, ids);
            log.debug("playlist built: {} of {} channels in {} ms", p.size(), channels.size(),
              (System.nanoTime() - started) / 1_000_000);
            return p;
          }, false))
          .onSuccess(p -> lastBuilt = new Built(parsed.digest(), p));
      });
  }

  /** The channel records read for a build, parsed; {@code channels} null when they are the newest list's. */
  private record Parsed(byte[] digest, List<Channel> channels) {
  }

  /** The newest list built and the digest of the records it was built from. */
  private record Built(byte[] digest, Playlist playlist) {
  }

  /**
   * No channel at all: fails when that is because Redis has just lost its data (the mirror's
   * sentinel is gone), so the cache keeps serving the last list until monitor-service restores it.
   */
  private Future<Void> notLost() {
    return sentinel.lost().compose(lost -> lost
      ? Future.failedFuture(new IllegalStateException("Redis has lost its data (restore pending): no channel read"))
      : Future.succeededFuture());
  }

  private void onChannelsChanged(Message<Object> msg) {
    String origin = null;
    try {
      origin = ChannelChanged.fromJson(msg.body() instanceof JsonObject o ? o : new JsonObject()).origin();
    } catch (BadMessage e) {
      log.debug("unreadable channel change ({}): the list is rebuilt anyway", e.getMessage());
    }
    if (instance.equals(origin)) {
      return; // applied before it was published
    }
    cache.invalidate();
  }

  // --- admin API -------------------------------------------------------------------------------

  /** One page of the channels, in id order; {@code count} is the number of all channels. */
  private void listChannels(RoutingContext ctx) {
    Page page = Page.of(document, ctx, "listChannels");
    store.page(page.offset(), page.limit())
      .compose(slice -> JsonPageWriter.write(ctx.response(), "channels", slice.count(), slice.ids(), LIST_BATCH,
        ids -> store.records(ids).compose(raws -> vertx.executeBlocking(
          () -> raws.stream().map(raw -> raw.channel().toJson().encode()).toList(), false))))
      .onFailure(ctx::fail);
  }

  private void getChannel(RoutingContext ctx) {
    String id = document.pathParam(ctx, "getChannel", "id");
    store.find(id).onSuccess(raw -> {
      if (raw == null) {
        ctx.fail(notFound(id));
      } else {
        Http.sendJson(ctx, 200, raw.channel().toJson());
      }
    }).onFailure(ctx::fail);
  }

  private void createChannel(RoutingContext ctx) {
    Channel channel = ChannelPatch.parse(document.body(ctx, "createChannel")).create();
    store.create(channel).onSuccess(outcome -> {
      if (outcome == Outcome.EXISTS) {
        ctx.fail(ApiException.conflict("channel " + channel.id() + " already exists"));
        return;
      }
      changed(channel.id(), ChangeAction.CREATED, channel.active());
      Http.sendJson(ctx, 201, channel.toJson());
    }).onFailure(ctx::fail);
  }

  private void updateChannel(RoutingContext ctx) {
    String id = document.pathParam(ctx, "updateChannel", "id");
    ChannelPatch patch = ChannelPatch.parse(document.body(ctx, "updateChannel"));
    update(id, patch, 1).onSuccess(channel -> {
      changed(id, ChangeAction.UPDATED, channel.active());
      Http.sendJson(ctx, 200, channel.toJson());
    }).onFailure(ctx::fail);
  }

  /** Read, merge, compare and set; again when another request changed the channel in between. */
  private Future<Channel> update(String id, ChannelPatch patch, int attempt) {
    return store.find(id).compose(raw -> {
      if (raw == null) {
        throw notFound(id);
      }
      Channel merged = patch.applyTo(raw.channel());
      return store.update(raw, merged).compose(outcome -> switch (outcome) {
        case OK -> Future.succeededFuture(merged);
        case MISSING -> Future.failedFuture(notFound(id));
        case CHANGED -> attempt < WRITE_ATTEMPTS ? update(id, patch, attempt + 1)
          : Future.failedFuture(ApiException.conflict("channel " + id + " is being changed concurrently: retry"));
        default -> Future.failedFuture(new IllegalStateException("channel_update answered " + outcome));
      });
    });
  }

  private void deleteChannel(RoutingContext ctx) {
    String id = document.pathParam(ctx, "deleteChannel", "id");
    store.delete(id).onSuccess(outcome -> {
      if (outcome == Outcome.MISSING) {
        ctx.fail(notFound(id));
        return;
      }
      changed(id, ChangeAction.DELETED, false);
      Http.sendJson(ctx, 200, new JsonObject().put("deleted", id));
    }).onFailure(ctx::fail);
  }

  /** Drops this node's list at once, then tells every node (stream-service stops what must stop). */
  private void changed(String id, ChangeAction action, boolean active) {
    cache.invalidate();
    log.info("channel {} {}", id, action.wire());
    vertx.eventBus().publish(ChannelContract.CHANNELS_CHANGED, new ChannelChanged(id, action, active, instance).toJson());
  }

  private static ApiException notFound(String id) {
    return ApiException.notFound("no channel " + id);
  }
}
