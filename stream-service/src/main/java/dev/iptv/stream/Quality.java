package dev.iptv.stream;

import java.util.Locale;

/** The seed's transcode presets (SPEC section 8). */
public enum Quality {
  LOW(640, 360, 1000, 64),
  MEDIUM(854, 480, 1500, 96),
  HIGH(1280, 720, 2500, 128);

  public final int width;
  public final int height;
  public final int videoKbps;
  public final int audioKbps;

  Quality(int width, int height, int videoKbps, int audioKbps) {
    this.width = width;
    this.height = height;
    this.videoKbps = videoKbps;
    this.audioKbps = audioKbps;
  }

  /** {@code quality} of a channel; unknown or absent: medium, as the seed's fallback. */
  public static Quality parse(String s) {
    if (s == null) {
      return MEDIUM;
    }
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return MEDIUM;
    }
  }
}
