package dev.iptv.stream;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one FFmpeg said on stderr: the last lines (a bounded ring kept for diagnostics) and what they
 * tell about the attempt, read as the lines arrive so that a copy that cannot work is given up within
 * seconds instead of after the start timeout.
 *
 * <p>Fed by the {@link LogTailer} thread, read from the event loop: all methods are thread-safe.
 */
public final class FfmpegLog {

  /** Why an attempt failed, which decides what is tried next. */
  public enum Failure {
    /** The source cannot be read (refused, 404, timeout, no data, not a stream): try the next source. */
    SOURCE,
    /** The source plays but its packets cannot be copied into HLS: transcode it. */
    COPY,
    /**
     * The output cannot be written: the disk (or the user's quota) is full. Neither another source
     * nor transcoding can help; it is reported as a disk problem.
     */
    DISK,
    /**
     * A quick probe missed a stream the source has ({@link #missedStream()}): run the source again
     * with a full probe ({@link ProbePolicy}).
     */
    PROBE,
    /** The source's provider runs as many streams as it allows: try a source of another provider. */
    BUSY
  }

  /** Video codecs HLS players decode: H.264 and HEVC. */
  static final Set<String> HLS_VIDEO = Set.of("h264", "hevc");
  /** Audio codecs HLS players (and the IPTV apps our users run) decode. */
  static final Set<String> HLS_AUDIO = Set.of("aac", "mp3", "ac3", "eac3", "mp2");
  /** Non-monotonic DTS warnings within {@link #DTS_WINDOW_MS} that make copying hopeless. */
  static final int DTS_STORM = 30;
  static final long DTS_WINDOW_MS = 10_000;

  private static final int MAX_LINES = 200;
  /** Progress samples kept (one a second with {@code -stats_period 1}): the longest speed window. */
  static final int MAX_PROGRESS = 600;
  /** What {@code -progress} writes, a key a line: read for the speed, never kept as a line of the log. */
  private static final Pattern PROGRESS = Pattern.compile(
    "^(frame|fps|stream_\\d+_\\d+_q|bitrate|total_size|out_time_us|out_time_ms|out_time|dup_frames|drop_frames|speed|progress)=");
  private static final Pattern STREAM_LINE = Pattern.compile("^\\s*Stream #\\d+:(\\d+)\\S*: (Video|Audio|Subtitle|Data): ([A-Za-z0-9_]+)");
  /** Said while probing, before the input is described: a stream the tables list came without its parameters. */
  private static final Pattern NO_PARAMETERS = Pattern.compile("Could not find codec parameters for stream (\\d+) \\((Video|Audio)");
  /** Said while running: a stream the probe did not see (a program table that changed). */
  private static final Pattern NEW_STREAM = Pattern.compile("New (audio|video) stream \\d+:(\\d+) at ");
  private static final Pattern FPS = Pattern.compile(", (\\d+(?:\\.\\d+)?) fps");
  private static final List<String> COPY_ERRORS = List.of(
    "could not write header", "could not find tag for codec", "not currently supported in container",
    "incompatible with output codec", "error initializing output stream", "is muxed as a private data stream");
  private static final List<String> SOURCE_ERRORS = List.of(
    "connection refused", "server returned", "http error", "connection timed out", "operation timed out",
    "failed to resolve", "name or service not known", "no route to host", "network is unreachable",
    "invalid data found when processing input", "end of file", "input/output error", "protocol not found",
    "not on whitelist", "connection reset", "broken pipe", "stream ends prematurely");
  /** ENOSPC and EDQUOT as FFmpeg prints them (strerror). */
  private static final List<String> DISK_ERRORS = List.of("no space left on device", "disk quota exceeded");

  private final ArrayDeque<String> lines = new ArrayDeque<>();
  private final long createdMs = System.currentTimeMillis();
  private enum Section { NONE, INPUT, OUTPUT }
  private Section section = Section.NONE;
  private boolean inputOpened;
  private boolean outputOpened;
  private String videoCodec;
  private final List<String> audioCodecs = new ArrayList<>();
  /** Input streams whose parameters the probe did not find. */
  private final Set<Integer> unprobed = new HashSet<>();
  private boolean videoFound;
  private boolean audioFound;
  private String missedStream;
  private double fps;
  private final ArrayDeque<Long> dtsWarnings = new ArrayDeque<>();
  private String copyProblem;
  private String sourceProblem;
  private String diskProblem;
  private long segmentsOpened;
  /** {wall clock ms, FFmpeg's out_time in µs} of each progress report, oldest first. */
  private final ArrayDeque<long[]> progress = new ArrayDeque<>();
  private Runnable problemListener;

  /**
   * {@code listener} runs (on the thread that feeds the log) when a problem that ends an attempt
   * first appears: a full disk, a reason to give up copying, a stream the probe missed; null:
   * nobody listens.
   */
  public synchronized void onProblem(Runnable listener) {
    this.problemListener = listener;
  }

  /** One stderr line. */
  public void accept(String line) {
    Runnable tell;
    synchronized (this) {
      boolean before = copyProblem != null || diskProblem != null || missedStream != null;
      read(line);
      tell = !before && (copyProblem != null || diskProblem != null || missedStream != null) ? problemListener : null;
    }
    if (tell != null) {
      tell.run();
    }
  }

  private void read(String line) {
    if (line.isBlank()) {
      return;
    }
    String trimmed = line.length() > 1000 ? line.substring(0, 1000) : line;
    if (PROGRESS.matcher(trimmed).find()) {
      if (trimmed.startsWith("out_time_us=")) {
        progressed(trimmed.substring("out_time_us=".length()).trim());
      }
      return;
    }
    // Progress of the HLS muxer is not worth keeping, but counting it tells that segments flow.
    if (trimmed.contains("Opening '") && trimmed.contains("for writing")) {
      segmentsOpened++;
      return;
    }
    lines.addLast(trimmed);
    while (lines.size() > MAX_LINES) {
      lines.removeFirst();
    }
    String lower = trimmed.toLowerCase(Locale.ROOT);
    if (trimmed.startsWith("Input #")) {
      section = Section.INPUT;
      inputOpened = true;
      return;
    }
    if (trimmed.startsWith("Output #")) {
      section = Section.OUTPUT;
      outputOpened = true;
      inspectInput();
      return;
    }
    if (trimmed.startsWith("Stream mapping:")) {
      section = Section.NONE;
      inspectInput();
      return;
    }
    if (section == Section.NONE && !inputOpened) {
      Matcher m = NO_PARAMETERS.matcher(trimmed);
      if (m.find()) {
        unprobed.add(Integer.parseInt(m.group(1)));
      }
    }
    if (section == Section.INPUT) {
      Matcher m = STREAM_LINE.matcher(trimmed);
      if (m.find()) {
        int index = Integer.parseInt(m.group(1));
        String codec = m.group(3).toLowerCase(Locale.ROOT);
        // The command maps the first video stream and every audio stream: one of those without
        // parameters makes FFmpeg refuse to write its header.
        if (m.group(2).equals("Video") && videoCodec == null) {
          videoCodec = codec;
          Matcher f = FPS.matcher(trimmed);
          if (f.find()) {
            fps = Double.parseDouble(f.group(1));
          }
          videoFound = !unprobed.contains(index);
          if (!videoFound) {
            missed("the video (stream " + index + ") came without its parameters within the probe");
          }
        } else if (m.group(2).equals("Audio")) {
          audioCodecs.add(codec);
          if (unprobed.contains(index)) {
            missed("the audio (stream " + index + ") came without its parameters within the probe");
          } else {
            audioFound = true;
          }
        }
      }
    }
    if (lower.contains("does not contain any stream")) {
      missed("no stream was found within the probe");
    }
    Matcher late = NEW_STREAM.matcher(trimmed);
    if (late.find() && (late.group(1).equals("audio") ? !audioFound : !videoFound)) {
      missed("an " + (late.group(1).equals("audio") ? "audio" : "video") + " stream (" + late.group(2)
        + ") appeared after the probe, and the output has none");
    }
    if (lower.contains("non-monotonous dts") || lower.contains("non monotonically increasing dts")) {
      long now = System.currentTimeMillis();
      dtsWarnings.addLast(now);
      while (!dtsWarnings.isEmpty() && now - dtsWarnings.peekFirst() > DTS_WINDOW_MS) {
        dtsWarnings.removeFirst();
      }
      if (dtsWarnings.size() >= DTS_STORM && copyProblem == null) {
        copyProblem = "timestamps out of order (" + dtsWarnings.size() + " non-monotonic DTS in "
          + DTS_WINDOW_MS / 1000 + " s)";
      }
    }
    for (String e : DISK_ERRORS) {
      if (lower.contains(e)) {
        // "Could not write header ...: No space left on device" says nothing about copying.
        if (diskProblem == null) {
          diskProblem = trimmed.trim();
        }
        return;
      }
    }
    if (copyProblem == null) {
      for (String e : COPY_ERRORS) {
        if (lower.contains(e)) {
          copyProblem = trimmed.trim();
          break;
        }
      }
    }
    if (sourceProblem == null) {
      for (String e : SOURCE_ERRORS) {
        if (lower.contains(e)) {
          sourceProblem = trimmed.trim();
          break;
        }
      }
    }
  }

  private void progressed(String outTimeUs) {
    try {
      progressAt(System.currentTimeMillis(), Long.parseLong(outTimeUs));
    } catch (NumberFormatException e) {
      // N/A before the first packet
    }
  }

  /** A progress report: FFmpeg's output reached {@code outTimeUs} at {@code wallMs}. */
  synchronized void progressAt(long wallMs, long outTimeUs) {
    progress.addLast(new long[] {wallMs, outTimeUs});
    while (progress.size() > MAX_PROGRESS) {
      progress.removeFirst();
    }
  }

  /**
   * How fast FFmpeg went over the last {@code windowMs} (1.0: real time), from the progress of its
   * output time between the last report and the last one at least the window older; 0 when nothing
   * was reported for a whole window; NaN while the reports span less than the window (just started,
   * or an FFmpeg that reports no progress). FFmpeg's own {@code speed=} is an average since its
   * start: a stream that slowed after an hour would take hours to show it there.
   */
  public synchronized double speedOver(long windowMs, long nowMs) {
    if (progress.isEmpty()) {
      return Double.NaN;
    }
    long[] last = progress.peekLast();
    if (nowMs - last[0] >= windowMs) {
      return 0;
    }
    long[] base = null;
    for (long[] p : progress) {
      if (last[0] - p[0] >= windowMs) {
        base = p;
      } else {
        break;
      }
    }
    if (base == null) {
      return Double.NaN;
    }
    return (last[1] - base[1]) / 1000.0 / (last[0] - base[0]);
  }

  /** Once the input is described: a codec HLS players cannot decode makes copying useless. */
  private void inspectInput() {
    if (copyProblem != null || !inputOpened) {
      return;
    }
    if (videoCodec != null && !HLS_VIDEO.contains(videoCodec)) {
      copyProblem = "video codec " + videoCodec + " cannot be copied into HLS";
      return;
    }
    for (String a : audioCodecs) {
      if (!HLS_AUDIO.contains(a)) {
        copyProblem = "audio codec " + a + " cannot be copied into HLS";
        return;
      }
    }
  }

  private void missed(String what) {
    if (missedStream == null) {
      missedStream = what;
    }
  }

  /**
   * A stream of the source the probe missed, or null: one the program table lists came without its
   * parameters within the probe (FFmpeg cannot write the output's header), none was found at all,
   * or one of a kind the output lacks appeared after the probe (FFmpeg leaves it out). A longer
   * probe finds it.
   */
  public synchronized String missedStream() {
    return missedStream;
  }

  /** A reason to give up copying while FFmpeg still runs, or null. */
  public synchronized String copyProblem() {
    return copyProblem;
  }

  /** What FFmpeg said about a full disk or quota, or null. */
  public synchronized String diskProblem() {
    return diskProblem;
  }

  public synchronized boolean inputOpened() {
    return inputOpened;
  }

  public synchronized double fps() {
    return fps;
  }

  public synchronized long segmentsOpened() {
    return segmentsOpened;
  }

  /**
   * Why FFmpeg ended (or was given up) without producing a playlist, from what it said.
   *
   * @param copying whether it ran in copy mode
   */
  public synchronized Failure classify(boolean copying) {
    if (diskProblem != null) {
      return Failure.DISK;
    }
    if (copying && copyProblem != null) {
      return Failure.COPY;
    }
    if (!inputOpened || sourceProblem != null) {
      return Failure.SOURCE;
    }
    // The input opened and described itself, then FFmpeg failed on the way out: the output side.
    return copying && outputOpened ? Failure.COPY : Failure.SOURCE;
  }

  /** The most telling line for logs and events. */
  public synchronized String summary() {
    if (diskProblem != null) {
      return diskProblem;
    }
    if (copyProblem != null) {
      return copyProblem;
    }
    if (sourceProblem != null) {
      return sourceProblem;
    }
    for (var it = lines.descendingIterator(); it.hasNext(); ) {
      String l = it.next();
      String lower = l.toLowerCase(Locale.ROOT);
      if (lower.contains("error") || lower.contains("failed") || lower.contains("invalid")) {
        return l.trim();
      }
    }
    return lines.isEmpty() ? "no output" : lines.peekLast().trim();
  }

  /** The last {@code n} lines. */
  public synchronized List<String> tail(int n) {
    List<String> all = new ArrayList<>(lines);
    return all.subList(Math.max(0, all.size() - n), all.size());
  }

  public long ageMs() {
    return System.currentTimeMillis() - createdMs;
  }
}
