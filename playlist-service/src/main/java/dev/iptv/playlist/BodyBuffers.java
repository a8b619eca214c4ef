package dev.iptv.playlist;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.buffer.BufferInternal;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reusable off-heap buffers for playlist bodies (several MB each at the seed's scale).
 *
 * <p>A body in a fresh heap buffer per request costs an allocation the size of the playlist (a G1
 * humongous object), zeroing it, and another full copy into a direct buffer in Netty's socket
 * write. Here a body is laid out a chunk at a time in a reused heap work array of {@link Playlist#CHUNK}
 * bytes (many small copies are cheap there), each chunk copied once into a reused direct buffer, and
 * that buffer is written to the socket as is and taken back when the write completes: no allocation
 * per request. At most {@value #POOLED}
 * buffers and {@value #POOLED_SCRATCH} work arrays are kept; more concurrent requests get ones
 * that are dropped after use.
 *
 * <p>The buffer is handed to Vert.x through {@link BufferInternal#buffer(ByteBuf)}, Vert.x's
 * integration point for Netty buffers: Vert.x writes it without releasing it, and
 * {@link #send(HttpServerResponse, ByteBuf)} gives it back when the response's write completes
 * (or fails, for a client that went away).
 *
 * <p>The kept buffers (about 7 MB each for 25,000 channels, so up to 56 MB)
 * only pay off while playlists are being fetched: {@link #trimIdle()}, called every
 * {@value #TRIM_MS} ms by the verticle, frees them when no body was rendered since its previous call.
 */
final class BodyBuffers {

  static final int POOLED = 8;
  static final int POOLED_SCRATCH = 4;
  /** How often the verticle calls {@link #trimIdle()}: kept buffers live 1-2 periods past their last use. */
  static final long TRIM_MS = 10_000;

  private final ConcurrentLinkedDeque<ByteBuf> free = new ConcurrentLinkedDeque<>();
  private final AtomicInteger pooled = new AtomicInteger();
  private final ConcurrentLinkedDeque<byte[]> scratch = new ConcurrentLinkedDeque<>();
  private final AtomicInteger pooledScratch = new AtomicInteger();
  private volatile boolean closed;
  private volatile boolean used;

  /**
   * Renders {@code playlist} for {@code token} into a buffer of the pool (blocking: a copy of the
   * whole body, for a worker thread). The work array it needs comes from a pool too.
   */
  ByteBuf render(Playlist playlist, String token) {
    used = true;
    int length = playlist.length(token.length());
    byte[] scratch = takeScratch();
    ByteBuf body = take(length);
    try {
      return playlist.writeTo(body, token, scratch);
    } catch (RuntimeException e) {
      give(body);
      throw e;
    } finally {
      giveScratch(scratch);
    }
  }

  private byte[] takeScratch() {
    byte[] s = scratch.pollFirst();
    if (s != null) {
      pooledScratch.decrementAndGet();
      return s;
    }
    return new byte[Playlist.CHUNK];
  }

  private void giveScratch(byte[] s) {
    if (pooledScratch.incrementAndGet() <= POOLED_SCRATCH) {
      scratch.offerFirst(s);
    } else {
      pooledScratch.decrementAndGet();
    }
  }

  /** An empty direct buffer of at least {@code capacity} bytes. */
  private ByteBuf take(int capacity) {
    ByteBuf b;
    while ((b = free.pollFirst()) != null) {
      pooled.decrementAndGet();
      if (b.capacity() >= capacity) {
        return b.clear();
      }
      b.release(); // too small for today's playlist
    }
    return Unpooled.directBuffer(capacity + capacity / 16);
  }

  /** Ends {@code response} with the readable bytes of {@code body}, then takes the buffer back. */
  void send(HttpServerResponse response, ByteBuf body) {
    Buffer wrapped = BufferInternal.buffer(body);
    response.end(wrapped).onComplete(ar -> give(body));
  }

  /** Takes a buffer back (or frees it when enough are kept, or when closed). */
  void give(ByteBuf b) {
    if (closed) {
      b.release();
      return;
    }
    if (pooled.incrementAndGet() <= POOLED) {
      free.offerFirst(b);
      if (closed && free.removeIf(x -> x == b)) { // by identity: ByteBuf.equals compares contents
        b.release(); // closed meanwhile
      }
    } else {
      pooled.decrementAndGet();
      b.release();
    }
  }

  /** Frees the kept buffers; buffers still being written are freed when they come back. */
  void close() {
    closed = true;
    drop();
  }

  /**
   * Frees the kept buffers and work arrays when no body was rendered since the previous call
   * (buffers in use come back to the pool as usual); returns whether it did.
   */
  boolean trimIdle() {
    if (used) {
      used = false;
      return false;
    }
    drop();
    return true;
  }

  private void drop() {
    ByteBuf b;
    while ((b = free.pollFirst()) != null) {
      pooled.decrementAndGet();
      b.release();
    }
    byte[] s;
    while ((s = scratch.pollFirst()) != null) {
      pooledScratch.decrementAndGet();
    }
  }
}
