package dev.iptv.stream;

import dev.iptv.common.ApiException;
import dev.iptv.contract.StreamContract.StreamStatus;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Another instance holds the channel's lease: it runs or starts the channel. Wait for its playlist
 * to appear in the HLS folder we share, and take the channel over if the lease ends meanwhile (its
 * owner died or gave up): taking over is no start of the viewer's, never charged.
 */
final class RemoteJoin {

  private static final long POLL_MS = 100;
  /** Every this many polls the lease is tried. */
  private static final int PROBE_EVERY = 10;

  private final StreamParts parts;
  private final Vertx vertx;
  private final ChannelStarts starts;
  private final ChannelSpec spec;
  private final String id;
  private final long deadline;
  private final Promise<StreamStatus> result = Promise.promise();
  private int ticks;
  private boolean busy;

  RemoteJoin(StreamParts parts, ChannelStarts starts, ChannelSpec spec, long deadline) {
    this.parts = parts;
    this.vertx = parts.vertx();
    this.starts = starts;
    this.spec = spec;
    this.id = spec.id();
    this.deadline = deadline;
  }

  /** The channel's status once its playlist plays, or a 503 at the deadline. */
  Future<StreamStatus> result() {
    long timer = vertx.setPeriodic(POLL_MS, t -> check());
    check();
    return result.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  private void check() {
    if (result.future().isComplete()) {
      return;
    }
    if (parts.registry().isClosing()) {
      result.tryFail(new ApiException(503, "stream-service is stopping"));
      return;
    }
    if (System.currentTimeMillis() > deadline) {
      result.tryFail(new ApiException(503, "channel " + id + " did not start within "
        + parts.settings().startTimeoutMs() / 1000 + " s"));
      return;
    }
    if (busy) {
      return;
    }
    busy = true;
    boolean probeOwner = ticks++ % PROBE_EVERY == PROBE_EVERY - 1;
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
          starts.takeOver(spec, deadline, null).onComplete(result);
        }
        return null;
      });
    }).onComplete(ar -> busy = false);
  }
}
