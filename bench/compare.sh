#!/usr/bin/env bash
# The fetch comparison of issue 12, in one run: one table on stdout (header, then one row per figure); progress
# and the raw result lines on stderr and in the temp dir the table names:
#   ceiling: wrk -c256 for WRK_SECONDS against the peers' nginx upstream, -t1 and -t2, the best counts.
#   peers:   cold (WARMUP=0) N=20000 C=256 no delay and N=2000 C=2000 1 s delay: every peer of
#            ../shared/bench/peers/run_peers.sh plus loopkit (EXTRA_PEER_CMD=bench/loopkit-peer.sh), REPS each;
#            medians, and loopkit / undici and loopkit / aiohttp from this run's medians.
#   floor:   the connection-open floor for N=2000 C=2000 1 s delay (SocketFloor: a bare NIO client, 1 and 2
#            threads, the best counts), interleaved with loopkit on the same scenario; loopkit's distance to it.
#   warm:    N=20000 C=256 after WARM_WARMUP requests on the same client (default 120000: the JIT's steady state,
#            in calls of 20000), undici, the bare Vert.x client (VertxFloor: what any Vert.x client gets here) and
#            loopkit (default JIT) interleaved, REPS each; loopkit's warm rps against the floor and the wrk ceiling.
#   memory:  10 000 in flight under -Xmx256m (N=10000 C=10000, 1 s delay), REPS runs: failures and peak RSS.
# Every result line carries load=1m,5m,15m (/proc/loadavg when it was printed); the table shows the medians.
#
#   bench/compare.sh                              # REPS=5, all parts (≈ 15 min on 2 cores)
#   REPS=1 PARTS="ceiling warm" bench/compare.sh
#   SKIP_BUILD=1 bench/compare.sh
#   bench/compare-table.py /tmp/loopkit-compare.XXXXXX    # the table again, from a run's raw lines
#
# Env: REPS (5), PARTS ("ceiling peers floor warm memory"), SKIP_BUILD, PORT (a free one in 18300-18999),
# WRK_SECONDS (5), WARM_WARMUP (120000), PEERS (run_peers' default: all four), LOOPKIT_JAVA_OPTS (the cold loopkit peer's and
# SocketFloor's JVM flags; bench/loopkit-peer.sh's default), LOOPKIT_WARM_JAVA_OPTS (warm loopkit; default:
# none, i.e. the default JIT and GC), PEERS_DIR (/tmp/loopkit-fetch-peers: a writable copy of the read-only
# ../shared/bench/peers, set up by its setup.sh), COMPARE_OUT (raw-line directory; default a new mktemp -d).
# Bounded: fixed N per run, per-request timeouts, `timeout` around every command (run_peers: RUN_LIMIT_S);
# every server binds 127.0.0.1. wrk is installed with apt-get when missing. Not part of CI.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
REPS="${REPS:-5}"
PARTS="${PARTS:-ceiling peers floor warm memory}"
WRK_SECONDS="${WRK_SECONDS:-5}"
WARM_WARMUP="${WARM_WARMUP:-120000}"
PEERS_SRC="${PEERS_SRC:-$ROOT/../shared/bench/peers}"
[[ -d "$PEERS_SRC" ]] || PEERS_SRC=/work/shared/bench/peers
PEERS_DIR="${PEERS_DIR:-/tmp/loopkit-fetch-peers}"
JAR="$ROOT/target/loopkit-0.1.0-SNAPSHOT-fat.jar"
LOOPKIT_JAVA_OPTS="${LOOPKIT_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
LOOPKIT_WARM_JAVA_OPTS="${LOOPKIT_WARM_JAVA_OPTS:-}"
OUT="${COMPARE_OUT:-$(mktemp -d /tmp/loopkit-compare.XXXXXX)}"
mkdir -p "$OUT"
PKG=dev.loopkit.bench.fetch

log() { echo "# $*" >&2; }
die() { echo "compare.sh: $*" >&2; exit 1; }
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,; }
# appends load=1m,5m,15m to every result line (peer=... / ceiling=...) as it is printed
stamp() { while IFS= read -r line; do
  if [[ "$line" == peer=* || "$line" == ceiling=* ]]; then echo "$line load=$(load)"; else echo "$line"; fi
done; }
has_part() { [[ " $PARTS " == *" $1 "* ]]; }

for part in $PARTS; do
  case "$part" in ceiling|peers|floor|warm|memory) ;; *) die "unknown part '$part' (parts: ceiling peers floor warm memory)";; esac
done

if has_part ceiling && ! command -v wrk >/dev/null; then
  log "installing wrk (apt-get install -y wrk)"
  SUDO=""; [[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
  { timeout 300 $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk \
    || { timeout 300 $SUDO apt-get update -qq && timeout 300 $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
  } >"$OUT/wrk-install.log" 2>&1
  command -v wrk >/dev/null || die "wrk is missing and 'apt-get install -y wrk' failed ($OUT/wrk-install.log): install wrk, or run without the ceiling part"
fi

if [[ -z "${SKIP_BUILD:-}" ]]; then
  log "building (mvn -Pbench package)"
  { timeout 900 mvn -B -q -o -Pbench package -DskipTests || timeout 900 mvn -B -q -Pbench package -DskipTests; } \
    >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; die "build failed ($OUT/build.log)"; }
fi
[[ -f "$JAR" ]] || die "missing $JAR: run mvn -B -q -Pbench package -DskipTests (or drop SKIP_BUILD)"

if [[ ! -x "$PEERS_DIR/run_peers.sh" ]]; then
  mkdir -p "$PEERS_DIR" && cp -r "$PEERS_SRC/." "$PEERS_DIR/" && chmod -R u+w "$PEERS_DIR"
fi
(cd "$PEERS_DIR" && timeout 600 ./setup.sh >"$OUT/setup.log" 2>&1) || { tail -20 "$OUT/setup.log"; die "peers setup failed ($OUT/setup.log)"; }

# a port no other helper's upstream holds (upstream.sh keeps its pid file per port)
if [[ -z "${PORT:-}" ]]; then
  PORT="$(/usr/bin/python3 - <<'EOF'
import socket
for p in range(18300, 19000):
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', p)); print(p); break
    except OSError:
        pass
    finally:
        s.close()
EOF
)"
  [[ -n "$PORT" ]] || die "no free port in 18300-18999; set PORT"
fi
BASE="http://127.0.0.1:$PORT/item/{n}"

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) >= 12000 )) || log "warning: ulimit -n is $(ulimit -n); the memory part (C=10000) may fail"

{
  echo "# fetch comparison $(date -u +%FT%TZ) host=$(hostname) nproc=$(nproc) load=$(load)"
  echo "# java: $(java -version 2>&1 | head -1 | tr -d '"') | node: $(node --version) | $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2) | nginx: $(nginx -v 2>&1 | cut -d/ -f2)"
  echo "# loopkit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || echo '+dirty') REPS=$REPS PARTS=\"$PARTS\" port=$PORT ulimit_n=$(ulimit -n)"
  echo "# cold loopkit / SocketFloor JVM: $LOOPKIT_JAVA_OPTS | warm loopkit JVM: ${LOOPKIT_WARM_JAVA_OPTS:-defaults}"
} | tee "$OUT/header.txt" >&2

upstream_up() { "$PEERS_DIR/upstream.sh" stop "$PORT" >/dev/null 2>&1; "$PEERS_DIR/upstream.sh" "$PORT" >&2 || die "upstream did not start on $PORT"; }
upstream_down() { "$PEERS_DIR/upstream.sh" stop "$PORT" >/dev/null 2>&1; }
trap upstream_down EXIT INT TERM
loopkit_cold() { timeout -k 5 180 "$ROOT/bench/loopkit-peer.sh" "$@" 2>>"$OUT/loopkit-stderr.txt" | grep '^peer='; }

for part in $PARTS; do
  case "$part" in
    ceiling)
      log "ceiling: wrk -c256 -d${WRK_SECONDS}s, -t1 and -t2"
      upstream_up
      for t in 1 2; do
        raw="$(timeout -k 5 $((WRK_SECONDS + 30)) wrk -t"$t" -c256 -d"${WRK_SECONDS}s" --timeout 5s "http://127.0.0.1:$PORT/item/1" 2>&1)"
        echo "$raw" >>"$OUT/wrk-raw.txt"
        rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$raw")"
        bad="$(awk '/Non-2xx/ {print $NF}' <<<"$raw")"
        errs="$(awk -F'[ ,]+' '/Socket errors/ {print $5+$7+$9+$11}' <<<"$raw")"
        echo "ceiling=wrk threads=$t c=256 seconds=$WRK_SECONDS rps=${rps:-NaN} non2xx=${bad:-0} socket_errors=${errs:-0}" | stamp | tee -a "$OUT/ceiling.txt" >&2
        sleep 1
      done
      upstream_down
      ;;
    peers)
      log "peers: cold, REPS=$REPS, scenarios 20000:256:0 2000:2000:1000"
      upstream_down   # run_peers starts and stops its own on PORT
      (cd "$PEERS_DIR" && PORT="$PORT" REPS="$REPS" WARMUP=0 SCENARIOS="20000:256:0 2000:2000:1000" LOOPKIT_JAR="$JAR" \
        LOOPKIT_JAVA_OPTS="$LOOPKIT_JAVA_OPTS" EXTRA_PEER_CMD="$ROOT/bench/loopkit-peer.sh" ./run_peers.sh) \
        | stamp | tee "$OUT/peers.txt" >&2
      ;;
    floor)
      log "floor: SocketFloor (1 and 2 threads) and loopkit, N=2000 C=2000 1 s delay, REPS=$REPS interleaved"
      upstream_up
      for rep in $(seq 1 "$REPS"); do
        for t in 1 2; do
          timeout -k 5 60 java $LOOPKIT_JAVA_OPTS -cp "$JAR" $PKG.SocketFloor "$BASE?delay_ms=1000" 2000 10000 "$t" 2>>"$OUT/floor-stderr.txt" \
            | grep '^peer=' | stamp | tee -a "$OUT/floor.txt" >&2
          sleep 1
        done
        loopkit_cold "$BASE?delay_ms=1000" 2000 2000 5000 0 | stamp | tee -a "$OUT/floor.txt" >&2
        sleep 1
      done
      upstream_down
      ;;
    warm)
      log "warm: N=20000 C=256 after WARMUP=$WARM_WARMUP, undici, the bare Vert.x client and loopkit interleaved, REPS=$REPS"
      upstream_up
      for rep in $(seq 1 "$REPS"); do
        (cd "$PEERS_DIR" && timeout -k 5 300 node peer_node_undici.mjs "$BASE" 20000 256 5000 "$WARM_WARMUP" 2>>"$OUT/warm-stderr.txt") \
          | grep '^peer=' | sed "s/\$/ warmup=$WARM_WARMUP/" | stamp | tee -a "$OUT/warm.txt" >&2
        sleep 1
        timeout -k 5 300 java $LOOPKIT_WARM_JAVA_OPTS -cp "$JAR" $PKG.VertxFloor "$BASE" 20000 256 5000 "$WARM_WARMUP" 2>>"$OUT/warm-stderr.txt" \
          | grep '^peer=' | sed "s/\$/ warmup=$WARM_WARMUP/" | stamp | tee -a "$OUT/warm.txt" >&2
        sleep 1
        timeout -k 5 300 java $LOOPKIT_WARM_JAVA_OPTS -cp "$JAR" $PKG.FetchPeer "$BASE" 20000 256 5000 "$WARM_WARMUP" 2>>"$OUT/warm-stderr.txt" \
          | grep '^peer=' | sed "s/\$/ warmup=$WARM_WARMUP/" | stamp | tee -a "$OUT/warm.txt" >&2
        sleep 1
      done
      upstream_down
      ;;
    memory)
      log "memory: N=10000 C=10000 1 s delay under -Xmx256m, REPS=$REPS"
      upstream_up
      for rep in $(seq 1 "$REPS"); do
        tv="$OUT/memory-time-$rep.txt"
        TIMEV=(); [[ -x /usr/bin/time ]] && TIMEV=(/usr/bin/time -v -o "$tv")   # GNU time: the child's peak RSS
        line="$("${TIMEV[@]}" timeout -k 5 180 java -Xmx256m $LOOPKIT_JAVA_OPTS -cp "$JAR" $PKG.FetchPeer \
          "$BASE?delay_ms=1000" 10000 10000 10000 2>"$OUT/memory-stderr-$rep.txt" | grep '^peer=')"
        [[ -n "$line" ]] || line="peer=loopkit n=10000 error: $(tail -c 300 "$OUT/memory-stderr-$rep.txt" | tr '\n' ' ')"
        rss="$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tv" 2>/dev/null)"
        echo "$line xmx=256m peak_rss_kb=${rss:-NaN}" | stamp | tee -a "$OUT/memory.txt" >&2
        sleep 2
      done
      upstream_down
      ;;
  esac
done

/usr/bin/python3 "$ROOT/bench/compare-table.py" "$OUT"
