package dev.loopkit.fetch.impl;

import dev.loopkit.fetch.FetchResult.BodyKind;
import io.vertx.core.buffer.Buffer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * How a response body is represented, from its content type: JSON types are parsed, text types decoded
 * with their charset, anything else kept as bytes. Without a content type, a body that is valid UTF-8 is
 * text, else bytes.
 */
final class Bodies {

  private Bodies() {
  }

  /** @return the kind for {@code contentType}, or {@code null} when there is none (sniff the bytes) */
  static BodyKind kindOf(String contentType) {
    if (contentType == null) {
      return null;
    }
    String type = mediaType(contentType);
    if (type.isEmpty()) {
      return null;
    }
    if (type.equals("application/json") || type.equals("text/json") || type.endsWith("+json")) {
      return BodyKind.JSON;
    }
    if (type.startsWith("text/") || type.equals("application/xml") || type.endsWith("+xml")
      || type.equals("application/javascript") || type.equals("application/ecmascript")
      || type.equals("application/x-www-form-urlencoded") || type.equals("application/x-ndjson")) {
      return BodyKind.TEXT;
    }
    return BodyKind.BINARY;
  }

  /** @return the lowercase type/subtype without parameters */
  static String mediaType(String contentType) {
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
  }

  /** @return the charset parameter of {@code contentType}, or UTF-8 when absent or unknown */
  static Charset charsetOf(String contentType) {
    if (contentType == null) {
      return StandardCharsets.UTF_8;
    }
    int i = contentType.toLowerCase(Locale.ROOT).indexOf("charset=");
    if (i < 0) {
      return StandardCharsets.UTF_8;
    }
    String name = contentType.substring(i + "charset=".length()).trim();
    int end = name.indexOf(';');
    if (end >= 0) {
      name = name.substring(0, end).trim();
    }
    if (name.startsWith("\"") && name.endsWith("\"") && name.length() >= 2) {
      name = name.substring(1, name.length() - 1);
    }
    try {
      return Charset.forName(name);
    } catch (RuntimeException e) {
      return StandardCharsets.UTF_8;
    }
  }

  /**
   * An upper estimate of the heap a JSON body takes once parsed (Jackson into Vert.x's maps and lists), from
   * one pass over its bytes: its length (string contents), plus 48 per string, 32 per comma, 48 per colon,
   * 96 per object and 64 per array. Measured on Vert.x 5.0.7 / JDK 17 (compressed oops), the real trees take
   * 0.15–0.85 of this — {@code [{},{},…]} takes about 20 bytes of heap per byte of JSON, so parsing is charged
   * to {@code maxCallBytes} before it is done.
   */
  static long jsonCost(Buffer body) {
    long cost = 32 + body.length();
    boolean inString = false;
    boolean escaped = false;
    int n = body.length();
    for (int i = 0; i < n; i++) {
      byte c = body.getByte(i);
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          inString = false;
        }
        continue;
      }
      switch (c) {
        case '"':
          inString = true;
          cost += 48;
          break;
        case ',':
          cost += 32;
          break;
        case ':':
          cost += 48;
          break;
        case '{':
          cost += 96;
          break;
        case '[':
          cost += 64;
          break;
        default:
          break;
      }
    }
    return cost;
  }

  /**
   * @return the bytes {@code body} takes in the encoded reply: base64 for BINARY, the UTF-8 of the decoded text
   * with JSON escapes for TEXT ({@code charset} null: UTF-8), 0 for the other kinds (a JSON tree is charged by
   * {@link #jsonCost})
   */
  static long replyBytes(Buffer body, BodyKind kind, Charset charset) {
    if (kind == BodyKind.BINARY) {
      return 4L * ((body.length() + 2) / 3);
    }
    if (kind != BodyKind.TEXT) {
      return 0;
    }
    String text = body.toString(charset == null ? StandardCharsets.UTF_8 : charset);
    long n = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20) {
        n += c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r' ? 2 : 6;
      } else if (c == '"' || c == '\\') {
        n += 2;
      } else if (c < 0x80) {
        n += 1;
      } else if (c < 0x800 || Character.isSurrogate(c)) {
        n += 2; // a surrogate pair is 4 bytes of UTF-8, 2 per char
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** @return TEXT when {@code bytes} are valid UTF-8, else BINARY */
  static BodyKind sniff(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes));
      return BodyKind.TEXT;
    } catch (CharacterCodingException e) {
      return BodyKind.BINARY;
    }
  }
}
