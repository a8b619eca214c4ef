package dev.iptv.playlist;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The digest a rebuild compares to keep the newest list: equal only for the same records. */
class ChannelStoreDigestTest {

  private static boolean same(List<ChannelStore.Raw> a, List<ChannelStore.Raw> b) {
    return java.util.Arrays.equals(ChannelStore.digest(a), ChannelStore.digest(b));
  }

  @Test
  @DisplayName("the same records give the same digest; a changed byte, id, order or record count does not")
  void digest() {
    List<ChannelStore.Raw> base = List.of(new ChannelStore.Raw("1", "{\"name\":\"One\"}"),
      new ChannelStore.Raw("2", "{\"name\":\"Two\"}"));
    assertArrayEquals(ChannelStore.digest(base), ChannelStore.digest(List.of(new ChannelStore.Raw("1", "{\"name\":\"One\"}"),
      new ChannelStore.Raw("2", "{\"name\":\"Two\"}"))));
    assertFalse(same(base, List.of(new ChannelStore.Raw("1", "{\"name\":\"One\"}"), new ChannelStore.Raw("2", "{\"name\":\"Twp\"}"))));
    assertFalse(same(base, List.of(new ChannelStore.Raw("1", "{\"name\":\"One\"}"), new ChannelStore.Raw("3", "{\"name\":\"Two\"}"))));
    assertFalse(same(base, List.of(base.get(1), base.get(0))));
    assertFalse(same(base, List.of(base.get(0))));
    // An id's digits never move into the record: "1" + "2{..." differs from "12" + "{...".
    assertFalse(same(List.of(new ChannelStore.Raw("1", "2{}")), List.of(new ChannelStore.Raw("12", "{}"))));
  }
}
