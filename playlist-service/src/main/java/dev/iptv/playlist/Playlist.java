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
   * first laid out in {@code scratch} ({@link System#arraycopy} costs next to nothing per small
   * piece, unlike puts into off-heap memory), then copied into {@code out} in one go.
   *
   * @param scratch a work array of at least {@link #length(int)} bytes
   */
  ByteBuf writeTo(ByteBuf out, String token, byte[] scratch) {
    int length = length(token.length());
    byte[] tail = tail(token);
    System.arraycopy(M3u.HEADER, 0, scratch, 0, M3u.HEADER.length);
    int at = M3u.HEADER.length;
    int start = 0;
    for (int end : ends) {
      int n = end - start;
      System.arraycopy(entries, start, scratch, at, n);
      at += n;
      System.arraycopy(tail, 0, scratch, at, tail.length);
      at += tail.length;
      start = end;
    }
    return out.writeBytes(scratch, 0, length);
  }

  private static byte[] tail(String token) {
    return (token + "\n").getBytes(StandardCharsets.US_ASCII);
  }
}
