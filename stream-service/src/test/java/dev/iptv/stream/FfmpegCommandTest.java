package dev.iptv.stream;

import dev.iptv.common.Config;
import dev.iptv.stream.FfmpegCommand.Mode;
import dev.iptv.stream.ProbePolicy.Probe;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FfmpegCommandTest {

  private static StreamSettings settings(int hlsTime) {
    JsonObject c = Config.load(java.util.Map.of());
    c.put(Config.key(Config.ADMIN_TOKEN), "0123456789abcdef0123");
    c.put(Config.key(Config.HLS_DIR), "/var/hls");
    c.put(Config.key(Config.HLS_TIME_S), String.valueOf(hlsTime));
    return StreamSettings.from(c);
  }

  private static ChannelSpec channel(JsonObject extra) {
    JsonObject o = new JsonObject().put("channel_id", "48681").put("source_url", "http://up.example/live/u/p/48681.ts")
      .put("quality", "medium").mergeIn(extra);
    return ChannelSpec.fromJson("48681", o);
  }

  private static String after(List<String> args, String option) {
    int i = args.indexOf(option);
    return i < 0 ? null : args.get(i + 1);
  }

  @Test
  @DisplayName("copy: reconnecting HTTP input, fast probe, live HLS with deleted segments and the seed's file names")
  void copyCommand() {
    StreamSettings s = settings(4);
    ChannelSpec ch = channel(new JsonObject());
    List<String> a = FfmpegCommand.build(s, ch, ch.sources().get(0), Mode.COPY, Quality.MEDIUM, Probe.QUICK, 0, 17_000_000_000L);
    assertEquals("ffmpeg", a.get(0));
    assertTrue(a.containsAll(List.of("-nostdin", "-hide_banner")));
    assertEquals("1", after(a, "-reconnect"));
    assertEquals("1", after(a, "-reconnect_streamed"));
    assertEquals("5", after(a, "-reconnect_delay_max"));
    assertEquals("15000000", after(a, "-rw_timeout"));
    assertEquals("http,https,tcp,tls,crypto", after(a, "-protocol_whitelist"));
    assertEquals("http://up.example/live/u/p/48681.ts", after(a, "-i"));
    assertEquals("1000000", after(a, "-probesize"));
    assertEquals("700000", after(a, "-analyzeduration"));
    assertEquals("+discardcorrupt", after(a, "-fflags"), "what the probe read is written out, not dropped (nobuffer)");
    assertTrue(a.indexOf("-probesize") < a.indexOf("-i"), "input options come before the input");
    assertEquals("copy", after(a, "-c"));
    assertEquals("hls", after(a, "-f"));
    assertEquals("4", after(a, "-hls_time"));
    assertEquals("1", after(a, "-hls_init_time"));
    assertEquals("6", after(a, "-hls_list_size"));
    assertEquals("delete_segments+independent_segments+temp_file+omit_endlist", after(a, "-hls_flags"));
    assertEquals("3", after(a, "-hls_delete_threshold"), "a segment outlives its place in the playlist");
    assertEquals("17000000000", after(a, "-start_number"));
    assertEquals("/var/hls/stream_48681_%05d.ts", after(a, "-hls_segment_filename"));
    assertEquals("/var/hls/stream_48681.m3u8", a.get(a.size() - 1));
    assertNull(after(a, "-user_agent"));
    assertFalse(a.contains("-headers"));
    assertEquals("48681", FfmpegCommand.channelOf(a, Path.of("/var/hls")));
    assertNull(FfmpegCommand.channelOf(a, Path.of("/var/other")));
  }

  @Test
  @DisplayName("an FFmpeg that replaces another goes on with its playlist (append_list, its media sequence), and each reports its progress")
  void appendAndProgress() {
    ChannelSpec ch = channel(new JsonObject());
    List<String> a = FfmpegCommand.build(settings(4), ch, ch.sources().get(0), Mode.COPY, Quality.MEDIUM, Probe.QUICK, 0,
      17_000_000_123L, true);
    assertEquals("delete_segments+independent_segments+temp_file+omit_endlist+append_list", after(a, "-hls_flags"));
    assertEquals("17000000123", after(a, "-start_number"));
    assertNull(after(a, "-hls_init_time"), "FFmpeg ignores it when appending");
    assertEquals("pipe:2", after(a, "-progress"));
    assertEquals("1", after(a, "-stats_period"));
    assertTrue(a.contains("-nostats"), "the progress goes to the log, not the stats line");
  }

  @Test
  @DisplayName("a source remembered as needing it is probed fully: the seed's 5 MB / 5 s")
  void fullProbe() {
    ChannelSpec ch = channel(new JsonObject());
    List<String> a = FfmpegCommand.build(settings(4), ch, ch.sources().get(0), Mode.COPY, Quality.MEDIUM, Probe.FULL, 0, 1);
    assertEquals("5000000", after(a, "-probesize"));
    assertEquals("5000000", after(a, "-analyzeduration"));
    assertTrue(a.indexOf("-analyzeduration") < a.indexOf("-i"));
  }

  @Test
  @DisplayName("transcode: the seed's preset table, key frames on segment boundaries from the frame rate")
  void transcodePresets() {
    StreamSettings s = settings(4);
    ChannelSpec ch = channel(new JsonObject());
    List<String> low = FfmpegCommand.build(s, ch, ch.sources().get(0), Mode.TRANSCODE, Quality.LOW, Probe.QUICK, 25, 1);
    assertEquals("libx264", after(low, "-c:v"));
    assertEquals("veryfast", after(low, "-preset"));
    assertEquals("zerolatency", after(low, "-tune"));
    assertEquals("scale=-2:360", after(low, "-vf"));
    assertEquals("1000k", after(low, "-b:v"));
    assertEquals("64k", after(low, "-b:a"));
    assertEquals("aac", after(low, "-c:a"));
    assertEquals("100", after(low, "-g"));
    assertEquals("0", after(low, "-sc_threshold"));
    List<String> medium = FfmpegCommand.build(s, ch, ch.sources().get(0), Mode.TRANSCODE, Quality.MEDIUM, Probe.QUICK, 29.97, 1);
    assertEquals("scale=-2:480", after(medium, "-vf"));
    assertEquals("1500k", after(medium, "-b:v"));
    assertEquals("96k", after(medium, "-b:a"));
    assertEquals("120", after(medium, "-g"));
    List<String> high = FfmpegCommand.build(s, ch, ch.sources().get(0), Mode.TRANSCODE, Quality.HIGH, Probe.QUICK, 0, 1);
    assertEquals("scale=-2:720", after(high, "-vf"));
    assertEquals("2500k", after(high, "-b:v"));
    assertEquals("128k", after(high, "-b:a"));
    assertEquals("100", after(high, "-g"), "25 fps assumed when unknown");
  }

  @Test
  @DisplayName("per-channel user agent and headers, CRLF-joined; line breaks and bad names never get through")
  void userAgentAndHeaders() {
    ChannelSpec ch = channel(new JsonObject().put("user_agent", "VLC/3.0")
      .put("headers", new JsonObject().put("Referer", "http://site/").put("Origin", "http://site")
        .put("X-Evil", "a\r\nInjected: yes").put("Bad Name", "v")));
    assertEquals(2, ch.headers().size());
    List<String> a = FfmpegCommand.build(settings(4), ch, ch.sources().get(0), Mode.COPY, Quality.MEDIUM, Probe.QUICK, 0, 1);
    assertEquals("VLC/3.0", after(a, "-user_agent"));
    String headers = after(a, "-headers");
    assertTrue(headers.equals("Referer: http://site/\r\nOrigin: http://site\r\n")
      || headers.equals("Origin: http://site\r\nReferer: http://site/\r\n"), headers);
    ChannelSpec evilUa = channel(new JsonObject().put("user_agent", "x\nInjected: 1"));
    assertNull(evilUa.userAgent());
  }

  @Test
  @DisplayName("a hostile source URL is exactly one argument; non-URLs, local files and nested protocols are refused")
  void hostileSources() {
    String hostile = "http://127.0.0.1:9/a.ts;touch$IFS/tmp/pwned;$(reboot)&x=';id'";
    ChannelSpec ch = ChannelSpec.fromJson("7", new JsonObject().put("source_url", hostile)
      .put("backup_urls", new JsonArray(List.of("$(reboot)", "file:///etc/passwd", "/etc/passwd", "concat:a|b",
        "-i /etc/passwd", "http://x/a.ts; touch /tmp/pwned", "subfile,,start,0,end,0,,:http://x/", "https://ok.example/b.m3u8"))));
    assertEquals(List.of(hostile, "https://ok.example/b.m3u8"), ch.sources());
    List<String> a = FfmpegCommand.build(settings(4), ch, hostile, Mode.COPY, Quality.MEDIUM, Probe.QUICK, 0, 1);
    assertEquals(1, a.stream().filter(x -> x.contains("touch")).count());
    assertEquals(hostile, after(a, "-i"));
  }

  @Test
  @DisplayName("profiles: auto copies then transcodes at the channel quality, copy only copies, presets always transcode")
  void profiles() {
    assertEquals(ChannelSpec.Profile.AUTO, channel(new JsonObject()).profile());
    assertEquals(ChannelSpec.Profile.COPY, channel(new JsonObject().put("transcode_profile", "copy")).profile());
    assertEquals(Quality.HIGH, channel(new JsonObject().put("transcode_profile", "high")).profile().forced());
    assertEquals(Quality.MEDIUM, channel(new JsonObject().put("quality", "bogus")).quality());
    assertFalse(channel(new JsonObject().put("is_active", false)).active());
    assertTrue(channel(new JsonObject()).active());
  }

  @Test
  @DisplayName("rtsp and udp sources get their own input options and protocol whitelist")
  void otherSchemes() {
    ChannelSpec rtsp = ChannelSpec.fromJson("9", new JsonObject().put("source_url", "rtsp://cam.example/stream"));
    List<String> a = FfmpegCommand.build(settings(4), rtsp, rtsp.sources().get(0), Mode.COPY, Quality.LOW, Probe.QUICK, 0, 1);
    assertEquals("tcp", after(a, "-rtsp_transport"));
    assertFalse(a.contains("-reconnect"));
    ChannelSpec udp = ChannelSpec.fromJson("9", new JsonObject().put("source_url", "udp://239.0.0.1:1234"));
    List<String> b = FfmpegCommand.build(settings(2), udp, udp.sources().get(0), Mode.COPY, Quality.LOW, Probe.QUICK, 0, 1);
    assertEquals("udp,rtp", after(b, "-protocol_whitelist"));
    assertEquals("1", after(b, "-hls_init_time"));
    List<String> c = FfmpegCommand.build(settings(1), udp, udp.sources().get(0), Mode.COPY, Quality.LOW, Probe.QUICK, 0, 1);
    assertFalse(c.contains("-hls_init_time"));
  }

  @Test
  @DisplayName("segment numbers come from the clock, so a restarted stream never reuses a name")
  void startNumbers() {
    long a = FfmpegCommand.startNumber(1_700_000_000_000L);
    long b = FfmpegCommand.startNumber(1_700_000_000_000L + 1_000);
    assertEquals(10, b - a);
  }
}
