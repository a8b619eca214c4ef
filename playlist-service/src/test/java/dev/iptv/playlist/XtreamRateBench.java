package dev.iptv.playlist;

import dev.iptv.contract.ChannelContract;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Request rates of player_api.php and get.php with 25,000 channels, measured with wrk against a
 * deployed auth-service and playlist-service (real Redis, default PBKDF2 iterations). Opt-in:
 * {@code -Diptv.bench=true}; prints the numbers.
 */
@ExtendWith(VertxExtension.class)
@EnabledIfSystemProperty(named = "iptv.bench", matches = "true")
class XtreamRateBench {

  private static final int CHANNELS = 25_000;

  @Test
  @DisplayName("player_api.php and get.php rates with 25,000 channels")
  void rates(Vertx vertx) throws Exception {
    PlaylistFixture fx = new PlaylistFixture(vertx, Map.of("IPTV_PASSWORD_HASH_ITERATIONS", "120000"));
    List<String> mset = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    ids.add(ChannelContract.CHANNELS_ALL);
    for (int i = 1; i <= CHANNELS; i++) {
      String id = Integer.toString(100_000 + i);
      JsonObject c = PlaylistFixture.channel(id, "Channel " + i, i % 100, i).put("category", "Category " + (i % 100))
        .put("epg_channel_id", "ch" + i + ".example");
      mset.add(ChannelContract.channelKey(id));
      mset.add(c.encode());
      ids.add(id);
      if (mset.size() >= 2000) {
        await(fx.redis.mset(mset));
        mset.clear();
      }
    }
    if (!mset.isEmpty()) {
      await(fx.redis.mset(mset));
    }
    await(fx.redis.sadd(ids));
    fx.createUser("bench");
    String q = "username=bench&password=pw";
    assertEquals(CHANNELS, new JsonArray(fx.get("/player_api.php?" + q + "&action=get_live_streams").bodyAsString()).size());
    int m3uBytes = fx.get("/get.php?" + q + "&type=m3u_plus&output=m3u8").body().length();
    System.out.println("get.php body: " + m3uBytes + " bytes");
    for (String path : List.of("/player_api.php?" + q, "/player_api.php?" + q + "&action=get_live_categories",
      "/player_api.php?" + q + "&action=get_live_streams", "/get.php?" + q + "&type=m3u_plus&output=m3u8")) {
      System.out.println("== " + path + "\n" + wrk("http://127.0.0.1:" + fx.port + path));
    }
  }

  private static String wrk(String url) throws Exception {
    Process p = new ProcessBuilder(List.of("wrk", "-t2", "-c8", "-d8s", "--latency", url)).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }
}
