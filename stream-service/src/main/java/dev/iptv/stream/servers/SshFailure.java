package dev.iptv.stream.servers;

/**
 * SSH work on a server that failed, with a message an operator can act on (what is missing or
 * refused, never a secret). {@link #hostKeyChanged} marks a refused host key.
 */
public class SshFailure extends RuntimeException {

  private final boolean hostKeyChanged;

  public SshFailure(String message) {
    this(message, false, null);
  }

  public SshFailure(String message, Throwable cause) {
    this(message, false, cause);
  }

  SshFailure(String message, boolean hostKeyChanged, Throwable cause) {
    super(message, cause, false, false);
    this.hostKeyChanged = hostKeyChanged;
  }

  public boolean hostKeyChanged() {
    return hostKeyChanged;
  }
}
