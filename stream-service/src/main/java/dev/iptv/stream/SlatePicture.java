package dev.iptv.stream;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * The picture of the slate ({@link ChannelSlate}): FFmpeg's {@code drawtext} over a {@code color}
 * source when the installed FFmpeg has it (built with libfreetype), else a PNG rendered here
 * (java.awt, headless) and looped ({@code -loop 1}). Either way the text comes from a file the slate
 * writes, never from a filter string. Blocking: call on a worker.
 */
final class SlatePicture {

  /** The slate's background. */
  static final int BACKGROUND = 0x1a1f2b;
  private static final String COLOR = "0x1a1f2b";
  /** Whether each FFmpeg binary has drawtext, asked once. */
  private static final Map<String, Boolean> DRAWTEXT = new ConcurrentHashMap<>();

  private SlatePicture() {
  }

  /** True when {@code ffmpeg -filters} lists drawtext (asked once per binary). */
  static boolean hasDrawtext(String ffmpeg) {
    return DRAWTEXT.computeIfAbsent(ffmpeg, f -> {
      try {
        Process p = new ProcessBuilder(f, "-hide_banner", "-filters").redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(5, TimeUnit.SECONDS);
        return out.lines().anyMatch(l -> l.trim().matches("\\S+\\s+drawtext\\s.*"));
      } catch (IOException e) {
        return false;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    });
  }

  /**
   * FFmpeg's video input and filter for the picture (the last input: the filter follows it): {@code lines} written to {@code dir/name.txt}
   * for drawtext, or rendered into {@code dir/name.png}; the files are named relative to {@code dir},
   * FFmpeg's working directory.
   */
  static List<String> input(String ffmpeg, Path dir, String name, int w, int h, List<String> lines) throws IOException {
    return input(ffmpeg, dir, name, w, h, lines, true);
  }

  /** {@link #input}, read in real time ({@code -re}: a live slate) or as fast as FFmpeg goes (segments made ahead). */
  static List<String> input(String ffmpeg, Path dir, String name, int w, int h, List<String> lines, boolean realTime)
    throws IOException {
    int fontSize = Math.max(12, h / 14);
    List<String> a = new ArrayList<>(realTime ? List.of("-re") : List.of());
    if (hasDrawtext(ffmpeg)) {
      Files.writeString(dir.resolve(name + ".txt"), String.join("\n", lines), StandardCharsets.UTF_8);
      a.addAll(List.of("-f", "lavfi", "-i", "color=c=" + COLOR + ":s=" + w + "x" + h + ":r=25",
        "-vf", "drawtext=textfile=" + name + ".txt:expansion=none:fontcolor=white:fontsize=" + fontSize
          + ":line_spacing=" + fontSize / 2 + ":x=(w-text_w)/2:y=(h-text_h)/2"));
      return a;
    }
    render(dir.resolve(name + ".png"), w, h, fontSize, lines);
    a.addAll(looped(name + ".png"));
    return a;
  }

  /** FFmpeg's input of a rendered picture, looped at 25 frames a second in real time. */
  static List<String> pngInput(String png) {
    List<String> a = new ArrayList<>(List.of("-re"));
    a.addAll(looped(png));
    return a;
  }

  /** A picture file as FFmpeg's input, looped at 25 frames a second. */
  private static List<String> looped(String png) {
    return List.of("-loop", "1", "-framerate", "25", "-i", png);
  }

  /** The picture as a PNG: the background, each line centred in white. */
  static void render(Path png, int w, int h, int fontSize, List<String> lines) throws IOException {
    System.setProperty("java.awt.headless", "true");
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setColor(new Color(BACKGROUND));
      g.fillRect(0, 0, w, h);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, fontSize));
      FontMetrics fm = g.getFontMetrics();
      int lineHeight = fm.getHeight() + fontSize / 2;
      int y = (h - lineHeight * lines.size()) / 2 + fm.getAscent();
      for (String line : lines) {
        g.drawString(line, (w - fm.stringWidth(line)) / 2, y);
        y += lineHeight;
      }
    } finally {
      g.dispose();
    }
    ImageIO.write(img, "png", png.toFile());
  }
}
