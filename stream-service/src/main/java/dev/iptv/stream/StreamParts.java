package dev.iptv.stream;

import dev.iptv.stream.limits.LimitsStore;
import dev.iptv.stream.servers.Servers;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * What the channel lifecycles of one stream-service instance share: built once by
 * {@link StreamManager}, handed to every {@link ChannelRun}, {@link ChannelStarts} and
 * {@link CrashRecovery}.
 *
 * @param context  the verticle's context, which owns the {@link ChannelRegistry} and every run
 * @param tailer   drains every FFmpeg's stderr file into its {@link FfmpegLog}
 * @param limits   providers and their running streams
 * @param checks   the source checks (ffprobe), and the order they give a failover
 * @param servers  the SSH servers channels may run on ({@link ServerRun})
 * @param serverPlaylists the playlists of channels on SSH servers, read from their nginx
 */
record StreamParts(Vertx vertx, Context context, StreamSettings settings, StreamStore store, ChannelRegistry registry,
                   OwnerLease lease, HlsFolder hls, StreamEvents events, LogTailer tailer, LimitsStore limits,
                   SourceChecks checks, Servers servers, ServerPlaylists serverPlaylists) {

  /**
   * The outcome of {@code f}, told on the verticle's context: a {@link Future#timeout} on it fires
   * there (on a future of no context it would fire on a thread of no context).
   */
  <T> Future<T> onContext(Future<T> f) {
    return Future.fromCompletionStage(f.toCompletionStage(), context);
  }

  /** Reads the rest of the process's stderr (on a worker) and stops following it. */
  Future<Void> finishLog(FfmpegProcess p) {
    return vertx.executeBlocking(() -> {
      tailer.finish(p.log());
      return null;
    }, false);
  }
}
