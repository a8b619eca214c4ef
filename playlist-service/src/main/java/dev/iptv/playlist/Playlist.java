package dev.iptv.playlist;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A rendered channel list, ready to serve: every entry's bytes up to its token, packed in one
 * array, so a request only copies them into one buffer with its token in between. Immutable, so
 * any number of requests on any thread share it.
 */
final class Playlist {

  /** The work array's size for {@link #writeTo}: one chunk of the body at a time. */
  static final int CHUNK = 64 * 1024;

  private final byte[] entries;
  private final int[] ends;
  private final long builtAtNanos;
  private final long generation;
  private final XtreamLineup xtream;

  private Playlist(byte[] entries, int[] ends, long builtAtNanos, long generation, XtreamLineup xtream) {
    this.xtream = xtream;
    this.entries = entries;
    this.ends = ends;
    this.builtAtNanos = builtAtNanos;
    this.generation = generation;
  }

  /** Renders the active channels of {@code channels}, in playlist order, for {@code base}. */
  static Playlist render(List<Channel> channels, String base, long builtAtNanos, long generation) {
    return render(channels, base, builtAtNanos, generation, java.util.Map.of());
  }

  /** As above, with the Xtream API's view of the same list ({@link XtreamLineup}) and its category ids. */
  static Playlist render(List<Channel> channels, String base, long builtAtNanos, long generation,
                         java.util.Map<String, Long> categoryIds) {
    List<Channel> shown = channels.stream().filter(Channel::active).sorted(Channel.PLAYLIST_ORDER).toList();
    byte[][] parts = new byte[shown.size()][];
    int total = 0;
    for (int i = 0; i < parts.length; i++) {
      parts[i] = M3u.entryBeforeToken(shown.get(i), base).getBytes(StandardCharsets.UTF_8);
      total += parts[i].length;
    }
    byte[] packed = new byte[total];
    int[] ends = new int[parts.length];
    int at = 0;
    for (int i = 0; i < parts.length; i++) {
      System.arraycopy(parts[i], 0, packed, at, parts[i].length);
      at += parts[i].length;
      ends[i] = at;
    }
    return new Playlist(packed, ends, builtAtNanos, generation, XtreamLineup.render(shown, categoryIds));
  }

  /** The same channels for the Xtream Codes API. */
  XtreamLineup xtream() {
    return xtream;
  }

  int size() {
    return ends.length;
  }

  /** This list as built at {@code builtAtNanos} for {@code generation}: the same bytes, shared. */
  Playlist stamped(long builtAtNanos, long generation) {
    return new Playlist(entries, ends, builtAtNanos, generation, xtream);
  }

  long builtAtNanos() {
    return builtAtNanos;
  }

  long generation() {
    return generation;
  }

  /** The body's length for a token of {@code tokenLength} ASCII characters. */
  int length(int tokenLength) {
    return M3u.HEADER.length + entries.length + ends.length * (tokenLength + 1);
  }

  /** The playlist for {@code token} (ASCII: hex), in one buffer of exactly its length. */
  Buffer body(String token) {
    Buffer out = Buffer.buffer(length(token.length()));
    byte[] tail = tail(token);
    out.appendBytes(M3u.HEADER);
    int start = 0;
    for (int end : ends) {
      out.appendBytes(entries, start, end - start).appendBytes(tail);
      start = end;
    }
    return out;
  }

  /**
   * Writes the playlist for {@code token} (ASCII: hex) into {@code out}. The entries and tokens are
   * laid out in {@code scratch} a chunk at a time ({@link System#arraycopy} costs next to nothing per
   * small piece, unlike puts into off-heap memory), each chunk copied into {@code out} in one go: a
   * small work array, not one the size of the body (several MB, kept in the old generation).
   *
   * @param scratch a work array of any size ({@link #CHUNK} is what {@link BodyBuffers} hands)
   */
  ByteBuf writeTo(ByteBuf out, String token, byte[] scratch) {
    byte[] tail = tail(token);
    int at = put(out, scratch, 0, M3u.HEADER, 0, M3u.HEADER.length);
    int start = 0;
    for (int end : ends) {
      at = put(out, scratch, at, entries, start, end - start);
      at = put(out, scratch, at, tail, 0, tail.length);
      start = end;
    }
    return out.writeBytes(scratch, 0, at);
  }

  /** Appends {@code n} bytes of {@code src} to the chunk in {@code scratch} (flushed to {@code out} when full); the chunk's new length. */
  private static int put(ByteBuf out, byte[] scratch, int at, byte[] src, int from, int n) {
    if (at + n > scratch.length) {
      out.writeBytes(scratch, 0, at);
      at = 0;
      if (n > scratch.length) {
        out.writeBytes(src, from, n);
        return 0;
      }
    }
    System.arraycopy(src, from, scratch, at, n);
    return at + n;
  }

  private static byte[] tail(String token) {
    return (token + "\n").getBytes(StandardCharsets.US_ASCII);
  }
}
