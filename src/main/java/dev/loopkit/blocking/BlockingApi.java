package dev.loopkit.blocking;

import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A "known blocking" API for {@link BlockingRules}: an owner type and method names. Add your own — a JDBC
 * driver, a legacy SDK — to the built-in list:
 *
 * <pre>{@code
 * @ArchTest static final ArchRule noBlocking = BlockingRules.noBlockingCalls(
 *     BlockingApi.of("java.sql.Connection", "*"),                       // any method, on any implementation
 *     BlockingApi.of("java.sql.Statement", "execute*"),                 // a name prefix
 *     BlockingApi.of("com.acme.legacy.", "*").kind(BlockingKind.SOCKET)); // every class of a package
 * }</pre>
 *
 * <ul>
 *   <li><b>owner</b>: a class or interface name — a call matches when its target's owner is assignable to
 *   it (so an interface covers every implementation) — or a package prefix ending with {@code .} (every
 *   class in the package and its sub-packages);</li>
 *   <li><b>methods</b>: names, {@code *} for any, or a prefix ending with {@code *} ({@code execute*});
 *   {@code <init>} for constructors;</li>
 *   <li><b>kind</b>: what the violation calls it and the advice given (default {@link BlockingKind#UNKNOWN}).</li>
 * </ul>
 * Immutable.
 */
public final class BlockingApi {

  private final String owner;
  private final Set<String> methods;
  private final BlockingKind kind;
  private final boolean assignable;

  private BlockingApi(String owner, Set<String> methods, BlockingKind kind, boolean assignable) {
    this.owner = owner;
    this.methods = methods;
    this.kind = kind;
    this.assignable = assignable;
  }

  /**
   * @param owner a class or interface name (matched by assignability), or a package prefix ending with {@code .}
   * @param methods method names, {@code *}, or {@code prefix*}; at least one
   * @return the API, of kind {@link BlockingKind#UNKNOWN}
   */
  public static BlockingApi of(String owner, String... methods) {
    Objects.requireNonNull(owner, "owner");
    if (owner.isBlank()) {
      throw new IllegalArgumentException("BlockingApi.of: owner must be a class name or a package prefix ending with '.', got \"\"");
    }
    if (methods.length == 0) {
      throw new IllegalArgumentException("BlockingApi.of(\"" + owner + "\"): give at least one method name, or \"*\" for any");
    }
    for (String m : methods) {
      if (m == null || m.isBlank()) {
        throw new IllegalArgumentException("BlockingApi.of(\"" + owner + "\"): method names must not be empty");
      }
    }
    return new BlockingApi(owner, Set.of(methods), BlockingKind.UNKNOWN, true);
  }

  /** Built-in APIs: {@code assignable = false} matches the owner class exactly. */
  static BlockingApi builtIn(String owner, BlockingKind kind, boolean assignable, String... methods) {
    return new BlockingApi(owner, Set.of(methods), kind, assignable);
  }

  /** @return a copy of this API with {@code kind} (names the violation and the advice) */
  public BlockingApi kind(BlockingKind kind) {
    return new BlockingApi(owner, methods, Objects.requireNonNull(kind, "kind"), assignable);
  }

  /** @return the kind of block calls to this API are */
  public BlockingKind kind() {
    return kind;
  }

  boolean matches(JavaCall<?> call) {
    if (!matchesMethod(call.getName())) {
      return false;
    }
    JavaClass target = call.getTargetOwner();
    if (owner.endsWith(".")) {
      return target.getName().startsWith(owner);
    }
    return assignable ? target.isAssignableTo(owner) : target.getName().equals(owner);
  }

  private boolean matchesMethod(String name) {
    for (String m : methods) {
      if (m.equals("*") || m.equals(name) || m.endsWith("*") && name.startsWith(m.substring(0, m.length() - 1))) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    List<String> names = new ArrayList<>(methods);
    Collections.sort(names);
    return owner + (owner.endsWith(".") ? "" : (assignable ? "+" : "") + ".") + String.join("|", names) + " [" + kind.jsonName() + "]";
  }
}
