package dev.iptv.stream;

import dev.iptv.testing.TestEnv;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The slate's picture without drawtext (a PNG rendered in Java, looped by FFmpeg), and the drawtext check. */
class SlatePictureTest {

  @Test
  @DisplayName("without drawtext the slate is a rendered PNG FFmpeg loops: the background colour with white text, at the size asked")
  void renderedPicture() throws Exception {
    Path dir = TestEnv.tempDir("iptv-slate-picture");
    SlatePicture.render(dir.resolve("s.png"), 640, 360, 26, List.of(ChannelSlate.shown("MBC Pro aflam\nx"), "Temporarily unavailable"));
    List<String> args = new ArrayList<>(List.of("ffmpeg", "-nostdin", "-v", "error"));
    args.addAll(SlatePicture.pngInput("s.png"));
    args.addAll(List.of("-t", "1", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts", "s.ts"));
    Process enc = new ProcessBuilder(args).directory(dir.toFile()).inheritIO().start();
    assertEquals(0, enc.waitFor());
    Process dec = new ProcessBuilder("ffmpeg", "-v", "error", "-i", dir.resolve("s.ts").toString(), "-frames:v", "1",
      "-f", "rawvideo", "-pix_fmt", "rgb24", "-").start();
    byte[] rgb = dec.getInputStream().readAllBytes();
    dec.waitFor();
    assertEquals(640 * 360 * 3, rgb.length);
    int background = 0;
    int white = 0;
    for (int i = 0; i < rgb.length; i += 3) {
      int r = rgb[i] & 0xff;
      int g = rgb[i + 1] & 0xff;
      int b = rgb[i + 2] & 0xff;
      if (Math.abs(r - 0x1a) < 12 && Math.abs(g - 0x1f) < 12 && Math.abs(b - 0x2b) < 12) {
        background++;
      } else if (r > 200 && g > 200 && b > 200) {
        white++;
      }
    }
    assertTrue(background > 0.8 * 640 * 360, "mostly the background: " + background);
    assertTrue(white > 0.002 * 640 * 360, "white text drawn: " + white);
    assertEquals("MBC Pro aflam x", ChannelSlate.shown("MBC Pro aflam\nx"), "one line, no control character");
    assertEquals(60, ChannelSlate.shown("n".repeat(100)).length());
    Files.deleteIfExists(dir.resolve("s.png"));
  }

  @Test
  @DisplayName("drawtext is found in this FFmpeg's filters, and not in a binary that is no FFmpeg")
  void drawtextCheck() {
    assertTrue(SlatePicture.hasDrawtext("ffmpeg"), "the Debian FFmpeg is built with libfreetype");
    assertFalse(SlatePicture.hasDrawtext("/bin/true"));
    assertFalse(SlatePicture.hasDrawtext("/nonexistent/ffmpeg"));
  }
}
