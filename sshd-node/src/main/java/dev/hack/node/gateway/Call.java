package dev.hack.node.gateway;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonSyntaxException;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/** One HTTP request being answered: its path parameters, caller, query and JSON body. */
final class Call {
  /** Items a list field (a command's argv) may have: more is {@code 400 invalid_request}. */
  static final int MAX_LIST_ITEMS = 4096;

  /** Entries an object field (an environment) may have: more is {@code 400 invalid_request}. */
  static final int MAX_MAP_ENTRIES = 1024;

  final Request request;
  final Response response;
  final Callback callback;
  final Map<String, String> params;
  final Caller caller;
  private final int maxBody;
  private final ConnectionGuard guard;
  private Fields query;

  Call(
      Request request,
      Response response,
      Callback callback,
      Map<String, String> params,
      Caller caller,
      int maxBody,
      ConnectionGuard guard) {
    this.request = request;
    this.response = response;
    this.callback = callback;
    this.params = params;
    this.caller = caller;
    this.maxBody = maxBody;
    this.guard = guard;
  }

  String param(String name) {
    return params.get(name);
  }

  /** A query parameter, or null. */
  String query(String name) {
    if (query == null) {
      query = Request.extractQueryParameters(request);
    }
    return query.getValue(name);
  }

  boolean queryFlag(String name) {
    String v = query(name);
    return v != null && (v.isEmpty() || v.equals("true") || v.equals("1"));
  }

  long queryLong(String name, long fallback) {
    String v = query(name);
    if (v == null || v.isEmpty()) {
      return fallback;
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw GatewayError.badRequest(
          "invalid_request", "query parameter " + name + " must be a number, not '" + v + "'");
    }
  }

  /**
   * The request body as a JSON object. An empty body is not one: {@code {}} asks for the defaults.
   *
   * @throws GatewayError 413 when it is over the limit, 400 when it is not a JSON object
   */
  JsonObject body() throws IOException {
    long declared = request.getLength();
    if (declared > maxBody) {
      throw tooLarge(maxBody);
    }
    byte[] bytes;
    // a body trickled in slowly holds a handler thread: it must arrive within the deadline
    guard.bodyStarted(request);
    try (InputStream in = Request.asInputStream(request)) {
      bytes = in.readNBytes(maxBody + 1);
    } catch (IOException e) {
      throw new GatewayError(
          408,
          "request_timeout",
          "the request body did not arrive in full within "
              + Gateway.REQUEST_BODY_TIMEOUT.toSeconds()
              + " s; send it again");
    } finally {
      guard.bodyDone(request);
    }
    return parseBody(bytes, maxBody);
  }

  /**
   * {@link #body()} once the bytes are read (a pure function, so that it can be fuzzed).
   *
   * @throws GatewayError 413 when it is over the limit, 400 when it is not a JSON object
   */
  static JsonObject parseBody(byte[] bytes, int maxBody) {
    if (bytes.length > maxBody) {
      throw tooLarge(maxBody);
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      // decoded leniently, the bad bytes would become U+FFFD in an argv or a file name unseen
      throw GatewayError.badRequest(
          "invalid_json", "the request body is not UTF-8 text (JSON must be UTF-8)");
    }
    if (text.isBlank()) {
      // not JSON: taking it as {} started a login shell for a client that sent nothing by mistake
      throw GatewayError.badRequest(
          "invalid_json", "the request body is empty; send a JSON object ({} for the defaults)");
    }
    try {
      JsonElement e = strictJson(text);
      if (!e.isJsonObject()) {
        throw GatewayError.badRequest("invalid_json", "the request body must be a JSON object");
      }
      return e.getAsJsonObject();
    } catch (JsonParseException e) {
      throw GatewayError.badRequest(
          "invalid_json", "the request body is not valid JSON: " + jsonProblem(e));
    }
  }

  /**
   * {@code text} as one JSON value exactly as RFC 8259 defines it (Gson's strict mode): no raw
   * control characters (U+0000 to U+001F) in strings, no comments, single quotes, unquoted names,
   * {@code NaN} or trailing commas, and nothing after the value. Gson's default, lenient parser
   * took all of these, so a client's mistake (a raw newline in a string) was acted on instead of
   * named.
   *
   * @throws JsonParseException when it is not; {@link #jsonProblem} says why, for a person
   */
  static JsonElement strictJson(String text) {
    JsonReader reader = new JsonReader(new StringReader(text));
    reader.setStrictness(Strictness.STRICT);
    JsonElement e = JsonParser.parseReader(reader); // keeps STRICT (only LEGACY_STRICT relaxes)
    try {
      if (reader.peek() != JsonToken.END_DOCUMENT) {
        throw new JsonSyntaxException("more text after the JSON value");
      }
    } catch (IOException x) {
      throw new JsonSyntaxException(x.getMessage(), x);
    }
    return e;
  }

  /** Why Gson refused a text, without its advice to parse leniently or its troubleshooting URL. */
  static String jsonProblem(JsonParseException e) {
    String m = rootMessage(e);
    int see = m.indexOf("\nSee ");
    if (see >= 0) {
      m = m.substring(0, see);
    }
    return m.replace(
            "Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON",
            "malformed JSON")
        .replace(" are not allowed in strict mode", " must be escaped")
        .replace(" in strict mode", "");
  }

  private static GatewayError tooLarge(int maxBody) {
    return new GatewayError(
        413, "payload_too_large", "the request body is larger than " + maxBody + " bytes");
  }

  private static String rootMessage(Throwable e) {
    while (e.getCause() != null) {
      e = e.getCause();
    }
    return String.valueOf(e.getMessage());
  }

  // --- typed field access with 400s that name the field -------------------------------------

  static String string(JsonObject o, String field, boolean required) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      if (required) {
        throw GatewayError.badRequest("missing_field", "the request needs a '" + field + "' field");
      }
      return null;
    }
    if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
      throw GatewayError.badRequest("invalid_request", "'" + field + "' must be a string");
    }
    return noNul(field, e.getAsString());
  }

  /**
   * {@code s}, if it holds no NUL: every string a body gives reaches a file name, an argv or an
   * environment, where a NUL would silently cut it (or Java's own error would echo it).
   */
  private static String noNul(String field, String s) {
    if (s.indexOf('\0') >= 0) {
      throw GatewayError.badRequest("invalid_request", "'" + field + "' holds a NUL byte");
    }
    return s;
  }

  static Integer integer(JsonObject o, String field, int min, int max) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      return null;
    }
    try {
      if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
        double d = e.getAsDouble();
        if (d == Math.rint(d) && d >= min && d <= max) {
          return (int) d;
        }
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw GatewayError.badRequest(
        "invalid_request", "'" + field + "' must be a whole number in " + min + ".." + max);
  }

  static List<String> stringList(JsonObject o, String field, boolean required) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      if (required) {
        throw GatewayError.badRequest(
            "missing_field", "the request needs a '" + field + "' field (an array of strings)");
      }
      return null;
    }
    if (!e.isJsonArray()) {
      throw GatewayError.badRequest(
          "invalid_request", "'" + field + "' must be an array of strings");
    }
    if (e.getAsJsonArray().size() > MAX_LIST_ITEMS) {
      throw GatewayError.badRequest(
          "invalid_request", "'" + field + "' may have at most " + MAX_LIST_ITEMS + " items");
    }
    List<String> out = new ArrayList<>();
    for (JsonElement x : e.getAsJsonArray()) {
      if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString()) {
        throw GatewayError.badRequest(
            "invalid_request", "'" + field + "' must be an array of strings");
      }
      out.add(noNul(field, x.getAsString()));
    }
    return out;
  }

  static Map<String, String> stringMap(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || e.isJsonNull()) {
      return Map.of();
    }
    if (!e.isJsonObject()) {
      throw GatewayError.badRequest(
          "invalid_request", "'" + field + "' must be an object of string values");
    }
    if (e.getAsJsonObject().size() > MAX_MAP_ENTRIES) {
      throw GatewayError.badRequest(
          "invalid_request", "'" + field + "' may have at most " + MAX_MAP_ENTRIES + " entries");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, JsonElement> x : e.getAsJsonObject().entrySet()) {
      JsonElement v = x.getValue();
      if (!v.isJsonPrimitive()) {
        throw GatewayError.badRequest(
            "invalid_request", "'" + field + "." + x.getKey() + "' must be a string");
      }
      if (x.getKey().isEmpty() || x.getKey().contains("=") || x.getKey().indexOf('\0') >= 0) {
        throw GatewayError.badRequest(
            "invalid_request",
            "'" + x.getKey().replace('\0', '?') + "' is not a valid environment variable name");
      }
      out.put(x.getKey(), noNul(field + "." + x.getKey(), v.getAsString()));
    }
    return out;
  }
}
