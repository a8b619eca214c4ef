package dev.iptv.playlist.epg;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("Source URLs in logs, errors and events")
class SourceInputTest {

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource({
    "http://epg.example/guide.xml, http://epg.example/guide.xml",
    "https://epg.example:8443/a/b/guide.xml.gz, https://epg.example:8443/…/guide.xml.gz",
    "http://u:secret@epg.example/xmltv.php?username=u&password=p, http://epg.example/xmltv.php?…",
    "http://epg.example/get/user/pass/epg.xml#frag, http://epg.example/…/epg.xml",
    "http://epg.example, http://epg.example"
  })
  @DisplayName("scheme, host, port and the path's last segment only")
  void forLogs(String url, String expected) {
    assertEquals(expected, SourceInput.forLogs(url));
  }
}
