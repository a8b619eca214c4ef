package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.stream.FfmpegCommand.Mode;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The HLS folder's file events tell a channel's listeners when its playlist is written, with no
 * reading of the folder in a loop: the watcher itself has no fallback, so a missed event fails here.
 */
class PlaylistWatcherTest {

  private Vertx vertx;
  private Context context;
  private Path dir;
  private PlaylistWatcher watcher;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    context = vertx.getOrCreateContext();
    dir = TestEnv.tempDir("iptv-hls-watch-test");
    watcher = PlaylistWatcher.start(dir);
  }

  @AfterEach
  void tearDown() {
    watcher.close();
    await(vertx.close());
    TestEnv.deleteTree(dir);
  }

  @Test
  @DisplayName("a playlist renamed into place is told to its channel's listeners only, until they cancel")
  void renamedPlaylistIsTold() throws Exception {
    AtomicInteger told42 = new AtomicInteger();
    AtomicInteger told7 = new AtomicInteger();
    AtomicInteger told8 = new AtomicInteger();
    Subscription s42 = watcher.watch("42", context, told42::incrementAndGet);
    watcher.watch("7", context, told7::incrementAndGet);
    watcher.watch("8", context, told8::incrementAndGet);

    writePlaylist("42");
    eventually(Duration.ofSeconds(5), "channel 42's playlist told", () -> told42.get() == 1);

    // Segments, temp files and other names are no playlist of channel 7; the marker (8) comes after them.
    Files.writeString(dir.resolve("stream_7_00001.ts.tmp"), "x");
    Files.move(dir.resolve("stream_7_00001.ts.tmp"), dir.resolve("stream_7_00001.ts"));
    Files.writeString(dir.resolve("stream_7.m3u8.tmp"), "#EXTM3U\n");
    Files.writeString(dir.resolve("stream_77.m3u8x"), "x");
    s42.cancel();
    writePlaylist("42");
    writePlaylist("8");
    eventually(Duration.ofSeconds(5), "the marker told", () -> told8.get() == 1);
    assertEquals(0, told7.get(), "no playlist of 7 was written");
    assertEquals(1, told42.get(), "42 cancelled before its second playlist");
  }

  @Test
  @DisplayName("FFmpeg's own playlist writes are told as they happen")
  void ffmpegWritesAreTold() throws Exception {
    JsonObject c = Config.load(java.util.Map.of());
    c.put(Config.key(Config.ADMIN_TOKEN), "0123456789abcdef0123");
    c.put(Config.key(Config.HLS_DIR), dir.toString());
    c.put(Config.key(Config.HLS_TIME_S), "1");
    StreamSettings s = StreamSettings.from(c);
    AtomicInteger told = new AtomicInteger();
    watcher.watch("901", context, told::incrementAndGet);
    try (LiveSource source = LiveSource.start()) {
      ChannelSpec spec = ChannelSpec.fromJson("901", new JsonObject().put("channel_id", "901")
        .put("source_url", source.url()));
      List<String> args = FfmpegCommand.build(s, spec, source.url(), Mode.COPY, Quality.MEDIUM, ProbePolicy.Probe.QUICK, 0,
        FfmpegCommand.startNumber(System.currentTimeMillis()));
      Process ffmpeg = new ProcessBuilder(args).directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      try {
        eventually(Duration.ofSeconds(15), "three playlist writes told", () -> told.get() >= 3);
      } finally {
        ffmpeg.destroyForcibly().waitFor();
      }
    }
  }

  @Test
  @DisplayName("only playlist names map to a channel")
  void playlistNames() {
    assertEquals("48681", PlaylistWatcher.channelOf("stream_48681.m3u8"));
    assertNull(PlaylistWatcher.channelOf("stream_48681.m3u8.tmp"));
    assertNull(PlaylistWatcher.channelOf("stream_48681_00001.ts"));
    assertNull(PlaylistWatcher.channelOf("stream_.m3u8"));
    assertNull(PlaylistWatcher.channelOf("stream_4a.m3u8"));
  }

  /** As FFmpeg does with hls_flags temp_file: written aside, renamed into place. */
  private void writePlaylist(String id) throws Exception {
    Path tmp = dir.resolve("stream_" + id + ".m3u8.tmp");
    Files.writeString(tmp, "#EXTM3U\n#EXTINF:1.0,\nstream_" + id + "_00001.ts\n");
    Files.move(tmp, dir.resolve("stream_" + id + ".m3u8"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
