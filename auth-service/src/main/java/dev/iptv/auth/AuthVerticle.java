package dev.iptv.auth;

import dev.iptv.common.ApiDocument;
import dev.iptv.common.ApiException;
import dev.iptv.common.Epoch;
import dev.iptv.common.Http;
import dev.iptv.common.JsonPageWriter;
import dev.iptv.common.Page;
import dev.iptv.common.PanelGuard;
import dev.iptv.common.RedisSupport;
import dev.iptv.common.ServiceVerticle;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.AuthContract.LimitHit;
import dev.iptv.contract.AuthContract.SessionRequest;
import dev.iptv.contract.AuthContract.SessionTouches;
import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.contract.AuthContract.TokenRequest;
import dev.iptv.contract.AuthContract.UserChanged;
import dev.iptv.contract.BadMessage;
import dev.iptv.contract.ChangeAction;
import dev.iptv.contract.MirrorContract;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisAPI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * auth-service: the users and tokens the panel syncs (the users calls of the repository's openapi.yaml; Redis as
 * SPEC section 5 lays it out) and token checks for
 * the other services over the event bus.
 *
 * <ul>
 *   <li>{@code /api/users} CRUD behind the admin bearer, as {@code openapi.yaml} describes it (bodies and
 *       paths validated from it: {@link ApiDocument}); writes are atomic Lua scripts
 *       ({@link UserStore}); passwords are hashed off the event loop ({@link Passwords}).</li>
 *   <li>{@link AuthContract#VALIDATE}: {@link TokenRequest} → {@link TokenCheck}, decided from
 *       {@code token:{token}} alone ({@link TokenState}).</li>
 *   <li>{@link AuthContract#SESSION}: {@link SessionRequest}: the same check, then the viewer's
 *       session is admitted within {@code max_connections} (sessions live
 *       {@code IPTV_SESSION_WINDOW_S}, 60 s by default, after their last poll); {@code "hold": false}
 *       checks the limit without taking a slot (playlist downloads).</li>
 *   <li>{@link AuthContract#PASSWORD}: {@link AuthContract.PasswordRequest} → {@link AuthContract.PasswordCheck}
 *       (the Xtream API's username and password), PBKDF2 once, then from memory ({@link PasswordLogins}).</li>
 *   <li>{@link AuthContract#USERS_CHANGED} is published after every write: {@link UserChanged}.</li>
 * </ul>
 *
 * <p><b>Token TTL.</b> {@code token:{token}} lives until {@code expires_at} plus
 * {@code IPTV_TOKEN_GRACE_S}, so a player with a lapsed subscription hears "Token expired" rather
 * than "Invalid token" for a while. A user synced when that end is already past still gets its
 * token key, for one grace period (at least a minute), for the same reason; the key then goes.
 */
public class AuthVerticle extends ServiceVerticle {

  private static final Logger log = LoggerFactory.getLogger(AuthVerticle.class);

  private static final long MIN_TOKEN_TTL_MS = 60_000;
  /** Compare-and-set attempts before a write under heavy contention gives up with 409. */
  private static final int WRITE_ATTEMPTS = 5;

  private Redis client;
  private UserStore store;
  private String adminToken;
  private int hashIterations;
  private long graceMs;
  private int sessionWindowS;
  /** Refused sessions and when their {@code limit_hit} was published ({@link #firstLimitHit}). */
  private final Map<String, Long> limitAnnounced = new ConcurrentHashMap<>();
  private static final int MAX_ANNOUNCED = 10_000;
  private final TokenBridge bridge = new TokenBridge();
  private MirrorContract.Probe sentinel;
  private boolean bridgeLogged;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private PasswordLogins logins;
  private ApiDocument document;

  @Override
  public String name() {
    return "auth-service";
  }

  @Override
  protected Future<?> setUp() {
    AuthSettings settings;
    try {
      settings = AuthSettings.from(config());
    } catch (IllegalArgumentException | IllegalStateException e) {
      return Future.failedFuture(e);
    }
    adminToken = settings.adminToken();
    hashIterations = settings.hashIterations();
    graceMs = settings.tokenGraceMs();
    sessionWindowS = settings.sessionWindowS();
    client = RedisSupport.client(vertx, settings.redisUrl());
    store = new UserStore(RedisAPI.api(client));

    logins = new PasswordLogins(vertx, store, settings.loginCacheSize(), settings.loginFailuresPerMin());
    consumers.add(vertx.eventBus().consumer(AuthContract.PASSWORD, this::onPassword));
    consumers.add(vertx.eventBus().consumer(AuthContract.VALIDATE, this::onValidate));
    consumers.add(vertx.eventBus().consumer(AuthContract.SESSION, this::onSession));
    consumers.add(vertx.eventBus().<JsonObject>consumer(AuthContract.USERS_CHANGED, this::onUserChanged));
    SessionSlots slots = new SessionSlots(client);
    consumers.add(vertx.eventBus().consumer(AuthContract.SESSION_TOUCHES, m -> {
      try {
        slots.touch(SessionTouches.fromJson(m.body()), System.currentTimeMillis() / 1000.0, sessionWindowS)
          .onFailure(err -> log.debug("session touches not written: {}", err.toString()));
      } catch (BadMessage e) {
        log.debug("malformed session touches: {}", e.getMessage());
      }
    }));
    sentinel = new MirrorContract.Probe(RedisAPI.api(client)).start(vertx);
    Future<ApiDocument> loading = ApiDocument.load(vertx).onSuccess(d -> document = d);
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).compose(v -> loading);
  }

  /** The panel's user API; its handlers use Redis only (no state of this verticle). */
  @Override
  protected void routes(Router router) {
    Handler<RoutingContext> admin = Http.adminAuth(adminToken);
    BodyHandler body = Http.bodyHandler();
    router.route("/api/users*").handler(PanelGuard.create(RedisAPI.api(client), config())); // 503 while a restore is pending
    router.get("/api/users").handler(admin).handler(this::listUsers);
    router.post("/api/users").handler(admin).handler(body).handler(this::createUser);
    router.get("/api/users/:username").handler(admin).handler(this::getUser);
    router.put("/api/users/:username").handler(admin).handler(body).handler(this::updateUser);
    router.delete("/api/users/:username").handler(admin).handler(this::deleteUser);
  }

  @Override
  protected Future<?> tearDown() {
    if (sentinel != null) {
      sentinel.stop(vertx);
    }
    return Future.join(consumers.stream().map(MessageConsumer::unregister).toList()).eventually(() -> {
      if (client != null) {
        client.close();
      }
      return Future.succeededFuture();
    });
  }

  // --- admin API -------------------------------------------------------------------------------

  /** One page of the users, in username order; {@code count} is the number of all users. */
  private void listUsers(RoutingContext ctx) {
    Page page = Page.of(document, ctx, "listUsers");
    store.page(page.offset(), page.limit())
      .compose(slice -> JsonPageWriter.write(ctx.response(), "users", slice.count(), slice.ids(), UserStore.MGET_BATCH,
        store::views))
      .onFailure(ctx::fail);
  }

  private void getUser(RoutingContext ctx) {
    String username = document.pathParam(ctx, "getUser", "username");
    store.find(username).onSuccess(found -> {
      if (found == null) {
        ctx.fail(notFound(username));
      } else {
        Http.sendJson(ctx, 200, found.user().view());
      }
    }).onFailure(ctx::fail);
  }

  private void createUser(RoutingContext ctx) {
    UserPatch patch = UserPatch.parse(document.body(ctx, "createUser"));
    User draft = patch.create();
    hash(patch.password())
      .map(draft::withPasswordHash)
      .compose(user -> store.create(user, tokenTtlMs(user)).map(outcome -> switch (outcome) {
        case OK -> user;
        case USER_EXISTS -> throw ApiException.conflict("user '" + user.username() + "' already exists");
        case TOKEN_EXISTS -> throw ApiException.conflict("token already belongs to another user");
        default -> throw new IllegalStateException("user_create answered " + outcome);
      }))
      .onSuccess(user -> {
        log.info("user {} created (token {})", user.username(), Http.mask(user.token()));
        publishChange(ChangeAction.CREATED, user.username(), user.token(), null);
        Http.sendJson(ctx, 201, user.view());
      })
      .onFailure(ctx::fail);
  }

  private void updateUser(RoutingContext ctx) {
    String username = document.pathParam(ctx, "updateUser", "username");
    UserPatch patch = UserPatch.parse(document.body(ctx, "updateUser"));
    hash(patch.password())
      .compose(newHash -> update(username, patch, newHash, 1))
      .onSuccess(change -> {
        User user = change.after();
        String old = change.before().token();
        boolean retired = old != null && !old.equals(user.token());
        log.info("user {} updated{}", username, retired ? " (token " + Http.mask(old) + " retired)" : "");
        publishChange(ChangeAction.UPDATED, username, user.token(), retired ? old : null);
        Http.sendJson(ctx, 200, user.view());
      })
      .onFailure(ctx::fail);
  }

  private record Change(User before, User after) {
  }

  /** Read, merge, compare and set; again when another request changed the user in between. */
  private Future<Change> update(String username, UserPatch patch, String newHash, int attempt) {
    return store.find(username).compose(found -> {
      if (found == null) {
        throw notFound(username);
      }
      User merged = patch.applyTo(found.user());
      Future<User> ready = newHash != null ? Future.succeededFuture(merged.withPasswordHash(newHash))
        : merged.legacyPassword() != null ? hash(merged.legacyPassword()).map(merged::withPasswordHash)
        : Future.succeededFuture(merged);
      return ready.compose(user -> store.update(found, user, tokenTtlMs(user)).compose(outcome -> switch (outcome) {
        case OK -> Future.succeededFuture(new Change(found.user(), user));
        case MISSING -> Future.failedFuture(notFound(username));
        case TOKEN_EXISTS -> Future.failedFuture(ApiException.conflict("token already belongs to another user"));
        case CHANGED -> attempt < WRITE_ATTEMPTS ? update(username, patch, newHash, attempt + 1)
          : Future.failedFuture(ApiException.conflict("user '" + username + "' is being changed concurrently: retry"));
        default -> Future.failedFuture(new IllegalStateException("user_update answered " + outcome));
      }));
    });
  }

  private void deleteUser(RoutingContext ctx) {
    String username = document.pathParam(ctx, "deleteUser", "username");
    delete(username, 1).onSuccess(user -> {
      log.info("user {} deleted (token {})", username, Http.mask(user.token()));
      publishChange(ChangeAction.DELETED, username, user.token(), null);
      Http.sendJson(ctx, 200, new JsonObject().put("deleted", username));
    }).onFailure(ctx::fail);
  }

  private Future<User> delete(String username, int attempt) {
    return store.find(username).compose(found -> {
      if (found == null) {
        throw notFound(username);
      }
      return store.delete(found).compose(outcome -> switch (outcome) {
        case OK -> Future.succeededFuture(found.user());
        case MISSING -> Future.failedFuture(notFound(username));
        case CHANGED -> attempt < WRITE_ATTEMPTS ? delete(username, attempt + 1)
          : Future.failedFuture(ApiException.conflict("user '" + username + "' is being changed concurrently: retry"));
        default -> Future.failedFuture(new IllegalStateException("user_delete answered " + outcome));
      });
    });
  }

  /** The password's hash, computed on a worker thread; null for no password. */
  private Future<String> hash(String password) {
    if (password == null) {
      return Future.succeededFuture(null);
    }
    int iterations = hashIterations;
    return vertx.executeBlocking(() -> Passwords.hash(password, iterations), false);
  }

  /** Until expires_at plus the grace period; at least one grace period (and a minute) from now. */
  long tokenTtlMs(User user) {
    Instant expiry = user.expiry();
    long floor = Math.max(graceMs, MIN_TOKEN_TTL_MS);
    if (expiry == null) {
      return floor;
    }
    long ttl = expiry.toEpochMilli() + graceMs - System.currentTimeMillis();
    return Math.max(ttl, floor);
  }

  private void publishChange(ChangeAction action, String username, String token, String oldToken) {
    vertx.eventBus().publish(AuthContract.USERS_CHANGED, new UserChanged(action, username, token, oldToken).toJson());
  }

  private static ApiException notFound(String username) {
    return ApiException.notFound("no user '" + username + "'");
  }

  // --- event bus -------------------------------------------------------------------------------

  /** Changed or deleted through any auth-service of the cluster: not bridged for a while (tombstones). */
  private void onUserChanged(Message<JsonObject> m) {
    UserChanged change;
    try {
      change = UserChanged.fromJson(m.body() == null ? new JsonObject() : m.body());
    } catch (BadMessage e) {
      log.debug("ignored a user change: {}", e.getMessage());
      return;
    }
    logins.forget(change.username());
    long now = System.currentTimeMillis();
    if (change.action() == ChangeAction.CREATED) {
      bridge.forget(change.token());
    } else {
      bridge.changed(change.token(), now);
    }
    bridge.changed(change.oldToken(), now);
  }

  private void onPassword(Message<Object> msg) {
    AuthContract.PasswordRequest request;
    try {
      request = AuthContract.PasswordRequest.fromJson(msg.body());
    } catch (BadMessage e) {
      request = new AuthContract.PasswordRequest(null, null, null);
    }
    String username = request.username();
    logins.check(username, request.password(), request.ip()).onSuccess(c -> msg.reply(c.toJson())).onFailure(err -> {
      log.warn("password check for {} failed: {}", username, err.toString());
      msg.fail(503, "user store unavailable");
    });
  }

  private void onValidate(Message<Object> msg) {
    String token;
    try {
      token = TokenRequest.fromJson(msg.body()).token();
    } catch (BadMessage e) {
      token = null; // answered unknown
    }
    String checked = token;
    check(token).onSuccess(c -> msg.reply(c.toJson())).onFailure(err -> {
      log.warn("token check for {} failed: {}", Http.mask(checked), err.toString());
      msg.fail(503, "token store unavailable");
    });
  }

  private void onSession(Message<Object> msg) {
    SessionRequest request;
    try {
      request = SessionRequest.fromJson(msg.body());
    } catch (BadMessage e) {
      msg.reply(TokenCheck.unknown().toJson());
      return;
    }
    String token = request.token();
    check(token).compose(c -> {
      if (!c.valid()) {
        return Future.succeededFuture(c);
      }
      return store.admit(c.username(), request.sessionId(), c.maxConnections(), System.currentTimeMillis() / 1000.0,
          sessionWindowS, request.hold())
        .map(admitted -> {
          if (admitted) {
            return c;
          }
          if (firstLimitHit(request.sessionId(), System.currentTimeMillis())) {
            vertx.eventBus().publish(AuthContract.LIMIT_EVENTS, new LimitHit(c.username(), request.channelId(), Epoch.now())
              .toJson());
          }
          return c.limited();
        });
    }).onSuccess(c -> msg.reply(c.toJson())).onFailure(err -> {
      log.warn("session check for {} failed: {}", Http.mask(token), err.toString());
      msg.fail(503, "token store unavailable");
    });
  }

  /**
   * True when the refused session {@code sessionId} was not announced within the session window: one
   * {@code limit_hit} per refused player and window, not one per poll of a player that keeps polling
   * (the limit slate's, or one retrying its 403). Bounded: past {@value #MAX_ANNOUNCED} sessions the
   * expired go, then all.
   */
  private boolean firstLimitHit(String sessionId, long nowMs) {
    long windowMs = sessionWindowS * 1000L;
    if (limitAnnounced.size() >= MAX_ANNOUNCED) {
      limitAnnounced.values().removeIf(at -> nowMs - at >= windowMs);
      if (limitAnnounced.size() >= MAX_ANNOUNCED) {
        limitAnnounced.clear();
      }
    }
    Long last = limitAnnounced.get(sessionId);
    if (last != null && nowMs - last < windowMs) {
      return false;
    }
    limitAnnounced.put(sessionId, nowMs);
    return true;
  }

  /** The token's state; junk (not hex of a plausible length) is unknown without asking Redis. */
  private Future<TokenCheck> check(String token) {
    if (!AuthContract.lookupable(token)) {
      return Future.succeededFuture(TokenCheck.unknown());
    }
    long readStamp = bridge.stamp();
    return store.tokenRecord(token).compose(record -> {
      long now = System.currentTimeMillis();
      if (record == null) {
        return bridged(token, now);
      }
      TokenCheck c = TokenState.of(record, Instant.ofEpochMilli(now));
      if (c.status() == TokenCheck.Status.UNKNOWN) {
        log.warn("{} holds no readable token record", AuthContract.tokenKey(Http.mask(token)));
      } else if (c.valid()) {
        bridge.valid(token, record, now, readStamp);
        bridgeLogged = false;
      }
      return Future.succeededFuture(c);
    });
  }

  /** A token missing from Redis: unknown, unless Redis has just lost its data (see {@link TokenBridge}). */
  private Future<TokenCheck> bridged(String token, long now) {
    String kept = sentinel.seen() ? bridge.kept(token, now) : null;
    if (kept == null) {
      return Future.succeededFuture(TokenCheck.unknown());
    }
    return sentinel.lost().map(lost -> {
      if (!lost) {
        return TokenCheck.unknown();
      }
      if (!bridgeLogged) {
        bridgeLogged = true;
        log.warn("Redis has lost its data (no {}): answering known tokens from memory until monitor-service restores it",
          MirrorContract.SENTINEL);
      }
      return TokenState.of(kept, Instant.ofEpochMilli(now));
    });
  }
}
