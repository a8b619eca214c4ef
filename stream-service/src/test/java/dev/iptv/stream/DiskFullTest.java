package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.contract.StreamContract;
import dev.iptv.stream.testing.LiveSource;
import dev.iptv.testing.TestEnv;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A full disk under the HLS folder (a real 8 MiB tmpfs, filled up) is reported as a disk problem:
 * no transcode attempt and no backup source tried, a {@code disk_full} event, 503 for players; once
 * space is back the channel plays. (Mounting needs root, as the suite's CI runs.)
 */
class DiskFullTest {

  @Test
  @DisplayName("FFmpeg on a full disk: the player gets 503, disk_full is published once, nothing is transcoded, and it plays once space is back")
  void fullDiskIsADiskProblem() throws Exception {
    Path mount = TestEnv.tempDir("iptv-full-disk");
    run("mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "tmpfs", mount.toString());
    try (LiveSource source = LiveSource.start()) {
      Path hls = Files.createDirectory(mount.resolve("hls"));
      Path filler = mount.resolve("filler");
      fill(filler);
      assertTrue(hls.toFile().getUsableSpace() < HlsFolder.DISK_FULL_BYTES);
      try (StreamFixture fx = new StreamFixture(Map.of(Config.HLS_DIR, hls.toString()))) {
        List<JsonObject> events = new CopyOnWriteArrayList<>();
        MessageConsumer<JsonObject> c = fx.vertx.eventBus().consumer(StreamContract.EVENTS, m -> events.add(m.body()));
        await(c.completion());
        // A backup too: a copy failure would be followed by a transcode of the primary, then the backup.
        fx.channel("601", source.url(), source.url() + "?backup");
        Set<String> commands = ConcurrentHashMap.newKeySet();
        HttpResponse<String> r = StreamFixture.sampling(() -> {
          for (Long pid : fx.ffmpegPids("601")) {
            commands.add(String.join(" ", ProcScan.cmdline(pid)));
          }
        }, 500, () -> fx.getText(fx.playlistUrl("601", fx.token())));
        assertEquals(503, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
        assertTrue(!commands.isEmpty(), "FFmpeg ran on the full disk");
        for (String cmd : commands) {
          assertTrue(cmd.contains("-c copy") && !cmd.contains("libx264") && !cmd.contains("?backup"),
            "only the copy of the primary was tried: " + cmd);
        }
        eventually(Duration.ofSeconds(5), "a failed event for 601", () ->
          events.stream().anyMatch(e -> "failed".equals(e.getString("event")) && "601".equals(e.getString("channel_id"))));
        List<JsonObject> full = events.stream().filter(e -> "disk_full".equals(e.getString("event"))).toList();
        assertEquals(1, full.size(), "one disk_full event: " + events);
        JsonObject e = full.get(0);
        assertEquals("601", e.getString("channel_id"));
        assertEquals(StreamFixture.NODE, e.getString("node"));
        assertEquals(hls.toString(), e.getString("path"));
        assertTrue(e.getString("reason").toLowerCase(java.util.Locale.ROOT).contains("no space left"), e.encode());
        assertTrue(e.getValue("ts") instanceof Number, e.encode());
        for (JsonObject f : events) {
          assertTrue(!f.encode().contains("transcode"), "no transcode: " + f.encode());
        }
        assertTrue(fx.ffmpegPids("601").isEmpty());

        // Space is back: the channel plays.
        Files.delete(filler);
        HttpResponse<String> again = fx.getText(fx.playlistUrl("601", fx.token()));
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(200, fx.getBytes(fx.firstSegmentUrl(again.body())).statusCode());
      }
    } finally {
      run("umount", mount.toString());
      Files.deleteIfExists(mount);
    }
  }

  /** Writes {@code file} until the file system refuses (ENOSPC). */
  private static void fill(Path file) throws IOException {
    byte[] block = new byte[4096];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(block);
        out.flush();
      }
    } catch (IOException expected) {
      // Full.
    }
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", command) + ": " + out);
  }
}
