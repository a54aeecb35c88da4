#!/usr/bin/env bash
# loopkit's peer for ../shared/bench/peers/run_peers.sh (EXTRA_PEER_CMD="bench/loopkit-peer.sh"):
#   bench/loopkit-peer.sh URL_TEMPLATE N C TIMEOUT_MS [WARMUP]
# Runs dev.loopkit.bench.fetch.FetchPeer with the JVM flags of a short-lived CLI on few cores. Optionally
# (LOOPKIT_CDS=auto or a path) with an Application Class-Data Sharing archive (JDK 17:
# -XX:ArchiveClassesAtExit / -XX:SharedArchiveFile), made once per jar like an install step by a training run
# against an in-process demo upstream (FetchPeerTraining: never the benchmark's upstream) and reused until the
# jar changes; its cost is not part of any measurement. Off by default: measured interleaved on this 2-core VM
# it made no difference beyond the noise (the cold cost is interpretation and JIT, not class loading;
# BENCHMARKS.md).
#
# Env: LOOPKIT_JAR (target/loopkit-0.1.0-SNAPSHOT-fat.jar, built with -Pbench), LOOPKIT_CDS ("off" (default),
# "auto" = the .jsa next to the jar, or the archive's path), LOOPKIT_JAVA_OPTS (default below).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JAR="${LOOPKIT_JAR:-$ROOT/target/loopkit-0.1.0-SNAPSHOT-fat.jar}"
[[ -f "$JAR" ]] || { echo "missing $JAR: run mvn -B -q -Pbench package -DskipTests" >&2; exit 1; }
# C1 only and the serial collector: C2's compiler threads and G1's concurrent threads take the CPU a cold
# run on 2 shared cores needs (BENCHMARKS.md).
read -r -a OPTS <<< "${LOOPKIT_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:+UseSerialGC}"
CDS="${LOOPKIT_CDS:-off}"
[[ "$CDS" == auto ]] && CDS="${JAR%.jar}.jsa"
if [[ "$CDS" != off ]]; then
  if [[ ! -s "$CDS" || "$CDS" -ot "$JAR" ]]; then
    rm -f "$CDS"
    echo "# loopkit-peer: creating the CDS archive $CDS (training run, in-process upstream)" >&2
    java "${OPTS[@]}" -XX:ArchiveClassesAtExit="$CDS" -cp "$JAR" dev.loopkit.bench.fetch.FetchPeerTraining >&2 \
      || { echo "# loopkit-peer: training failed; running without an archive" >&2; rm -f "$CDS"; }
  fi
  [[ -s "$CDS" ]] && OPTS+=(-XX:SharedArchiveFile="$CDS")
fi
exec java "${OPTS[@]}" -cp "$JAR" dev.loopkit.bench.fetch.FetchPeer "$@"
