package dev.iptv.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The proof a segment URI carries: what lets a player fetch {@code stream_{id}_{n}.ts} without
 * its token, and what nginx checks with its {@code secure_link} module (so segment bytes never
 * pass through the JVM), and the all-in-one server checks the same way.
 *
 * <p>{@code s = base64url(md5(expires + channelId + " " + secret))} without padding, sent as
 * {@code ?e={expires}&s={s}}: exactly nginx's
 * {@code secure_link $arg_s,$arg_e; secure_link_md5 "$secure_link_expires$chan $secret";}
 * MD5 is what nginx offers; the secret is random per installation and the proof short-lived.
 */
public final class SegmentProof {

  private SegmentProof() {
  }

  public static String signature(String secret, String channelId, long expiresEpochSeconds) {
    try {
      MessageDigest md5 = MessageDigest.getInstance("MD5");
      byte[] digest = md5.digest((expiresEpochSeconds + channelId + " " + secret).getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The query string (no leading '?') to append to a segment URI. */
  public static String query(String secret, String channelId, long expiresEpochSeconds) {
    return "e=" + expiresEpochSeconds + "&s=" + signature(secret, channelId, expiresEpochSeconds);
  }

  /** True when {@code s} is the signature for this channel and {@code e} is not past. */
  public static boolean check(String secret, String channelId, String e, String s, long nowEpochSeconds) {
    if (e == null || s == null || e.isEmpty() || e.length() > 12) {
      return false;
    }
    long expires;
    try {
      expires = Long.parseLong(e);
    } catch (NumberFormatException ex) {
      return false;
    }
    if (expires < nowEpochSeconds) {
      return false;
    }
    byte[] want = signature(secret, channelId, expires).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(want, s.getBytes(StandardCharsets.US_ASCII));
  }
}
