package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.testing.TestEnv;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;

import static dev.iptv.testing.Await.await;
import static dev.iptv.testing.Eventually.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HLS and FFmpeg-log folders are private to the service's user: created with tight modes,
 * refused when they are links or another user's, nothing inside followed through a link.
 * (The tests run as root, as the suite's CI does: they hand folders to uid 65534, nobody.)
 */
class PrivateFoldersTest {

  private static final int NOBODY = 65534;

  private Path root;
  private Vertx vertx;

  @BeforeEach
  void setUp() {
    root = TestEnv.tempDir("iptv-private");
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() {
    await(vertx.close());
    TestEnv.deleteTree(root);
  }

  /** Deploys stream-service on these folders: null when it started (and is undeployed again), else why not. */
  private String deployError(Path hls, Path logs) {
    JsonObject config = TestEnv.config(StreamFixture.REDIS_DB, 0);
    config.put(Config.key(Config.HLS_DIR), hls.toString());
    config.put(Config.key(Config.FFMPEG_LOG_DIR), logs.toString());
    try {
      String id = await(vertx.deployVerticle(new StreamVerticle(), new DeploymentOptions().setConfig(config)));
      await(vertx.undeploy(id));
      return null;
    } catch (RuntimeException e) {
      return e.getMessage();
    }
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  @DisplayName("missing folders are created 0711 (HLS: nginx opens files by name) and 0700 (FFmpeg logs)")
  void createdWithTightModes() throws IOException {
    Path hls = root.resolve("a/hls");
    Path logs = root.resolve("b/logs");
    assertEquals(null, deployError(hls, logs));
    assertEquals("rwx--x--x", mode(hls));
    assertEquals("rwx------", mode(logs));
    assertEquals("rwx------", mode(logs.getParent()), "missing parents of the log folder are private too");
  }

  @Test
  @DisplayName("existing folders are tightened: HLS loses group/other write and other listing, logs become 0700")
  void existingFoldersTightened() throws IOException {
    Path hls = Files.createDirectory(root.resolve("hls"));
    Path logs = Files.createDirectory(root.resolve("logs"));
    Files.setPosixFilePermissions(hls, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.setPosixFilePermissions(logs, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertEquals(null, deployError(hls, logs));
    assertEquals("rwxr-x--x", mode(hls));
    assertEquals("rwx------", mode(logs));
  }

  @Test
  @DisplayName("an HLS folder that is a symbolic link is refused at start, and its target is left alone")
  void symlinkedHlsRefused() throws IOException {
    Path real = Files.createDirectory(root.resolve("real"));
    Files.setPosixFilePermissions(real, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path link = Files.createSymbolicLink(root.resolve("hls"), real);
    String error = deployError(link, root.resolve("logs"));
    assertTrue(error != null && error.contains(Config.HLS_DIR) && error.contains("symbolic link"), error);
    assertEquals("rwxrwxrwx", mode(real), "nothing changed through the link");
    Path logLink = Files.createSymbolicLink(root.resolve("logs-link"), real);
    String logError = deployError(root.resolve("hls2"), logLink);
    assertTrue(logError != null && logError.contains(Config.FFMPEG_LOG_DIR) && logError.contains("symbolic link"), logError);
  }

  @Test
  @DisplayName("folders owned by another user, or inside another user's folder, are refused at start")
  void otherOwnersRefused() throws IOException {
    Path hls = Files.createDirectory(root.resolve("hls"));
    Files.setAttribute(hls, "unix:uid", NOBODY);
    String error = deployError(hls, root.resolve("logs"));
    assertTrue(error != null && error.contains(Config.HLS_DIR) && error.contains("uid " + NOBODY), error);

    Path logs = Files.createDirectory(root.resolve("logs2"));
    Files.setAttribute(logs, "unix:uid", NOBODY);
    String logError = deployError(root.resolve("hls2"), logs);
    assertTrue(logError != null && logError.contains(Config.FFMPEG_LOG_DIR) && logError.contains("uid " + NOBODY), logError);

    Path theirs = Files.createDirectory(root.resolve("theirs"));
    Files.setAttribute(theirs, "unix:uid", NOBODY);
    String parentError = deployError(theirs.resolve("hls"), root.resolve("logs3"));
    assertTrue(parentError != null && parentError.contains("could replace it"), parentError);
  }

  @Test
  @DisplayName("files of the folder are read without following links, and a link is removed, never its target")
  void noLinkFollowed() throws Exception {
    Path outside = Files.createDirectory(root.resolve("outside"));
    Path secretPlaylist = Files.writeString(outside.resolve("secret.m3u8"), "#EXTM3U\n#EXTINF:1,\nsecret.ts\n");
    Path victim = Files.writeString(outside.resolve("victim"), "keep me", StandardCharsets.UTF_8);
    Path hls = Files.createDirectory(root.resolve("hls"));
    Path plantedPlaylist = Files.createSymbolicLink(hls.resolve("stream_777.m3u8"), secretPlaylist);
    assertThrows(IOException.class, () -> PrivateFolders.read(plantedPlaylist), "a link is never read through");

    // A predecessor's leftovers are removed by the sweep at start: the links go, their targets stay.
    Path plantedSegment = Files.createSymbolicLink(hls.resolve("stream_777_00001.ts"), victim);
    try (StreamFixture fx = new StreamFixture(Map.of(Config.HLS_DIR, hls.toString()))) {
      eventually(Duration.ofSeconds(10), "planted links removed", () ->
        !Files.exists(plantedPlaylist, LinkOption.NOFOLLOW_LINKS) && !Files.exists(plantedSegment, LinkOption.NOFOLLOW_LINKS));
      assertEquals("keep me", Files.readString(victim));
      assertTrue(Files.exists(secretPlaylist));
      assertTrue(fx.channelFiles("777").isEmpty());
    }
  }
}
