package dev.iptv.stream;

import dev.iptv.common.Redact;
import dev.iptv.contract.StreamContract;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How FFmpeg probes one channel's sources before it plays them, and what is remembered of each
 * source in {@code stream:{id}:probe} ({@link StreamContract#probeKey}).
 *
 * <ul>
 *   <li>Every source is probed {@link Probe#QUICK quickly} unless it is remembered as needing a
 *       {@link Probe#FULL full} probe. A quick probe reads no more than the first segment needs
 *       anyway: the packets it reads are kept and written out (FFmpeg's {@code -fflags nobuffer}
 *       would drop them, which cost a whole key-frame interval more than the probe itself).</li>
 *   <li>FFmpeg's own log tells when a quick probe was too short ({@link FfmpegLog#missedStream()}):
 *       a stream the program table lists came without its parameters within the probe (FFmpeg then
 *       cannot write its header), or a stream of a kind the output lacks appeared later (a program
 *       table that gains its audio later). Then the source is run again with a full probe and
 *       remembered as {@code full}; a quick run that plays with every stream found remembers
 *       {@code quick}. No second connection to the source is made to find out (IPTV providers
 *       count connections per account) and nothing is decoded twice.</li>
 *   <li>The memory is per channel and source URL (a hash of it, never the URL), and a verdict is
 *       written only when it changes: the key expires {@link #MEMORY_S} after the last change, so
 *       a source remembered as {@code full} is tried quickly again a day later (a wrong
 *       {@code quick} costs one short failed attempt, a wrong {@code full} a slow start each time).</li>
 * </ul>
 *
 * <p>Confined to the verticle's context, as the {@link ChannelRun} that holds it.
 */
final class ProbePolicy {

  private static final Logger log = LoggerFactory.getLogger(ProbePolicy.class);

  /** How long {@code stream:{id}:probe} lives after its last change. */
  static final long MEMORY_S = 24 * 3600;

  /** How much FFmpeg reads of a source before it writes anything. */
  enum Probe {
    /** Enough for the sources that send their tables and parameters at once (most). */
    QUICK(1_000_000, 700_000),
    /** The seed's 5 MB / 5 s: for sources whose streams or tables come late. */
    FULL(5_000_000, 5_000_000);

    final long probeSize;
    final long analyzeDurationUs;

    Probe(long probeSize, long analyzeDurationUs) {
      this.probeSize = probeSize;
      this.analyzeDurationUs = analyzeDurationUs;
    }

    /** FFmpeg's input options for this probe. */
    List<String> args() {
      return List.of("-probesize", Long.toString(probeSize), "-analyzeduration", Long.toString(analyzeDurationUs));
    }

    String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The probe a remembered value names, or null. */
    static Probe fromWire(String s) {
      for (Probe p : values()) {
        if (p.wire().equals(s)) {
          return p;
        }
      }
      return null;
    }
  }

  private final StreamStore store;
  private final String id;
  /** Source hash → what is remembered. */
  private final Map<String, Probe> remembered = new HashMap<>();

  /**
   * @param remembered {@code stream:{id}:probe} as read (source hash → wire value); unknown values are ignored
   */
  ProbePolicy(StreamStore store, String id, Map<String, String> remembered) {
    this.store = store;
    this.id = id;
    remembered.forEach((field, value) -> {
      Probe p = Probe.fromWire(value);
      if (p != null) {
        this.remembered.put(field, p);
      }
    });
  }

  /** The probe to run {@code source} with: full when remembered so, else quick. */
  Probe forSource(String source) {
    return remembered.get(field(source)) == Probe.FULL ? Probe.FULL : Probe.QUICK;
  }

  /** What is remembered for {@code source}, or null. */
  Probe remembered(String source) {
    return remembered.get(field(source));
  }

  /** What a run of {@code source} taught; written to Redis only when it changes what is remembered. */
  void learned(String source, Probe verdict) {
    String field = field(source);
    if (remembered.put(field, verdict) == verdict) {
      return;
    }
    if (verdict == Probe.FULL) {
      log.info("channel {}: {} needs a full probe; remembered for {} h", id, Redact.url(source), MEMORY_S / 3600);
    }
    store.rememberProbe(id, field, verdict.wire(), MEMORY_S)
      .onFailure(err -> log.warn("channel {}: cannot remember how to probe its source: {}", id, err.toString()));
  }

  /** The field of {@code stream:{id}:probe} for a source URL: a hash, so that no credential of it lands in a key. */
  static String field(String source) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(source.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing", e);
    }
  }
}
