package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.stream.testing.LiveSource.Mode;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/** {@code IPTV_SLATE=false}: a watched channel whose every source fails restarts with backoff, without a slate. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlateOffTest {

  private LiveSource source;
  private StreamFixture fx;
  private final List<JsonObject> events = new CopyOnWriteArrayList<>();
  private MessageConsumer<JsonObject> consumer;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.SLATE, "false"));
    consumer = fx.vertx.eventBus().consumer(StreamContract.EVENTS, m -> events.add(m.body()));
    await(consumer.completion());
  }

  @AfterAll
  void tearDown() {
    fx.stopEveryStream();
    StreamFixture.closeAll(fx, source);
  }

  private List<String> kinds() {
    return events.stream().map(e -> e.getString("event")).toList();
  }

  @Test
  @DisplayName("with the slate off, a dead source's failed restarts are retried with backoff and the channel plays again when it returns")
  void restartsWithoutSlate() {
    String id = "931";
    fx.channel(id, source.url("s931"));
    assertEquals(200, fx.getText(fx.playlistUrl(id, fx.token())).statusCode());
    source.mode("s931", Mode.DIE);
    int before;
    try {
      eventually(Duration.ofSeconds(40), "a failed restart", () -> kinds().contains("failed"));
      eventually(Duration.ofSeconds(20), "no playlist while it restarts", () -> fx.channelFiles(id).stream()
        .noneMatch(f -> f.endsWith(".m3u8")));
      assertNull(fx.get(StreamContract.slateKey(id)));
    } finally {
      before = (int) kinds().stream().filter("restarted"::equals).count();
      source.comeBack("s931");
    }
    eventually(Duration.ofSeconds(60), "restarted once the source is back",
      () -> kinds().stream().filter("restarted"::equals).count() > before);
    assertFalse(kinds().contains("slate_on") || kinds().contains("slate_off"), kinds().toString());
  }
}
