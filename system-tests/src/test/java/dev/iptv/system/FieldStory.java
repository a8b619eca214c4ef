package dev.iptv.system;

import dev.iptv.common.Config;
import dev.iptv.common.SegmentProof;
import dev.iptv.contract.AuthContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.testing.TestEnv;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Players as they come in the field: each on its own client address (127.0.0.2, 127.0.0.3, ...),
 * some with the same player app, some forging {@code X-Real-IP} or {@code X-Forwarded-For} to borrow
 * another viewer's slot. Through either front: a one-connection account plays from its very first
 * poll and holds one session, not two; a second player on another address is refused for playlists
 * and live polls alike, whatever headers it sends; a channel switch keeps the slot; a four-connection
 * account plays on four addresses and refuses the fifth; a freed slot is taken after the window;
 * history names the viewer's own address; and segment proofs cannot be stretched or moved to another
 * channel.
 */
final class FieldStory {

  private static final String APP = "SameApp/3.1 (Android TV)";
  private static final Pattern PROOF = Pattern.compile("\\?e=(\\d+)&n=(\\d+)&t=([0-9a-f]+)&s=([A-Za-z0-9_-]+)");

  private final Client c;
  private final int redisDb;
  private final String one;
  private final String four;
  private final String oneToken = token();
  private final String fourToken = token();

  FieldStory(Client c, int redisDb, String prefix) {
    this.c = c;
    this.redisDb = redisDb;
    this.one = prefix + "_one";
    this.four = prefix + "_four";
  }

  private static String token() {
    return TestEnv.hexToken();
  }

  private Player player(String address) {
    return new Player(address, c.port(), APP);
  }

  private static String live(String channel, String token) {
    return "/live/stream_" + channel + ".m3u8?token=" + token;
  }

  void run(String sourceUrl, int sessionWindowS) throws Exception {
    assertEquals(201, c.admin("POST", "/api/users", Client.user(one, oneToken, 1)).statusCode());
    assertEquals(201, c.admin("POST", "/api/users", Client.user(four, fourToken, 4)).statusCode());
    assertEquals(201, c.admin("POST", "/api/channels", Client.channel("301", "Field One", sourceUrl, 31)).statusCode());
    assertEquals(201, c.admin("POST", "/api/channels", Client.channel("302", "Field Two", sourceUrl, 32)).statusCode());

    // A one-connection account plays from its very first (cold) poll, and polls on through the
    // front's auth path: one session, not one per path.
    Player a = player("127.0.0.2");
    Player.Answer first = a.get(live("301", oneToken));
    assertEquals(200, first.status(), "the first poll of a one-connection account: " + first.body());
    for (int i = 0; i < 3; i++) {
      Player.Answer again = a.get(live("301", oneToken));
      assertEquals(200, again.status(), "poll " + (i + 2) + ": " + again.body());
    }
    assertEquals("1", redis("ZCARD", AuthContract.sessionsKey(one)), "one player holds one session");
    // Polls are written in batches, once a second: one player is one viewer.
    eventually(Duration.ofSeconds(5), "one viewer of channel 301", () -> "1".equals(redis("ZCARD", StreamContract.viewersKey("301"))));
    String segment = firstSegment(a.get(live("301", oneToken)).body());
    Player.Answer bytes = a.get("/live/" + segment);
    assertEquals(200, bytes.status(), segment);
    assertTrue(bytes.bytes().length > 1000 && bytes.bytes()[0] == 0x47, "an MPEG-TS segment");

    // A second player of the same app on another address is refused, live and playlist; forged
    // client-address headers borrow nobody's slot.
    Player b = player("127.0.0.3");
    assertRefused(b.get(live("301", oneToken)));
    assertRefused(b.get("/get_playlist.php?token=" + oneToken));
    assertRefused(b.with("X-Real-IP", "127.0.0.2").get(live("301", oneToken)));
    assertRefused(b.with("X-Forwarded-For", "127.0.0.2").get(live("301", oneToken)));
    assertRefused(b.with("X-Real-IP", "127.0.0.2").with("X-Forwarded-For", "127.0.0.2")
      .get("/get_playlist.php?token=" + oneToken));
    assertEquals("1", redis("ZCARD", AuthContract.sessionsKey(one)), "refused players take no slot");

    // The first player switches channel (same slot) and downloads its playlist.
    assertEquals(200, a.get(live("302", oneToken)).status());
    assertEquals(200, a.get("/get_playlist.php?token=" + oneToken).status());

    // A four-connection account: four addresses, the same app, all play; the fifth is refused.
    List<Player> family = new ArrayList<>();
    for (int i = 10; i < 14; i++) {
      family.add(player("127.0.0." + i));
    }
    for (int round = 0; round < 2; round++) {
      for (Player p : family) {
        Player.Answer r = p.get(live("301", fourToken));
        assertEquals(200, r.status(), p.address() + " round " + round + ": " + r.body());
      }
    }
    assertEquals("4", redis("ZCARD", AuthContract.sessionsKey(four)));
    assertRefused(player("127.0.0.14").get(live("301", fourToken)));
    assertRefused(player("127.0.0.14").with("X-Real-IP", "127.0.0.10").get(live("302", fourToken)));

    // Proofs: a validly signed expiry centuries ahead, and a digit moved from the channel id into
    // the expiry, open nothing (a 404 would mean the proof passed and only the file was missing).
    SegmentProof proofs = new SegmentProof(Config.segmentSecret(Config.load(Map.of(Config.ADMIN_TOKEN, TestEnv.ADMIN_TOKEN))), 120);
    Matcher m = PROOF.matcher(segment);
    assertTrue(m.find(), segment);
    String file = segment.substring(0, segment.indexOf('?'));
    long centuries = Instant.now().getEpochSecond() + 300L * 365 * 86400;
    Player.Answer far = a.get("/live/" + file + "?" + proofs.signed("301", m.group(3), centuries, proofs.notAfter(centuries)));
    assertEquals(403, far.status(), far.body());
    assertTrue(far.body().contains("too far ahead"), far.body());
    String moved = "/live/stream_1_" + file.substring(file.lastIndexOf('_') + 1) + "?e=" + m.group(1) + "30&n=" + m.group(2)
      + "&t=" + m.group(3) + "&s=" + m.group(4);
    assertEquals(403, a.get(moved).status(), moved);

    // History names each viewer by its own address.
    eventually(Duration.ofSeconds(30), "the viewer history shows 127.0.0.2 for " + one, () -> {
      JsonArray rows = new JsonObject(c.admin("GET", "/api/history/viewers?user=" + one, null).body()).getJsonArray("viewers");
      return rows != null && rows.stream().map(JsonObject.class::cast).anyMatch(r -> "127.0.0.2".equals(r.getString("ip")));
    });

    // The first player stops; once the window has passed, the second one plays.
    Thread.sleep(sessionWindowS * 1000L);   // time is the subject: the session window passes
    eventually(Duration.ofSeconds(sessionWindowS + 10), "the second player admitted once the first stopped",
      () -> b.get(live("301", oneToken)).status() == 200);
    assertEquals(200, b.get(live("301", oneToken)).status());

    // The panel disables the account: the player polling it is cut within a second, though its
    // session was being answered from memory; enabled again, it plays again.
    assertEquals(200, c.admin("PUT", "/api/users/" + one, new JsonObject().put("is_active", false)).statusCode());
    long disabledAt = System.nanoTime();
    eventually(Duration.ofSeconds(2), "the disabled account's player cut", () -> {
      Player.Answer r = b.get(live("301", oneToken));
      return r.status() == 403 && r.body().trim().equals("ERROR: Token disabled");
    });
    assertTrue(System.nanoTime() - disabledAt < 1_500_000_000L, "cut within a second or so");
    assertEquals(200, c.admin("PUT", "/api/users/" + one, new JsonObject().put("is_active", true)).statusCode());
    eventually(Duration.ofSeconds(5), "the enabled account plays again", () -> b.get(live("301", oneToken)).status() == 200);
  }

  private static void assertRefused(Player.Answer r) {
    assertEquals(403, r.status(), r.body());
    assertEquals("ERROR: Max connections reached", r.body().trim());
  }

  private static String firstSegment(String playlist) {
    String line = playlist.lines().filter(l -> !l.startsWith("#") && l.contains(".ts")).findFirst().orElseThrow();
    return line.startsWith("http") ? line.substring(line.indexOf("/live/") + 6) : line;
  }

  private String redis(String... command) throws Exception {
    List<String> cmd = TestEnv.redisCli(redisDb);
    cmd.addAll(List.of(command));
    return LiveStory.Run.of(10, cmd.toArray(String[]::new)).output().trim();
  }
}
