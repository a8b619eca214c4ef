package dev.iptv.common;

import io.vertx.core.Future;
import io.vertx.redis.client.RedisAPI;
import io.vertx.redis.client.Response;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A Lua script Redis runs atomically: a check and the writes it guards happen in one step, so no
 * concurrent request can slip in between. Run with {@code EVALSHA}; when Redis does not know the
 * script yet (first use, restart, {@code SCRIPT FLUSH}) it answers {@code NOSCRIPT} and the script
 * is sent once with {@code EVAL}, which also caches it.
 */
public final class LuaScript {

  private final String name;
  private final String source;
  private final String sha1;

  public LuaScript(String name, String source) {
    this.name = name;
    this.source = source;
    try {
      this.sha1 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A script kept as a class-path resource next to {@code owner} (read once, at class init). */
  public static LuaScript resource(Class<?> owner, String path) {
    try (InputStream in = owner.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("Lua script " + path + " is missing from the class path");
      }
      return new LuaScript(path, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read Lua script " + path, e);
    }
  }

  public String name() {
    return name;
  }

  public String sha1() {
    return sha1;
  }

  /** Runs the script on {@code keys} with {@code args}; the reply is the script's return value. */
  public Future<Response> run(RedisAPI redis, List<String> keys, List<String> args) {
    List<String> call = new ArrayList<>(2 + keys.size() + args.size());
    call.add(sha1);
    call.add(Integer.toString(keys.size()));
    call.addAll(keys);
    call.addAll(args);
    return redis.evalsha(call).recover(err -> {
      String message = err.getMessage();
      if (message != null && message.startsWith("NOSCRIPT")) {
        List<String> eval = new ArrayList<>(call);
        eval.set(0, source);
        return redis.eval(eval);
      }
      return Future.failedFuture(err);
    });
  }
}
