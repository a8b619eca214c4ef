package dev.iptv.monitor.docs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The API reference as one self-contained HTML page, rendered on the server from the repository's
 * {@code openapi.yaml} (as written, its {@code $ref}s shown as links): operations grouped by tag with
 * their parameters, body and answers, then every schema with its properties and rules. No script, no
 * external style or font: it reads the same on a machine without network.
 */
final class ReferencePage {

  private static final List<String> METHODS = List.of("get", "head", "post", "put", "delete", "patch", "options");

  private static final String STYLE = """
    body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
    header{background:#1d2330;color:#fff;padding:18px 32px}header h1{margin:0;font-size:22px}
    main{display:flex}nav{width:260px;padding:16px 24px;border-right:1px solid #e3e6ea;position:sticky;top:0;
    height:100vh;overflow:auto;font-size:13px}nav a{display:block;color:#1d2330;text-decoration:none;padding:1px 0}
    article{flex:1;padding:16px 32px;max-width:1100px}section.op{background:#fff;border:1px solid #e3e6ea;
    border-radius:6px;padding:10px 16px;margin:12px 0}.m{display:inline-block;min-width:62px;font-weight:700;
    color:#fff;border-radius:4px;text-align:center;margin-right:8px;font-size:12px;padding:2px 4px}
    .get{background:#2f7fd0}.post{background:#2e9b5d}.put{background:#c98a12}.delete{background:#c33d3d}
    .head,.patch,.options{background:#6b7280}code{background:#eef1f4;padding:1px 4px;border-radius:3px}
    table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0}td,th{border-top:1px solid #e3e6ea;
    padding:4px 6px;text-align:left;vertical-align:top}th{color:#5b6472;font-weight:600}.muted{color:#5b6472}
    """;

  private final JsonObject doc;
  private final StringBuilder out = new StringBuilder(256 * 1024);

  private ReferencePage(JsonObject doc) {
    this.doc = doc;
  }

  /** The page of {@code doc}, an OpenAPI 3.1 document as written. */
  static String render(JsonObject doc) {
    return new ReferencePage(doc).page();
  }

  private String page() {
    JsonObject info = obj(doc.getValue("info"));
    Map<String, List<String[]>> byTag = operationsByTag();
    out.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
      .append(esc(info.getString("title", "API"))).append("</title><style>").append(STYLE).append("</style></head><body>");
    out.append("<header><h1>").append(esc(info.getString("title", "API"))).append(" <span class=\"muted\">")
      .append(esc(info.getString("version", ""))).append("</span></h1><div>")
      .append(text(info.getString("summary", ""))).append(" The document: <a style=\"color:#9cc8ff\" href=\"/api/openapi.yaml\">")
      .append("/api/openapi.yaml</a> (OpenAPI 3.1)</div></header><main><nav>");
    for (Map.Entry<String, List<String[]>> tag : byTag.entrySet()) {
      out.append("<b>").append(esc(tag.getKey())).append("</b>");
      for (String[] op : tag.getValue()) {
        out.append("<a href=\"#").append(esc(anchor(op))).append("\">").append(op[0].toUpperCase(Locale.ROOT))
          .append(' ').append(esc(op[1])).append("</a>");
      }
    }
    out.append("<b>schemas</b>");
    for (String name : obj(obj(doc.getValue("components")).getValue("schemas")).fieldNames()) {
      out.append("<a href=\"#schema-").append(esc(name)).append("\">").append(esc(name)).append("</a>");
    }
    out.append("</nav><article>");
    for (String paragraph : info.getString("description", "").split("\n\\s*\n")) {
      out.append("<p>").append(text(paragraph)).append("</p>");
    }
    for (Map.Entry<String, List<String[]>> tag : byTag.entrySet()) {
      out.append("<h2>").append(esc(tag.getKey())).append("</h2><p class=\"muted\">").append(esc(tagDescription(tag.getKey())))
        .append("</p>");
      for (String[] op : tag.getValue()) {
        operation(op[0], op[1]);
      }
    }
    out.append("<h2>Schemas</h2>");
    JsonObject schemas = obj(obj(doc.getValue("components")).getValue("schemas"));
    for (String name : schemas.fieldNames()) {
      out.append("<section class=\"op\" id=\"schema-").append(esc(name)).append("\"><h3>").append(esc(name)).append("</h3>");
      schema(obj(schemas.getValue(name)));
      out.append("</section>");
    }
    return out.append("</article></main></body></html>").toString();
  }

  private Map<String, List<String[]>> operationsByTag() {
    Map<String, List<String[]>> byTag = new LinkedHashMap<>();
    for (Object t : arr(doc.getValue("tags"))) {
      byTag.put(obj(t).getString("name"), new java.util.ArrayList<>());
    }
    JsonObject paths = obj(doc.getValue("paths"));
    for (String path : paths.fieldNames()) {
      for (String method : METHODS) {
        if (obj(paths.getValue(path)).getValue(method) instanceof JsonObject op) {
          String tag = arr(op.getValue("tags")).isEmpty() ? "other" : arr(op.getValue("tags")).getString(0);
          byTag.computeIfAbsent(tag, k -> new java.util.ArrayList<>()).add(new String[] {method, path});
        }
      }
    }
    return byTag;
  }

  private String tagDescription(String name) {
    for (Object t : arr(doc.getValue("tags"))) {
      if (name.equals(obj(t).getString("name"))) {
        return obj(t).getString("description", "");
      }
    }
    return "";
  }

  private void operation(String method, String path) {
    JsonObject item = obj(obj(doc.getValue("paths")).getValue(path));
    JsonObject op = obj(item.getValue(method));
    out.append("<section class=\"op\" id=\"").append(esc(anchor(new String[] {method, path}))).append("\"><div><span class=\"m ")
      .append(method).append("\">").append(method.toUpperCase(Locale.ROOT)).append("</span><code>").append(esc(path))
      .append("</code> <span class=\"muted\">").append(esc(op.getString("operationId", ""))).append("</span></div><p><b>")
      .append(text(op.getString("summary", ""))).append("</b>");
    boolean open = op.getValue("security") instanceof JsonArray s && (s.isEmpty() || s.stream().anyMatch(x -> obj(x).isEmpty()));
    out.append(open ? " <span class=\"muted\">(no bearer)</span>" : " <span class=\"muted\">(admin bearer)</span>").append("</p>");
    if (op.getString("description") != null) {
      out.append("<p>").append(text(op.getString("description"))).append("</p>");
    }
    JsonArray params = new JsonArray().addAll(arr(item.getValue("parameters"))).addAll(arr(op.getValue("parameters")));
    if (!params.isEmpty()) {
      out.append("<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>");
      for (Object p : params) {
        JsonObject param = deref(obj(p));
        out.append("<tr><td><code>").append(esc(param.getString("name", ""))).append("</code>")
          .append(Boolean.TRUE.equals(param.getValue("required")) ? " *" : "").append("</td><td>")
          .append(esc(param.getString("in", ""))).append("</td><td>").append(type(obj(param.getValue("schema"))))
          .append("</td><td>").append(text(param.getString("description", param.getString("x-error", "")))).append("</td></tr>");
      }
      out.append("</table>");
    }
    JsonObject body = obj(op.getValue("requestBody"));
    for (String media : obj(body.getValue("content")).fieldNames()) {
      out.append("<p>Body (<code>").append(esc(media)).append("</code>): ")
        .append(type(obj(obj(obj(body.getValue("content")).getValue(media)).getValue("schema")))).append("</p>");
    }
    out.append("<table><tr><th>answer</th><th>description</th><th>body</th></tr>");
    JsonObject responses = obj(op.getValue("responses"));
    for (String status : responses.fieldNames()) {
      JsonObject r = deref(obj(responses.getValue(status)));
      StringBuilder bodies = new StringBuilder();
      for (String media : obj(r.getValue("content")).fieldNames()) {
        bodies.append("<code>").append(esc(media)).append("</code> ")
          .append(type(obj(obj(obj(r.getValue("content")).getValue(media)).getValue("schema")))).append(' ');
      }
      out.append("<tr><td>").append(esc(status)).append("</td><td>").append(text(r.getString("description", "")))
        .append("</td><td>").append(bodies).append("</td></tr>");
    }
    out.append("</table></section>");
  }

  private void schema(JsonObject s) {
    if (s.getString("description") != null) {
      out.append("<p>").append(text(s.getString("description"))).append("</p>");
    }
    JsonObject props = obj(s.getValue("properties"));
    if (props.isEmpty()) {
      out.append("<p>").append(type(s)).append("</p>");
      return;
    }
    JsonArray required = arr(s.getValue("required"));
    out.append("<table><tr><th>field</th><th>type</th><th>rule</th></tr>");
    for (String name : props.fieldNames()) {
      JsonObject p = obj(props.getValue(name));
      out.append("<tr><td><code>").append(esc(name)).append("</code>").append(required.contains(name) ? " *" : "")
        .append("</td><td>").append(type(p)).append("</td><td>")
        .append(text(p.getString("x-rule", p.getString("description", "")))).append(constraints(p)).append("</td></tr>");
    }
    out.append("</table>");
  }

  /** A schema's type in a few words, a {@code $ref} as a link. */
  private String type(JsonObject s) {
    if (s.getString("$ref") != null) {
      String name = s.getString("$ref").substring(s.getString("$ref").lastIndexOf('/') + 1);
      return "<a href=\"#schema-" + esc(name) + "\">" + esc(name) + "</a>";
    }
    for (String composite : List.of("oneOf", "anyOf", "allOf")) {
      if (s.getValue(composite) instanceof JsonArray parts) {
        StringBuilder b = new StringBuilder();
        for (Object part : parts) {
          b.append(b.length() == 0 ? "" : " or ").append(type(obj(part)));
        }
        return b.toString();
      }
    }
    Object t = s.getValue("type");
    String text = esc(t instanceof JsonArray a ? String.join(" | ", a.stream().map(String::valueOf).toList())
      : t == null ? "any" : t.toString());
    if ("array".equals(t) || t instanceof JsonArray a && a.contains("array")) {
      text += " of " + type(obj(s.getValue("items")));
    }
    if (s.getValue("enum") instanceof JsonArray e) {
      text += " " + esc(e.encode());
    }
    return text;
  }

  private static String constraints(JsonObject p) {
    StringBuilder b = new StringBuilder();
    for (String k : List.of("pattern", "minLength", "maxLength", "minimum", "exclusiveMinimum", "maximum", "maxItems",
      "maxProperties", "default")) {
      if (p.getValue(k) != null) {
        b.append(b.length() == 0 ? " <span class=\"muted\">(" : ", ").append(k).append(' ')
          .append("<code>").append(esc(String.valueOf(p.getValue(k)))).append("</code>");
      }
    }
    return b.length() == 0 ? "" : b.append(")</span>").toString();
  }

  /** A {@code #/components/...} reference followed once (parameters, responses). */
  private JsonObject deref(JsonObject o) {
    String ref = o.getString("$ref");
    if (ref == null || !ref.startsWith("#/")) {
      return o;
    }
    Object at = doc;
    for (String step : ref.substring(2).split("/")) {
      at = obj(at).getValue(step);
    }
    return obj(at);
  }

  private static String anchor(String[] op) {
    return op[0] + "-" + op[1].replaceAll("[^A-Za-z0-9]+", "-");
  }

  /** Escaped text with `code` spans and **bold** words (the document's Markdown, as far as it uses it). */
  private static String text(String s) {
    return esc(s).replaceAll("`([^`]*)`", "<code>$1</code>").replaceAll("\\*\\*([^*]+)\\*\\*", "<b>$1</b>");
  }

  static String esc(String s) {
    return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  private static JsonObject obj(Object v) {
    return v instanceof JsonObject o ? o : new JsonObject();
  }

  private static JsonArray arr(Object v) {
    return v instanceof JsonArray a ? a : new JsonArray();
  }
}
