package dev.iptv.playlist.epg;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Generates XMLTV guides for tests, piece by piece (never the whole document in memory): the
 * channels, then for each channel programmes of {@code lengthS} seconds from {@code from} to
 * {@code to}. Titles are {@code "<prefix> <channel> #<n>"}; descriptions are {@code descChars}
 * random letters (so a big guide does not shrink to nothing under gzip).
 */
final class GuideGen {

  private final List<String> channels;
  private final long from;
  private final long to;
  private final long lengthS;
  private final int descChars;
  private final String prefix;
  private final SplittableRandom random = new SplittableRandom(42);

  private int channel = -1;
  private long next;
  private int n;
  private boolean done;

  GuideGen(List<String> channels, Instant from, Instant to, long lengthS, int descChars, String prefix) {
    this.channels = channels;
    this.from = from.getEpochSecond();
    this.to = to.getEpochSecond();
    this.lengthS = lengthS;
    this.descChars = descChars;
    this.prefix = prefix;
  }

  static String title(String prefix, String channel, int n) {
    return prefix + " " + channel + " #" + n;
  }

  /** The next piece of XML, at least about {@code bytes} long; null when the document is complete. */
  String next(int bytes) {
    if (done) {
      return null;
    }
    StringBuilder sb = new StringBuilder(bytes + 1024);
    if (channel == -1) {
      sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE tv SYSTEM \"xmltv.dtd\">\n<tv generator-info-name=\"test\">\n");
      for (String c : channels) {
        sb.append("<channel id=\"").append(c).append("\"><display-name>").append(c).append("</display-name></channel>\n");
      }
      channel = 0;
      next = from;
      n = 0;
    }
    while (sb.length() < bytes) {
      if (channel >= channels.size()) {
        sb.append("</tv>\n");
        done = true;
        break;
      }
      String c = channels.get(channel);
      sb.append("<programme start=\"").append(XmltvTime.format(next)).append("\" stop=\"")
        .append(XmltvTime.format(next + lengthS)).append("\" channel=\"").append(c).append("\">")
        .append("<title lang=\"en\">").append(title(prefix, c, n)).append("</title>");
      if (descChars > 0) {
        sb.append("<desc>");
        for (int i = 0; i < descChars; i++) {
          sb.append((char) ('a' + random.nextInt(26)));
        }
        sb.append("</desc>");
      }
      sb.append("<category>Test</category></programme>\n");
      next += lengthS;
      n++;
      if (next >= to) {
        channel++;
        next = from;
        n = 0;
      }
    }
    return sb.toString();
  }

  /** The whole document into {@code out}. */
  void writeTo(OutputStream out) {
    try {
      for (String piece = next(64 * 1024); piece != null; piece = next(64 * 1024)) {
        out.write(piece.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  byte[] bytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeTo(out);
    return out.toByteArray();
  }

  static byte[] gzip(byte[] plain) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(plain);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * The guide gzipped on the fly, {@code next()} handing out the compressed bytes made so far
   * (fast compression: the test's CPU goes to the import, not to the generator).
   */
  static final class Gzipped {

    private final GuideGen gen;
    private final ByteArrayOutputStream sink = new ByteArrayOutputStream(256 * 1024);
    private final GZIPOutputStream gz;
    private boolean finished;

    Gzipped(GuideGen gen) {
      this.gen = gen;
      try {
        this.gz = new GZIPOutputStream(sink, 64 * 1024) {
          {
            def.setLevel(Deflater.BEST_SPEED);
          }
        };
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Up to about {@code bytes} of compressed data; null at the end. */
    byte[] next(int bytes) {
      try {
        while (sink.size() < bytes && !finished) {
          String piece = gen.next(256 * 1024);
          if (piece == null) {
            gz.finish();
            finished = true;
          } else {
            gz.write(piece.getBytes(StandardCharsets.UTF_8));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (sink.size() == 0) {
        return null;
      }
      byte[] out = sink.toByteArray();
      sink.reset();
      return out;
    }
  }
}
