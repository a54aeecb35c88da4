package dev.loopkit.docs;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every Java code block of the README is quoted from code that compiles and runs: its lines (trimmed,
 * blank lines ignored) appear, in order and contiguous, in a source file of the build — the library,
 * its tests, or the user project that {@code maven-invoker-plugin} builds ({@code src/it}). A block
 * edited by hand drifts from the code and fails here, naming the block and its first line that matches
 * nothing.
 */
@DisplayName("README: every ```java block is quoted from compiled code")
class ReadmeSnippetsTest {

  @Test
  void every_java_block_is_quoted_from_a_compiled_source() throws IOException {
    List<List<String>> blocks = javaBlocks(Files.readAllLines(Path.of("README.md")));
    assertThat(blocks).as("java blocks in README.md").isNotEmpty();
    List<List<String>> sources = new ArrayList<>();
    for (String root : List.of("src/main/java", "src/test/java", "src/it")) {
      try (Stream<Path> files = Files.walk(Path.of(root))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList())) {
          sources.add(normalized(Files.readAllLines(f)));
        }
      }
    }
    List<String> unquoted = new ArrayList<>();
    for (List<String> block : blocks) {
      List<String> lines = normalized(block);
      if (sources.stream().noneMatch(src -> contains(src, lines))) {
        unquoted.add("block starting \"" + lines.get(0) + "\" (" + lines.size() + " lines): first line found nowhere in order: \""
          + firstUnmatched(sources, lines) + "\"");
      }
    }
    assertThat(unquoted).as("README java blocks not quoted from a compiled source file").isEmpty();
  }

  static List<List<String>> javaBlocks(List<String> readme) {
    List<List<String>> blocks = new ArrayList<>();
    List<String> current = null;
    for (String line : readme) {
      if (current == null && line.trim().equals("```java")) {
        current = new ArrayList<>();
      } else if (current != null && line.trim().equals("```")) {
        blocks.add(current);
        current = null;
      } else if (current != null) {
        current.add(line);
      }
    }
    return blocks;
  }

  static List<String> normalized(List<String> lines) {
    return lines.stream().map(String::trim).filter(l -> !l.isEmpty()).collect(Collectors.toList());
  }

  static boolean contains(List<String> source, List<String> block) {
    outer:
    for (int i = 0; i + block.size() <= source.size(); i++) {
      for (int j = 0; j < block.size(); j++) {
        if (!source.get(i + j).equals(block.get(j))) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** @return the first line of {@code block} after which no source continues the block (for the message) */
  static String firstUnmatched(List<List<String>> sources, List<String> block) {
    int best = 0;
    for (List<String> src : sources) {
      for (int n = block.size(); n > best; n--) {
        if (contains(src, block.subList(0, n))) {
          best = n;
          break;
        }
      }
    }
    return best >= block.size() ? "" : block.get(best);
  }
}
