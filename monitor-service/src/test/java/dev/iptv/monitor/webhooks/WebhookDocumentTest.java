package dev.iptv.monitor.webhooks;

import dev.iptv.common.ApiDocument;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

@DisplayName("openapi.yaml's webhook schemas agree with the monitor")
class WebhookDocumentTest {

  @Test
  @DisplayName("the events a webhook may ask for in the document are the events the monitor sends, and *")
  void documentedEvents() {
    JsonObject events = ApiDocument.get().resolved().getJsonObject("components").getJsonObject("schemas")
      .getJsonObject("WebhookInput").getJsonObject("properties").getJsonObject("events");
    Set<String> documented = new TreeSet<>();
    events.getJsonObject("items").getJsonArray("enum").forEach(e -> documented.add((String) e));
    Set<String> sent = new TreeSet<>(Webhook.EVENTS);
    sent.add("*");
    assertEquals(sent, documented);
    assertEquals(sent.size(), events.getInteger("maxItems"));
  }
}
