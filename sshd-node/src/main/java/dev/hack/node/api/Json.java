package dev.hack.node.api;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

/** The one JSON configuration shared by every wire format of the node and its clients. */
public final class Json {
  /** Compact, with nulls written out so scripts see every field of a record. */
  public static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

  /** Indented, for files people read ({@code meta.json}, {@code node.json}). */
  public static final Gson PRETTY =
      new GsonBuilder().serializeNulls().disableHtmlEscaping().setPrettyPrinting().create();

  private Json() {}
}
