#!/usr/bin/env bash
# The overhead method (BENCHMARKS.md, "Overhead method (paired rounds, 95 % CI)"): the blocking checker on vs
# off over HTTP, an off/off control, and the in-process RouteGuard vs a direct request (no-op echo and
# ~40 µs of work), each in one JVM with one continuous load and the variant switched between ABBA-paired
# rounds; prints every pair, then the ratios with their 95 % confidence intervals and CPU µs per request.
#   bench/overhead.sh                    full run (~7 min after the build: 40 pairs of 1 s rounds per measurement, control 20)
#   QUICK=1 bench/overhead.sh            a smoke run (6 pairs)
#   PAIRS=60 PARTS="checker" bench/overhead.sh
# Needs: a JDK 17, Maven, wrk (apt-get install wrk). Servers bind 127.0.0.1 only; every load is bounded in time
# (wrk -d, the callers' deadline) and count.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${JAR:-target/loopkit-0.1.0-SNAPSHOT-fat.jar}   # JAR=... NOBUILD=1 measures a saved build
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then PAIRS=${PAIRS:-6}; CONTROL_PAIRS=${CONTROL_PAIRS:-6}; else PAIRS=${PAIRS:-40}; CONTROL_PAIRS=${CONTROL_PAIRS:-20}; fi
ROUND_MS=${ROUND_MS:-1000}
PARTS=${PARTS:-checker control guard}     # e.g. PARTS=checker bench/overhead.sh
WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
JVM_OPTS=${JVM_OPTS:--Xms512m -Xmx512m}
NOBUILD=${NOBUILD:-0}
want() { case " $PARTS " in *" $1 "*) return 0;; *) return 1;; esac; }
command -v wrk >/dev/null || { echo "wrk not found: apt-get install -y wrk" >&2; exit 1; }

if [ "$NOBUILD" != 1 ]; then
  echo "== build (mvn -Pbench package -DskipTests)"
  mvn -B -q -Pbench package -DskipTests >/dev/null
fi
"$JAVA" -cp "$JAR" dev.loopkit.bench.stats.PairedRatio >/dev/null   # the statistics' self-check
echo "== machine: $(nproc) cores, $(uname -r), $("$JAVA" -version 2>&1 | head -1), $(command -v wrk) $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "== start $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
run() { "$JAVA" $JVM_OPTS -cp "$JAR" "$@" 2>/dev/null | tee -a "$OUT"; }

if want checker; then
  echo "== 1. blocking checker over HTTP: off (A) vs on (B: checker + BlockingAttribution.requests), $PAIRS pairs"
  run dev.loopkit.bench.overhead.CheckerOverhead "$PAIRS" "$ROUND_MS" on "$WRK_THREADS" "$WRK_CONNECTIONS"
fi
if want control; then
  echo "== 2. control: off (A) vs off (B), the same switch with nothing switched on, $CONTROL_PAIRS pairs"
  run dev.loopkit.bench.overhead.CheckerOverhead "$CONTROL_PAIRS" "$ROUND_MS" off "$WRK_THREADS" "$WRK_CONNECTIONS"
fi
if want guard; then
  echo "== 3. in-process RouteGuard (B) vs direct request (A): no-op echo, then ~40 µs of work, $PAIRS pairs each"
  run dev.loopkit.bench.overhead.GuardOverhead "$PAIRS" "$ROUND_MS" echo,cpu 128
fi

echo "== end $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| measurement | B / A | pairs | throughput B / A: geomean, 95 % CI (t, log ratios) | median, 95 % CI (order stats) | CPU µs/req, event loops: A / B (mean ± CI half-width), B / A with CI | CPU µs/req, all Java threads | load1 at end |"
echo "|---|---|---|---|---|---|---|---|"
grep '^RESULT|' "$OUT" | awk -F'|' '{ printf "| %s | %s | %s | **%s** %s | %s %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }'
