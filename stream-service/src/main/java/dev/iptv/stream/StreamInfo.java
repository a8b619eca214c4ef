package dev.iptv.stream;

import io.vertx.core.json.JsonObject;

/**
 * A playable stream as the start API reports it.
 *
 * @param status {@code started} when this request started it, {@code running} when it already ran
 */
public record StreamInfo(String channelId, long pid, String node, String mode, double started, String status) {

  StreamInfo running() {
    return new StreamInfo(channelId, pid, node, mode, started, "running");
  }

  public JsonObject toJson() {
    return new JsonObject().put("channel_id", channelId).put("pid", pid).put("node", node).put("status", status)
      .put("mode", mode).put("started", dev.iptv.common.Epoch.seconds(Math.round(started * 1000)));
  }
}
