package dev.iptv.monitor.segments;

import dev.iptv.contract.MonitorContract.SegmentServed;
import io.micrometer.core.instrument.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * Lines of nginx's segment log, wherever they come from (a datagram, a file): each one read into a
 * {@link SegmentServed} for the sink, or counted as rejected and, at most once a minute, logged.
 * Runs on the segment accounting verticle's event loop.
 */
final class SegmentRecords {

  private static final Logger log = LoggerFactory.getLogger(SegmentRecords.class);

  private final Consumer<SegmentServed> sink;
  private final Counter rejected;
  private long received;
  private long lastRejectLog;

  SegmentRecords(Consumer<SegmentServed> sink, Counter rejected) {
    this.sink = sink;
    this.rejected = rejected;
  }

  /** One line; {@code from} names its origin in the log when it is not a record. */
  void accept(String line, Object from) {
    if (line.isBlank()) {
      return;
    }
    received++;
    try {
      sink.accept(SegmentLogParser.parse(line));
    } catch (IllegalArgumentException e) {
      rejected.increment();
      long now = System.currentTimeMillis();
      if (now - lastRejectLog > 60_000) {
        lastRejectLog = now;
        log.warn("segment log: ignored a line from {} ({}): {}", from, e.getMessage(),
          line.length() > 200 ? line.substring(0, 200) : line);
      }
    }
  }

  /** Lines read so far (records and rejects). */
  long received() {
    return received;
  }
}
