package dev.iptv.stream;

import dev.iptv.stream.TsFanout.Segment;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("TS fan-out: which segments of a playlist to send next")
class TsFanoutTest {

  private static final String PLAYLIST = """
    #EXTM3U
    #EXT-X-VERSION:6
    #EXT-X-TARGETDURATION:1
    #EXT-X-MEDIA-SEQUENCE:41
    #EXT-X-INDEPENDENT-SEGMENTS
    #EXTINF:1.000000,
    stream_7_41.ts
    #EXTINF:1.000000,
    ../etc/passwd
    #EXTINF:1.000000,
    stream_7_43.ts
    #EXTINF:1.000000,
    stream_7_44.ts
    """;

  @Test
  @DisplayName("segments are numbered from the media sequence; URIs that are not the channel's own files are skipped")
  void segments() {
    assertEquals(List.of(new Segment("stream_7_41.ts", 41), new Segment("stream_7_43.ts", 43), new Segment("stream_7_44.ts", 44)),
      TsFanout.segments("7", PLAYLIST));
    assertEquals(List.of(), TsFanout.segments("8", PLAYLIST), "another channel's segments are never read");
  }

  @Test
  @DisplayName("a new feed starts at the newest segment, then follows in order; a restarted numbering starts again at the newest")
  void fresh() {
    List<Segment> listed = TsFanout.segments("7", PLAYLIST);
    assertEquals(List.of(new Segment("stream_7_44.ts", 44)), TsFanout.fresh(listed, -1));
    assertEquals(List.of(new Segment("stream_7_43.ts", 43), new Segment("stream_7_44.ts", 44)), TsFanout.fresh(listed, 41));
    assertEquals(List.of(), TsFanout.fresh(listed, 44));
    assertEquals(List.of(new Segment("stream_7_44.ts", 44)), TsFanout.fresh(listed, 90), "numbering went back: restart");
    assertEquals(List.of(), TsFanout.fresh(List.of(), 3));
  }
}
