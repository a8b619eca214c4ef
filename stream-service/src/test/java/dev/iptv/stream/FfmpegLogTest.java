package dev.iptv.stream;

import dev.iptv.stream.FfmpegLog.Failure;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading FFmpeg's stderr: what failed, and whether copying can ever work. */
class FfmpegLogTest {

  private static FfmpegLog feed(String... lines) {
    FfmpegLog log = new FfmpegLog();
    for (String l : lines) {
      log.accept(l);
    }
    return log;
  }

  @Test
  @DisplayName("a refused connection or a 404 is the source's failure")
  void sourceFailures() {
    FfmpegLog refused = feed("[tcp @ 0x1] Connection to tcp://127.0.0.1:1 failed: Connection refused",
      "http://127.0.0.1:1/a.ts: Connection refused");
    assertEquals(Failure.SOURCE, refused.classify(true));
    assertTrue(refused.summary().contains("Connection refused"));
    FfmpegLog missing = feed("[http @ 0x1] HTTP error 404 Not Found", "http://x/a.ts: Server returned 404 Not Found");
    assertEquals(Failure.SOURCE, missing.classify(true));
    assertEquals(Failure.SOURCE, feed("nothing useful").classify(true), "input never opened");
  }

  @Test
  @DisplayName("H.264 and AAC copy fine; MPEG-2 video or an unknown audio codec make copying useless")
  void codecs() {
    FfmpegLog ok = feed("Input #0, mpegts, from 'http://x/live.ts':",
      "  Stream #0:0[0x100]: Video: h264 (Constrained Baseline) ([27][0][0][0] / 0x001B), yuv420p, 640x360, 25 fps, 25 tbr, 90k tbn",
      "  Stream #0:1[0x101]: Audio: aac (LC) ([15][0][0][0] / 0x000F), 48000 Hz, mono, fltp, 72 kb/s",
      "Output #0, hls, to '/x/stream_1.m3u8':",
      "  Stream #0:0: Video: mpeg2video, yuv420p");
    assertNull(ok.copyProblem(), "output stream lines are not the input's");
    assertEquals(25.0, ok.fps());
    assertTrue(ok.inputOpened());
    FfmpegLog mpeg2 = feed("Input #0, mpegts, from 'http://x/live.ts':",
      "  Stream #0:0[0x100]: Video: mpeg2video (Main) ([2][0][0][0] / 0x0002), yuv420p(tv), 640x360, 25 fps",
      "  Stream #0:1[0x101]: Audio: mp2 ([3][0][0][0] / 0x0003), 48000 Hz, mono, s16p, 128 kb/s",
      "Stream mapping:");
    assertNotNull(mpeg2.copyProblem());
    assertEquals(Failure.COPY, mpeg2.classify(true));
    assertEquals(Failure.SOURCE, mpeg2.classify(false), "a transcode never fails for copying");
    FfmpegLog opus = feed("Input #0, mpegts, from 'x':", "  Stream #0:0: Audio: opus, 48000 Hz", "Output #0, hls, to 'y':");
    assertTrue(opus.copyProblem().contains("opus"));
  }

  @Test
  @DisplayName("muxer refusals and a storm of non-monotonic timestamps mean copy fails; a few are tolerated")
  void muxerAndTimestamps() {
    assertEquals(Failure.COPY, feed("Input #0, mpegts, from 'x':", "Output #0, hls, to 'y':",
      "Could not write header for output file #0 (incorrect codec parameters ?): Invalid argument").classify(true));
    FfmpegLog few = new FfmpegLog();
    for (int i = 0; i < 5; i++) {
      few.accept("[hls @ 0x1] Non-monotonous DTS in output stream 0:1; previous: 10, current: 9; changing to 11.");
    }
    assertNull(few.copyProblem());
    FfmpegLog storm = new FfmpegLog();
    for (int i = 0; i < FfmpegLog.DTS_STORM; i++) {
      storm.accept("[hls @ 0x1] Non-monotonous DTS in output stream 0:1; previous: 10, current: 9; changing to 11.");
    }
    assertTrue(storm.copyProblem().contains("timestamps"));
  }

  @Test
  @DisplayName("a full disk (ENOSPC, quota) is a disk problem, never a reason to transcode, even in a header error")
  void fullDisk() {
    FfmpegLog header = feed("Input #0, mpegts, from 'x':",
      "  Stream #0:0[0x100]: Video: h264 (Constrained Baseline), yuv420p, 640x360, 25 fps",
      "Output #0, hls, to 'y':",
      "Could not write header for output file #0 (incorrect codec parameters ?): No space left on device");
    assertEquals(Failure.DISK, header.classify(true));
    assertNull(header.copyProblem(), "not a copy problem");
    assertTrue(header.diskProblem().contains("No space left on device"));
    assertTrue(header.summary().contains("No space left on device"));
    FfmpegLog frame = feed("Input #0, mpegts, from 'x':", "Output #0, hls, to 'y':",
      "av_interleaved_write_frame(): No space left on device", "Error writing trailer of y: No space left on device");
    assertEquals(Failure.DISK, frame.classify(true));
    assertEquals(Failure.DISK, feed("Input #0, mpegts, from 'x':", "Output #0, hls, to 'y':",
      "[hls @ 0x1] Failed to open file 'y': Disk quota exceeded").classify(false));
  }

  @Test
  @DisplayName("a probe too short: audio the PMT lists without its parameters, or audio that appears later, is a missed stream")
  void missedStreams() {
    // FFmpeg 5.1's words on the shipped live source's late-audio mode, quick probe.
    FfmpegLog late = feed(
      "[mpegts @ 0x1] Could not find codec parameters for stream 1 (Audio: aac ([15][0][0][0] / 0x000F), 0 channels): unspecified sample format",
      "Consider increasing the value for the 'analyzeduration' (700000) and 'probesize' (1000000) options",
      "Input #0, mpegts, from 'http://127.0.0.1:1/late-audio.ts':",
      "  Stream #0:0[0x100]: Video: h264 (Constrained Baseline) ([27][0][0][0] / 0x001B), yuv420p(progressive), 640x360, 25 fps, 25 tbr, 90k tbn",
      "  Stream #0:1[0x101]: Audio: aac ([15][0][0][0] / 0x000F), 0 channels");
    assertTrue(late.missedStream().contains("audio (stream 1)"), late.missedStream());
    late.accept("[hls @ 0x1] sample rate not set");
    late.accept("Could not write header for output file #0 (incorrect codec parameters ?): Invalid argument");
    assertTrue(late.missedStream().contains("audio (stream 1)"), "the first reason stays");

    // Its late-PMT mode: the probe sees video only, the audio comes with a new PMT.
    FfmpegLog pmt = feed("Input #0, mpegts, from 'http://127.0.0.1:1/late-pmt.ts':",
      "  Stream #0:0[0x100]: Video: h264 (Constrained Baseline) ([27][0][0][0] / 0x001B), yuv420p(progressive), 640x360, 25 fps",
      "Output #0, hls, to '/x/stream_1.m3u8':", "Stream mapping:", "  Stream #0:0 -> #0:0 (copy)");
    assertNull(pmt.missedStream());
    java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
    pmt.onProblem(told::incrementAndGet);
    pmt.accept("[mpegts @ 0x1] New audio stream 0:1 at pos:933044 and DTS:123.896s");
    assertTrue(pmt.missedStream().contains("audio stream (1) appeared"), pmt.missedStream());
    assertEquals(1, told.get(), "a missed stream ends an attempt: its listener is told");

    // What a quick probe may leave out without harm: a second audio track, data, a video stream not mapped.
    FfmpegLog fine = feed(
      "[mpegts @ 0x1] Could not find codec parameters for stream 2 (Unknown: none ([6][0][0][0] / 0x0006)): unknown codec",
      "[mpegts @ 0x1] Could not find codec parameters for stream 3 (Video: h264 ([27][0][0][0] / 0x001B)): unspecified size",
      "Input #0, mpegts, from 'x':",
      "  Stream #0:0[0x100]: Video: h264 (High), yuv420p, 1280x720, 25 fps",
      "  Stream #0:1[0x101](eng): Audio: aac (LC), 48000 Hz, stereo, fltp",
      "  Stream #0:2[0x102]: Data: bin_data ([6][0][0][0] / 0x0006)",
      "  Stream #0:3[0x103]: Video: h264 ([27][0][0][0] / 0x001B), none",
      "Output #0, hls, to 'y':",
      "[mpegts @ 0x1] New audio stream 0:4 at pos:1 and DTS:2s",
      "[mpegts @ 0x1] New video stream 0:5 at pos:1 and DTS:2s");
    assertNull(fine.missedStream(), "every kind the output needs was found");
    assertTrue(feed("Input #0, mpegts, from 'x':", "Output file #0 does not contain any stream").missedStream()
      .contains("no stream"), "tables later than the probe");
    assertEquals(Failure.SOURCE, feed("nothing").classify(true));
  }

  @Test
  @DisplayName("the ring keeps the last lines only, without the muxer's per-segment chatter")
  void boundedRing() {
    FfmpegLog log = new FfmpegLog();
    for (int i = 0; i < 1000; i++) {
      log.accept("line " + i);
      log.accept("[hls @ 0x1] Opening '/x/stream_1_" + i + ".ts.tmp' for writing");
    }
    assertEquals(200, log.tail(1000).size());
    assertEquals("line 999", log.tail(1).get(0));
    assertEquals(1000, log.segmentsOpened());
  }

  @Test
  @DisplayName("a listener is told once, when the first problem that ends an attempt appears, not for other lines")
  void problemIsTold() {
    FfmpegLog log = new FfmpegLog();
    java.util.concurrent.atomic.AtomicInteger told = new java.util.concurrent.atomic.AtomicInteger();
    log.onProblem(told::incrementAndGet);
    log.accept("Input #0, mpegts, from 'http://x/live.ts':");
    log.accept("[http @ 0x1] HTTP error 404 Not Found");
    assertEquals(0, told.get(), "a source error lets the process end on its own");
    log.accept("[hls @ 0x1] Could not write header for output file #0: No space left on device");
    assertEquals(1, told.get());
    log.accept("Could not find tag for codec mpeg2video in stream #0");
    assertEquals(1, told.get(), "told once");
    log.onProblem(null);
  }

  @Test
  @DisplayName("FFmpeg's progress is read for its speed over a window, and kept out of the lines an operator reads")
  void progressAndSpeed() {
    FfmpegLog log = feed("Input #0, mpegts, from 'http://x/a.ts':", "frame=25", "fps=25.00", "stream_0_0_q=-1.0",
      "out_time_us=1000000", "out_time_ms=1000000", "out_time=00:00:01.000000", "dup_frames=0", "speed=1.01x",
      "progress=continue", "out_time_us=N/A");
    assertEquals(1, log.tail(50).size(), "only FFmpeg's words: " + log.tail(50));
    FfmpegLog real = new FfmpegLog();
    FfmpegLog slow = new FfmpegLog();
    for (int s = 0; s <= 30; s++) {
      real.progressAt(100_000 + s * 1000L, s * 1_000_000L);
      // Real time for 20 s, then half of it.
      double out = s <= 20 ? s : 20 + (s - 20) / 2.0;
      slow.progressAt(100_000 + s * 1000L, (long) (out * 1_000_000));
    }
    long now = 130_500;
    assertEquals(1.0, real.speedOver(10_000, now), 0.001);
    assertEquals(0.5, slow.speedOver(10_000, now), 0.001);
    assertEquals(0.75, slow.speedOver(20_000, now), 0.001, "half the window slow");
    assertTrue(Double.isNaN(real.speedOver(60_000, now)), "the reports span less than the window");
    assertEquals(0.0, real.speedOver(10_000, now + 20_000), "nothing reported for a whole window");
    assertTrue(Double.isNaN(new FfmpegLog().speedOver(10_000, now)), "no progress at all (an FFmpeg without -progress)");
  }
}
