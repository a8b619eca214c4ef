package dev.iptv.stream.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A real FFmpeg decoding {@code url} to nothing, its progress kept: a player that never reopens. */
public final class FfmpegPlayer implements AutoCloseable {

  public final Process process;
  private final List<String> said = new CopyOnWriteArrayList<>();
  private final Thread reader;

  public FfmpegPlayer(String url) throws Exception {
    process = new ProcessBuilder(System.getProperty("iptv.test.ffmpeg", "ffmpeg"), "-nostdin", "-hide_banner",
      "-loglevel", "error", "-progress", "pipe:1", "-i", url, "-f", "null", "-")
      .redirectErrorStream(true).start();
    reader = new Thread(() -> new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
      .lines().forEach(said::add), "test-ffmpeg-player");
    reader.start();
  }

  /** The frames decoded so far (the last {@code frame=} of its progress). */
  public long frames() {
    long n = 0;
    for (String l : said) {
      if (l.startsWith("frame=")) {
        n = Long.parseLong(l.substring(6).trim());
      }
    }
    return n;
  }

  /** What it said that is not progress. */
  public String errors() {
    return said.stream().filter(l -> !l.matches("[a-z0-9_]+=\\S*")).toList().toString();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
    reader.join(5_000);
  }
}
