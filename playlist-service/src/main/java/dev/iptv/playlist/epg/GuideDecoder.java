package dev.iptv.playlist.epg;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Turns downloaded bytes into XML bytes: gzip is recognised by its content (the magic bytes
 * {@code 1f 8b}), never by a file name or a header, and unpacked as it is read; anything else is
 * taken for plain XML. The XML side is counted and capped, so a small gzip bomb cannot grow into
 * an endless document.
 */
final class GuideDecoder {

  private GuideDecoder() {
  }

  /** The XML stream over {@code raw}, and whether it was gzip. */
  static Decoded open(InputStream raw, long maxXmlBytes) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 64 * 1024);
    in.mark(2);
    int b0 = in.read();
    int b1 = b0 < 0 ? -1 : in.read();
    in.reset();
    if (b0 < 0) {
      throw new IOException("the guide is empty");
    }
    boolean gzip = b0 == 0x1f && b1 == 0x8b;
    InputStream xml = gzip ? new BufferedInputStream(new Gunzip(new GZIPInputStream(in, 64 * 1024)), 64 * 1024) : in;
    return new Decoded(new Capped(xml, maxXmlBytes), gzip);
  }

  record Decoded(Capped xml, boolean gzip) {
  }

  /**
   * gunzip whose "cut off" is an error of its own: the XML parser takes an {@link EOFException}
   * from below for a document that merely ended early, and would hide the cause.
   */
  static final class Gunzip extends FilterInputStream {

    Gunzip(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return super.read();
      } catch (EOFException e) {
        throw cutOff(e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return super.read(b, off, len);
      } catch (EOFException e) {
        throw cutOff(e);
      }
    }

    private static IOException cutOff(EOFException e) {
      return new IOException("the gzip data is cut off (" + e.getMessage() + ")", e);
    }
  }

  /** Counts what is read through it and fails past the cap. */
  static final class Capped extends FilterInputStream {

    private final long max;
    private volatile long count;

    Capped(InputStream in, long max) {
      super(in);
      this.max = max;
    }

    long count() {
      return count;
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        add(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        add(n);
      }
      return n;
    }

    private void add(long n) throws IOException {
      count += n;
      if (count > max) {
        throw new IOException("the guide's XML is larger than the limit of " + (max >> 20) + " MiB (IPTV_EPG_MAX_MB)");
      }
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
