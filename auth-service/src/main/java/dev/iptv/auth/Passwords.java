package dev.iptv.auth;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Password hashes as stored in {@code user:{username}}: {@code pbkdf2-sha256$iterations$salt$hash}
 * (PBKDF2WithHmacSHA256, 16 random bytes of salt, 32 bytes of hash, both base64 without padding).
 * Hashing is deliberately slow: callers run it off the event loop ({@code executeBlocking}).
 */
final class Passwords {

  static final String PREFIX = "pbkdf2-sha256$";
  private static final int SALT_BYTES = 16;
  private static final int HASH_BITS = 256;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

  private Passwords() {
  }

  /** Blocking: hashes {@code password} with a new salt. */
  static String hash(String password, int iterations) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    return PREFIX + iterations + "$" + B64.encodeToString(salt) + "$"
      + B64.encodeToString(pbkdf2(password, salt, iterations));
  }

  /** Blocking: true when {@code password} matches {@code stored} (constant-time comparison). */
  static boolean verify(String password, String stored) {
    if (password == null || !isHash(stored)) {
      return false;
    }
    String[] parts = stored.split("\\$");
    if (parts.length != 4) {
      return false;
    }
    try {
      int iterations = Integer.parseInt(parts[1]);
      byte[] salt = Base64.getDecoder().decode(parts[2]);
      byte[] want = Base64.getDecoder().decode(parts[3]);
      return MessageDigest.isEqual(want, pbkdf2(password, salt, iterations));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** True for a value in this class's format (so never a password in clear). */
  static boolean isHash(String value) {
    return value != null && value.startsWith(PREFIX) && value.chars().filter(c -> c == '$').count() == 3;
  }

  private static byte[] pbkdf2(String password, byte[] salt, int iterations) {
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, HASH_BITS);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
    } finally {
      spec.clearPassword();
    }
  }
}
