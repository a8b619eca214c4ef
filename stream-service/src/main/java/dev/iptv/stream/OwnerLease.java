package dev.iptv.stream;

import io.vertx.core.Future;

import java.util.List;

/**
 * The owner lease of a channel, {@code stream:{id}:owner} = {@code {node}/{instance}} (SET NX PX):
 * whoever holds it runs the channel's FFmpeg, so a channel starts once across the cluster. Claimed
 * before a start, renewed every third of {@code IPTV_STREAM_LEASE_S} while the channel runs,
 * released with the stream's keys when it stops. A dead owner's lease lapses, and the next claim
 * takes the channel over; one that is known gone from the cluster is ended at once.
 */
final class OwnerLease {

  /** What a renewal found. */
  enum Renewal {
    /** Ours, extended. */
    RENEWED,
    /** It had vanished (Redis restarted empty?) and is ours again: the stream's keys must be written anew. */
    RETAKEN,
    /** Another instance holds it: our FFmpeg must stop, so that only one runs. */
    LOST
  }

  private final StreamStore store;
  private final String instance;
  private final long leaseMs;

  OwnerLease(StreamStore store, String instance, long leaseMs) {
    this.store = store;
    this.instance = instance;
    this.leaseMs = leaseMs;
  }

  /** This instance's name, the value of the leases it holds. */
  String instance() {
    return instance;
  }

  /** How often a held lease is renewed. */
  long renewEveryMs() {
    return Math.max(300, leaseMs / 3);
  }

  /** Takes the lease when nobody holds it: true when it is ours now. */
  Future<Boolean> claim(String id) {
    return store.claim(id, instance, leaseMs);
  }

  /**
   * Takes the lease when nobody holds it and reads, in the same round trip, what a start needs
   * ({@link StreamStore#claimForStart}).
   */
  Future<StreamStore.Claim> claimForStart(String id, List<String> probeFields) {
    return store.claimForStart(id, instance, leaseMs, probeFields);
  }

  /** Who holds the lease, or null. */
  Future<String> owner(String id) {
    return store.owner(id);
  }

  /** Extends our lease, or takes it again when it vanished. */
  Future<Renewal> renew(String id) {
    return store.renew(id, instance, leaseMs).compose(ours -> ours ? Future.succeededFuture(Renewal.RENEWED)
      : claim(id).map(won -> won ? Renewal.RETAKEN : Renewal.LOST));
  }

  /** Gives the lease back with every key of the stream (only while it is ours or nobody's). */
  Future<Void> release(String id) {
    return store.release(id, instance).mapEmpty();
  }

  /** Ends the lease {@code deadOwner} held (gone from the cluster) with every key of its stream. */
  Future<Void> releaseDead(String id, String deadOwner) {
    return store.release(id, deadOwner).mapEmpty();
  }

  /** The node part of an owner ({@code {node}/{instance}}). */
  static String nodeOf(String owner) {
    int slash = owner.lastIndexOf('/');
    return slash < 0 ? owner : owner.substring(0, slash);
  }
}
