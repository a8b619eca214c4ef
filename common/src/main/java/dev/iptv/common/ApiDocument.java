package dev.iptv.common;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The API's own document, {@code openapi.yaml} at the repository root (OpenAPI 3.1, packaged in this
 * module's jar), and the request checks made from it with Vert.x's JSON Schema support
 * ({@code vertx-json-schema}, draft 2020-12): an operation's JSON body, its path parameters and its
 * query parameters ({@link #query}) are validated against the schemas the document declares for that
 * {@code operationId}, on the calling
 * thread (a few microseconds for a panel's body; the validators are built once and hold no state).
 *
 * <p>A failure becomes {@code 400 {"error"}} naming the field, in words the document itself gives:
 * a body property's {@code x-rule} ({@code "max_connections must be an integer from 1 to 1000000"};
 * an array element is named {@code backup_urls[1]}), a missing required property
 * ({@code "token is required"}), a path parameter's {@code x-error}, a query parameter's {@code x-rule}
 * ({@code "limit: must be a whole number from 1 to 1000, got '0'"}). Rules a schema cannot hold
 * (a field that must match the path, what is stored in Redis, a date that must exist) stay in the
 * services' code.
 *
 * <p>Why the schemas and not {@code vertx-openapi}'s {@code RequestValidator}: its contract loader
 * refuses the document's player paths ({@code /live/stream_{id}.m3u8}: a template must be a whole
 * path segment there, while OpenAPI allows it within one), and it validates on a worker thread per
 * request. {@code vertx-openapi} still checks the document against the OpenAPI 3.1 schema in the
 * tests ({@code ApiDocumentTest}).
 *
 * <p>Loaded once per JVM, off the event loop ({@link #load(Vertx)}); immutable afterwards.
 */
public final class ApiDocument {

  /** Where the document is on the classpath (copied there from the repository root by the build). */
  public static final String RESOURCE = "dev/iptv/common/openapi.yaml";

  private static final String[] METHODS = {"get", "put", "post", "delete", "head", "patch", "options"};

  private static volatile ApiDocument loaded;

  private final Buffer yaml;
  private final JsonObject document;
  private final JsonObject resolved;
  private final SchemaRepository repository;
  private final Map<String, Operation> operations;

  /** One operation: its body's schema and validator, and its path parameters'. */
  private record Operation(String method, String path, JsonObject bodySchema, Validator body,
                           Map<String, Validator> pathParams, Map<String, String> pathErrors,
                           Map<String, QueryParam> query, boolean closedQuery) {
  }

  /** A query parameter: its schema's type and default, its validator and its rule. */
  private record QueryParam(String type, Object fallback, Validator validator, String rule) {
  }

  private ApiDocument(Buffer yaml) {
    this.yaml = yaml;
    document = parse(yaml);
    repository = SchemaRepository.create(new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri("app://")
      .setOutputFormat(OutputFormat.Basic));
    repository.dereference(JsonSchema.of(document.copy()));
    resolved = repository.resolve(document.copy());
    operations = index();
  }

  /** The document, read and checked once per JVM on a worker thread. */
  public static Future<ApiDocument> load(Vertx vertx) {
    ApiDocument doc = loaded;
    return doc != null ? Future.succeededFuture(doc) : vertx.executeBlocking(ApiDocument::get, false);
  }

  /** The document, read now if it is not yet (blocking: tests and tools, or a worker thread). */
  public static synchronized ApiDocument get() {
    if (loaded == null) {
      try (InputStream in = ApiDocument.class.getClassLoader().getResourceAsStream(RESOURCE)) {
        if (in == null) {
          throw new IllegalStateException(RESOURCE + " is not on the classpath");
        }
        loaded = new ApiDocument(Buffer.buffer(in.readAllBytes()));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return loaded;
  }

  /** The YAML as written in the repository. */
  public Buffer yaml() {
    return yaml;
  }

  /** The document as written (its {@code $ref}s kept; shared, do not change it). */
  public JsonObject document() {
    return document;
  }

  /** The document with every {@code $ref} replaced by what it names (shared, do not change it). */
  public JsonObject resolved() {
    return resolved;
  }

  /** {@code "GET /api/users/{username}"} for every operation of the document. */
  public List<String> operationKeys() {
    return operations.values().stream().map(o -> o.method().toUpperCase(java.util.Locale.ROOT) + " " + o.path())
      .sorted().toList();
  }

  /** A validator of {@code schema} (a part of {@link #resolved()}), for tests of answers. */
  public Validator validator(JsonObject schema) {
    return repository.validator(JsonSchema.of(schema));
  }

  /**
   * The request's JSON object body ({@link Http#jsonBody}) checked against {@code operationId}'s
   * request body schema; a 400 naming the field otherwise.
   */
  public JsonObject body(RoutingContext ctx, String operationId) {
    JsonObject body = Http.jsonBody(ctx);
    Operation op = operation(operationId);
    OutputUnit result = op.body().validate(body);
    if (!Boolean.TRUE.equals(result.getValid())) {
      throw ApiException.badRequest(bodyError(op.bodySchema(), result, body));
    }
    return body;
  }

  /** A path parameter checked against its schema in {@code operationId}; a 400 with its {@code x-error} otherwise. */
  public String pathParam(RoutingContext ctx, String operationId, String name) {
    Operation op = operation(operationId);
    Validator v = op.pathParams().get(name);
    if (v == null) {
      throw new IllegalArgumentException(operationId + " has no path parameter " + name);
    }
    String value = ctx.pathParam(name);
    if (value == null || !Boolean.TRUE.equals(v.validate(value).getValid())) {
      throw ApiException.badRequest(op.pathErrors().getOrDefault(name, name + " is not valid"));
    }
    return value;
  }

  /**
   * The request's query parameters checked against {@code operationId}'s: each value converted to its
   * schema's type ({@code integer} takes only digits with an optional {@code -}, {@code number} a decimal),
   * then validated; absent ones take their {@code default}. A bad value, one given twice, or (when the
   * operation has {@code x-query: closed}) an unknown name is a 400 {@code "name: rule"}, the rule being
   * the parameter's {@code x-rule}.
   */
  public JsonObject query(RoutingContext ctx, String operationId) {
    Operation op = operation(operationId);
    io.vertx.core.MultiMap params = ctx.queryParams();
    for (String name : params.names()) {
      if (!op.query().containsKey(name)) {
        if (op.closedQuery()) {
          throw ApiException.badRequest(name + ": unknown parameter; expected one of "
            + String.join(", ", op.query().keySet().stream().sorted().toList()));
        }
      } else if (params.getAll(name).size() > 1) {
        throw ApiException.badRequest(name + ": given more than once");
      }
    }
    JsonObject out = new JsonObject();
    op.query().forEach((name, param) -> {
      String raw = params.get(name);
      if (raw == null) {
        if (param.fallback() != null) {
          out.put(name, param.fallback());
        }
        return;
      }
      Object value = typed(raw, param.type());
      if (value == null || !Boolean.TRUE.equals(param.validator().validate(value).getValid())) {
        throw ApiException.badRequest(name + ": " + param.rule() + ", got '"
          + (raw.length() > 64 ? raw.substring(0, 64) + "…" : raw) + "'");
      }
      out.put(name, value);
    });
    return out;
  }

  /** A query value as its schema's type, or null when it is not one. */
  private static Object typed(String raw, String type) {
    try {
      return switch (type) {
        case "integer" -> raw.matches("-?[0-9]{1,19}") ? Long.parseLong(raw) : null;
        case "number" -> raw.matches("-?[0-9]{1,19}(\\.[0-9]{1,9})?") ? Double.parseDouble(raw) : null;
        case "boolean" -> raw.equals("true") ? Boolean.TRUE : raw.equals("false") ? Boolean.FALSE : null;
        default -> raw;
      };
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private Operation operation(String operationId) {
    Operation op = operations.get(operationId);
    if (op == null) {
      throw new IllegalArgumentException("openapi.yaml has no operation " + operationId);
    }
    return op;
  }

  // --- errors -------------------------------------------------------------------------------------

  /** The error of the deepest failing place, in the words of the document. */
  static String bodyError(JsonObject schema, OutputUnit result) {
    return bodyError(schema, result, null);
  }

  /**
   * The same; an array element's {@code x-rule} may quote the element: {@code {value}} becomes the value
   * of {@code body} there (cut at 64 characters).
   */
  static String bodyError(JsonObject schema, OutputUnit result, JsonObject body) {
    OutputUnit worst = null;
    for (OutputUnit e : result.getErrors() == null ? List.<OutputUnit>of() : result.getErrors()) {
      if (worst == null || depth(e) > depth(worst)) {
        worst = e;
      }
    }
    if (worst == null) {
      return "the body does not match its schema";
    }
    String[] steps = pointer(worst.getInstanceLocation());
    String error = worst.getError() == null ? "is not valid" : worst.getError();
    if (steps.length == 0) {
      int q = error.indexOf("required property \"");
      if (q >= 0) {
        return error.substring(q + 19, error.indexOf('"', q + 19)) + " is required";
      }
      return "the body " + error;
    }
    JsonObject property = object(object(schema.getValue("properties")).getValue(steps[0]));
    if (steps.length > 1 && steps[1].matches("\\d+") && property.getValue("items") instanceof JsonObject items
      && items.getString("x-rule") != null) {
      Object value = body == null || !(body.getValue(steps[0]) instanceof JsonArray a)
        || Integer.parseInt(steps[1]) >= a.size() ? null : a.getValue(Integer.parseInt(steps[1]));
      String shown = String.valueOf(value);
      return steps[0] + "[" + steps[1] + "] " + items.getString("x-rule")
        .replace("{value}", shown.length() > 64 ? shown.substring(0, 64) + "…" : shown);
    }
    String rule = property.getString("x-rule");
    return rule != null ? steps[0] + " " + rule : steps[0] + ": " + error;
  }

  private static int depth(OutputUnit e) {
    return pointer(e.getInstanceLocation()).length;
  }

  /** A JSON pointer's steps, unescaped ({@code "/headers/a~1b"} → headers, a/b). */
  private static String[] pointer(String location) {
    if (location == null || location.isEmpty() || location.equals("/") || location.equals("#")) {
      return new String[0];
    }
    String p = location.startsWith("#") ? location.substring(1) : location;
    String[] steps = (p.startsWith("/") ? p.substring(1) : p).split("/", -1);
    for (int i = 0; i < steps.length; i++) {
      steps[i] = steps[i].replace("~1", "/").replace("~0", "~");
    }
    return steps;
  }

  // --- loading ------------------------------------------------------------------------------------

  /** YAML to JSON (through its text, so every nested value is a JsonObject or JsonArray). */
  static JsonObject parse(Buffer yaml) {
    Object tree = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml.toString(StandardCharsets.UTF_8));
    if (!(tree instanceof Map<?, ?>)) {
      throw new IllegalStateException(RESOURCE + " is not a YAML mapping");
    }
    return new JsonObject(Json.encode(tree));
  }

  private Map<String, Operation> index() {
    Map<String, Operation> out = new LinkedHashMap<>();
    JsonObject paths = object(resolved.getValue("paths"));
    for (String path : paths.fieldNames()) {
      JsonObject item = object(paths.getValue(path));
      for (String method : METHODS) {
        if (!(item.getValue(method) instanceof JsonObject op)) {
          continue;
        }
        JsonObject bodySchema = object(object(object(object(op.getValue("requestBody")).getValue("content"))
          .getValue("application/json")).getValue("schema"));
        Map<String, Validator> params = new HashMap<>();
        Map<String, String> errors = new HashMap<>();
        Map<String, QueryParam> query = new HashMap<>();
        for (Object p : concat(item.getValue("parameters"), op.getValue("parameters"))) {
          JsonObject param = object(p);
          if ("query".equals(param.getString("in")) && param.getValue("schema") instanceof JsonObject s) {
            String type = s.getValue("type") instanceof String t ? t : "string";
            query.put(param.getString("name"), new QueryParam(type, s.getValue("default"), validator(s),
              param.getString("x-rule", "is not valid")));
          }
          if ("path".equals(param.getString("in")) && param.getValue("schema") instanceof JsonObject s) {
            params.put(param.getString("name"), validator(s));
            if (param.getString("x-error") != null) {
              errors.put(param.getString("name"), param.getString("x-error"));
            }
          }
        }
        String id = op.getString("operationId", method + " " + path);
        if (out.put(id, new Operation(method, path, bodySchema, validator(bodySchema), Map.copyOf(params),
          Map.copyOf(errors), Map.copyOf(query), "closed".equals(op.getString("x-query")))) != null) {
          throw new IllegalStateException("openapi.yaml: operationId " + id + " is used twice");
        }
      }
    }
    return Map.copyOf(out);
  }

  private static JsonArray concat(Object a, Object b) {
    JsonArray out = new JsonArray();
    if (a instanceof JsonArray x) {
      out.addAll(x);
    }
    if (b instanceof JsonArray y) {
      out.addAll(y);
    }
    return out;
  }

  private static JsonObject object(Object v) {
    return v instanceof JsonObject o ? o : new JsonObject();
  }
}
