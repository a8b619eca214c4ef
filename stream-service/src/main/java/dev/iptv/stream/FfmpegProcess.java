package dev.iptv.stream;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One running FFmpeg: started by us ({@link Process}, reaped by the JDK) or adopted after a restart
 * of stream-service (only a {@link ProcessHandle}). Its exit is reported on the owning context.
 */
final class FfmpegProcess {

  /** How long a killed process may take to be seen gone. */
  private static final long REAP_MS = 5_000;

  private final Context context;
  private final ProcessHandle handle;
  private final FfmpegLog log;
  private final Promise<Integer> exit;
  private final boolean adopted;
  private volatile boolean terminating;

  private FfmpegProcess(Context context, ProcessHandle handle, Process process, FfmpegLog log) {
    this.context = context;
    this.handle = handle;
    this.log = log;
    this.adopted = process == null;
    this.exit = Promise.promise();
    if (process != null) {
      process.onExit().whenComplete((p, err) -> context.runOnContext(v -> exit.tryComplete(p.exitValue())));
    } else {
      handle.onExit().whenComplete((p, err) -> context.runOnContext(v -> exit.tryComplete(-1)));
    }
  }

  static FfmpegProcess started(Context context, Process process, FfmpegLog log) {
    return new FfmpegProcess(context, process.toHandle(), process, log);
  }

  static FfmpegProcess adopted(Context context, ProcessHandle handle, FfmpegLog log) {
    return new FfmpegProcess(context, handle, null, log);
  }

  long pid() {
    return handle.pid();
  }

  FfmpegLog log() {
    return log;
  }

  boolean adopted() {
    return adopted;
  }

  boolean alive() {
    return !exit.future().isComplete();
  }

  /** Completes with the exit code (-1 when adopted) once the process is gone. */
  Future<Integer> exit() {
    return exit.future();
  }

  /** True once {@link #terminate} was called: its exit is expected. */
  boolean terminating() {
    return terminating;
  }

  /**
   * SIGTERM to FFmpeg and its descendants, SIGKILL to whatever still lives after {@code graceMs};
   * completes when the process is gone. Signals are sent from a worker (descendants read /proc).
   */
  Future<Void> terminate(Vertx vertx, long graceMs) {
    terminating = true;
    if (!alive()) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
        List<ProcessHandle> tree = handle.descendants().toList();
        handle.destroy();
        tree.forEach(ProcessHandle::destroy);
        return tree;
      }, false)
      .compose(tree -> exitWithin(graceMs)
        .recover(slow -> vertx.executeBlocking(() -> {
            handle.destroyForcibly();
            tree.forEach(ProcessHandle::destroyForcibly);
            return null;
          }, false)
          // A process we cannot see end (a zombie nobody reaps) must not hold a stop forever.
          .compose(v -> exitWithin(REAP_MS)))
        .otherwiseEmpty()
        // Whatever FFmpeg had started dies with it.
        .andThen(x -> tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly)))
      .mapEmpty();
  }

  /** The exit code, or a failure when the process lives {@code ms} more; told on the owning context. */
  private Future<Integer> exitWithin(long ms) {
    return Future.fromCompletionStage(exit.future().toCompletionStage(), context).timeout(ms, TimeUnit.MILLISECONDS);
  }

  /** Immediate SIGKILL of the process and its descendants (JVM shutdown hook; blocking is fine there). */
  void kill() {
    terminating = true;
    handle.descendants().forEach(ProcessHandle::destroyForcibly);
    handle.destroyForcibly();
  }
}
