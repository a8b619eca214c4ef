package dev.iptv.stream;

import dev.iptv.contract.StreamContract.LogReply;
import dev.iptv.contract.StreamContract.StreamStatus;
import io.vertx.core.Future;

/**
 * A channel this instance runs under its owner lease, wherever its FFmpeg is: here
 * ({@link ChannelRun}) or on an SSH server ({@link ServerRun}). What the periodic work of
 * {@link StreamManager} (lease renewal, idle stop, channel changes, closing) and the starts of
 * {@link ChannelStarts} need of either. Confined to the verticle's context.
 */
interface Run {

  String id();

  ChannelSpec spec();

  /** True once asked to stop. */
  boolean stopping();

  /** True while its FFmpeg plays (not starting, restarting or stopping). */
  boolean plays();

  /**
   * True while it shows the slate instead of a source (a local run whose every source failed,
   * {@link ChannelSlate}): its viewers keep it from idling like a playing run's. A run on a server
   * shows none.
   */
  default boolean slated() {
    return false;
  }

  /** Completes when the channel plays (again); fails when it stops first. */
  Future<StreamStatus> ready();

  /** Completes once the run is over: process gone, files and keys removed, lease released. */
  Future<Void> whenStopped();

  /** Stops its FFmpeg, removes its files and keys, releases the lease. */
  Future<Void> stop(String reason, boolean announce);

  /** The channel's sources or settings changed: run it again with the new ones. */
  void reload(ChannelSpec updated);

  /** The last {@code lines} lines its FFmpeg said, credentials redacted. */
  Future<LogReply> log(int lines);

  /** What the periodic renewal of the owner lease found. */
  void leaseRenewed(OwnerLease.Renewal renewal);
}
