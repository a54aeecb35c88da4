#!/usr/bin/env bash
# Builds and runs the blocking checker's benchmarks; prints the numbers (results: docs/bench-blocking.md).
#   bench/blocking.sh            full run (~3 min)
#   QUICK=1 bench/blocking.sh    a short smoke run
# Needs: a JDK, Maven, wrk (apt-get install wrk) for the HTTP loopback load. Servers bind 127.0.0.1 only;
# every load loop is bounded in count and time.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/loopkit-0.1.0-SNAPSHOT-fat.jar
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then STALLS=60; ROUNDS=2; SECS=2; HTTP_ROUNDS=1; HTTP_SECS=3; else STALLS=300; ROUNDS=5; SECS=4; HTTP_ROUNDS=3; HTTP_SECS=8; fi

echo "== build (mvn -Pbench package -DskipTests)"
mvn -B -q -Pbench package -DskipTests >/dev/null
echo "== machine: $(nproc) cores, $(uname -r), $("$JAVA" -version 2>&1 | head -1), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ)"

echo "== 1. detection latency at a 20 ms threshold"
"$JAVA" -cp "$JAR" dev.loopkit.bench.blocking.DetectionLatency "$STALLS" 20 2>/dev/null

echo "== 2. event-bus request/reply throughput, checker off vs on"
"$JAVA" -cp "$JAR" dev.loopkit.bench.blocking.BusThroughput "$ROUNDS" "$SECS" 256 2>/dev/null

echo "== 3. HTTP server under loopback load (wrk -t2 -c64 -d${HTTP_SECS}s), checker off vs on"
http_round() { # $1 = on|off ; prints requests/s
  local log; log=$(mktemp)
  "$JAVA" -cp "$JAR" dev.loopkit.bench.blocking.HttpServerTarget "$1" 0 $((HTTP_SECS + 30)) >"$log" 2>/dev/null &
  local pid=$!
  for _ in $(seq 1 100); do grep -q READY "$log" && break; sleep 0.1; done
  local port; port=$(awk '/READY/{print $2}' "$log")
  wrk -t2 -c64 -d2s "http://127.0.0.1:$port/" >/dev/null 2>&1 || true      # warm-up
  local rps; rps=$(wrk -t2 -c64 -d"${HTTP_SECS}s" "http://127.0.0.1:$port/" 2>/dev/null | awk '/Requests\/sec/{print $2}')
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"
  echo "$rps"
}
OFF=(); ON=()
for r in $(seq 1 "$HTTP_ROUNDS"); do
  if [ $((r % 2)) = 1 ]; then off=$(http_round off); on=$(http_round on); else on=$(http_round on); off=$(http_round off); fi
  OFF+=("$off"); ON+=("$on")
  echo "  round $r: off $off req/s, on $on req/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{ if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }
MOFF=$(median "${OFF[@]}"); MON=$(median "${ON[@]}")
awk -v a="$MOFF" -v b="$MON" 'BEGIN{ printf "HTTP loopback (wrk -t2 -c64): off %.0f req/s, on %.0f req/s, ratio %.3f (goal >= 0.98)\n", a, b, b/a }'

echo "== 4. start-up cost"
"$JAVA" -cp "$JAR" dev.loopkit.bench.blocking.StartupCost 2>/dev/null
