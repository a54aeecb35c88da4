package dev.loopkit.http.impl;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.loopkit.bus.LogValues;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.EncodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.json.jackson.JacksonCodec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON in and out of the front with its memory bounded.
 *
 * <ul>
 *   <li>{@link #parseObject}: a request body is first scanned with a streaming parser that allocates
 *   nothing per value, counting values and nesting; a body over {@code maxValues} or {@code maxDepth}, not
 *   an object, or with anything after the object is refused before a single {@link JsonObject} is built
 *   (a 4 MiB body of {@code [[],[],…]} would otherwise become ~100 MB of objects).</li>
 *   <li>{@link #encode}: an answer is encoded straight into 64 KiB chunks and given up as soon as it passes
 *   {@code maxBytes} — never a {@code String} of the whole answer, never a doubling buffer.</li>
 * </ul>
 */
public final class BoundedJson {

  /** Thrown when the JSON is refused; the message starts with {@code body} and names the problem. */
  public static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** Thrown when an answer would be larger than allowed. */
  public static final class TooLarge extends RuntimeException {
    TooLarge(String message) {
      super(message, null, false, false);
    }
  }

  private static final int CHUNK = 64 * 1024;
  private static final JsonFactory FACTORY = new JsonFactory();

  private BoundedJson() {
  }

  /**
   * @return the body as a JSON object
   * @throws Refused naming the problem (malformed, not an object, too deep, too many values, trailing data)
   */
  public static JsonObject parseObject(Buffer body, int maxDepth, int maxValues) {
    if (body.length() == 0) {
      throw new Refused("body: must be a JSON object, got nothing");
    }
    int bad = invalidUtf8At(body);
    if (bad >= 0) {
      throw new Refused("body: not valid UTF-8 (at byte " + bad + ")");
    }
    try (JsonParser parser = JacksonCodec.createParser(body)) {
      JsonToken first = parser.nextToken();
      if (first != JsonToken.START_OBJECT) {
        throw new Refused("body: must be a JSON object, got " + describe(first));
      }
      int depth = 1;
      long values = 1;
      while (depth > 0) {
        JsonToken t = parser.nextToken();
        if (t == null) {
          throw new Refused("body: the JSON object is not closed (the body ends at byte " + body.length() + ")");
        }
        switch (t) {
          case START_OBJECT:
          case START_ARRAY:
            if (++depth > maxDepth) {
              throw new Refused("body: nested deeper than " + maxDepth + " levels (http.maxJsonDepth)" + at(parser));
            }
            values++;
            break;
          case END_OBJECT:
          case END_ARRAY:
            depth--;
            break;
          case FIELD_NAME:
            break;
          default:
            values++;
        }
        if (values > maxValues) {
          throw new Refused("body: more than " + maxValues + " JSON values (http.maxJsonValues)" + at(parser));
        }
      }
      if (parser.nextToken() != null) {
        throw new Refused("body: unexpected data after the JSON object" + at(parser));
      }
    } catch (JsonProcessingException e) {
      throw new Refused("body: not valid JSON (" + LogValues.safe(e.getOriginalMessage(), 160) + ")" + location(e.getLocation()));
    } catch (IOException e) {
      throw new Refused("body: not readable as JSON (" + LogValues.safe(String.valueOf(e.getMessage()), 160) + ")");
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException e) {
      throw new Refused("body: not valid JSON (" + LogValues.safe(String.valueOf(e.getMessage()), 160) + ")");
    }
  }

  /** @return the offset of the first byte that is not well-formed UTF-8, or -1 (RFC 3629: no overlongs, no surrogates) */
  static int invalidUtf8At(Buffer body) {
    int n = body.length();
    int i = 0;
    while (i < n) {
      int b = body.getByte(i) & 0xff;
      if (b < 0x80) {
        i++;
        continue;
      }
      int len;
      int min;
      if (b >= 0xc2 && b <= 0xdf) {
        len = 2;
        min = 0x80;
      } else if (b >= 0xe0 && b <= 0xef) {
        len = 3;
        min = 0x800;
      } else if (b >= 0xf0 && b <= 0xf4) {
        len = 4;
        min = 0x10000;
      } else {
        return i;
      }
      if (i + len > n) {
        return i;
      }
      int cp = b & (0xff >> (len + 1));
      for (int k = 1; k < len; k++) {
        int c = body.getByte(i + k) & 0xff;
        if ((c & 0xc0) != 0x80) {
          return i;
        }
        cp = (cp << 6) | (c & 0x3f);
      }
      if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return i;
      }
      i += len;
    }
    return -1;
  }

  private static String describe(JsonToken t) {
    if (t == null) {
      return "nothing";
    }
    switch (t) {
      case START_ARRAY:
        return "an array";
      case VALUE_STRING:
        return "a string";
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return "a number";
      case VALUE_TRUE:
      case VALUE_FALSE:
        return "a boolean";
      case VALUE_NULL:
        return "null";
      default:
        return String.valueOf(t);
    }
  }

  private static String at(JsonParser parser) {
    return location(parser.currentLocation());
  }

  private static String location(JsonLocation loc) {
    if (loc == null || loc.getLineNr() < 0) {
      return "";
    }
    return " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
  }

  /**
   * Encodes {@code json} (a {@link JsonObject}, {@link io.vertx.core.json.JsonArray}, or any value Vert.x
   * can encode) as UTF-8.
   *
   * @return the encoded bytes, in chunks of at most 64 KiB (write them in order)
   * @throws TooLarge as soon as the encoding passes {@code maxBytes}
   */
  public static List<Buffer> encode(Object json, int maxBytes) {
    Chunks out = new Chunks(maxBytes);
    try (JsonGenerator generator = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
      JacksonCodec.encodeJson(json, generator);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (EncodeException e) {
      if (e.getCause() instanceof TooLarge) {
        throw (TooLarge) e.getCause();
      }
      throw e;
    }
    return out.finish();
  }

  /** @return the total length of {@code chunks} */
  public static long length(List<Buffer> chunks) {
    long n = 0;
    for (Buffer b : chunks) {
      n += b.length();
    }
    return n;
  }

  /** An output stream into bounded chunks. */
  private static final class Chunks extends OutputStream {
    private final int max;
    private final List<Buffer> done = new ArrayList<>();
    private byte[] current = new byte[256];
    private int used;
    private long total;

    Chunks(int max) {
      this.max = max;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (total + len > max) {
        throw new TooLarge("more than " + max + " bytes");
      }
      total += len;
      while (len > 0) {
        if (used == current.length) {
          if (current.length < CHUNK) {
            byte[] bigger = new byte[Math.min(CHUNK, current.length * 4)];
            System.arraycopy(current, 0, bigger, 0, used);
            current = bigger;
          } else {
            done.add(Buffer.buffer(current));
            current = new byte[CHUNK];
            used = 0;
          }
        }
        int n = Math.min(len, current.length - used);
        System.arraycopy(b, off, current, used, n);
        used += n;
        off += n;
        len -= n;
      }
    }

    List<Buffer> finish() {
      if (used > 0) {
        byte[] last = new byte[used];
        System.arraycopy(current, 0, last, 0, used);
        done.add(Buffer.buffer(last));
      }
      return done;
    }
  }
}
