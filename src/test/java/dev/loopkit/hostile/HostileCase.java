package dev.loopkit.hostile;

import java.util.List;
import java.util.function.Consumer;

/**
 * One hostile HTTP input and what must come of it.
 *
 * @param name        what it is
 * @param request     the raw bytes (ISO-8859-1); {@code {upstream}} is replaced by the test upstream's base URL
 * @param statuses    the final answers' statuses, in order (empty: no answer, only a close)
 * @param error       the {@code error} name of the first answer, when it is an error
 * @param messagePart a part of the first error answer's {@code message}
 * @param closesAtOnce whether the server closes right after its answer ({@code connection: close})
 * @param deadlineMs  by when the server must have closed the connection (from the connect)
 * @param trickleFrom the bytes from this offset are sent one every 40 ms (-1: all at once)
 * @param head        whether it is a HEAD request (answers have no body)
 * @param extra       more assertions on the answers
 */
public record HostileCase(String name, String request, List<Integer> statuses, String error, String messagePart,
                          boolean closesAtOnce, long deadlineMs, int trickleFrom, boolean head,
                          Consumer<List<HttpText.Response>> extra) {

  @Override
  public String toString() {
    return name;
  }
}
