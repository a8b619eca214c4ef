package dev.iptv.stream.servers;

import com.jcraft.jsch.ChannelExec;
import com.jcraft.jsch.ChannelSftp;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import com.jcraft.jsch.SftpException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The one SSH connection to one server, reused by every command and reopened when it dropped.
 * Blocking: call it from a worker thread only ({@link Servers} does). Commands run on channels of
 * the same session (several at once are fine); each has a deadline, and a connection that does not
 * answer its keep-alives is closed by JSch, so the next call reconnects.
 */
final class SshLink implements AutoCloseable {

  /** What a command printed and how it ended. */
  record Result(int exit, String out, String err) {

    boolean ok() {
      return exit == 0;
    }

    /** The last lines of stderr (or stdout), for an operator's error message. */
    String tail() {
      String s = (err.isBlank() ? out : err).strip();
      return s.length() > 400 ? "…" + s.substring(s.length() - 400) : s;
    }
  }

  private static final int MAX_OUTPUT = 1 << 20;

  private final ServerSpec spec;
  private final ServerSpec.Credentials credentials;
  private final long timeoutMs;
  private HostKeys.Pinned hostKeys;
  private Session session;
  private volatile String seenHostKey;

  SshLink(ServerSpec spec, ServerSpec.Credentials credentials, long timeoutMs) {
    this.spec = spec;
    this.credentials = credentials;
    this.timeoutMs = timeoutMs;
  }

  ServerSpec spec() {
    return spec;
  }

  ServerSpec.Credentials credentials() {
    return credentials;
  }

  /** The host key the server showed on the last connect, {@code "type base64"}, or null. */
  String seenHostKey() {
    return seenHostKey;
  }

  boolean connected() {
    Session s;
    synchronized (this) {
      s = session;
    }
    return s != null && s.isConnected();
  }

  /** The session, connected now if it is not. */
  synchronized Session session() {
    if (session != null && session.isConnected()) {
      return session;
    }
    if (session != null) {
      session.disconnect();
      session = null;
    }
    JSch jsch = new JSch();
    hostKeys = new HostKeys.Pinned(spec.hostKey());
    jsch.setHostKeyRepository(hostKeys);
    Session s;
    try {
      if (credentials.privateKey() != null) {
        jsch.addIdentity("iptv-" + spec.name(), credentials.privateKey().getBytes(StandardCharsets.UTF_8), null, null);
      }
      s = jsch.getSession(spec.sshUser(), spec.sshHost(), spec.sshPort());
    } catch (JSchException e) {
      throw new SshFailure(ServerSpec.SSH_PRIVATE_KEY + ": the private key cannot be read (" + e.getMessage()
        + "); a key with a passphrase is not supported");
    }
    if (credentials.password() != null) {
      s.setPassword(credentials.password());
    }
    s.setConfig("StrictHostKeyChecking", "yes");
    s.setConfig("PreferredAuthentications", credentials.privateKey() != null ? "publickey" : "password,keyboard-interactive");
    if (hostKeys.expectedType() != null) {
      // Ask for the pinned key's type first, so a server with several host keys shows that one.
      String others = JSch.getConfig("server_host_key").replace(hostKeys.expectedType(), "").replaceAll(",,+", ",")
        .replaceAll("^,|,$", "");
      s.setConfig("server_host_key", hostKeys.expectedType() + (others.isEmpty() ? "" : "," + others));
    }
    try {
      s.setTimeout((int) timeoutMs);
      s.setServerAliveInterval((int) Math.max(1000, timeoutMs / 3));
      s.setServerAliveCountMax(2);
      s.connect((int) timeoutMs);
    } catch (JSchException e) {
      throw failure(e);
    } finally {
      byte[] seen = hostKeys.seen();
      if (seen != null) {
        seenHostKey = HostKeys.line(seen);
      }
    }
    session = s;
    return s;
  }

  private SshFailure failure(JSchException e) {
    String where = spec.sshUser() + "@" + spec.sshHost() + ":" + spec.sshPort();
    if (hostKeys.changed()) {
      return new SshFailure(ServerSpec.SSH_HOST_KEY + ": the host key of " + spec.sshHost() + ":" + spec.sshPort()
        + " changed: pinned " + HostKeys.fingerprint(spec.hostKey()) + ", the server shows "
        + HostKeys.fingerprint(hostKeys.seen()) + "; refused (if the server was really re-keyed, PUT its new "
        + ServerSpec.SSH_HOST_KEY + ")", true, null);
    }
    String m = String.valueOf(e.getMessage());
    if (m.contains("Auth fail") || m.contains("Auth cancel") || m.contains("USERAUTH fail")) {
      return new SshFailure((credentials.privateKey() != null ? ServerSpec.SSH_PRIVATE_KEY : ServerSpec.SSH_PASSWORD)
        + ": authentication as " + spec.sshUser() + " on " + spec.sshHost() + ":" + spec.sshPort() + " failed");
    }
    if (m.contains("timeout") || m.contains("timed out")) {
      return new SshFailure(ServerSpec.SSH_HOST + ": " + where + " did not answer within " + timeoutMs / 1000 + " s");
    }
    if (m.contains("Connection refused") || m.contains("UnknownHost") || m.contains("No route")
      || e.getCause() instanceof IOException) {
      return new SshFailure(ServerSpec.SSH_HOST + ": cannot connect to " + where + " ("
        + (e.getCause() != null ? e.getCause().toString() : m) + ")");
    }
    return new SshFailure(ServerSpec.SSH_HOST + ": SSH to " + where + " failed: " + m);
  }

  /** Runs {@code command} (already quoted for the remote shell), with {@code stdin} fed to it when not null. */
  Result exec(String command, String stdin) {
    Session s = session();
    ChannelExec ch;
    try {
      ch = (ChannelExec) s.openChannel("exec");
    } catch (JSchException e) {
      dropIfDead(s);
      throw new SshFailure(ServerSpec.SSH_HOST + ": cannot open a command channel on " + spec.sshHost() + ": " + e.getMessage());
    }
    ch.setCommand(command);
    ch.setInputStream(stdin == null ? null : new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    long deadline = System.currentTimeMillis() + timeoutMs;
    try {
      InputStream o = ch.getInputStream();
      InputStream e = ch.getExtInputStream();
      ch.connect((int) timeoutMs);
      byte[] buf = new byte[8192];
      while (true) {
        boolean read = drain(o, out, buf) | drain(e, err, buf);
        if (ch.isClosed() && o.available() == 0 && e.available() == 0) {
          break;
        }
        if (System.currentTimeMillis() > deadline) {
          throw new SshFailure("the command on " + spec.sshHost() + " did not finish within " + timeoutMs / 1000 + " s");
        }
        if (!read) {
          // Deliberate: JSch tells a command's end only through isClosed() (no callback), so the
          // exec is polled; it runs on the iptv-ssh worker executor, never on an event loop.
          Thread.sleep(10);
        }
      }
      if (ch.getExitStatus() == -1 && !s.isConnected()) {
        dropIfDead(s);
        throw new SshFailure(ServerSpec.SSH_HOST + ": the connection to " + spec.sshHost() + ":" + spec.sshPort()
          + " was lost");
      }
      return new Result(ch.getExitStatus(), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } catch (JSchException | IOException ex) {
      dropIfDead(s);
      throw new SshFailure(ServerSpec.SSH_HOST + ": the connection to " + spec.sshHost() + " failed: " + ex.getMessage());
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      throw new SshFailure("interrupted");
    } finally {
      ch.disconnect();
    }
  }

  private static boolean drain(InputStream in, ByteArrayOutputStream to, byte[] buf) throws IOException {
    boolean any = false;
    while (in.available() > 0) {
      int n = in.read(buf, 0, Math.min(buf.length, in.available()));
      if (n <= 0) {
        break;
      }
      any = true;
      if (to.size() < MAX_OUTPUT) {
        to.write(buf, 0, Math.min(n, MAX_OUTPUT - to.size()));
      }
    }
    return any;
  }

  /** Writes a file over SFTP: to a temporary name beside it, then renamed over it. */
  void write(String path, String text) {
    Session s = session();
    ChannelSftp sftp = null;
    String temp = path + ".iptv-tmp";
    try {
      sftp = (ChannelSftp) s.openChannel("sftp");
      sftp.connect((int) timeoutMs);
      sftp.put(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), temp);
      try {
        sftp.rm(path);
      } catch (SftpException absent) {
        // first write
      }
      sftp.rename(temp, path);
    } catch (SftpException e) {
      throw new SshFailure(ServerSpec.NGINX_SITE + ": cannot write " + path + " over SFTP on " + spec.sshHost()
        + " (" + e.getMessage() + ": does its folder exist, and may " + spec.sshUser() + " write there?)");
    } catch (JSchException e) {
      dropIfDead(s);
      throw new SshFailure(ServerSpec.SSH_HOST + ": SFTP to " + spec.sshHost() + " failed: " + e.getMessage()
        + " (is the sftp subsystem enabled in sshd?)");
    } finally {
      if (sftp != null) {
        sftp.disconnect();
      }
    }
  }

  private synchronized void dropIfDead(Session s) {
    if (s == session && !s.isConnected()) {
      session = null;
    }
  }

  @Override
  public synchronized void close() {
    if (session != null) {
      session.disconnect();
      session = null;
    }
  }
}
