package dev.iptv.playlist;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Playlist bodies in reused buffers")
class BodyBuffersTest {

  private static Playlist playlist(int n) {
    List<Channel> channels = new ArrayList<>();
    for (int i = 1; i <= n; i++) {
      channels.add(new Channel(String.valueOf(i), "Channel " + i, "http://x/" + i + ".ts", "", "Cat", "medium", i, 1, true,
        null, null, null, "auto", false, null, null, null, null, null));
    }
    return Playlist.render(channels, "http://tv.example", System.nanoTime(), 0);
  }

  @Test
  @DisplayName("a body is exactly the playlist with the token, and its buffer is reused by the next request once given back")
  void reuse() {
    BodyBuffers buffers = new BodyBuffers();
    Playlist p = playlist(100);
    String token = "ab".repeat(32);
    ByteBuf first = buffers.render(p, token);
    String text = first.toString(StandardCharsets.UTF_8);
    assertEquals(p.body(token).toString(), text);
    assertEquals(p.length(64), first.readableBytes());
    assertTrue(text.startsWith("#EXTM3U\n#EXTINF:-1 tvg-id=\"1\""));
    buffers.give(first);
    ByteBuf second = buffers.render(p, "cd".repeat(16));
    assertSame(first, second, "taken back and reused");
    assertEquals(p.body("cd".repeat(16)).toString(), second.toString(StandardCharsets.UTF_8), "no bytes of the previous body left");
    ByteBuf third = buffers.render(p, token);
    assertNotSame(second, third, "a buffer in use is never handed out twice");
    buffers.give(second);
    buffers.give(third);
  }

  @Test
  @DisplayName("a body many work chunks long is exactly the playlist with the token")
  void chunked() {
    BodyBuffers buffers = new BodyBuffers();
    Playlist p = playlist(2_000);
    String token = "ef".repeat(32);
    assertTrue(p.length(token.length()) > 3 * Playlist.CHUNK, "spans several chunks");
    ByteBuf body = buffers.render(p, token);
    assertEquals(p.body(token).toString(), body.toString(StandardCharsets.UTF_8));
    assertEquals(p.length(token.length()), body.readableBytes());
    buffers.give(body);
    byte[] tiny = new byte[7]; // smaller than one entry: entries go straight to the buffer
    ByteBuf direct = io.netty.buffer.Unpooled.directBuffer(p.length(token.length()));
    assertEquals(p.body(token).toString(), p.writeTo(direct, token, tiny).toString(StandardCharsets.UTF_8));
    direct.release();
    buffers.close();
  }

  @Test
  @DisplayName("many buffers in use at once are all different; afterwards only a bounded number is kept")
  void bounded() {
    BodyBuffers buffers = new BodyBuffers();
    Playlist p = playlist(10);
    List<ByteBuf> inUse = new ArrayList<>();
    for (int i = 0; i < 3 * BodyBuffers.POOLED; i++) {
      inUse.add(buffers.render(p, "ab".repeat(32)));
    }
    java.util.Set<ByteBuf> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    distinct.addAll(inUse); // by identity: ByteBuf.equals compares contents
    assertEquals(inUse.size(), distinct.size());
    inUse.forEach(buffers::give);
    long reused = 0;
    List<ByteBuf> again = new ArrayList<>();
    for (int i = 0; i < 3 * BodyBuffers.POOLED; i++) {
      ByteBuf b = buffers.render(p, "ab".repeat(32));
      again.add(b);
      reused += distinct.contains(b) ? 1 : 0;
    }
    assertEquals(BodyBuffers.POOLED, reused);
    again.forEach(buffers::give);
  }

  @Test
  @DisplayName("kept buffers are freed once a trim period passed without a body; not while bodies are rendered")
  void trimmedWhenIdle() {
    BodyBuffers buffers = new BodyBuffers();
    Playlist p = playlist(10);
    ByteBuf first = buffers.render(p, "ab".repeat(32));
    buffers.give(first);
    assertEquals(false, buffers.trimIdle(), "a body was rendered in this period: kept");
    ByteBuf again = buffers.render(p, "ab".repeat(32));
    assertSame(first, again, "still kept after a busy period");
    buffers.give(again);
    assertEquals(false, buffers.trimIdle());
    assertEquals(true, buffers.trimIdle(), "a whole period without a body: freed");
    assertEquals(0, again.refCnt(), "the kept buffer was released");
    ByteBuf fresh = buffers.render(p, "ab".repeat(32));
    assertNotSame(again, fresh);
    assertEquals(p.body("ab".repeat(32)).toString(), fresh.toString(StandardCharsets.UTF_8));
    buffers.give(fresh);
    buffers.close();
  }
}
