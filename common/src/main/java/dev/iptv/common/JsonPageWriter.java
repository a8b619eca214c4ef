package dev.iptv.common;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;

import java.util.List;
import java.util.function.Function;

/**
 * Answers {@code 200 {"<field>": [...], "count": n}} for a page of a list, one batch of items at
 * a time: a batch is read (and encoded) only once the previous one has been handed to the socket,
 * so a page costs the memory of a batch, not of the page, and a slow client slows the reading
 * instead of piling up output. A body that stays under {@value #CHUNK} bytes goes as one plain
 * response; a larger one is sent chunked as it is made.
 */
public final class JsonPageWriter {

  static final int CHUNK = 64 * 1024;

  private final HttpServerResponse resp;
  private Buffer pending = Buffer.buffer(1024);
  private boolean first = true;

  private JsonPageWriter(HttpServerResponse resp) {
    this.resp = resp;
  }

  /**
   * Writes the page: the ids in batches of {@code batch}, each turned by {@code encode} into the
   * JSON texts of its items (an id without an item is left out), then the count. Fails, leaving
   * the response to the caller's error handling, when an encode fails or the client goes away.
   */
  public static Future<Void> write(HttpServerResponse resp, String field, long count, List<String> ids, int batch,
                                   Function<List<String>, Future<List<String>>> encode) {
    JsonPageWriter w = new JsonPageWriter(resp);
    resp.setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, Http.JSON);
    w.pending.appendString("{\"").appendString(field).appendString("\":[");
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < ids.size(); from += batch) {
      List<String> slice = ids.subList(from, Math.min(ids.size(), from + batch));
      chain = chain.compose(v -> encode.apply(slice)).compose(w::append);
    }
    return chain.compose(v -> {
      w.pending.appendString("],\"count\":").appendString(Long.toString(count)).appendString("}");
      return resp.end(w.pending);
    });
  }

  private Future<Void> append(List<String> items) {
    for (String item : items) {
      if (!first) {
        pending.appendByte((byte) ',');
      }
      first = false;
      pending.appendString(item);
    }
    if (pending.length() < CHUNK) {
      return Future.succeededFuture();
    }
    if (!resp.isChunked()) {
      resp.setChunked(true);
    }
    Buffer out = pending;
    pending = Buffer.buffer(CHUNK + 1024);
    return resp.write(out);
  }
}
