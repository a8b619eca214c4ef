package dev.iptv.contract;

import dev.iptv.contract.AuthContract.LimitHit;
import dev.iptv.contract.AuthContract.SessionRequest;
import dev.iptv.contract.AuthContract.TokenCheck;
import dev.iptv.contract.AuthContract.UserChanged;
import dev.iptv.contract.ChannelContract.ChannelChanged;
import dev.iptv.contract.MirrorContract.MirrorStatus;
import dev.iptv.contract.MirrorContract.RedisRestored;
import dev.iptv.contract.MonitorContract.SegmentBatch;
import dev.iptv.contract.MonitorContract.SegmentServed;
import dev.iptv.contract.StreamContract.StartRequest;
import dev.iptv.contract.StreamContract.StopReply;
import dev.iptv.contract.StreamContract.StopRequest;
import dev.iptv.contract.StreamContract.StreamEvent;
import dev.iptv.contract.StreamContract.StreamStatus;
import dev.iptv.contract.StreamContract.ViewerPoll;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.math.BigDecimal;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ContractsTest {

  private static final BigDecimal TS = new BigDecimal("1700000000.123");

  private static void badField(String field, Executable read) {
    BadMessage e = assertThrows(BadMessage.class, read);
    assertEquals(field, e.field());
    assertTrue(e.getMessage().startsWith(field), e.getMessage());
  }

  @Test
  @DisplayName("every message reads back what it wrote, in the wire shape the README lists")
  void roundTrips() {
    SessionRequest session = new SessionRequest("ab".repeat(16), "203.0.113.7", "VLC/3", "48681", false);
    assertEquals(session, SessionRequest.fromJson(session.toJson()));
    assertEquals(Boolean.FALSE, session.toJson().getValue("hold"));
    TokenCheck check = new TokenCheck(TokenCheck.Status.VALID, "john123", 2, "2027-12-07T21:50:51.244826Z");
    assertEquals(check, TokenCheck.fromJson(check.toJson()));
    assertEquals(TokenCheck.Status.LIMIT, check.limited().status());
    LimitHit hit = new LimitHit("john123", "48681", TS);
    assertEquals(hit, LimitHit.fromJson(hit.toJson()));
    assertEquals("limit_hit", hit.toJson().getString("event"));
    UserChanged user = new UserChanged(ChangeAction.UPDATED, "john123", "cd".repeat(16), "ab".repeat(16));
    assertEquals(user, UserChanged.fromJson(user.toJson()));
    ChannelChanged channel = new ChannelChanged("48681", ChangeAction.DELETED, false, "a1b2c3");
    assertEquals(channel, ChannelChanged.fromJson(channel.toJson()));
    assertEquals(new StartRequest("48681"), StartRequest.fromJson(new StartRequest("48681").toJson()));
    StopRequest stop = new StopRequest("48681", "idle");
    assertEquals(stop, StopRequest.fromJson(stop.toJson()));
    assertEquals(new StopReply("48681", true), StopReply.fromJson(new StopReply("48681", true).toJson()));
    StreamStatus status = new StreamStatus("48681", 4242, "n1", "copy", 1_700_000_000.123, StreamStatus.STARTED);
    assertEquals(status, StreamStatus.fromJson(status.toJson()));
    assertEquals(StreamStatus.RUNNING, status.running().status());
    StreamEvent started = new StreamEvent(StreamEvent.Kind.STARTED, "48681", "n1", "copy", null, "viewer", TS);
    assertEquals(started, StreamEvent.fromJson(started.toJson()));
    StreamEvent full = new StreamEvent(StreamEvent.Kind.DISK_FULL, "48681", "n1", null, "/hls", "ENOSPC", TS);
    assertEquals(full, StreamEvent.fromJson(full.toJson()));
    assertEquals("disk_full", full.toJson().getString("event"));
    assertFalse(full.toJson().containsKey("mode"));
    ViewerPoll poll = new ViewerPoll("john123", "48681", "203.0.113.7", "VLC/3", 1_700_000_000.5);
    assertEquals(poll, ViewerPoll.fromJson(poll.toJson()));
    SegmentServed served = new SegmentServed("48681", 1_880_000, "203.0.113.7", "john123", "VLC/3", 200, 1_700_000_000.5);
    assertEquals(served, SegmentServed.fromJson(served.toJson()));
    assertEquals(1, served.count());
    assertEquals(null, served.toJson().getValue("count"), "one answer: the shape nginx's records have");
    SegmentServed sum = served.plus(new SegmentServed("48681", 120, "203.0.113.7", "john123", "VLC/3", 200, 1_700_000_004.0));
    assertEquals(new SegmentServed("48681", 1_880_120, "203.0.113.7", "john123", "VLC/3", 200, 1_700_000_004.0, 2), sum);
    assertEquals(sum, SegmentServed.fromJson(sum.toJson()));
    assertEquals(List.of(served, served), SegmentBatch.fromJson(SegmentBatch.of(List.of(served, served)).toJson()).records());
    RedisRestored restored = new RedisRestored("n1", 12, 3, RedisRestored.REPLACE, 7, 40, TS);
    assertEquals(restored, RedisRestored.fromJson(restored.toJson()));
    assertEquals("redis_restored", restored.toJson().getString("event"));
  }

  @Test
  @DisplayName("a malformed message fails naming its bad field")
  void badFields() {
    badField("token", () -> SessionRequest.fromJson(new JsonObject().put("token", 7)));
    badField("body", () -> SessionRequest.fromJson("not an object"));
    badField("action", () -> UserChanged.fromJson(new JsonObject().put("action", "renamed")));
    badField("channel_id", () -> ChannelChanged.fromJson(new JsonObject().put("channel_id", "12a").put("action", "created")));
    badField("channel_id", () -> StartRequest.fromJson(new JsonObject().put("channel_id", "1".repeat(20))));
    badField("channel_id", () -> StopRequest.fromJson(new JsonObject()));
    badField("event", () -> StreamEvent.fromJson(new JsonObject().put("event", "exploded").put("channel_id", "1")));
    badField("channel_id", () -> StreamEvent.fromJson(new JsonObject().put("event", "started")));
    badField("event", () -> LimitHit.fromJson(new JsonObject().put("event", "started").put("username", "u")));
    badField("username", () -> LimitHit.fromJson(new JsonObject().put("event", "limit_hit")));
    badField("username", () -> ViewerPoll.fromJson(new JsonObject().put("username", "").put("channel_id", "1").put("ip", "x")));
    badField("bytes", () -> SegmentServed.fromJson(new JsonObject().put("channel_id", "1").put("bytes", -1).put("ip", "x")));
    badField("ip", () -> SegmentServed.fromJson(new JsonObject().put("channel_id", "1").put("bytes", 1)));
    badField("count", () -> SegmentServed.fromJson(new JsonObject().put("channel_id", "1").put("bytes", 1).put("ip", "x").put("count", 0)));
    badField("count", () -> SegmentServed.fromJson(new JsonObject().put("channel_id", "1").put("bytes", 1).put("ip", "x").put("count", "2")));
    badField("pid", () -> StreamStatus.fromJson(new JsonObject().put("channel_id", "1")));
    badField("event", () -> RedisRestored.fromJson(new JsonObject().put("event", "started")));
    SegmentBatch mixed = SegmentBatch.fromJson(new JsonObject().put("records", new JsonArray()
      .add(SegmentServed.now("1", 5, "x", null, null).toJson()).add(new JsonObject().put("channel_id", "bad")).add(3)));
    assertEquals(1, mixed.records().size());
    assertEquals(2, mixed.rejected());
    assertEquals("channel_id must be digits", mixed.firstProblem());
  }

  @Test
  @DisplayName("an absent action reads as an update; a request's channel id may be a trimmed string or a whole number")
  void lenientWhereDocumented() {
    assertEquals(ChangeAction.UPDATED, UserChanged.fromJson(new JsonObject().put("username", "u")).action());
    assertEquals(ChangeAction.UPDATED, ChannelChanged.fromJson(new JsonObject().put("channel_id", 7)).action());
    assertEquals("48681", StartRequest.fromJson(new JsonObject().put("channel_id", " 48681 ")).channelId());
    assertEquals("48681", StartRequest.fromJson(new JsonObject().put("channel_id", 48681)).channelId());
    assertEquals(StopRequest.DEFAULT_REASON, StopRequest.fromJson(new JsonObject().put("channel_id", "1")).reason());
    assertTrue(SessionRequest.fromJson(new JsonObject().put("token", "t")).hold(), "a session request holds a slot unless told not to");
    assertEquals(TokenCheck.Status.UNKNOWN, TokenCheck.fromJson(new JsonObject().put("status", "maybe")).status());
  }

  @Test
  @DisplayName("Redis keys keep the SPEC's and the README's names")
  void keys() {
    assertEquals("user:john123", AuthContract.userKey("john123"));
    assertEquals("token:ab", AuthContract.tokenKey("ab"));
    assertEquals("user:john123:sessions", AuthContract.sessionsKey("john123"));
    assertEquals("users:all", AuthContract.USERS_ALL);
    assertEquals("users:by_name", AuthContract.USERS_BY_NAME);
    assertEquals("channel:48681", ChannelContract.channelKey("48681"));
    assertEquals("channels:all", ChannelContract.CHANNELS_ALL);
    assertEquals("channels:by_id", ChannelContract.CHANNELS_BY_ID);
    assertArrayEquals(new String[] {"stream:7:pid", "stream:7:started", "stream:7:source", "stream:7:resolved_source",
      "stream:7:last_access", "stream:7:node", "stream:7:mode", "stream:7:restarts", "stream:7:viewers", "stream:7:slate"},
      StreamContract.allKeys("7"));
    assertEquals("stream:7:owner", StreamContract.ownerKey("7"));
    assertEquals("user:john123:starts", StreamContract.userStartsKey("john123"));
    assertEquals("7", StreamContract.channelOfPidKey("stream:7:pid"));
    assertNull(StreamContract.channelOfPidKey("stream::pid"));
    assertNull(StreamContract.channelOfPidKey("stream:pid"));
    assertNull(StreamContract.channelOfPidKey("stream:7:owner"));
    assertEquals("stream:7:bytes", MonitorContract.bytesKey("7"));
    assertEquals("stream:7:bandwidth", MonitorContract.bandwidthKey("7"));
    assertEquals("node:n1:stats", MonitorContract.nodeStatsKey("n1"));
    assertEquals("node:n1:last_seen", MonitorContract.nodeLastSeenKey("n1"));
    assertEquals("iptv:sentinel", MirrorContract.SENTINEL);
    assertEquals("iptv.stream.stop.n1/ab12", StreamContract.stopAddress("n1/ab12"));
    assertTrue(AuthContract.isUserKey("user:john123"));
    assertFalse(AuthContract.isUserKey("user:john123:sessions"));
    assertTrue(AuthContract.isTokenKey("token:" + "ab".repeat(16)));
    assertFalse(AuthContract.isTokenKey("token:abc"));
    assertEquals("48681", ChannelContract.idOfKey("channel:48681"));
    assertNull(ChannelContract.idOfKey("channel:" + "1".repeat(20)));
  }

  @Test
  @DisplayName("the sentinel's value carries the generation; restoring or absent is never in step")
  void sentinel() {
    String v = MirrorContract.value(42, "n1", "abc");
    assertTrue(MirrorContract.inStep(v));
    assertEquals(42, MirrorContract.generation(v));
    assertEquals(0, MirrorContract.generation("1"));
    assertFalse(MirrorContract.inStep(MirrorContract.restoring("n1", "abc")));
    assertEquals(-1, MirrorContract.generation(null));
  }

  @Test
  @DisplayName("one channel id format: 1 to 19 digits, as a string or a whole number")
  void channelIds() {
    assertTrue(ChannelContract.isId("0"));
    assertTrue(ChannelContract.isId("9".repeat(19)));
    assertFalse(ChannelContract.isId("9".repeat(20)));
    assertFalse(ChannelContract.isId(""));
    assertFalse(ChannelContract.isId("٣"), "only ASCII digits");
    assertEquals("12", ChannelContract.idOf(12.0));
    assertNull(ChannelContract.idOf(-1));
    assertNull(ChannelContract.idOf(1.5));
  }

  @Test
  @DisplayName("one set of source URL rules: the SPEC's six schemes, a host, 2048 characters, nothing FFmpeg could misread")
  void sourceUrls() {
    for (String ok : List.of("http://h/a.ts", "https://h/a.m3u8", "rtmp://h/live", "rtsp://cam/s", "udp://239.0.0.1:1234",
      "srt://h:9000", "HTTP://h/x")) {
      assertTrue(ChannelSchema.validSourceUrl(ok), ok);
    }
    for (String bad : List.of("rtmps://h/live", "rtsps://h/s", "rtp://h:5004", "file:///etc/passwd", "/etc/passwd",
      "concat:a|b", "-i x", "http:/h/a", "http://h/a b", "http://h/\u2028", "subfile,,start,0,end,0,,:http://x/",
      "http://h/" + "a".repeat(ChannelSchema.MAX_URL))) {
      assertFalse(ChannelSchema.validSourceUrl(bad), bad);
    }
    assertEquals(2048, ChannelSchema.MAX_URL);
  }

  @Test
  @DisplayName("is_active is read the seed's way everywhere: absent is true, false, 0, \"0\", \"false\" and \"\" are false")
  void isActive() {
    assertTrue(ChannelSchema.active(null));
    assertTrue(ChannelSchema.active(true));
    assertTrue(ChannelSchema.active("yes"));
    assertTrue(ChannelSchema.active(1));
    for (Object off : new Object[] {false, 0, "0", "false", "", "no", new JsonObject()}) {
      assertFalse(ChannelSchema.active(off), String.valueOf(off));
    }
  }

  @Test
  @DisplayName("user rules: the SPEC's username and token forms, each failure naming its field")
  void users() {
    assertTrue(AuthContract.USERNAME.matcher("john.doe@x-1_2").matches());
    assertFalse(AuthContract.USERNAME.matcher("user:x").matches());
    assertFalse(AuthContract.USERNAME.matcher("a".repeat(65)).matches());
    assertFalse(AuthContract.TOKEN.matcher("ab".repeat(15)).matches());
    assertTrue(AuthContract.lookupable("ab".repeat(8)));
    assertFalse(AuthContract.lookupable("ab".repeat(8) + ":*"));
    assertEquals(24, AuthContract.sessionId("t", "203.0.113.7", "VLC").length());
    assertEquals(AuthContract.sessionId("t", null, null), AuthContract.sessionId("t", "", ""));
  }

  @Test
  @DisplayName("the mirror's status reads back what it wrote, the absent fields absent, and fails naming enabled or sentinel")
  void mirrorStatus() {
    RedisRestored restore = new RedisRestored("n1", 6, 0, RedisRestored.FILL, 12, 40, new BigDecimal("1700000000.123"));
    MirrorStatus full = new MirrorStatus(true, true, true, 1, 12L, 12L, "waiting", 6L, 2, 1L,
      new BigDecimal("1700000001.5"), restore);
    assertEquals(full, MirrorStatus.fromJson(full.toJson()));
    assertEquals(full.toJson(), MirrorStatus.fromJson(new JsonObject(full.toJson().encode())).toJson(), "through the wire");
    JsonObject bare = new MirrorStatus(false, false, true, 0, null, null, null, null, null, null, null, null).toJson();
    assertEquals(new JsonObject().put("enabled", false).put("configured", false).put("sentinel", true).put("restores", 0L),
      bare);
    badField("enabled", () -> MirrorStatus.fromJson(new JsonObject().put("sentinel", true)));
    badField("sentinel", () -> MirrorStatus.fromJson(new JsonObject().put("enabled", true).put("sentinel", "yes")));
  }
}
