package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.stream.testing.LiveSource.Mode;
import dev.iptv.testing.TestEnv;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The detection times of README "Stalls and switches" and "Sources fail", measured with the default
 * settings (4 s segments, 15 s start timeout, stall after 3 segments, slate checks up to 10 s apart)
 * on the live source: a frozen primary to its backup, a single source back to live, every source dead
 * to the slate and back. A measurement, not a check: run with {@code -Diptv.measure=true}; it prints
 * {@code MEASURED} lines.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnabledIfSystemProperty(named = "iptv.measure", matches = "true")
class DetectionTimesTest {

  private LiveSource source;
  private StreamFixture fx;
  private final List<Object[]> events = new CopyOnWriteArrayList<>();
  private MessageConsumer<JsonObject> consumer;

  @BeforeAll
  void setUp() {
    source = LiveSource.start();
    fx = new StreamFixture(Map.of(Config.HLS_TIME_S, "4", Config.HLS_LIST_SIZE, "6", Config.START_TIMEOUT_S, "15"));
    consumer = fx.vertx.eventBus().consumer(StreamContract.EVENTS,
      m -> events.add(new Object[] {System.currentTimeMillis(), m.body()}));
    await(consumer.completion());
  }

  @AfterAll
  void tearDown() {
    fx.stopEveryStream();
    StreamFixture.closeAll(fx, source);
  }

  /** When the first event {@code kind} of channel {@code id} after {@code sinceMs} was heard. */
  private long heard(String kind, String id, long sinceMs, Duration within) {
    return eventually(within, kind + " of " + id, () -> events.stream()
      .filter(e -> (long) e[0] >= sinceMs && kind.equals(((JsonObject) e[1]).getString("event"))
        && id.equals(((JsonObject) e[1]).getString("channel_id")))
      .map(e -> (Long) e[0]).findFirst().orElse(-1L), t -> t >= 0);
  }

  @Test
  @DisplayName("default settings: stall to switch, source back to live, all dead to slate and back")
  void measure() {
    String token = fx.token();
    // A frozen primary: stalled, restarted on it, then moved to the backup.
    fx.channel("951", source.url("p951"), source.url("b951"));
    assertEquals(200, fx.getText(fx.playlistUrl("951", token)).statusCode());
    TestEnv.pause(6_000); // plays a while first: time is the subject
    long frozen = System.currentTimeMillis();
    source.mode("p951", Mode.STALL);
    long stalled = heard("stalled", "951", frozen, Duration.ofSeconds(60));
    long switched = heard("switched", "951", frozen, Duration.ofSeconds(90));
    source.comeBack("p951");
    System.out.printf("MEASURED defaults: frozen primary found stalled %d ms, plays from the backup %d ms%n",
      stalled - frozen, switched - frozen);
    fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "951"));

    // A single source that freezes and comes back.
    fx.channel("952", source.url("s952"));
    assertEquals(200, fx.getText(fx.playlistUrl("952", token)).statusCode());
    TestEnv.pause(6_000); // plays a while first: time is the subject
    long frozen2 = System.currentTimeMillis();
    source.mode("s952", Mode.STALL);
    heard("stalled", "952", frozen2, Duration.ofSeconds(60));
    TestEnv.pause(2_000); // away a little longer: time is the subject
    long back = System.currentTimeMillis();
    source.comeBack("s952");
    long restarted = heard("restarted", "952", back, Duration.ofSeconds(60));
    System.out.printf("MEASURED defaults: a single source back, restarted (playing) after %d ms%n", restarted - back);
    fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "952"));

    // Every source dead: the slate, then live again when one comes back.
    fx.channel("953", source.url("p953"), source.url("b953"));
    assertEquals(200, fx.getText(fx.playlistUrl("953", token)).statusCode());
    TestEnv.pause(6_000); // plays a while first: time is the subject
    long dead = System.currentTimeMillis();
    source.mode("p953", Mode.DIE);
    source.mode("b953", Mode.DIE);
    long slate = heard("slate_on", "953", dead, Duration.ofSeconds(90));
    TestEnv.pause(15_000); // the slate shows a while, its checks backing off to 10 s: time is the subject
    long back2 = System.currentTimeMillis();
    source.comeBack("b953");
    long live = heard("slate_off", "953", back2, Duration.ofSeconds(60));
    System.out.printf("MEASURED defaults: every source dead to the slate %d ms, a source back to live %d ms%n",
      slate - dead, live - back2);

    // Every source frozen (connections kept, nothing sent): the slate.
    source.comeBack("p953");
    fx.api("POST", "/api/stream/stop", new JsonObject().put("channel_id", "953"));
    fx.channel("954", source.url("p954"), source.url("b954"));
    assertEquals(200, fx.getText(fx.playlistUrl("954", token)).statusCode());
    TestEnv.pause(6_000); // plays a while first: time is the subject
    long frozen3 = System.currentTimeMillis();
    source.mode("p954", Mode.STALL);
    source.mode("b954", Mode.STALL);
    long slate2 = heard("slate_on", "954", frozen3, Duration.ofSeconds(120));
    source.comeBack("p954");
    source.comeBack("b954");
    System.out.printf("MEASURED defaults: every source frozen to the slate %d ms%n", slate2 - frozen3);
  }
}
