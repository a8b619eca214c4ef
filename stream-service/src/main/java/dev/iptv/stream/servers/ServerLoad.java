package dev.iptv.stream.servers;

/**
 * What placement (SPEC section 9) needs of an SSH server: whether it may take a channel and how
 * loaded it is, from its registration and its latest health reading.
 *
 * @param online  enabled, and its health was read over SSH within {@code server:{name}:health}'s TTL
 * @param streams our FFmpeg processes recorded there ({@code server:{name}:ffmpeg})
 */
public record ServerLoad(String name, String publicUrl, boolean online, int streams, int maxStreams, double cpuPercent,
                         double memoryPercent) {
}
