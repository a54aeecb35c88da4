#!/usr/bin/env bash
# The fetch benchmarks (results: BENCHMARKS.md). The comparison with the peers is bench/compare.sh (wrk
# ceiling, cold peers, connection-open floor, warm steady state, 10 000 in flight: one table); this script
# runs it and adds the parts only it has:
#   compare:  bench/compare.sh, all its parts (the former parts peers, warm, memory are its parts of the same
#             names and are still accepted here; they run through compare.sh).
#   hop:      the FetchVerticle over the event bus vs the engine's Java API, N=20000/C=256: cold (separate
#             JVMs, REPS runs each, interleaved) and warm (HopBench: one JVM, the verticle's own engine
#             called directly and through the bus, 5 alternating rounds after 2 warm-up rounds, REPS runs).
#   resets:   how long until the upstream sees a cancelled / losing / timed-out / over-cap request's
#             connection closed (in-process demo upstream).
# Then prints compare.sh's table and the medians of hop and resets.
#
#   bench/fetch.sh                     # everything, REPS=5
#   REPS=3 PARTS="hop resets" bench/fetch.sh
#   SKIP_BUILD=1 PARTS="peers hop" bench/fetch.sh
#
# Env: REPS (5), PARTS ("compare hop resets"), PORT (18080), LOOPKIT_JAVA_OPTS (JVM flags of the cold
# loopkit peer, default below), SKIP_BUILD, PEERS_DIR (/tmp/loopkit-fetch-peers: a writable copy of
# ../shared/bench/peers, which is read-only), RESET_ROUNDS (200); compare.sh's own knobs pass through.
# Every load is bounded (fixed N, per-request timeout, timeouts around each command); every server binds
# 127.0.0.1.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
REPS="${REPS:-5}"
PARTS="${PARTS:-compare hop resets}"
PORT="${PORT:-18080}"
PEERS_SRC="${PEERS_SRC:-$ROOT/../shared/bench/peers}"
[[ -d "$PEERS_SRC" ]] || PEERS_SRC=/work/shared/bench/peers
PEERS_DIR="${PEERS_DIR:-/tmp/loopkit-fetch-peers}"
JAR="$ROOT/target/loopkit-0.1.0-SNAPSHOT-fat.jar"
# C1 only and the serial collector: this peer is a short-lived CLI on 2 shared cores, where C2's compile
# threads and G1's concurrent threads take CPU from the run itself (see BENCHMARKS.md for both).
LOOPKIT_JAVA_OPTS="${LOOPKIT_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
OUT="$(mktemp -d /tmp/loopkit-bench-fetch.XXXXXX)"
PEER="dev.loopkit.bench.fetch.FetchPeer"

log() { echo "# $*" >&2; }

if [[ -z "${SKIP_BUILD:-}" ]]; then
  log "building (mvn -Pbench package)"
  mvn -B -q -Pbench package -DskipTests >"$OUT/build.log" 2>&1 || { cat "$OUT/build.log"; exit 1; }
fi
[[ -f "$JAR" ]] || { echo "missing $JAR" >&2; exit 1; }

if [[ ! -x "$PEERS_DIR/run_peers.sh" ]]; then
  mkdir -p "$PEERS_DIR" && cp -r "$PEERS_SRC/." "$PEERS_DIR/"
fi
(cd "$PEERS_DIR" && ./setup.sh >"$OUT/setup.log" 2>&1) || { cat "$OUT/setup.log"; exit 1; }

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "# fetch benchmarks $(date -u +%FT%TZ) host=$(hostname) cpus=$(nproc) java=$(java -version 2>&1 | head -1 | tr -d '"') node=$(node --version) load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# loopkit peer: bench/loopkit-peer.sh = java $LOOPKIT_JAVA_OPTS -cp $(basename "$JAR") $PEER (one call of N urls, concurrency C, over the event bus; CDS ${LOOPKIT_CDS:-off})"

upstream_up() { "$PEERS_DIR/upstream.sh" stop "$PORT" >/dev/null 2>&1; "$PEERS_DIR/upstream.sh" "$PORT" >&2; }
upstream_down() { "$PEERS_DIR/upstream.sh" stop "$PORT" >/dev/null 2>&1; }
trap upstream_down EXIT INT TERM

# compare / peers / warm / memory: one bench/compare.sh run with those parts
CPARTS=""
for part in $PARTS; do
  case "$part" in
    compare) CPARTS="ceiling peers floor warm memory" ;;
    peers|warm|memory) [[ " $CPARTS " == *" $part "* ]] || CPARTS="$CPARTS $part" ;;
  esac
done
if [[ -n "$CPARTS" ]]; then
  log "bench/compare.sh PARTS=\"${CPARTS# }\" (REPS=$REPS)"
  SKIP_BUILD=1 REPS="$REPS" PARTS="${CPARTS# }" PORT="$PORT" PEERS_DIR="$PEERS_DIR" LOOPKIT_JAVA_OPTS="$LOOPKIT_JAVA_OPTS" \
    COMPARE_OUT="$OUT/compare" "$ROOT/bench/compare.sh" >"$OUT/compare-table.md"
fi

for part in $PARTS; do
  case "$part" in
    hop)
      log "hop: bus hop vs engine (REPS=$REPS)"
      upstream_up
      URL="http://127.0.0.1:$PORT/item/{n}"
      for rep in $(seq 1 "$REPS"); do
        for path in engine bus; do
          line="$(timeout -k 5 180 java $LOOPKIT_JAVA_OPTS -Dpath=$path -cp "$JAR" $PEER "$URL" 20000 256 5000 0 2>/dev/null | grep '^peer=')"
          echo "warmup=0 $line" | tee -a "$OUT/hop.txt"
          sleep 1
        done
        # warm, in one JVM, through the verticle's own engine: only the hop differs
        timeout -k 5 300 java -cp "$JAR" dev.loopkit.bench.fetch.HopBench "$URL" 20000 256 5 2>/dev/null | grep '^hop ' | tee -a "$OUT/hop.txt"
        sleep 1
      done
      upstream_down
      ;;
    resets)
      log "resets: reset latency (${RESET_ROUNDS:-200} rounds)"
      timeout -k 5 300 java -cp "$JAR" dev.loopkit.bench.fetch.CancelLatencyBench "${RESET_ROUNDS:-200}" 2>/dev/null | tee "$OUT/resets.txt"
      ;;
    compare|peers|warm|memory) ;;   # ran above, through compare.sh
    *) echo "unknown part $part" >&2 ;;
  esac
done

echo
[[ -s "$OUT/compare-table.md" ]] && cat "$OUT/compare-table.md" && echo
echo "# summary (medians of $REPS runs; raw lines in $OUT)"
/usr/bin/python3 - "$OUT" <<'EOF'
import os, re, statistics, sys
out = sys.argv[1]
def parse(line):
    return dict(re.findall(r'(\w+)=([^\s]+)', line))
def med(xs):
    xs = [float(x) for x in xs if x not in ('NaN', None)]
    return statistics.median(xs) if xs else float('nan')
hop = os.path.join(out, 'hop.txt')
if os.path.exists(hop):
    runs = {}; warmr = []
    for line in open(hop):
        w = re.match(r'warmup=(\d+) (.*)', line)
        if w and 'rps=' in line:
            d = parse(w.group(2)); runs.setdefault(d['peer'], []).append(float(d['rps']))
        if line.startswith('hop '):
            warmr.append(parse(line))
    print('## bus hop (N=20000 C=256)')
    e = med(runs.get('loopkit-engine', [])); b = med(runs.get('loopkit', []))
    print('cold, separate JVMs: engine rps=%.0f bus rps=%.0f bus/engine=%.2f' % (e, b, b / e if e else float('nan')))
    if warmr:
        print('warm, one JVM (HopBench): engine rps=%.0f bus rps=%.0f bus/engine=%.2f (per run: %s)' % (
            med(r['engine_rps'] for r in warmr), med(r['bus_rps'] for r in warmr), med(r['ratio'] for r in warmr),
            ' '.join(r['ratio'] for r in warmr)))
    print()
res = os.path.join(out, 'resets.txt')
if os.path.exists(res):
    print('## reset latency (upstream sees the connection closed)')
    for line in open(res):
        print(line.strip())
EOF
