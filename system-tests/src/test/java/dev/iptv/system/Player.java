package dev.iptv.system;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A player on its own client address: its socket is bound to a loopback address of its own
 * (127.0.0.2, 127.0.0.3, ...: Linux routes all of 127.0.0.0/8 to loopback), so nginx and the JVMs see
 * distinct viewers, as they do in the field. Plain HTTP/1.1, one request per connection, its own
 * User-Agent, and any extra header (a forged {@code X-Real-IP}, say).
 */
final class Player {

  private final String address;
  private final int port;
  private final String userAgent;
  private final Map<String, String> extra = new LinkedHashMap<>();

  Player(String address, int port, String userAgent) {
    this.address = address;
    this.port = port;
    this.userAgent = userAgent;
  }

  /** The same player sending one more header with every request. */
  Player with(String name, String value) {
    Player p = new Player(address, port, userAgent);
    p.extra.putAll(extra);
    p.extra.put(name, value);
    return p;
  }

  String address() {
    return address;
  }

  /** An HTTP answer: status, headers (lower-case names) and body. */
  record Answer(int status, Map<String, String> headers, byte[] bytes) {
    String body() {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  Answer get(String path) throws IOException {
    try (Socket s = new Socket()) {
      s.setSoTimeout(60_000);
      s.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
      s.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 5_000);
      StringBuilder req = new StringBuilder()
        .append("GET ").append(path).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1:").append(port).append("\r\n")
        .append("User-Agent: ").append(userAgent).append("\r\n")
        .append("Connection: close\r\n");
      extra.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
      req.append("\r\n");
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return read(s.getInputStream());
    }
  }

  private static Answer read(InputStream in) throws IOException {
    String status = line(in);
    if (status == null || !status.startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP answer: " + status);
    }
    int code = Integer.parseInt(status.substring(9, 12));
    Map<String, String> headers = new LinkedHashMap<>();
    String h;
    while ((h = line(in)) != null && !h.isEmpty()) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      while (true) {
        String size = line(in);
        int n = Integer.parseInt(size.split(";")[0].trim(), 16);
        if (n == 0) {
          break;
        }
        body.write(in.readNBytes(n));
        line(in);
      }
    } else if (headers.containsKey("content-length")) {
      body.write(in.readNBytes(Integer.parseInt(headers.get("content-length"))));
    } else {
      in.transferTo(body);
    }
    return new Answer(code, headers, body.toByteArray());
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        int len = b.length();
        return len > 0 && b.charAt(len - 1) == '\r' ? b.substring(0, len - 1) : b.toString();
      }
      b.append((char) c);
    }
    return b.length() == 0 ? null : b.toString();
  }
}
