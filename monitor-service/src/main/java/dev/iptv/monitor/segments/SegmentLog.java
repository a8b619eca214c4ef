package dev.iptv.monitor.segments;

import dev.iptv.contract.MonitorContract.SegmentServed;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The UDP listener nginx's segment log goes to (syslog, one record per datagram; several lines
 * in one datagram are read too). Bound on loopback by default: nginx on the same machine sends,
 * nobody else can. A busy port does not stop the service: it is logged and shown by /api/health.
 */
final class SegmentLog {

  private static final Logger log = LoggerFactory.getLogger(SegmentLog.class);

  private final Vertx vertx;
  private final SegmentRecords records;
  private DatagramSocket socket;
  private String error;

  SegmentLog(Vertx vertx, Consumer<SegmentServed> sink, Counter rejected) {
    this.vertx = vertx;
    this.records = new SegmentRecords(sink, rejected);
  }

  /** Listens on host:port; port 0 or less: off. Always succeeds; a failure is kept for health. */
  Future<Void> listen(String host, int port) {
    if (port <= 0) {
      error = null;
      return Future.succeededFuture();
    }
    DatagramSocket s = vertx.createDatagramSocket(new DatagramSocketOptions().setReceiveBufferSize(4 * 1024 * 1024));
    s.handler(this::packet);
    return s.listen(port, host)
      .<Void>map(bound -> {
        socket = bound;
        log.info("segment log: listening for nginx syslog on udp {}:{}", host, port);
        return null;
      })
      .recover(err -> {
        error = "cannot listen on udp " + host + ":" + port + ": " + err.getMessage();
        log.warn("segment log off: {} (bytes served by nginx will not be counted)", error);
        s.close();
        return Future.succeededFuture();
      });
  }

  private void packet(DatagramPacket packet) {
    String text = packet.data().toString(StandardCharsets.UTF_8);
    for (String line : text.split("\n")) {
      records.accept(line, packet.sender());
    }
  }

  JsonObject health() {
    JsonObject o = new JsonObject().put("ok", error == null);
    if (socket != null) {
      o.put("port", socket.localAddress().port()).put("lines", records.received());
    } else if (error == null) {
      o.put("enabled", false);
    }
    if (error != null) {
      o.put("error", error);
    }
    return o;
  }

  Future<Void> close() {
    return socket == null ? Future.succeededFuture() : socket.close();
  }
}
