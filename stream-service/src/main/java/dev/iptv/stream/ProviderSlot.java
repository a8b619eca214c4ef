package dev.iptv.stream;

import dev.iptv.stream.AttemptPlan.AttemptFailed;
import dev.iptv.stream.FfmpegLog.Failure;
import dev.iptv.stream.limits.Provider;
import io.vertx.core.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider stream a {@link ChannelRun} counts against (seed 003 {@code SOURCE_LIMITS}): taken
 * before each attempt at a source of a provider ({@link dev.iptv.stream.limits.LimitsStore#take},
 * atomic across the cluster and tied to the owner lease), moved when the run goes on from a source
 * of another provider, given back when it stops. A full provider fails the attempt as
 * {@link Failure#BUSY}, so the plan goes on to a source of another provider. When Redis cannot be
 * asked the stream runs uncounted (a warning): a provider limit never stops a channel by itself.
 * Runs on the verticle's context.
 */
final class ProviderSlot {

  private static final Logger log = LoggerFactory.getLogger(ProviderSlot.class);

  private final StreamParts parts;
  private final String id;
  /** The provider counting this run, or null. */
  private String held;

  ProviderSlot(StreamParts parts, String id) {
    this.parts = parts;
    this.id = id;
  }

  /** Before an attempt at {@code source}: counted against its provider, or {@link AttemptFailed} BUSY. */
  Future<Void> take(ChannelSpec spec, String source) {
    return take(spec.providerOf(source), false);
  }

  /** An adopted FFmpeg already plays {@code source}: it counts, whatever the limit. */
  void hold(ChannelSpec spec, String source) {
    take(source == null ? null : spec.providerOf(source), true);
  }

  private Future<Void> take(Provider p, boolean anyway) {
    if (p == null) {
      giveBack();
      return Future.succeededFuture();
    }
    return parts.limits().take(p.name(), anyway ? Integer.MAX_VALUE : p.maxStreams(), id, parts.lease().instance())
      .transform(ar -> {
        if (ar.failed()) {
          log.warn("channel {}: cannot count its stream against provider {}: {}", id, p.name(), ar.cause().toString());
          return Future.succeededFuture();
        }
        if (!ar.result().taken()) {
          log.info("channel {}: provider {} is full ({} of {} streams)", id, p.name(), ar.result().streams(), p.maxStreams());
          return Future.failedFuture(new AttemptFailed(Failure.BUSY, "provider " + p.name() + " is full ("
            + ar.result().streams() + " of " + p.maxStreams() + " streams)"));
        }
        if (held != null && !held.equals(p.name())) {
          giveBack();
        }
        held = p.name();
        return Future.succeededFuture();
      });
  }

  /** The run counts against no provider any more. */
  Future<Void> giveBack() {
    String was = held;
    held = null;
    return was == null ? Future.succeededFuture() : parts.limits().giveBack(was, id, parts.lease().instance())
      .onFailure(err -> log.warn("channel {}: cannot give its stream back to provider {} (it lapses with the owner lease): {}",
        id, was, err.toString()));
  }
}
