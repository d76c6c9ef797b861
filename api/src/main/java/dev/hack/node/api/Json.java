package dev.hack.node.api;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.time.Instant;

/** The one JSON configuration shared by every wire format of the node and its clients. */
public final class Json {
  /** Compact, with nulls written out so scripts see every field of a record. */
  public static final Gson GSON = builder().create();

  /** Indented, for files people read ({@code meta.json}, {@code node.json}). */
  public static final Gson PRETTY = builder().setPrettyPrinting().create();

  private Json() {}

  private static GsonBuilder builder() {
    return new GsonBuilder()
        .serializeNulls()
        .disableHtmlEscaping()
        .registerTypeAdapter(Instant.class, new InstantAdapter().nullSafe());
  }

  /**
   * Instants as ISO-8601 strings ({@code 2026-11-21T10:15:30Z}), as everywhere else on the wire.
   */
  private static final class InstantAdapter extends TypeAdapter<Instant> {
    @Override
    public void write(JsonWriter out, Instant value) throws IOException {
      out.value(value.toString());
    }

    @Override
    public Instant read(JsonReader in) throws IOException {
      if (in.peek() == JsonToken.NULL) {
        in.nextNull();
        return null;
      }
      return Instant.parse(in.nextString());
    }
  }
}
