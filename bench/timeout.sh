#!/usr/bin/env bash
# Builds loopkit with the bench profile and runs the timeout benchmarks (issue 5):
#   1. lateness of 504 replies under load (goal: p99 <= 20 ms), at two load levels
#   2. throughput of a guarded hop vs a direct request (goal: >= 0.9x), three kinds of target
#   3. downstream work wasted after the caller's deadline, with and without propagation (goal: ~0 with it)
#   4. hedging against a long tail: latency and the measured extra load under the retry budget
# Everything runs in one JVM per program on 127.0.0.1 (event bus only, no sockets), bounded in count and time.
# Results and their reading: BENCHMARKS.md. Run it alone on the machine if you can:
#   flock /tmp/loopkit-bench.lock bench/timeout.sh
set -euo pipefail
cd "$(dirname "$0")/.."

JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
JAR=target/loopkit-0.1.0-SNAPSHOT-fat.jar
OPTS=(-Xmx1g -XX:+UseG1GC -Dlogback.configurationFile=src/test/resources/logback-test.xml)

echo "== build (mvn -Pbench package -DskipTests)"
mvn -B -q -Pbench package -DskipTests
echo "== machine: $(nproc) cores, $("$JAVA" -version 2>&1 | head -1), load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"

run() {
  echo
  echo "== $*"
  "$JAVA" "${OPTS[@]}" -cp "$JAR" "$@" 2>&1 | grep -v -E ' (INFO|DEBUG) '
}

run dev.loopkit.bench.timeout.LatenessBench 50 200 32 10
run dev.loopkit.bench.timeout.LatenessBench 50 1000 32 10
run dev.loopkit.bench.timeout.ThroughputBench 128 3 2
run dev.loopkit.bench.timeout.WastedWorkBench 50 400 40
run dev.loopkit.bench.timeout.HedgeBench 3000 20 5
