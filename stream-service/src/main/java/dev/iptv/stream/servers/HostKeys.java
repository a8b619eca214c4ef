package dev.iptv.stream.servers;

import com.jcraft.jsch.HostKey;
import com.jcraft.jsch.HostKeyRepository;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.UserInfo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/**
 * Host keys as the servers registry keeps them, {@code "type base64"} (an OpenSSH public key line
 * without comment), and the JSch repository that pins one: with no key yet, the first key the
 * server shows is accepted and recorded ({@link Pinned#seen()}, the caller stores it); with a key,
 * any other is refused as changed.
 */
final class HostKeys {

  private HostKeys() {
  }

  /**
   * A host key given by an operator, as {@code "type base64"}: the line of a {@code .pub} file or
   * of {@code ssh-keyscan} (a leading host name and a trailing comment are dropped).
   */
  static String normalize(String given) {
    String[] words = given.trim().split("\\s+");
    for (int i = 0; i + 1 < words.length; i++) {
      if (words[i].matches("ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+")) {
        byte[] raw;
        try {
          raw = Base64.getDecoder().decode(words[i + 1]);
        } catch (IllegalArgumentException e) {
          throw ServerSpec.bad(ServerSpec.SSH_HOST_KEY, "the key after '" + words[i] + "' is not base64");
        }
        if (!words[i].equals(typeOf(raw))) {
          throw ServerSpec.bad(ServerSpec.SSH_HOST_KEY, "the key is not of its named type " + words[i]);
        }
        return words[i] + " " + words[i + 1];
      }
    }
    throw ServerSpec.bad(ServerSpec.SSH_HOST_KEY, "must be a public host key such as 'ssh-ed25519 AAAA...'");
  }

  /** The type named inside an SSH public key blob (its first string), or null. */
  static String typeOf(byte[] blob) {
    if (blob.length < 4) {
      return null;
    }
    int n = ByteBuffer.wrap(blob, 0, 4).getInt();
    return n <= 0 || n > 64 || blob.length < 4 + n ? null : new String(blob, 4, n, StandardCharsets.US_ASCII);
  }

  static String line(byte[] blob) {
    return typeOf(blob) + " " + Base64.getEncoder().encodeToString(blob);
  }

  /** OpenSSH's fingerprint: {@code SHA256:} and the unpadded base64 of the blob's SHA-256. */
  static String fingerprint(byte[] blob) {
    try {
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(MessageDigest.getInstance("SHA-256").digest(blob));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String fingerprint(String line) {
    return fingerprint(Base64.getDecoder().decode(line.substring(line.indexOf(' ') + 1)));
  }

  /** The repository of one connection: one expected key, or none (pin at first contact). */
  static final class Pinned implements HostKeyRepository {

    private final byte[] expected;
    private volatile byte[] seen;

    Pinned(String expectedLine) {
      this.expected = expectedLine == null ? null
        : Base64.getDecoder().decode(expectedLine.substring(expectedLine.indexOf(' ') + 1));
    }

    /** The key the server showed, or null before the key exchange. */
    byte[] seen() {
      return seen;
    }

    /** The key the server showed differs from the pinned one. */
    boolean changed() {
      return expected != null && seen != null && !Arrays.equals(expected, seen);
    }

    String expectedType() {
      return expected == null ? null : typeOf(expected);
    }

    @Override
    public int check(String host, byte[] key) {
      seen = key.clone();
      if (expected == null) {
        return OK;
      }
      return Arrays.equals(expected, key) ? OK : CHANGED;
    }

    @Override
    public void add(HostKey hostkey, UserInfo ui) {
    }

    @Override
    public void remove(String host, String type) {
    }

    @Override
    public void remove(String host, String type, byte[] key) {
    }

    @Override
    public String getKnownHostsRepositoryID() {
      return "iptv-servers";
    }

    @Override
    public HostKey[] getHostKey() {
      return new HostKey[0];
    }

    @Override
    public HostKey[] getHostKey(String host, String type) {
      if (expected == null) {
        return new HostKey[0];
      }
      try {
        return new HostKey[] {new HostKey(host, expected)};
      } catch (JSchException e) {
        return new HostKey[0];
      }
    }
  }
}
