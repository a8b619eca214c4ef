package dev.iptv.server.cluster;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The event bus's certificates derived from {@code IPTV_CLUSTER_SECRET}, in memory, the same on every
 * member: nothing is written to disk, copied between machines or passed through a shell.
 *
 * <p>The CA is an Ed25519 key pair whose 32-byte private key is HKDF-SHA256 of the secret (an Ed25519
 * private key is exactly 32 bytes of seed, RFC 8032, so the derivation does not depend on how a JDK
 * draws random numbers), and its certificate has fixed names, serial and dates: every member with
 * the same secret makes the same CA byte for byte and trusts it alone. Each JVM then makes its own
 * P-256 key (random) and a certificate for it signed by that CA, used as both TLS server and client.
 * Whoever holds the secret can sign a member certificate; whoever does not cannot.
 */
public final class ClusterCertificates {

  /** PEM texts: this member's key (PKCS#8), its certificate chain (member then CA), the CA. */
  public record Material(String keyPem, String chainPem, String caPem, X509Certificate ca) {
  }

  private static final String SALT = "dev.iptv cluster secret v1";
  private static final String ED25519 = "1.3.101.112";
  private static final ZonedDateTime CA_FROM = ZonedDateTime.of(2020, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
  private static final ZonedDateTime CA_UNTIL = ZonedDateTime.of(2099, 12, 31, 23, 59, 59, 0, ZoneOffset.UTC);

  private ClusterCertificates() {
  }

  /** {@code n} bytes of HKDF-SHA256 (RFC 5869) of the secret for one use ({@code label}), n ≤ 32. */
  public static byte[] derive(String secret, String label, int n) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(SALT.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] prk = mac.doFinal(secret.getBytes(StandardCharsets.UTF_8));
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      mac.update(label.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 1);
      return Arrays.copyOf(mac.doFinal(), n);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is missing from this JVM", e);
    }
  }

  /** The CA of the secret and a fresh member certificate for {@code host} signed by it. */
  public static Material fromSecret(String secret, String host) {
    try {
      KeyPair ca = caKeyPair(derive(secret, "event-bus CA Ed25519 key", 32));
      byte[] caId = Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(ca.getPublic().getEncoded()), 6);
      byte[] caName = name("iptv cluster CA " + HexFormat.of().formatHex(caId));
      BigInteger caSerial = new BigInteger(1, derive(secret, "event-bus CA serial", 16));
      byte[] caExtensions = Der.sequence(
        extension("2.5.29.19", true, Der.sequence(Der.bool(true))),
        extension("2.5.29.15", true, Der.bits(0x06, 1)));
      X509Certificate caCert = sign(caSerial, caName, CA_FROM, CA_UNTIL, caName, ca.getPublic().getEncoded(),
        caExtensions, ca.getPrivate());

      KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
      ec.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair member = ec.generateKeyPair();
      byte[] serial = new byte[16];
      new SecureRandom().nextBytes(serial);
      ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).withNano(0);
      byte[] memberExtensions = Der.sequence(
        extension("2.5.29.19", true, Der.sequence()),
        extension("2.5.29.15", true, Der.bits(0x80, 7)),
        extension("2.5.29.37", false, Der.sequence(Der.oid("1.3.6.1.5.5.7.3.1"), Der.oid("1.3.6.1.5.5.7.3.2"))),
        extension("2.5.29.17", false, Der.sequence(altName(host))));
      X509Certificate memberCert = sign(new BigInteger(1, serial), caName, now.minusDays(1), now.plusYears(20),
        name("iptv cluster member " + host), member.getPublic().getEncoded(), memberExtensions, ca.getPrivate());

      String caPem = pem("CERTIFICATE", caCert.getEncoded());
      return new Material(pem("PRIVATE KEY", member.getPrivate().getEncoded()),
        pem("CERTIFICATE", memberCert.getEncoded()) + caPem, caPem, caCert);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make the cluster's certificates: " + e.getMessage(), e);
    }
  }

  /** The Ed25519 key pair whose private key is {@code seed}; fails if this JVM would make another. */
  private static KeyPair caKeyPair(byte[] seed) throws GeneralSecurityException {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("Ed25519");
    gen.initialize(NamedParameterSpec.ED25519, new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        System.arraycopy(seed, 0, bytes, 0, Math.min(seed.length, bytes.length));
      }
    });
    KeyPair pair = gen.generateKeyPair();
    byte[] used = ((EdECPrivateKey) pair.getPrivate()).getBytes().orElse(new byte[0]);
    if (!Arrays.equals(used, seed)) {
      throw new GeneralSecurityException("this JVM's Ed25519 does not take the derived private key as given");
    }
    return pair;
  }

  private static X509Certificate sign(BigInteger serial, byte[] issuer, ZonedDateTime from, ZonedDateTime until,
                                      byte[] subject, byte[] publicKeyInfo, byte[] extensions, PrivateKey by)
    throws GeneralSecurityException {
    byte[] algorithm = Der.sequence(Der.oid(ED25519));
    byte[] tbs = Der.sequence(
      Der.explicit(0, Der.integer(BigInteger.TWO)),
      Der.integer(serial),
      algorithm,
      issuer,
      Der.sequence(Der.time(from), Der.time(until)),
      subject,
      publicKeyInfo,
      Der.explicit(3, extensions));
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(by);
    signer.update(tbs);
    byte[] der = Der.sequence(tbs, algorithm, Der.bits(signer.sign()));
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  private static byte[] name(String commonName) {
    return Der.sequence(
      Der.set(Der.sequence(Der.oid("2.5.4.10"), Der.utf8("IPTV cluster"))),
      Der.set(Der.sequence(Der.oid("2.5.4.3"), Der.utf8(commonName))));
  }

  private static byte[] extension(String oid, boolean critical, byte[] value) {
    return critical
      ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octets(value))
      : Der.sequence(Der.oid(oid), Der.octets(value));
  }

  /** An IP address SAN ({@code [7]}) for a literal address, a DNS name SAN ({@code [2]}) otherwise. */
  private static byte[] altName(String host) {
    boolean literal = host.matches("[0-9.]+") || host.contains(":");
    if (literal) {
      try {
        return Der.tlv(0x87, InetAddress.getByName(host).getAddress());
      } catch (java.net.UnknownHostException e) {
        throw new IllegalArgumentException("not an address: " + host, e);
      }
    }
    return Der.tlv(0x82, host.getBytes(StandardCharsets.US_ASCII));
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
      + "\n-----END " + type + "-----\n";
  }
}
