package dev.iptv.stream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads {@code /proc} to find the FFmpeg processes that write into our HLS folder. A PID alone is
 * never trusted: a process is ours only when its command line is an FFmpeg whose output is
 * {@code {hlsDir}/stream_{id}.m3u8}. Blocking: call from a worker.
 */
final class ProcScan {

  /** An FFmpeg writing a channel's playlist in our folder. */
  record Found(long pid, String channelId, Instant started) {
  }

  private static final Path PROC = Path.of("/proc");

  private ProcScan() {
  }

  static List<Found> scan(Path hlsDir, String ffmpegBinary) {
    List<Found> out = new ArrayList<>();
    if (!Files.isDirectory(PROC)) {
      return out;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC)) {
      for (Path d : dirs) {
        String name = d.getFileName().toString();
        if (name.isEmpty() || !name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(name);
        String id = channelOf(pid, hlsDir, ffmpegBinary);
        if (id != null) {
          out.add(new Found(pid, id, startOf(pid)));
        }
      }
    } catch (IOException e) {
      return out;
    }
    return out;
  }

  /** The channel {@code pid} writes, when it is an FFmpeg writing into {@code hlsDir}; else null. */
  static String channelOf(long pid, Path hlsDir, String ffmpegBinary) {
    List<String> argv = cmdline(pid);
    if (argv.isEmpty() || !isFfmpeg(argv.get(0), ffmpegBinary)) {
      return null;
    }
    return FfmpegCommand.channelOf(argv, hlsDir);
  }

  /** True when {@code pid} is alive and an FFmpeg writing channel {@code id} in {@code hlsDir}. */
  static boolean verify(long pid, Path hlsDir, String ffmpegBinary, String id) {
    return id.equals(channelOf(pid, hlsDir, ffmpegBinary));
  }

  static List<String> cmdline(long pid) {
    try {
      byte[] raw = Files.readAllBytes(PROC.resolve(Long.toString(pid)).resolve("cmdline"));
      if (raw.length == 0) {
        return List.of();
      }
      int end = raw[raw.length - 1] == 0 ? raw.length - 1 : raw.length;
      return Arrays.asList(new String(raw, 0, end, StandardCharsets.UTF_8).split("\0", -1));
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  private static boolean isFfmpeg(String argv0, String ffmpegBinary) {
    String base = baseName(argv0);
    return base.equals(baseName(ffmpegBinary)) || base.equals("ffmpeg");
  }

  private static String baseName(String s) {
    int slash = s.lastIndexOf('/');
    return slash < 0 ? s : s.substring(slash + 1);
  }

  private static Instant startOf(long pid) {
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    return h.flatMap(p -> p.info().startInstant()).orElse(Instant.EPOCH);
  }
}
