package dev.iptv.server.cluster;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterCertificatesTest {

  static final String SECRET = "a-cluster-secret-of-some-length";

  @Test
  @DisplayName("every member with the same secret derives the same CA, byte for byte; another secret another CA")
  void sameSecretSameCa() throws Exception {
    ClusterCertificates.Material a = ClusterCertificates.fromSecret(SECRET, "10.0.0.1");
    ClusterCertificates.Material b = ClusterCertificates.fromSecret(SECRET, "10.0.0.2");
    ClusterCertificates.Material other = ClusterCertificates.fromSecret(SECRET + "x", "10.0.0.1");
    assertArrayEquals(a.ca().getEncoded(), b.ca().getEncoded());
    assertEquals(a.caPem(), b.caPem());
    assertFalse(a.ca().getPublicKey().equals(other.ca().getPublicKey()));
    // Each member has its own key.
    assertNotEquals(a.keyPem(), b.keyPem());
  }

  @Test
  @DisplayName("a member certificate validates against the derived CA (PKIX), and not against another secret's CA")
  void memberChainsToCa() throws Exception {
    ClusterCertificates.Material m = ClusterCertificates.fromSecret(SECRET, "127.0.0.1");
    ClusterCertificates.Material other = ClusterCertificates.fromSecret("another-cluster-secret!", "127.0.0.1");
    X509Certificate member = chain(m.chainPem()).get(0);
    assertEquals(m.ca().getSubjectX500Principal(), member.getIssuerX500Principal());
    assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), member.getExtendedKeyUsage());
    validate(member, m.ca());
    assertThrows(Exception.class, () -> validate(member, other.ca()));
  }

  @Test
  @DisplayName("openssl, another implementation, verifies the member certificate against the derived CA")
  void opensslAgrees() throws Exception {
    ClusterCertificates.Material m = ClusterCertificates.fromSecret(SECRET, "127.0.0.1");
    Path dir = Files.createTempDirectory("iptv-cluster-certs");
    Path ca = Files.writeString(dir.resolve("ca.pem"), m.caPem());
    String memberPem = m.chainPem().substring(0, m.chainPem().indexOf("-----END CERTIFICATE-----") + 26);
    Path member = Files.writeString(dir.resolve("member.pem"), memberPem);
    Process p = new ProcessBuilder("openssl", "verify", "-purpose", "sslclient", "-CAfile", ca.toString(), member.toString())
      .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    dev.iptv.testing.TestEnv.deleteTree(dir);
    assertEquals(0, exit, out);
    assertTrue(out.contains(": OK"), out);
  }

  @Test
  @DisplayName("the Hazelcast name carries a value derived from the secret, never the secret itself")
  void hazelcastName() {
    var with = new dev.iptv.common.ClusterSettings("127.0.0.1", 5701, "127.0.0.1", "iptv", 0, SECRET, null, null, null);
    var other = new dev.iptv.common.ClusterSettings("127.0.0.1", 5701, "127.0.0.1", "iptv", 0, SECRET + "x", null, null, null);
    var without = new dev.iptv.common.ClusterSettings("127.0.0.1", 5701, "127.0.0.1", "iptv", 0, null, null, null, null);
    String name = ClusterSecurity.hazelcastName(with);
    assertTrue(name.matches("iptv-[0-9a-f]{32}"), name);
    assertFalse(name.contains(SECRET));
    assertEquals(name, ClusterSecurity.hazelcastName(with));
    assertNotEquals(name, ClusterSecurity.hazelcastName(other));
    assertEquals("iptv", ClusterSecurity.hazelcastName(without));
  }

  static List<X509Certificate> chain(String pem) throws Exception {
    return CertificateFactory.getInstance("X.509")
      .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))
      .stream().map(c -> (X509Certificate) c).toList();
  }

  static void validate(X509Certificate member, X509Certificate ca) throws Exception {
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
    params.setRevocationEnabled(false);
    CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(List.of(member)), params);
  }
}
