#!/usr/bin/env bash
# RTT sweep: the same e2e scenario with the simulator acknowledging after 0, 20 ms and 100 ms.
# With fixed windows a bind carries at most window / RTT submits per second (Little's law), so
# this shows where a deployment is bound by carrier latency rather than by CPU, and whether the
# gateway keeps its windows full when the carrier is slow.
#
#   bench/rtt_sweep.sh --baseline-only --duration 20s --results bench/results/rtt.csv
#   bench/rtt_sweep.sh --latencies "0 5ms 50ms" --binds 8 --window 128
#
# Every option except --latencies goes to bench/e2e.sh unchanged (see bench/e2e.sh --help).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
latencies="0 20ms 100ms"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --latencies) latencies=${2:?}; shift 2 ;;
    --ack-latency) echo "rtt_sweep.sh: error: the sweep sets --ack-latency; use --latencies" >&2; exit 2 ;;
    -h|--help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done

for latency in $latencies; do
  "$here/e2e.sh" --ack-latency "$latency" "${args[@]}"
done
