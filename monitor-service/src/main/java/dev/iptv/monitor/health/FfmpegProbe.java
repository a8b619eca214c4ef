package dev.iptv.monitor.health;

import dev.iptv.common.Epoch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Whether FFmpeg runs on this node: {@code IPTV_FFMPEG -version} (arguments as a list, never a
 * shell), on a worker thread, at start and periodically; the answer is cached for /api/health.
 * {@link #probe()} runs on the owner's event loop; {@link #current()} may be called from any thread.
 */
final class FfmpegProbe {

  private static final Logger log = LoggerFactory.getLogger(FfmpegProbe.class);
  static final long TIMEOUT_S = 10;

  private final Vertx vertx;
  private final String binary;
  private volatile JsonObject last = new JsonObject().put("ok", false).put("error", "not checked yet");
  private Boolean lastOk;
  private volatile Future<JsonObject> first;

  FfmpegProbe(Vertx vertx, String binary) {
    this.vertx = vertx;
    this.binary = binary;
  }

  /** The cached answer; before the first probe finished, that probe's answer. */
  Future<JsonObject> current() {
    Future<JsonObject> f = first;
    return f != null && !f.isComplete() ? f.map(JsonObject::copy) : Future.succeededFuture(last.copy());
  }

  Future<JsonObject> probe() {
    Future<JsonObject> f = vertx.executeBlocking(() -> run(binary), false).map(result -> {
      if (result.getBoolean("interrupted", false)) {
        return last; // the JVM is stopping: nothing learned about FFmpeg
      }
      last = result;
      boolean ok = result.getBoolean("ok");
      if (lastOk == null || lastOk != ok) {
        if (ok) {
          log.info("ffmpeg: {}", result.getString("version"));
        } else {
          log.warn("ffmpeg unusable ({}): {}; streams cannot start on this node", binary, result.getString("error"));
        }
      }
      lastOk = ok;
      return result;
    });
    if (first == null) {
      first = f;
    }
    return f;
  }

  static JsonObject run(String binary) {
    JsonObject out = new JsonObject().put("binary", binary).put("checked_at", Epoch.now());
    Process p = null;
    try {
      p = new ProcessBuilder(List.of(binary, "-version")).redirectErrorStream(true).start();
      p.getOutputStream().close();
      // -version prints a couple of KiB: it fits the pipe, so waiting first cannot dead-lock.
      if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
        return out.put("ok", false).put("error", "no answer to -version within " + TIMEOUT_S + " s");
      }
      byte[] head = readHead(p.getInputStream(), 4096);
      String text = new String(head, StandardCharsets.UTF_8);
      String first = text.lines().findFirst().orElse("").trim();
      if (p.exitValue() != 0 || !first.toLowerCase().contains("version")) {
        return out.put("ok", false).put("error", "-version exited " + p.exitValue() + ": " + cut(first));
      }
      return out.put("ok", true).put("version", cut(first));
    } catch (IOException | RuntimeException e) {
      return out.put("ok", false).put("error", cut(e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return out.put("ok", false).put("error", "interrupted").put("interrupted", true);
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
      }
    }
  }

  /** Reads up to max bytes of what the process wrote, draining the rest. */
  private static byte[] readHead(InputStream in, int max) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    byte[] chunk = new byte[8192];
    int n;
    while ((n = in.read(chunk)) >= 0) {
      if (buf.size() < max) {
        buf.write(chunk, 0, Math.min(n, max - buf.size()));
      }
    }
    return buf.toByteArray();
  }

  private static String cut(String s) {
    if (s == null) {
      return "unknown";
    }
    return s.length() > 160 ? s.substring(0, 160) : s;
  }
}
