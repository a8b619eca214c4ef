package dev.iptv.stream.limits;

import dev.iptv.common.ApiDocument;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("openapi.yaml's transcode profile schema agrees with what TranscodeProfile turns into FFmpeg arguments")
class LimitsDocumentTest {

  private static JsonObject properties(String schema) {
    return ApiDocument.get().resolved().getJsonObject("components").getJsonObject("schemas").getJsonObject(schema)
      .getJsonObject("properties");
  }

  @Test
  @DisplayName("the extra parameters and the bitrate limits of the document are the code's")
  void profileLimits() {
    JsonObject profile = properties("TranscodeProfileInput");
    assertEquals(new TreeSet<>(TranscodeProfile.EXTRAS.keySet()),
      new TreeSet<>(profile.getJsonObject("extra_params").getJsonObject("properties").fieldNames()));
    JsonObject video = profile.getJsonObject("video_bitrate").getJsonArray("oneOf").getJsonObject(0);
    assertEquals(TranscodeProfile.MIN_VIDEO_KBPS, video.getInteger("minimum"));
    assertEquals(TranscodeProfile.MAX_VIDEO_KBPS, video.getInteger("maximum"));
    JsonObject audio = profile.getJsonObject("audio_bitrate").getJsonArray("oneOf").getJsonObject(0);
    assertEquals(TranscodeProfile.MIN_AUDIO_KBPS, audio.getInteger("minimum"));
    assertEquals(TranscodeProfile.MAX_AUDIO_KBPS, audio.getInteger("maximum"));
    assertEquals(Set.of("libx264", "copy"), Set.copyOf(profile.getJsonObject("video_codec").getJsonArray("enum").getList()));
  }
}
