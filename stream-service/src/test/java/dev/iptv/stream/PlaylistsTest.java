package dev.iptv.stream;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlaylistsTest {

  @Test
  @DisplayName("every segment URI of the channel gets the proof; tags and anything else stay as they are")
  void signsSegments() {
    String in = "#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:17000000000\n"
      + "#EXTINF:4.000000,\nstream_48681_17000000000.ts\n#EXTINF:4.000000,\r\nstream_48681_17000000001.ts\r\n"
      + "stream_1_5.ts\n";
    String out = Playlists.signSegments(in, "48681", "e=100&s=abc");
    assertEquals("#EXTM3U\n#EXT-X-VERSION:6\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:17000000000\n"
      + "#EXTINF:4.000000,\nstream_48681_17000000000.ts?e=100&s=abc\n#EXTINF:4.000000,\n"
      + "stream_48681_17000000001.ts?e=100&s=abc\nstream_1_5.ts\n", out);
  }
}
