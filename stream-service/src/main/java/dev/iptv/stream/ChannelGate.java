package dev.iptv.stream;

import dev.iptv.contract.MirrorContract;
import io.vertx.core.Future;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether a channel may be watched (it exists and is active), as the player paths ask it at every
 * poll: read from Redis at most once per {@link #FRESH_MS} per channel, so a channel deleted or
 * deactivated without an {@code iptv.channels.changed} event (redis-cli, an event lost while a
 * service restarted) is refused within that time, and a poll costs no Redis read. The event, when
 * it comes, forgets the channel at once. While Redis cannot be read, or has lost its data and
 * monitor-service is putting it back ({@link MirrorContract.Probe}), the last answer stands: a Redis
 * restart does not throw the viewers of a running channel out.
 *
 * <p>Bounded: at most {@link #MAX_ENTRIES} channels are remembered (ids come from client URLs).
 * Safe on any thread.
 */
final class ChannelGate {

  /** How stale an answer may be: a deleted channel is refused within this long. */
  static final long FRESH_MS = 3_000;
  static final int MAX_ENTRIES = 10_000;

  /**
   * A channel's state for players.
   *
   * @param active  exists and is active
   * @param direct  the source URL players are sent to when the channel is direct, else null
   */
  record State(boolean active, String direct) {
    static final State CLOSED = new State(false, null);
  }

  private record Entry(Future<State> state, long atMs) {
  }

  private final StreamStore store;
  private final MirrorContract.Probe sentinel;
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  ChannelGate(StreamStore store, MirrorContract.Probe sentinel) {
    this.store = store;
    this.sentinel = sentinel;
  }

  /** True when the channel exists and is active, as Redis said at most {@link #FRESH_MS} ago. */
  Future<Boolean> open(String id) {
    return state(id).map(State::active);
  }

  /** The channel's state ({@link #open} with the direct source), as Redis said at most {@link #FRESH_MS} ago. */
  Future<State> state(String id) {
    long now = System.currentTimeMillis();
    Entry known = entries.get(id);
    if (known != null && now - known.atMs() < FRESH_MS) {
      return known.state();
    }
    if (entries.size() >= MAX_ENTRIES) {
      entries.values().removeIf(e -> now - e.atMs() >= FRESH_MS);
      if (entries.size() >= MAX_ENTRIES) {
        entries.clear();
      }
    }
    Entry fresh = new Entry(store.channelState(id).compose(state -> state != null ? Future.succeededFuture(state)
      : sentinel.lost().map(lost -> lost && known != null && known.state().succeeded() ? known.state().result() : State.CLOSED)), now);
    entries.put(id, fresh);
    return fresh.state().recover(err -> {
      entries.remove(id, fresh);
      if (known != null && known.state().succeeded()) {
        entries.putIfAbsent(id, known);
        return known.state();
      }
      return Future.failedFuture(err);
    });
  }

  /** The channel changed (its event): the next poll reads it again. */
  void forget(String id) {
    entries.remove(id);
  }
}
