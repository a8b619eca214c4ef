package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import dev.iptv.contract.StreamContract.StreamStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Another instance holds the channel's lease: it runs or starts the channel. Wait for its playlist
 * in the HLS folder we share, and take the channel over if the lease ends meanwhile (its owner died
 * or gave up): taking over is no start of the viewer's, never charged.
 *
 * <p>Told, not polling: the owner's {@code started} event ({@link StreamEvents}) and the folder's file
 * events ({@link PlaylistWatcher}) trigger a read of the playlist, which confirms it; its
 * {@code stopped} or {@code failed} event a try of the lease. Every second both are tried anyway,
 * for an event missed (or an owner that died without a word).
 *
 * <p>Runs on the verticle's context.
 */
final class RemoteJoin {

  /** How often the playlist and the lease are tried without being told. */
  private static final long COARSE_CHECK_MS = 1_000;

  private final StreamParts parts;
  private final Vertx vertx;
  private final ChannelStarts starts;
  private final ChannelSpec spec;
  private final String id;
  private final long deadline;
  private final Promise<StreamStatus> result = Promise.promise();
  private boolean busy;
  private boolean again;
  private boolean againProbe;

  RemoteJoin(StreamParts parts, ChannelStarts starts, ChannelSpec spec, long deadline) {
    this.parts = parts;
    this.vertx = parts.vertx();
    this.starts = starts;
    this.spec = spec;
    this.id = spec.id();
    this.deadline = deadline;
  }

  /** The channel's status once its playlist plays, or a 503 at the deadline or when this instance closes. */
  Future<StreamStatus> result() {
    Subscription written = parts.hls().watch(id, parts.context(), () -> check(false));
    Subscription told = parts.events().onChannel(id, kind -> check(kind == Kind.STOPPED || kind == Kind.FAILED));
    Subscription closing = parts.registry().onClosing(() -> check(false));
    long coarse = vertx.setPeriodic(COARSE_CHECK_MS, t -> check(true));
    check(false);
    return parts.onContext(result.future())
      .timeout(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS)
      .recover(err -> {
        Throwable why = err instanceof TimeoutException ? new ApiException(503, "channel " + id
          + " did not start within " + parts.settings().startTimeoutMs() / 1000 + " s") : err;
        // Settled: no take-over after the deadline.
        result.tryFail(why);
        return Future.failedFuture(why);
      })
      .onComplete(ar -> {
        written.cancel();
        told.cancel();
        closing.cancel();
        vertx.cancelTimer(coarse);
      });
  }

  /**
   * Reads the playlist; when it lists no segment yet and {@code probeOwner}, tries the lease. One
   * check at a time; one asked for meanwhile follows it.
   */
  private void check(boolean probeOwner) {
    if (result.future().isComplete()) {
      return;
    }
    if (parts.registry().isClosing()) {
      result.tryFail(new ApiException(503, "stream-service is stopping"));
      return;
    }
    if (busy) {
      again = true;
      againProbe |= probeOwner;
      return;
    }
    busy = true;
    parts.hls().playlistReady(id).compose(ready -> {
      if (ready) {
        return parts.store().state(id).map(st -> {
          result.tryComplete(new StreamStatus(id, st.pid() == null ? 0 : st.pid(), st.node(), st.mode(),
            st.started() == null ? 0 : st.started(), StreamStatus.RUNNING));
          return null;
        });
      }
      if (!probeOwner) {
        return Future.succeededFuture();
      }
      return parts.lease().claim(id).map(won -> {
        if (won && !result.future().isComplete()) {
          // Its owner is gone: taking over is no start of the viewer's (never charged).
          starts.takeOver(spec, deadline, null).onComplete(ar -> {
            if (ar.succeeded()) {
              result.tryComplete(ar.result());
            } else {
              result.tryFail(ar.cause());
            }
          });
        }
        return null;
      });
    }).onComplete(ar -> {
      busy = false;
      if (again) {
        boolean probe = againProbe;
        again = false;
        againProbe = false;
        check(probe);
      }
    });
  }
}
