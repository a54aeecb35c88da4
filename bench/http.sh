#!/usr/bin/env bash
# The HTTP front under attack (issue 9, deliver 3; results: BENCHMARKS.md):
#   1. attack: the real application (java -jar of the fat jar, embedded conf/application.json: HTTP front with
#              its default limits, demo upstream, fetch, timeout, blocking checker) on free ports of 127.0.0.1;
#              FrontUnderAttackBench sends normal clients' POST /fetch (one URL of the demo upstream) and
#              measures their p50/p99 without and then with 5 000 idle connections plus a slowloris pass held
#              open (goal: p99 with <= 1.2 x without), and reports what the front's limits did.
#   2. worst:  WorstCallBench under -Xmx256m: the worst single fetch call (heap peak, reply, time; goal: no OOM,
#              413 / PAYLOAD_TOO_LARGE).
#
#   bench/http.sh                      # both parts; ROUNDS=3
#   SKIP_BUILD=1 PARTS=attack bench/http.sh
#
# Env: PARTS ("attack worst"), ROUNDS (3), REQUESTS (6000 per phase), CLIENTS (8), PERIOD_MS (20), IDLE (5000),
# SLOW (200), SERVER_OPTS (JVM flags of the application; default none), SKIP_BUILD, QUIET_LOAD (1.5: wait up to
# 3 minutes for a 1-minute load average below it before each part; the load met is printed).
# Every server binds 127.0.0.1; every load is bounded in count and time (60 s per phase).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
JAR="$ROOT/target/loopkit-0.1.0-SNAPSHOT-fat.jar"
CP="${CP:-$JAR}"   # e.g. CP=/tmp/classes:target/…-fat.jar to run a bench class compiled by hand
PARTS="${PARTS:-attack worst}"
OUT="$(mktemp -d /tmp/loopkit-bench-http.XXXXXX)"

# 5 000 attack connections on one side and up to maxConnections on the other: more descriptors than the default 1024
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [[ -z "${SKIP_BUILD:-}" ]]; then
  echo "# building (mvn -Pbench package)" >&2
  mvn -B -q -Pbench package -DskipTests >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
fi
[[ -f "$JAR" ]] || { echo "missing $JAR" >&2; exit 1; }

quiet() {
  local until=$((SECONDS + 180))
  while (( SECONDS < until )); do
    awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v q="${QUIET_LOAD:-1.5}" 'BEGIN{exit !(l < q)}' && break
    sleep 5
  done
  echo "# $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg) (ulimit -n $(ulimit -n))"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "# http benchmarks $(date -u +%FT%TZ) host=$(hostname) cpus=$(nproc) java=$(java -version 2>&1 | head -1 | tr -d '"') commit=$(git rev-parse --short HEAD)"

SERVER_PID=""
stop_server() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=""; }
trap stop_server EXIT INT TERM

for part in $PARTS; do
  case "$part" in
    attack)
      PORT="$(free_port)"; UP="$(free_port)"
      # shellcheck disable=SC2086
      java ${SERVER_OPTS:-} -Dloopkit.http.port="$PORT" -Dloopkit.verticles.upstream.config.port="$UP" \
        -Dloopkit.verticles.fetch.config.allowedHosts="[\"127.0.0.1:$UP\"]" -jar "$JAR" >"$OUT/server.log" 2>&1 &
      SERVER_PID=$!
      for _ in $(seq 1 300); do
        curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$OUT/server.log"; exit 1; }
        sleep 0.1
      done
      echo "# application: java ${SERVER_OPTS:-} -jar $(basename "$JAR") on 127.0.0.1:$PORT (demo upstream :$UP); http limits: defaults"
      quiet
      timeout -k 5 900 java -cp "$CP" dev.loopkit.bench.http.FrontUnderAttackBench "$PORT" "$UP" "${ROUNDS:-3}" \
        "${REQUESTS:-6000}" "${CLIENTS:-8}" "${PERIOD_MS:-20}" "${IDLE:-5000}" "${SLOW:-200}" 2>"$OUT/driver-err.log" \
        | tee "$OUT/attack.txt"
      echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
      echo "# the application's log lines about connections:"
      grep -E 'maxConnections|connection' "$OUT/server.log" | cut -c1-300 | head -5
      stop_server
      ;;
    worst)
      quiet
      timeout -k 5 600 java -Xmx256m -cp "$CP" dev.loopkit.bench.fetch.WorstCallBench "${WORST_ITEMS:-10000}" \
        2>"$OUT/worst-err.log" | tee "$OUT/worst.txt"
      grep -m3 -i 'OutOfMemory' "$OUT/worst-err.log" || echo "# no OutOfMemoryError"
      echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
      ;;
    *) echo "unknown part $part" >&2 ;;
  esac
done
echo "# raw output in $OUT"
