package dev.hack.node.ssh;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits an SSH command line into words the way a POSIX shell does, without any expansion: single
 * quotes are literal, double quotes allow {@code \" \\ \$ \`} escapes, a backslash outside quotes
 * escapes the next character, and unquoted whitespace separates words.
 */
final class ShellWords {
  private ShellWords() {}

  /**
   * @throws IllegalArgumentException for an unterminated quote or a trailing backslash
   */
  static List<String> split(String line) {
    if (line.indexOf('\0') >= 0) {
      // a NUL would silently cut the word it is in wherever it reaches a C string (execve)
      throw new IllegalArgumentException(
          "the command line holds a NUL byte; to type one into a session, send \\0");
    }
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    int i = 0;
    int n = line.length();
    while (i < n) {
      char c = line.charAt(i);
      if (c == '\'') {
        int close = line.indexOf('\'', i + 1);
        if (close < 0) {
          throw new IllegalArgumentException("unterminated single quote in the command line");
        }
        word.append(line, i + 1, close);
        inWord = true;
        i = close + 1;
      } else if (c == '"') {
        i++;
        boolean closed = false;
        while (i < n) {
          char d = line.charAt(i);
          if (d == '"') {
            closed = true;
            i++;
            break;
          }
          if (d == '\\' && i + 1 < n && "\"\\$`\n".indexOf(line.charAt(i + 1)) >= 0) {
            if (line.charAt(i + 1) != '\n') {
              word.append(line.charAt(i + 1));
            }
            i += 2;
            continue;
          }
          word.append(d);
          i++;
        }
        if (!closed) {
          throw new IllegalArgumentException("unterminated double quote in the command line");
        }
        inWord = true;
      } else if (c == '\\') {
        if (i + 1 >= n) {
          throw new IllegalArgumentException("the command line ends with a backslash");
        }
        if (line.charAt(i + 1) != '\n') {
          word.append(line.charAt(i + 1));
          inWord = true;
        }
        i += 2;
      } else if (c == ' ' || c == '\t' || c == '\n') {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
        i++;
      } else {
        word.append(c);
        inWord = true;
        i++;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }

  /**
   * Decodes C-style escapes for {@code send} into the bytes to type: text as UTF-8, and {@code \n
   * \r \t \e \a \b \0 \\} and {@code \xHH} (one raw byte, any value); any other backslash is kept
   * as it is.
   */
  static byte[] unescape(String s) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(s.length());
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\' || i + 1 >= s.length()) {
        text.append(c);
        continue;
      }
      char e = s.charAt(++i);
      int b =
          switch (e) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case 'e' -> 0x1b;
            case 'a' -> 0x07;
            case 'b' -> '\b';
            case '0' -> 0;
            case '\\' -> '\\';
            case 'x' ->
                isHex(s, i + 1) && isHex(s, i + 2)
                    ? Integer.parseInt(s.substring(i + 1, i + 3), 16)
                    : -1;
            default -> -1;
          };
      if (b < 0) {
        text.append('\\').append(e);
        continue;
      }
      if (e == 'x') {
        i += 2;
      }
      out.writeBytes(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      text.setLength(0);
      out.write(b);
    }
    out.writeBytes(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static boolean isHex(String s, int i) {
    return i < s.length() && Character.digit(s.charAt(i), 16) >= 0;
  }
}
