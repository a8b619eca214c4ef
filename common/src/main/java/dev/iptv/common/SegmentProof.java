package dev.iptv.common;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;

/**
 * The proof a segment URI carries: what lets a player fetch {@code stream_{id}_{n}.ts} without its
 * token. nginx checks it with its {@code secure_link} module (segment bytes never pass through a
 * JVM); the all-in-one server checks it the same way, with the same answers.
 *
 * <p>Query: {@code ?e={expires}&n={notAfter}&t={session}&s={signature}}, where
 * <ul>
 *   <li>{@code e}: epoch seconds the proof expires (the TTL from the poll that issued it);</li>
 *   <li>{@code n}: {@code e - ttl - }{@value #SLACK_S}: a proof whose {@code n} is not yet past
 *       lies further ahead than any proof this suite issues, and is refused (a forged or replayed
 *       far-future expiry never opens anything);</li>
 *   <li>{@code t}: the viewer session that polled ({@link dev.iptv.contract.AuthContract#sessionId}): a proof is bound to
 *       one player of one token, and the front's segment log names it;</li>
 *   <li>{@code s}: {@code base64url(md5("{e}:{n}:{channel}:{t} {secret}"))} without padding.</li>
 * </ul>
 * Every field is separated, so no digit can move from one field into another (the old
 * {@code e + channel} text let a proof for channel 12 with expiry E open channel 2 with expiry E1).
 * nginx: {@code secure_link $arg_s,$arg_e; secure_link_md5 "$arg_e:$arg_n:$chan:$arg_t SECRET";},
 * then the same text checked again with {@code secure_link $arg_s,$arg_n} for the cap. MD5 is what
 * nginx offers; the secret is random per installation and the proof short-lived.
 */
public final class SegmentProof {

  /** How far past the TTL an expiry may lie: the 10 s rounding and a little clock skew. */
  public static final long SLACK_S = 30;

  /** What a check found. */
  public enum Verdict {
    OK(null),
    INVALID("ERROR: Invalid segment proof"),
    EXPIRED("ERROR: Segment proof expired"),
    TOO_FAR("ERROR: Segment proof expiry too far ahead");

    private final String playerError;

    Verdict(String playerError) {
      this.playerError = playerError;
    }

    /** The body a player gets with the 403 (nginx answers the same texts). */
    public String playerError() {
      return playerError;
    }
  }

  private final String secret;
  private final long ttlS;

  public SegmentProof(String secret, long ttlS) {
    if (secret == null || secret.isEmpty()) {
      throw new IllegalArgumentException("the segment secret is empty");
    }
    if (ttlS < 10) {
      throw new IllegalArgumentException("the segment proof TTL must be at least 10 s, not " + ttlS);
    }
    this.secret = secret;
    this.ttlS = ttlS;
  }

  /** The expiry of a proof issued now: at least the TTL ahead, rounded up to 10 s so caches see few URIs. */
  public long expiry(long nowEpochSeconds) {
    long at = nowEpochSeconds + ttlS;
    return (at + 9) / 10 * 10;
  }

  /** The query string (no leading '?') for a segment URI of {@code channelId}, for session {@code tag}. */
  public String query(String channelId, String tag, long nowEpochSeconds) {
    long e = expiry(nowEpochSeconds);
    return signed(channelId, tag, e, notAfter(e));
  }

  /** A query with exactly these fields, signed: for tests and tools that need a proof of a given age. */
  public String signed(String channelId, String tag, long expires, long notAfter) {
    String ev = Long.toString(expires);
    String nv = Long.toString(notAfter);
    return "e=" + ev + "&n=" + nv + "&t=" + tag + "&s=" + signature(ev, nv, channelId, tag);
  }

  /** The {@code n} that goes with an expiry {@code e}: the proof is refused while it is not past. */
  public long notAfter(long expires) {
    return expires - ttlS - SLACK_S;
  }

  /** Checks the parameters of a segment request as nginx does. */
  public Verdict check(String channelId, String e, String n, String t, String s, long nowEpochSeconds) {
    if (!digits(e) || !digits(n) || t == null || t.isEmpty() || t.length() > 64 || s == null || s.length() > 64
      || !hex(t)) {
      return Verdict.INVALID;
    }
    byte[] want = signature(e, n, channelId, t).getBytes(StandardCharsets.US_ASCII);
    if (!MessageDigest.isEqual(want, s.getBytes(StandardCharsets.US_ASCII))) {
      return Verdict.INVALID;
    }
    if (Long.parseLong(e) < nowEpochSeconds) {
      return Verdict.EXPIRED;
    }
    if (Long.parseLong(n) >= nowEpochSeconds) {
      return Verdict.TOO_FAR;
    }
    return Verdict.OK;
  }

  private String signature(String e, String n, String channelId, String tag) {
    byte[] digest = MD5.get().digest((e + ":" + n + ":" + channelId + ":" + tag + " " + secret).getBytes(StandardCharsets.UTF_8));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
  }

  /** One MD5 per thread (digest() resets it): a provider lookup per segment request cost more than the hash. */
  private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException ex) {
      throw new IllegalStateException(ex);
    }
  });

  private static boolean digits(String v) {
    if (v == null || v.isEmpty() || v.length() > 12) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean hex(String v) {
    for (int i = 0; i < v.length(); i++) {
      if (Character.digit(v.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }
}
