package dev.iptv.monitor.health;

import dev.iptv.contract.ChannelContract;
import dev.iptv.contract.MonitorContract;
import dev.iptv.contract.StreamContract;
import dev.iptv.monitor.Support;
import dev.iptv.testing.AdminClient;
import dev.iptv.testing.TestEnv;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.junit5.VertxExtension;
import io.vertx.redis.client.RedisAPI;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static dev.iptv.testing.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class StatsTest {

  private RedisAPI redis;

  @BeforeEach
  void clean(Vertx vertx) {
    redis = Support.redis(vertx);
    Support.flushTestDb(redis);
  }

  private void stream(String id, String node, long now, double... viewerScores) {
    await(redis.mset(List.of(StreamContract.pidKey(id), "4242" + id, StreamContract.startedKey(id), (now - 120) + ".5",
      StreamContract.nodeKey(id), node, StreamContract.modeKey(id), "copy",
      ChannelContract.channelKey(id), new JsonObject().put("channel_id", id).put("name", "Channel " + id).encode())));
    for (int i = 0; i < viewerScores.length; i++) {
      await(redis.zadd(List.of(StreamContract.viewersKey(id), Double.toString(viewerScores[i]), "viewer-" + i)));
    }
  }

  private HttpResponse<Buffer> stats(Vertx vertx, int port, String bearer) {
    return AdminClient.of(vertx, port).withBearer(bearer).get("/api/stats");
  }

  @Test
  @DisplayName("stats answer the SPEC shape with real host figures, streams and only the viewers seen in the last 60 s")
  void shape(Vertx vertx) {
    long now = System.currentTimeMillis() / 1000;
    stream("48681", Support.NODE, now, now - 5, now - 30, now - 300);
    stream("87827", "other-node", now, now - 1);
    await(redis.set(List.of("stream:notastream:pidx", "1")));
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));

    HttpResponse<Buffer> resp = stats(vertx, port, TestEnv.ADMIN_TOKEN);
    assertEquals(200, resp.statusCode(), resp.bodyAsString());
    JsonObject body = resp.bodyAsJsonObject();
    for (String key : List.of("cpu_percent", "memory_percent", "memory_used_gb", "disk_percent", "network_sent_gb",
      "network_recv_gb", "active_streams", "viewers", "uptime_hours", "nodes")) {
      assertTrue(body.containsKey(key), "missing " + key + " in " + body.encode());
    }
    assertEquals(2, body.getInteger("active_streams"));
    assertEquals(3, body.getInteger("viewers"), "two fresh viewers on 48681, one on 87827; the 300 s old one is gone");
    assertTrue(body.getDouble("memory_used_gb") > 0);
    assertTrue(body.getDouble("uptime_hours") > 0);
    double cpu = body.getDouble("cpu_percent");
    assertTrue(cpu >= 0 && cpu <= 100);

    JsonArray nodes = body.getJsonArray("nodes");
    JsonObject me = nodes.stream().map(o -> (JsonObject) o).filter(n -> Support.NODE.equals(n.getString("name")))
      .findFirst().orElseThrow(() -> new AssertionError("this node is missing from " + nodes.encode()));
    assertEquals("up", me.getString("status"));
    assertEquals(1, me.getInteger("active_streams"));
    assertEquals(2, me.getInteger("viewers"));
    assertEquals(body.getDouble("memory_used_gb"), me.getDouble("memory_used_gb"), 1e-9, "one node: its figures are the total");

    // the node's figures are in Redis for the other nodes, with a TTL
    JsonObject published = new JsonObject(await(redis.get(MonitorContract.nodeStatsKey(Support.NODE))).toString());
    assertNotNull(published.getValue("cpu_percent"));
    long ttl = await(redis.ttl(MonitorContract.nodeStatsKey(Support.NODE))).toLong();
    assertTrue(ttl > 0 && ttl <= MonitorContract.NODE_STATS_TTL_S, "ttl " + ttl);
    assertTrue(await(redis.sismember(MonitorContract.NODES_ALL, Support.NODE)).toBoolean());
  }

  @Test
  @DisplayName("stats add up every live node of the cluster (a stream node without a monitor by its own report) and list a node that stopped reporting as down")
  void cluster(Vertx vertx) {
    JsonObject other = new JsonObject().put("name", "node-b").put("cores", 4).put("cpu_percent", 50.0)
      .put("memory_percent", 50.0).put("memory_used_gb", 8.0).put("memory_total_gb", 16.0)
      .put("disk_percent", 10.0).put("disk_total_gb", 100.0).put("network_sent_gb", 1.5).put("network_recv_gb", 2.5)
      .put("uptime_hours", 99999.0);
    await(redis.setex(MonitorContract.nodeStatsKey("node-b"), "15", other.encode()));
    await(redis.sadd(List.of(MonitorContract.NODES_ALL, "node-b", "node-c", "node-gone", "node-d")));
    await(redis.setex(MonitorContract.nodeLastSeenKey("node-c"), "86400", "1700000000.123"));
    // A stream node without a monitor (bin/iptv node): up from its stream-service's own report.
    await(redis.setex(dev.iptv.contract.ServerContract.nodeStreamKey("node-d"), "10", new JsonObject()
      .put("name", "node-d").put("instance", "node-d/ab12").put("cpu_percent", 5.0).put("memory_percent", 7.0)
      .put("streams", 2).encode()));
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));

    JsonObject body = stats(vertx, port, TestEnv.ADMIN_TOKEN).bodyAsJsonObject();
    JsonArray nodes = body.getJsonArray("nodes");
    assertEquals(4, nodes.size(), nodes.encode());
    JsonObject me = find(nodes, Support.NODE);
    assertEquals("up", find(nodes, "node-d").getString("status"));
    assertEquals(5.0, find(nodes, "node-d").getDouble("cpu_percent"));
    assertEquals("down", find(nodes, "node-c").getString("status"));
    assertEquals("up", find(nodes, "node-b").getString("status"));
    assertEquals(me.getDouble("memory_used_gb") + 8.0, body.getDouble("memory_used_gb"), 0.011);
    assertEquals(me.getDouble("network_sent_gb") + 1.5, body.getDouble("network_sent_gb"), 0.0011);
    assertEquals(99999.0, body.getDouble("uptime_hours"), 1e-9, "the longest uptime of the live nodes");
    assertTrue(!await(redis.sismember(MonitorContract.NODES_ALL, "node-gone")).toBoolean(),
      "a member with neither stats nor last_seen is forgotten");
  }

  @Test
  @DisplayName("stats need the admin bearer")
  void bearer(Vertx vertx) {
    int port = TestEnv.freePort();
    Support.deploy(vertx, Support.config(port));
    assertEquals(401, stats(vertx, port, null).statusCode());
    assertEquals(401, stats(vertx, port, "wrong-token-wrong-token").statusCode());
  }

  private static JsonObject find(JsonArray nodes, String name) {
    return nodes.stream().map(o -> (JsonObject) o).filter(n -> name.equals(n.getString("name"))).findFirst()
      .orElseThrow(() -> new AssertionError(name + " missing from " + nodes.encode()));
  }
}
