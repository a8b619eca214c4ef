package dev.iptv.server.cluster;

import dev.iptv.common.ClusterSettings;
import dev.iptv.common.Config;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.HexFormat;
import java.util.Set;

/**
 * How a clustered JVM protects the cluster (README "Cluster security"): the event bus between JVMs
 * over mutual TLS (client certificates required, only the cluster's CA trusted) with certificates
 * derived from {@code IPTV_CLUSTER_SECRET} ({@link ClusterCertificates}) or given as files; and a
 * Hazelcast cluster name that carries a value derived from the secret, so a member without it is
 * not let in. Without either: the event bus in clear, with a loud warning off loopback.
 */
public final class ClusterSecurity {

  private static final Logger log = LoggerFactory.getLogger(ClusterSecurity.class);

  private ClusterSecurity() {
  }

  /** The event bus's options: bound and announced on the cluster host, over mutual TLS when configured. */
  public static EventBusOptions eventBus(ClusterSettings cluster) {
    String host = cluster.host();
    // The event bus listens and advertises on the cluster host, as Hazelcast does: left to itself
    // Vert.x binds the machine's first address while peers are told another, and sends fail.
    EventBusOptions options = new EventBusOptions().setHost(host).setClusterPublicHost(host)
      .setPort(cluster.busPort());
    if (!cluster.tls()) {
      if (!loopback(host)) {
        log.warn("\n\n  THE CLUSTER IS OPEN: {} is {}, not loopback, and neither {} nor {} is set.\n"
            + "  The event bus between JVMs runs in clear and accepts any peer that reaches it; Hazelcast\n"
            + "  admits anyone who knows the cluster name '{}'. Set {} (the same on every member) or\n"
            + "  certificate files, and keep the cluster on a private network (README: Cluster security).\n",
          Config.CLUSTER_HOST, host, Config.CLUSTER_SECRET, Config.CLUSTER_CERT, cluster.name(), Config.CLUSTER_SECRET);
      }
      return options;
    }
    PemKeyCertOptions keyCert = new PemKeyCertOptions();
    PemTrustOptions trust = new PemTrustOptions();
    if (cluster.certificateFiles()) {
      keyCert.setKeyValue(Buffer.buffer(read(cluster.key(), Config.CLUSTER_KEY)))
        .setCertValue(Buffer.buffer(certificates(cluster.cert(), Config.CLUSTER_CERT)));
      trust.addCertValue(Buffer.buffer(certificates(cluster.ca(), Config.CLUSTER_CA)));
      log.info("event bus: mutual TLS with the certificate {} (trusting only {})", cluster.cert(), cluster.ca());
    } else {
      ClusterCertificates.Material m = ClusterCertificates.fromSecret(cluster.secret(), host);
      keyCert.setKeyValue(Buffer.buffer(m.keyPem())).setCertValue(Buffer.buffer(m.chainPem()));
      trust.addCertValue(Buffer.buffer(m.caPem()));
      log.info("event bus: mutual TLS, trusting only the CA derived from {} ({})", Config.CLUSTER_SECRET,
        m.ca().getSubjectX500Principal().getName());
    }
    return options.setSsl(true).setClientAuth(ClientAuth.REQUIRED)
      .setKeyCertOptions(keyCert).setTrustOptions(trust)
      .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"));
  }

  /**
   * Hazelcast's cluster name: {@code IPTV_CLUSTER_NAME}, plus a value derived from the secret when
   * there is one (one-way: what Hazelcast sends in clear does not reveal the secret).
   */
  public static String hazelcastName(ClusterSettings cluster) {
    if (cluster.secret() == null) {
      return cluster.name();
    }
    return cluster.name() + "-" + HexFormat.of().formatHex(ClusterCertificates.derive(cluster.secret(), "hazelcast cluster name", 16));
  }

  static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static byte[] read(String path, String setting) {
    try {
      return Files.readAllBytes(Path.of(path));
    } catch (IOException e) {
      throw new IllegalArgumentException(setting + ": cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** The file's bytes, once checked to hold at least one PEM certificate. */
  private static byte[] certificates(String path, String setting) {
    byte[] pem = read(path, setting);
    try {
      if (CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem)).isEmpty()) {
        throw new IllegalArgumentException(setting + ": no certificate in " + path);
      }
    } catch (CertificateException e) {
      throw new IllegalArgumentException(setting + ": " + path + " is not a PEM certificate: " + e.getMessage(), e);
    }
    return pem;
  }
}
