package dev.iptv.stream.servers;

import dev.iptv.contract.ChannelContract;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * FFmpeg on an SSH server (SPEC sections 8 and 9), blocking, over the server's {@link SshLink}.
 *
 * <p>Start: {@code nohup 'ffmpeg' 'arg' ... >log 2>&1 </dev/null & echo $!}, every argument one
 * single-quoted word ({@link ShellQuote}): a source URL with {@code $(...)}, backticks, quotes,
 * {@code ;} or newlines is text in one argument and never a command. FFmpeg's output must be the
 * channel's playlist in the server's HLS folder, its last argument; the PID the shell printed is
 * recorded with that output.
 *
 * <p>Stop: the PID is ours only while {@code /proc/{pid}/cmdline} starts with the server's ffmpeg
 * and ends with that output (a PID reused by any other process is left alone); SIGTERM, up to
 * {@code graceMs} for it to end, then SIGKILL if it is still ours; then the channel's files are
 * removed. The check and the kill run in one script on the server, fed on standard input.
 */
public final class RemoteFfmpeg {

  /** An FFmpeg started on a server. */
  public record Started(String channelId, long pid, String output, double started) {

    JsonObject toJson() {
      return new JsonObject().put("pid", pid).put("output", output).put("started", started);
    }

    static Started fromJson(String channelId, JsonObject o) {
      return new Started(channelId, o.getLong("pid"), o.getString("output"), o.getDouble("started", 0.0));
    }
  }

  /** How a stop ended. */
  public enum Stopped { TERMINATED, KILLED, GONE, NOT_OURS }

  private RemoteFfmpeg() {
  }

  /** The channel's playlist on the server: FFmpeg's output, by which its process is known. */
  public static String output(ServerSpec spec, String channelId) {
    return spec.hlsDir() + "/stream_" + channelId + ".m3u8";
  }

  /** The channel's segment pattern on the server, for {@code -hls_segment_filename}. */
  public static String segments(ServerSpec spec, String channelId) {
    return spec.hlsDir() + "/stream_" + channelId + "_%d.ts";
  }

  static String log(ServerSpec spec, String channelId) {
    return Provisioner.logDir(spec) + "/ffmpeg_" + channelId + ".log";
  }

  /**
   * Starts {@code ffmpeg args...} detached on the server. {@code args} end with
   * {@link #output(ServerSpec, String)}.
   */
  static Started start(SshLink link, String channelId, List<String> args) {
    ServerSpec spec = link.spec();
    if (!ChannelContract.isId(channelId)) {
      throw new IllegalArgumentException("not a channel id: " + channelId);
    }
    String output = output(spec, channelId);
    if (args.isEmpty() || !args.get(args.size() - 1).equals(output)) {
      throw new IllegalArgumentException("FFmpeg's last argument must be the channel's playlist " + output);
    }
    List<String> argv = new ArrayList<>();
    argv.add(spec.ffmpeg());
    argv.addAll(args);
    String command = "mkdir -p " + ShellQuote.quote(spec.hlsDir()) + " " + ShellQuote.quote(Provisioner.logDir(spec))
      + " && { nohup " + ShellQuote.join(argv) + " >" + ShellQuote.quote(log(spec, channelId))
      + " 2>&1 </dev/null & echo \"pid $!\"; }";
    SshLink.Result r = link.exec(command, null);
    String pid = null;
    for (String line : r.out().split("\n")) {
      if (line.startsWith("pid ")) {
        pid = line.substring(4).trim();
      }
    }
    if (!r.ok() || pid == null || !pid.matches("\\d{1,10}")) {
      throw new SshFailure("FFmpeg could not be started on " + spec.sshHost() + ": " + r.tail());
    }
    return new Started(channelId, Long.parseLong(pid), output, System.currentTimeMillis() / 1000.0);
  }

  /** The last {@code bytes} bytes FFmpeg wrote to its log on the server (empty when there is none). */
  static String logTail(SshLink link, String channelId, int bytes) {
    return link.exec("tail -c " + bytes + " " + ShellQuote.quote(log(link.spec(), channelId)) + " 2>/dev/null", null).out();
  }

  /** The script that answers whether {@code pid} is our FFmpeg writing {@code output}: exit 0 if so. */
  private static String oursFunction(ServerSpec spec, long pid, String output) {
    return "pid=" + pid + "\n"
      + "bin=" + ShellQuote.quote(spec.ffmpeg()) + "\n"
      + "want=" + ShellQuote.quote(output) + "\n"
      + "ours() {\n"
      + "  c=$(tr '\\000' '\\n' < /proc/$pid/cmdline 2>/dev/null) || return 1\n"
      + "  [ -n \"$c\" ] || return 1\n"
      + "  [ \"$(printf '%s\\n' \"$c\" | head -n 1)\" = \"$bin\" ] && [ \"$(printf '%s\\n' \"$c\" | tail -n 1)\" = \"$want\" ]\n"
      + "}\n";
  }

  /** True while {@code pid} on the server is our FFmpeg writing {@code output}. */
  static boolean isOurs(SshLink link, long pid, String output) {
    SshLink.Result r = link.exec("sh -s", oursFunction(link.spec(), pid, output) + "if ours; then echo ours; else echo other; fi\n");
    return r.out().contains("ours");
  }

  /** Stops the recorded FFmpeg if it is still ours, then removes the channel's files. */
  static Stopped stop(SshLink link, Started proc, long graceMs) {
    ServerSpec spec = link.spec();
    String script = oursFunction(spec, proc.pid(), proc.output()) + killIfOurs(graceMs)
      + "rm -f " + ShellQuote.quote(proc.output()) + " " + ShellQuote.quote(spec.hlsDir()) + "/stream_" + proc.channelId()
      + "_*.ts " + ShellQuote.quote(log(spec, proc.channelId())) + "\n";
    return stopped(link, proc.pid(), script);
  }

  /**
   * Stops an FFmpeg of ours that nothing records (left by an instance that died): ours while its
   * command line starts with the server's ffmpeg and names a channel file of its HLS folder.
   */
  static Stopped stopOrphan(SshLink link, long pid, long graceMs) {
    ServerSpec spec = link.spec();
    String script = "pid=" + pid + "\n"
      + "bin=" + ShellQuote.quote(spec.ffmpeg()) + "\n"
      + "mark=" + ShellQuote.quote(spec.hlsDir() + "/stream_") + "\n"
      + "ours() {\n"
      + "  c=$(tr '\\000' '\\n' < /proc/$pid/cmdline 2>/dev/null) || return 1\n"
      + "  [ \"$(printf '%s\\n' \"$c\" | head -n 1)\" = \"$bin\" ] || return 1\n"
      + "  case \"$c\" in *\"$mark\"*) return 0;; esac\n"
      + "  return 1\n"
      + "}\n" + killIfOurs(graceMs);
    return stopped(link, pid, script);
  }

  /** SIGTERM while {@code ours}, up to the grace, then SIGKILL if still ours; prints the result. */
  private static String killIfOurs(long graceMs) {
    long rounds = Math.max(1, graceMs / 100);
    return "if ! ours; then\n"
      + "  if [ -e /proc/$pid ]; then echo result=not_ours; else echo result=gone; fi\n"
      + "else\n"
      + "  kill -TERM $pid 2>/dev/null\n"
      + "  i=0\n"
      + "  while [ $i -lt " + rounds + " ] && ours; do sleep 0.1; i=$((i+1)); done\n"
      + "  if ours; then kill -KILL $pid 2>/dev/null; echo result=killed; else echo result=terminated; fi\n"
      + "fi\n";
  }

  private static Stopped stopped(SshLink link, long pid, String script) {
    ServerSpec spec = link.spec();
    SshLink.Result r = link.exec("sh -s", script);
    String out = r.out();
    if (out.contains("result=killed")) {
      return Stopped.KILLED;
    } else if (out.contains("result=terminated")) {
      return Stopped.TERMINATED;
    } else if (out.contains("result=not_ours")) {
      return Stopped.NOT_OURS;
    } else if (out.contains("result=gone")) {
      return Stopped.GONE;
    }
    throw new SshFailure("stopping FFmpeg " + pid + " on " + spec.sshHost() + " failed: " + r.tail());
  }
}
