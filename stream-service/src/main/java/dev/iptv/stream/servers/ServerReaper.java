package dev.iptv.stream.servers;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Never an orphan on a server: after each health reading, our FFmpeg processes the server runs
 * that no channel run owns any more are stopped. Two kinds: a process of ours without a record
 * (left by an instance that died between start and record), and a recorded one whose channel no
 * longer runs there (no owner lease, or {@code stream:{id}:node} names another node: its instance
 * died, gave the channel up while the server was unreachable, or restarted and did not adopt it).
 * Each is stopped only once it has been so for longer than {@code graceMs} (more than a start
 * takes to be recorded, and than an adoption takes), and only after its {@code /proc} check.
 * Called on the context of {@link Servers}.
 */
final class ServerReaper {

  private static final Logger log = LoggerFactory.getLogger(ServerReaper.class);

  private final ServerStore store;
  private final long graceMs;
  /** server/pid (unrecorded) or server#channel/pid (recorded, unowned) → when first seen so (ms). */
  private final Map<String, Long> since = new HashMap<>();

  ServerReaper(ServerStore store, long graceMs) {
    this.store = store;
    this.graceMs = graceMs;
  }

  /**
   * @param stopOrphan stops an unrecorded PID of ours on the server
   * @param stopRecorded stops the recorded FFmpeg of a channel ({@link Servers#stopFfmpeg})
   */
  Future<Void> reap(String name, JsonObject health, BiFunction<String, Long, Future<?>> stopOrphan,
                    BiFunction<String, String, Future<?>> stopRecorded) {
    JsonArray pids = health.getJsonArray("ffmpeg_pids");
    if (pids == null) {
      return Future.succeededFuture();
    }
    return store.ffmpegs(name).compose(recorded -> store.runningThere(name,
      recorded.stream().map(RemoteFfmpeg.Started::channelId).toList()).compose(owned -> {
        Set<Long> known = new HashSet<>();
        recorded.forEach(p -> known.add(p.pid()));
        long now = System.currentTimeMillis();
        Set<String> current = new HashSet<>();
        List<Future<?>> work = new ArrayList<>();
        for (Object o : pids) {
          long pid = ((Number) o).longValue();
          if (!known.contains(pid) && due(name + "/" + pid, now, current)) {
            work.add(stopOrphan.apply(name, pid).onSuccess(how ->
              log.warn("server {}: FFmpeg {} ran there without a record: {}", name, pid, how)));
          }
        }
        for (RemoteFfmpeg.Started p : recorded) {
          if (!owned.contains(p.channelId()) && due(name + "#" + p.channelId() + "/" + p.pid(), now, current)) {
            work.add(stopRecorded.apply(name, p.channelId()).onSuccess(how ->
              log.warn("server {}: FFmpeg {} of channel {} ran there for no channel run: {}", name, p.pid(),
                p.channelId(), how)));
          }
        }
        since.keySet().removeIf(k -> (k.startsWith(name + "/") || k.startsWith(name + "#")) && !current.contains(k));
        return Future.join(work).<Void>mapEmpty().otherwiseEmpty();
      }));
  }

  private boolean due(String key, long now, Set<String> current) {
    current.add(key);
    return now - since.computeIfAbsent(key, k -> now) > graceMs;
  }
}
