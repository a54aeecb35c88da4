#!/usr/bin/env bash
# Builds loopkit with the bench profile and runs the cluster benchmarks (issue 11):
#   1. a fetch through the event bus to a fetch verticle on another node vs the same node (goal: >= 0.8x rps, 100-URL calls)
#   2. a guarded echo across nodes vs a direct request across nodes
#   3. kill -9 (and kill -STOP) of a serving node: time to its removal and to the survivor serving (goal: <= 2 s)
#   4. a blocking incident's delivery latency to a consumer on another node vs on the same node (goal: <= +10 ms)
# 1, 2 and 4 run two clustered Vert.x nodes in one JVM; 3 runs the serving nodes as child JVMs (real kill -9).
# Hazelcast and the event bus bind 127.0.0.1 only; loads are bounded in count and time. Results: BENCHMARKS.md.
#   flock /tmp/loopkit-bench.lock bench/cluster.sh          (PARTS="fetch echo kill incident" to pick)
set -euo pipefail
cd "$(dirname "$0")/.."

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
JAR=target/loopkit-0.1.0-SNAPSHOT-fat.jar
OPTS=(-Xmx1g -XX:+UseG1GC --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED --add-exports java.base/jdk.internal.ref=ALL-UNNAMED --add-opens java.management/sun.management=ALL-UNNAMED --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED -Dlogback.configurationFile=src/test/resources/logback-test.xml -Dhazelcast.logging.type=slf4j)
PARTS=${PARTS:-"fetch echo kill incident"}

if [ -z "${NO_BUILD:-}" ]; then
  echo "== build (mvn -Pbench package -DskipTests)"
  mvn -B -q -Pbench package -DskipTests
fi
echo "== machine: $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ), $(git rev-parse --short HEAD)"

run() {
  echo
  echo "== $*"
  "$JAVA" "${OPTS[@]}" -cp "$JAR" "$@" 2>&1 | grep -v -E ' (INFO|DEBUG|WARN|ERROR) |^\s+at |Exception|^Caused by|^\s*\.\.\. [0-9]+ more|--add-'
}

for part in $PARTS; do
  case $part in
    fetch) run dev.loopkit.bench.cluster.CrossNodeFetchBench 100 300 8 5 ;;
    echo) run dev.loopkit.bench.cluster.CrossNodeEchoBench 20000 128 5 ;;
    kill) run dev.loopkit.bench.cluster.KillBench 3 1 ;;
    incident) run dev.loopkit.bench.cluster.IncidentLatencyBench 200 ;;
  esac
done
