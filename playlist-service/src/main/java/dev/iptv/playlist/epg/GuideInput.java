package dev.iptv.playlist.epg;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;

/**
 * A download as a blocking {@link InputStream} for the parser's worker thread: the HTTP response's
 * buffers arrive on the event loop and queue here; past {@value #HIGH_WATER} queued bytes the
 * response is paused, and resumed once the reader has drained below {@value #LOW_WATER}. So at
 * most about {@value #HIGH_WATER} bytes of the guide are ever held, however fast the source.
 *
 * <p>The last {@value #TAIL} bytes of a response of known length are never paused for: Vert.x 5.0's
 * HTTP client, paused when the end of a response and the server's close arrive together, reports
 * "Connection was closed" and drops the end (servers that close after each response do that).
 *
 * <p>Counts the bytes received and fails the stream past {@code maxBytes}. {@link #cancel} makes
 * the reader fail at once (lost lock, service stopping).
 */
final class GuideInput extends InputStream {

  static final int HIGH_WATER = 1 << 20;
  static final int LOW_WATER = 256 << 10;
  static final int TAIL = 4 << 20;

  private final Context context;
  private final ReadStream<Buffer> stream;
  private final long maxBytes;
  private final long length;
  private final Runnable abort;

  // Guarded by this.
  private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
  private long queued;
  private boolean paused;
  private boolean ended;
  private IOException failure;

  private Buffer current;
  private int position;
  private volatile long received;

  /**
   * @param length the response's Content-Length, or -1
   * @param abort  run on the event loop when the download must stop early (too large, cancelled,
   *               closed before its end): resets the request
   */
  GuideInput(Context context, ReadStream<Buffer> stream, long maxBytes, long length, Runnable abort) {
    this.context = context;
    this.stream = stream;
    this.maxBytes = maxBytes;
    this.length = length;
    this.abort = abort;
  }

  /** Starts taking the response's data; call on the response's context. */
  GuideInput attach() {
    stream.handler(this::offer);
    stream.endHandler(v -> finish(null));
    stream.exceptionHandler(err -> finish(err instanceof IOException io ? io : new IOException(describe(err), err)));
    stream.resume();
    return this;
  }

  /** Bytes received so far (as sent: gzip bytes for a gzip guide). */
  long received() {
    return received;
  }

  private static String describe(Throwable err) {
    String m = err.getMessage();
    return m == null ? err.getClass().getSimpleName() : m;
  }

  private void offer(Buffer b) {
    boolean tooLarge = false;
    synchronized (this) {
      if (ended) {
        return;
      }
      received += b.length();
      if (received > maxBytes) {
        failure = new IOException("the guide is larger than the limit of " + (maxBytes >> 20) + " MiB (IPTV_EPG_MAX_MB)");
        ended = true;
        queue.clear();
        tooLarge = true;
      } else {
        queue.add(b);
        queued += b.length();
        if (queued > HIGH_WATER && !paused && (length < 0 || length - received > TAIL)) {
          paused = true;
          stream.pause();
        }
      }
      notifyAll();
    }
    if (tooLarge) {
      abort.run();
    }
  }

  private synchronized void finish(IOException err) {
    if (!ended) {
      ended = true;
      failure = err;
      notifyAll();
    }
  }

  /** Makes the reader fail with {@code reason} and stops the download. */
  void cancel(String reason) {
    boolean stop;
    synchronized (this) {
      stop = !ended || !queue.isEmpty();
      if (!ended || failure == null) {
        failure = new InterruptedIOException(reason);
      }
      ended = true;
      queue.clear();
      notifyAll();
    }
    if (stop) {
      context.runOnContext(v -> abort.run());
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] into, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    if (current == null || position == current.length()) {
      if (!next()) {
        return -1;
      }
    }
    int n = Math.min(length, current.length() - position);
    current.getBytes(position, position + n, into, offset);
    position += n;
    return n;
  }

  /** Takes the next queued buffer, waiting for one; false at the end of the download. */
  private boolean next() throws IOException {
    Buffer b;
    boolean resume = false;
    synchronized (this) {
      while (queue.isEmpty()) {
        if (failure != null) {
          throw failure;
        }
        if (ended) {
          return false;
        }
        try {
          wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted");
        }
      }
      if (failure != null && failure instanceof InterruptedIOException) {
        throw failure;
      }
      b = queue.poll();
      queued -= b.length();
      if (paused && queued < LOW_WATER) {
        paused = false;
        resume = true;
      }
    }
    if (resume) {
      context.runOnContext(v -> stream.resume());
    }
    current = b;
    position = 0;
    return true;
  }

  @Override
  public void close() {
    boolean early;
    synchronized (this) {
      early = !ended;
      ended = true;
      queue.clear();
      notifyAll();
    }
    if (early) {
      context.runOnContext(v -> abort.run());
    }
  }
}
