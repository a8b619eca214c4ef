package dev.iptv.monitor.dashboard;

import dev.iptv.testing.Eventually;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static dev.iptv.testing.Eventually.eventually;

/**
 * A real headless Chromium driven over the DevTools protocol (a WebSocket to its page), for
 * pages that stay connected (server-sent events), which --dump-dom cannot wait for. Started with
 * a fresh profile, stopped with everything it started.
 */
final class Chromium implements AutoCloseable {

  static final String BINARY = "/usr/bin/chromium";

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();

  private Chromium(Process process, Path profile, WebSocket socket) {
    this.process = process;
    this.profile = profile;
    this.socket = socket;
  }

  static Chromium start(int width, int height) throws Exception {
    if (!Files.isExecutable(Path.of(BINARY))) {
      throw new AssertionError("Chromium is required at " + BINARY + " for the dashboard test: apt-get install -y chromium");
    }
    Path profile = Files.createTempDirectory("monitor-chromium");
    Process p = new ProcessBuilder(BINARY, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
      "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-extensions", "--mute-audio", "--user-data-dir=" + profile, "--remote-debugging-port=0",
      "--remote-debugging-address=127.0.0.1", "--window-size=" + width + "," + height, "about:blank")
      .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
    try {
      Path portFile = profile.resolve("DevToolsActivePort");
      eventually(Duration.ofSeconds(30), "Chromium's DevTools port", () -> {
        if (!p.isAlive()) {
          throw Eventually.stop("Chromium exited: " + read(profile.resolve("chromium.log")));
        }
        return Files.exists(portFile) && read(portFile).contains("\n");
      });
      int port = Integer.parseInt(read(portFile).lines().findFirst().orElseThrow().trim());
      HttpClient http = HttpClient.newHttpClient();
      String[] wsUrl = new String[1];
      eventually(Duration.ofSeconds(10), "a page target", () -> {
        try {
          String list = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
          for (Object o : new JsonArray(list)) {
            JsonObject t = (JsonObject) o;
            if ("page".equals(t.getString("type"))) {
              wsUrl[0] = t.getString("webSocketDebuggerUrl");
              return true;
            }
          }
          return false;
        } catch (IOException e) {
          return false;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      });
      Chromium[] self = new Chromium[1];
      Listener listener = new Listener(self);
      WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(wsUrl[0]), listener).get(10, TimeUnit.SECONDS);
      self[0] = new Chromium(p, profile, ws);
      return self[0];
    } catch (Exception | AssertionError e) {
      p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      delete(profile);
      throw e;
    }
  }

  private static final class Listener implements WebSocket.Listener {
    private final Chromium[] self;
    private final StringBuilder text = new StringBuilder();

    Listener(Chromium[] self) {
      this.self = self;
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        JsonObject msg = new JsonObject(text.toString());
        text.setLength(0);
        Integer id = msg.getInteger("id");
        if (id != null && self[0] != null) {
          CompletableFuture<JsonObject> f = self[0].pending.remove(id);
          if (f != null) {
            f.complete(msg);
          }
        }
      }
      ws.request(1);
      return null;
    }
  }

  /** Sends a DevTools command and waits for its result. */
  JsonObject call(String method, JsonObject params) {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonObject> f = new CompletableFuture<>();
    pending.put(id, f);
    socket.sendText(new JsonObject().put("id", id).put("method", method).put("params", params).encode(), true).join();
    try {
      JsonObject reply = f.get(30, TimeUnit.SECONDS);
      if (reply.containsKey("error")) {
        throw new AssertionError(method + " failed: " + reply.getJsonObject("error").encode());
      }
      return reply.getJsonObject("result", new JsonObject());
    } catch (Exception e) {
      throw new AssertionError(method + " got no answer: " + e, e);
    }
  }

  void navigate(String url) {
    call("Page.enable", new JsonObject());
    call("Page.navigate", new JsonObject().put("url", url));
  }

  /** The value of a JavaScript expression in the page (null when undefined). */
  Object eval(String expression) {
    JsonObject r = call("Runtime.evaluate", new JsonObject().put("expression", expression).put("returnByValue", true));
    if (r.containsKey("exceptionDetails")) {
      // a RuntimeException, so a wait retries while the page is still loading
      throw new IllegalStateException("page error in " + expression + ": " + r.getJsonObject("exceptionDetails").encode());
    }
    return r.getJsonObject("result").getValue("value");
  }

  /** Waits until the expression is true in the page. */
  void await(Duration timeout, String expression) {
    eventually(timeout, expression, () -> Boolean.TRUE.equals(eval(expression)));
  }

  void screenshot(Path file, int width, int height) throws IOException {
    call("Emulation.setDeviceMetricsOverride", new JsonObject().put("width", width).put("height", height)
      .put("deviceScaleFactor", 1).put("mobile", false));
    String data = call("Page.captureScreenshot", new JsonObject().put("format", "png").put("captureBeyondViewport", true))
      .getString("data");
    Files.createDirectories(file.getParent());
    Files.write(file, Base64.getDecoder().decode(data));
  }

  @Override
  public void close() throws Exception {
    try {
      socket.abort();
    } finally {
      List<ProcessHandle> tree = new ArrayList<>(process.toHandle().descendants().toList());
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      tree.forEach(ProcessHandle::destroyForcibly);
      delete(profile);
    }
  }

  private static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return "";
    }
  }

  private static void delete(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort: a temp folder
    }
  }
}
