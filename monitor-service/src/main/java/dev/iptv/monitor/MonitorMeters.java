package dev.iptv.monitor;

import dev.iptv.contract.StreamContract.StreamEvent.Kind;
import dev.iptv.monitor.nodes.StreamCensus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.ToDoubleFunction;

/**
 * The suite's own meters (Prometheus names in brackets):
 * <ul>
 *   <li>gauges: streams running [{@code iptv_streams_running}], viewers [{@code iptv_viewers}], per
 *       channel viewers [{@code iptv_channel_viewers{channel}}] and bandwidth
 *       [{@code iptv_channel_bandwidth_bytes_per_second{channel}}], this host's CPU, memory and
 *       disk [{@code iptv_host_*}], history queue depth, mirrored keys;</li>
 *   <li>counters from stream events: [{@code iptv_stream_starts_total{node,mode}}],
 *       [{@code iptv_stream_stops_total}], [{@code iptv_stream_failures_total}],
 *       [{@code iptv_stream_restarts_total}], stalls [{@code iptv_stream_stalls_total{node}}], source
 *       switches [{@code iptv_stream_switches_total{node}}], disk full [{@code iptv_disk_full_total{node}}], limit hits
 *       [{@code iptv_limit_hits_total}];</li>
 *   <li>bytes and segments served per channel [{@code iptv_served_bytes_total{channel}}],
 *       [{@code iptv_served_segments_total{channel}}], rejected segment-log lines, history rows
 *       written and dropped, Redis restores.</li>
 * </ul>
 * Meters are removed from the registry when the service stops, so a redeploy starts clean. Shared by
 * the monitor's verticles, each counting on its own event loop: safe from any thread (Micrometer's
 * meters are; the maps here are concurrent). A gauge reads its value on the scraping thread, so
 * what it reads must be safe to read from any thread (an immutable snapshot behind a volatile field).
 */
public final class MonitorMeters {

  private final MeterRegistry registry;
  private final Queue<Meter> owned = new ConcurrentLinkedQueue<>();
  /** Channels that get their own per-channel counters at most; the rest are counted as {@value #OTHER}. */
  public static final int MAX_CHANNEL_SERIES = 10_000;
  public static final String OTHER = "other";

  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  private final Set<String> labelledChannels = ConcurrentHashMap.newKeySet();
  private final MultiGauge channelViewers;
  private final MultiGauge channelBandwidth;

  public MonitorMeters(MeterRegistry registry) {
    this.registry = registry;
    channelViewers = MultiGauge.builder("iptv.channel.viewers")
      .description("viewer sessions polling the channel in the last 60 s").register(registry);
    channelBandwidth = MultiGauge.builder("iptv.channel.bandwidth")
      .baseUnit("bytes_per_second").description("bytes per second served for the channel over the last 10 s")
      .register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  public <T> void gauge(String name, String description, T state, ToDoubleFunction<T> value) {
    owned.add(Gauge.builder(name, state, value).description(description).strongReference(true).register(registry));
  }

  public <T> void gauge(String name, String unit, String description, T state, ToDoubleFunction<T> value) {
    owned.add(Gauge.builder(name, state, value).baseUnit(unit).description(description).strongReference(true)
      .register(registry));
  }

  /** A counter by name and tags, made on first use and kept. */
  public Counter counter(String name, String description, String... tags) {
    String key = name + '|' + String.join("|", tags);
    return counters.computeIfAbsent(key, k -> {
      Counter c = Counter.builder(name).description(description).tags(tags).register(registry);
      owned.add(c);
      return c;
    });
  }

  public Counter bytesCounter(String name, String description, String... tags) {
    String key = name + '|' + String.join("|", tags);
    return counters.computeIfAbsent(key, k -> {
      Counter c = Counter.builder(name).baseUnit("bytes").description(description).tags(tags).register(registry);
      owned.add(c);
      return c;
    });
  }

  public void streamEvent(Kind event, String node, String mode) {
    String n = node == null ? "" : node;
    switch (event) {
      case STARTED -> counter("iptv.stream.starts", "streams started", "node", n, "mode", mode == null ? "" : mode)
        .increment();
      case STOPPED -> counter("iptv.stream.stops", "streams stopped", "node", n).increment();
      case FAILED -> counter("iptv.stream.failures", "streams that failed to start or died for good", "node", n)
        .increment();
      case RESTARTED -> counter("iptv.stream.restarts", "streams restarted after their FFmpeg died", "node", n)
        .increment();
      case DISK_FULL -> counter("iptv.disk.full", "FFmpeg found no space left on the HLS disk (ENOSPC)", "node", n)
        .increment();
      case STALLED -> counter("iptv.stream.stalls",
        "running streams found stalled: no new segment, or FFmpeg slower than real time", "node", n).increment();
      case SWITCHED -> counter("iptv.stream.switches", "streams moved to another of their sources", "node", n)
        .increment();
      case SLATE_ON -> counter("iptv.stream.slates", "watched streams whose every source failed: their viewers got the slate",
        "node", n).increment();
      case SLATE_OFF -> counter("iptv.stream.slate.recoveries", "slated streams live again from a source that came back",
        "node", n).increment();
    }
  }

  public void limitHit() {
    counter("iptv.limit.hits", "viewers refused for max_connections").increment();
  }

  /** {@code answers} segment requests of the channel, {@code bytes} in all. */
  public void served(String channel, long bytes, long answers) {
    String label = channelLabel(channel);
    bytesCounter("iptv.served", "bytes served from segments, per channel", "channel", label).increment(bytes);
    counter("iptv.served.segments", "segment requests answered, per channel", "channel", label).increment(answers);
  }

  /**
   * The channel's label: its id, for the first {@link #MAX_CHANNEL_SERIES} channels seen; past that
   * {@value #OTHER} (segment records come from outside: their ids must not grow the registry without
   * bound, and a counter's series is not evicted, or it would restart from zero).
   */
  public String channelLabel(String channel) {
    if (labelledChannels.contains(channel)) {
      return channel;
    }
    if (labelledChannels.size() >= MAX_CHANNEL_SERIES) {
      return OTHER;
    }
    labelledChannels.add(channel);
    return channel;
  }

  /** A segment answer's status label: the status when it is an HTTP status, else {@value #OTHER}. */
  public static String statusLabel(int status) {
    return status >= 100 && status <= 599 ? Integer.toString(status) : OTHER;
  }

  /** Per-channel gauges from the latest census; channels gone from it disappear. */
  public void channels(StreamCensus.Snapshot snapshot) {
    List<MultiGauge.Row<?>> viewers = new ArrayList<>();
    List<MultiGauge.Row<?>> bandwidth = new ArrayList<>();
    for (StreamCensus.Stream s : snapshot.streams()) {
      viewers.add(MultiGauge.Row.of(Tags.of("channel", s.channelId()), s.viewers()));
      bandwidth.add(MultiGauge.Row.of(Tags.of("channel", s.channelId()), s.bandwidth()));
    }
    channelViewers.register(viewers, true);
    channelBandwidth.register(bandwidth, true);
  }

  /** Removes every meter this instance registered. */
  public void close() {
    channelViewers.register(List.of(), true);
    channelBandwidth.register(List.of(), true);
    owned.forEach(registry::remove);
    owned.clear();
    counters.clear();
    labelledChannels.clear();
  }
}
