#!/usr/bin/env bash
# The fetch benchmarks, in one run (results: BENCHMARKS.md):
#   1. peers:     loopkit beside Python aiohttp, Node fetch, Node undici and Java HttpClient on the same nginx
#                 upstream (../shared/bench/peers/run_peers.sh with EXTRA_PEER_CMD), scenarios
#                 N=20000/C=256/no delay and N=2000/C=2000/1 s delay, REPS runs each, cold (WARMUP=0).
#   2. warm:      the same N=20000/C=256 after WARMUP=20000 on the same client (steady state): undici vs
#                 loopkit with the JVM's default JIT (C2), REPS runs each, interleaved.
#   3. bus hop:   the FetchVerticle over the event bus vs the engine's Java API, N=20000/C=256: cold (separate
#                 JVMs, REPS runs each, interleaved) and warm (HopBench: one JVM, the verticle's own engine
#                 called directly and through the bus, 5 alternating rounds after 2 warm-up rounds, REPS runs).
#   4. memory:    10 000 requests in flight at once (N=10000, C=10000, 1 s delay) under -Xmx256m.
#   5. resets:    how long until the upstream sees a cancelled / losing / timed-out / over-cap request's
#                 connection closed (in-process demo upstream).
# Then prints medians and the goal ratios.
#
#   bench/fetch.sh                     # everything, REPS=3
#   REPS=5 bench/fetch.sh
#   SKIP_BUILD=1 PARTS="peers hop" bench/fetch.sh
#
# Env: REPS (3), PARTS ("peers warm hop memory resets"), PORT (18080), LOOPKIT_JAVA_OPTS (JVM flags of the
# loopkit peer, default below), SKIP_BUILD, PEERS_DIR (/tmp/loopkit-fetch-peers: a writable copy of
# ../shared/bench/peers, which is read-only), RESET_ROUNDS (200).
# Every load is bounded (fixed N, per-request timeout, run_peers' RUN_LIMIT_S); every server binds 127.0.0.1.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
REPS="${REPS:-3}"
PARTS="${PARTS:-peers warm hop memory resets}"
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

for part in $PARTS; do
  case "$part" in
    peers)
      log "1. peers (REPS=$REPS)"
      # the peer command is bench/loopkit-peer.sh (the same java command; LOOPKIT_CDS=auto adds a CDS archive)
      (cd "$PEERS_DIR" && PORT="$PORT" REPS="$REPS" LOOPKIT_JAR="$JAR" LOOPKIT_JAVA_OPTS="$LOOPKIT_JAVA_OPTS" \
        EXTRA_PEER_CMD="$ROOT/bench/loopkit-peer.sh" ./run_peers.sh) \
        | tee "$OUT/peers.txt"
      ;;
    warm)
      log "2. warm steady state (REPS=$REPS)"
      upstream_up
      URL="http://127.0.0.1:$PORT/item/{n}"
      for rep in $(seq 1 "$REPS"); do
        line="$(cd "$PEERS_DIR" && timeout -k 5 180 node peer_node_undici.mjs "$URL" 20000 256 5000 20000 2>/dev/null | grep '^peer=')"
        echo "$line" | tee -a "$OUT/warm.txt"
        sleep 1
        line="$(timeout -k 5 180 java -cp "$JAR" $PEER "$URL" 20000 256 5000 20000 2>/dev/null | grep '^peer=')"
        echo "$line" | tee -a "$OUT/warm.txt"
        sleep 1
      done
      upstream_down
      ;;
    hop)
      log "3. bus hop vs engine (REPS=$REPS)"
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
    memory)
      log "4. 10 000 in flight under -Xmx256m (REPS=$REPS)"
      upstream_up
      URL="http://127.0.0.1:$PORT/item/{n}?delay_ms=1000"
      for rep in $(seq 1 "$REPS"); do
        line="$(timeout -k 5 180 java -Xmx256m $LOOPKIT_JAVA_OPTS -cp "$JAR" $PEER "$URL" 10000 10000 10000 2>"$OUT/memory-err.txt" | grep '^peer=')"
        [[ -n "$line" ]] || line="peer=loopkit error: $(tail -c 300 "$OUT/memory-err.txt" | tr '\n' ' ')"
        echo "xmx=256m $line" | tee -a "$OUT/memory.txt"
        sleep 2
      done
      upstream_down
      ;;
    resets)
      log "5. reset latency (${RESET_ROUNDS:-200} rounds)"
      timeout -k 5 300 java -cp "$JAR" dev.loopkit.bench.fetch.CancelLatencyBench "${RESET_ROUNDS:-200}" 2>/dev/null | tee "$OUT/resets.txt"
      ;;
    *) echo "unknown part $part" >&2 ;;
  esac
done

echo
echo "# summary (medians of $REPS runs; raw lines in $OUT)"
/usr/bin/python3 - "$OUT" <<'EOF'
import os, re, statistics, sys
out = sys.argv[1]
def parse(line):
    return dict(re.findall(r'(\w+)=([^\s]+)', line))
def med(xs):
    xs = [float(x) for x in xs if x not in ('NaN', None)]
    return statistics.median(xs) if xs else float('nan')
peers = os.path.join(out, 'peers.txt')
if os.path.exists(peers):
    scen = None; data = {}
    for line in open(peers):
        m = re.match(r'# scenario N=(\d+) C=(\d+) delay_ms=(\d+)', line)
        if m:
            scen = 'N=%s C=%s delay=%sms' % m.groups(); continue
        if line.startswith('peer=') and scen:
            d = parse(line)
            data.setdefault(scen, {}).setdefault(d['peer'], []).append(d)
    for scen, by in data.items():
        print('## ' + scen)
        print('| peer | runs | ok (min) | rps | wall_ms | p50_ms | p99_ms |')
        print('|---|---|---|---|---|---|---|')
        for peer, runs in by.items():
            if 'rps' not in runs[0]:
                print('| %s | %d | error | | | | |' % (peer, len(runs))); continue
            print('| %s | %d | %s | %.0f | %.0f | %.2f | %.2f |' % (peer, len(runs), min(int(r.get('ok', 0)) for r in runs),
                  med(r['rps'] for r in runs), med(r['wall_ms'] for r in runs), med(r['p50_ms'] for r in runs), med(r['p99_ms'] for r in runs)))
        def rps(p):
            return med(r['rps'] for r in by.get(p, []) if 'rps' in r)
        if 'loopkit' in by:
            lk = rps('loopkit')
            for p in ('node-undici', 'python-aiohttp', 'node-fetch', 'java-httpclient'):
                if p in by:
                    print('loopkit / %s rps = %.2f' % (p, lk / rps(p)))
            print('loopkit median wall = %.0f ms' % med(r['wall_ms'] for r in by['loopkit'] if 'wall_ms' in r))
        print()
warm = os.path.join(out, 'warm.txt')
if os.path.exists(warm):
    runs = {}
    for line in open(warm):
        if 'rps=' in line:
            d = parse(line); runs.setdefault(d['peer'], []).append(float(d['rps']))
    print('## warm (N=20000 C=256 after WARMUP=20000; loopkit with the default JIT)')
    for p, xs in runs.items():
        print('%s rps median=%.0f runs=%s' % (p, med(xs), ' '.join('%.0f' % x for x in xs)))
    if 'loopkit' in runs and 'node-undici' in runs:
        print('loopkit / node-undici rps = %.2f' % (med(runs['loopkit']) / med(runs['node-undici'])))
    print()
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
mem = os.path.join(out, 'memory.txt')
if os.path.exists(mem):
    print('## 10 000 in flight, -Xmx256m')
    for line in open(mem):
        print(line.strip())
    print()
res = os.path.join(out, 'resets.txt')
if os.path.exists(res):
    print('## reset latency (upstream sees the connection closed)')
    for line in open(res):
        print(line.strip())
EOF
