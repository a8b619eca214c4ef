package dev.iptv.stream;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What a crashed stream-service (even one killed with -9) leaves behind, found at start and then
 * periodically: FFmpeg processes writing into our folder, pid keys of this node, channel files
 * nobody runs. A process recorded for this node whose command line really is our FFmpeg for that
 * channel is adopted once its owner lease has lapsed; anything else is stopped and its keys and
 * files removed. Channels owned by a live instance are left alone, except an extra FFmpeg of theirs
 * on this machine (a duplicate), which is killed. A PID alone is never trusted: /proc is read again
 * before any signal ({@link ProcScan}).
 *
 * <p>Runs on the verticle's context, as the {@link ChannelRegistry} it adds adopted runs to.
 */
final class CrashRecovery {

  private static final Logger log = LoggerFactory.getLogger(CrashRecovery.class);

  private final StreamParts parts;
  private final Vertx vertx;
  private final StreamSettings s;
  private final ChannelRegistry registry;
  private boolean sweeping;

  CrashRecovery(StreamParts parts) {
    this.parts = parts;
    this.vertx = parts.vertx();
    this.s = parts.settings();
    this.registry = parts.registry();
  }

  /** One sweep over processes, keys and files; a sweep still running makes this one a no-op. */
  Future<Void> sweep() {
    if (sweeping || registry.isClosing()) {
      return Future.succeededFuture();
    }
    sweeping = true;
    Future<List<ProcScan.Found>> scan = vertx.executeBlocking(() -> ProcScan.scan(s.hlsDir(), s.ffmpeg()), false);
    Future<Set<String>> files = parts.hls().channelsWithFiles();
    Future<Set<String>> keys = parts.store().streamIds();
    return Future.all(scan, files, keys).compose(all -> {
      Map<String, List<ProcScan.Found>> byChannel = new HashMap<>();
      Set<Long> ours = registry.ourPids();
      for (ProcScan.Found f : scan.result()) {
        if (!ours.contains(f.pid())) {
          byChannel.computeIfAbsent(f.channelId(), k -> new ArrayList<>()).add(f);
        }
      }
      Set<String> ids = new HashSet<>(keys.result());
      ids.addAll(files.result());
      ids.addAll(byChannel.keySet());
      List<Future<Void>> work = new ArrayList<>();
      for (String id : ids) {
        if (registry.busy(id)) {
          continue;
        }
        work.add(recover(id, byChannel.getOrDefault(id, List.of())).recover(err -> {
          log.warn("channel {}: recovery failed: {}", id, err.toString());
          return Future.succeededFuture();
        }));
      }
      return Future.join(work).<Void>mapEmpty();
    }).onComplete(ar -> sweeping = false);
  }

  /**
   * The instance holding {@code id}'s lease is gone from the cluster (its stop address has no
   * handler any more) and the channel must stop: end its lease with the stream's keys, then stop the
   * FFmpeg it left on this machine and remove the files, as the sweep would once the lease lapsed.
   */
  Future<Void> stopForDead(String id, String deadOwner) {
    return parts.lease().releaseDead(id, deadOwner)
      .compose(v -> unownedFfmpeg(id))
      .compose(procs -> recover(id, procs));
  }

  /**
   * Our lease was just taken for a channel Redis records an FFmpeg of this node for (a stream-service
   * of this machine died and its lease lapsed): that process is adopted if /proc confirms it, and any
   * other FFmpeg of the channel here is stopped, so a player's request never starts a second one
   * beside it. True when an adoption was tried (the registry holds the run unless the process was
   * gone by then), false when there was nothing to adopt: start afresh.
   */
  Future<Boolean> adoptRecorded(String id, StreamStore.StreamState st) {
    boolean recorded = st.pid() != null && (st.node() == null || st.node().equals(s.node()));
    if (!recorded) {
      return Future.succeededFuture(false);
    }
    return unownedFfmpeg(id).compose(procs -> {
      ProcScan.Found keep = procs.stream().filter(f -> f.pid() == st.pid()).findFirst().orElse(null);
      Future<Void> killed = killOrphans(id, procs.stream().filter(f -> f != keep).toList());
      if (keep == null || registry.isClosing() || registry.run(id) != null) {
        return killed.map(false);
      }
      return killed.compose(v -> adopt(id, keep, st)).map(true);
    });
  }

  /** FFmpeg processes writing channel {@code id} into our folder that this instance does not run (a /proc walk on a worker). */
  private Future<List<ProcScan.Found>> unownedFfmpeg(String id) {
    Set<Long> ours = registry.ourPids();
    return vertx.executeBlocking(() -> ProcScan.scan(s.hlsDir(), s.ffmpeg()), false)
      .map(found -> found.stream().filter(f -> f.channelId().equals(id) && !ours.contains(f.pid())).toList());
  }

  private Future<Void> recover(String id, List<ProcScan.Found> procs) {
    return parts.store().state(id).compose(st -> {
      if (st.owner() != null && !st.owner().equals(parts.lease().instance())) {
        // A live owner (or a dead one whose lease has not lapsed yet: next sweep).
        return killDuplicates(id, procs, st);
      }
      boolean mine = st.node() == null || st.node().equals(s.node());
      return parts.lease().claim(id).compose(won -> {
        if (!won || registry.busy(id) || registry.isClosing()) {
          return Future.succeededFuture();
        }
        ProcScan.Found keep = mine && st.pid() != null
          ? procs.stream().filter(f -> f.pid() == st.pid()).findFirst().orElse(null) : null;
        List<ProcScan.Found> kill = procs.stream().filter(f -> f != keep).toList();
        Future<Void> killed = killOrphans(id, kill);
        if (keep != null) {
          return killed.compose(v -> adopt(id, keep, st));
        }
        if (!kill.isEmpty() || st.pid() != null) {
          log.info("channel {}: removing what a previous run left (pid key {}, node {})", id, st.pid(), st.node());
        }
        return killed.compose(v -> parts.hls().removeFiles(id)).compose(v -> parts.lease().release(id));
      });
    });
  }

  /** Extra FFmpeg of a channel another instance of this node runs, older than any start in progress. */
  private Future<Void> killDuplicates(String id, List<ProcScan.Found> procs, StreamStore.StreamState st) {
    if (!OwnerLease.nodeOf(st.owner()).equals(s.node()) || st.pid() == null) {
      return Future.succeededFuture();
    }
    Instant old = Instant.now().minus(Duration.ofMillis(s.startTimeoutMs() + 10_000));
    List<ProcScan.Found> dupes = procs.stream().filter(f -> f.pid() != st.pid() && f.started().isBefore(old)).toList();
    if (dupes.isEmpty()) {
      return Future.succeededFuture();
    }
    log.warn("channel {}: killing {} duplicate FFmpeg(s) {} of a channel {} runs", id, dupes.size(),
      dupes.stream().map(ProcScan.Found::pid).toList(), st.owner());
    return killOrphans(id, dupes);
  }

  /** A process found to be our FFmpeg of the channel, and where the end of its stderr file begins. */
  private record Adoptable(ProcessHandle handle, long logFrom) {
  }

  private Future<Void> adopt(String id, ProcScan.Found found, StreamStore.StreamState st) {
    return vertx.executeBlocking(() -> ProcScan.verify(found.pid(), s.hlsDir(), s.ffmpeg(), id)
        ? ProcessHandle.of(found.pid()).map(h -> new Adoptable(h, LogTailer.lastBytes(s.ffmpegLog(id), 8192)))
          .orElse(null) : null, false)
      .compose(adoptable -> parts.store().channel(id).compose(spec -> {
        if (adoptable == null || !adoptable.handle().isAlive()) {
          return parts.hls().removeFiles(id).compose(v -> parts.lease().release(id));
        }
        ChannelSpec use = spec != null ? spec : new ChannelSpec(id, List.of(), st.source(), false, Quality.MEDIUM,
          ChannelSpec.Profile.AUTO, null, Map.of(), null);
        ChannelRun run = new ChannelRun(parts, use);
        registry.add(run);
        run.adopt(adoptable.handle(), adoptable.logFrom(), st);
        if (spec == null || !spec.active()) {
          return run.stop(spec == null ? "channel deleted" : "channel deactivated", true);
        }
        return Future.succeededFuture();
      }));
  }

  /** SIGTERM, then SIGKILL after the grace, to processes re-checked to be our FFmpeg for {@code id}. */
  private Future<Void> killOrphans(String id, List<ProcScan.Found> procs) {
    if (procs.isEmpty()) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      List<ProcessHandle> handles = new ArrayList<>();
      for (ProcScan.Found f : procs) {
        if (ProcScan.verify(f.pid(), s.hlsDir(), s.ffmpeg(), id)) {
          ProcessHandle.of(f.pid()).ifPresent(h -> {
            log.warn("channel {}: stopping orphan FFmpeg pid {}", id, h.pid());
            h.descendants().forEach(ProcessHandle::destroy);
            h.destroy();
            handles.add(h);
          });
        }
      }
      long until = System.currentTimeMillis() + s.stopGraceMs();
      for (ProcessHandle h : handles) {
        try {
          h.onExit().get(Math.max(1, until - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
          h.descendants().forEach(ProcessHandle::destroyForcibly);
          h.destroyForcibly();
        }
      }
      return null;
    }, false);
  }
}
