#!/usr/bin/env bash
# End-to-end scenario on loopback: smsc-sim (the carrier) <- [smppgw] <- smppgw-bench.
#
# Every run measures a baseline first — the generator straight to a fresh simulator, same binds,
# windows and message mix — and then the same load through the gateway, so the gateway's cost is
# a ratio measured minutes apart on the same (noisy, shared) machine. Each scenario appends one
# row to the results file: throughput, latency percentiles, errors, CPU seconds and peak RSS per
# process per million submits, and the load average while it ran.
#
#   bench/e2e.sh --baseline-only --duration 20s                   # what works today
#   bench/e2e.sh --binds 8 --window 128 --receipts on --results bench-results.csv
#   bench/e2e.sh --ack-latency 20ms --label rtt-20ms --format md --results e2e.md
#   bench/e2e.sh --nodes 3 --binds 6                              # a 3-node cluster (NATS)
#
# With --nodes N > 1 the gateway scenario runs N smppgw nodes as one cluster over three local
# nats-servers (JetStream, replicas 3), one generator per node with binds/N binds each, and
# reports the nodes' CPU together (and each node's, and the nats-servers', on stderr).
#
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

usage() {
  cat <<'EOF'
usage: bench/e2e.sh [options]

Scenario (passed to both the baseline and the gateway run):
  --binds N            binds (default 4)
  --bind-type T        tx | trx | txrx (default trx)
  --window N           outstanding submit_sm per bind (default 64)
  --rate R             target submit_sm/s, 0 = as fast as windows allow (default 0)
  --duration D         send phase per scenario (default 20s)
  --count N            submit_sm per scenario instead of a duration
  --receipts on|off    registered_delivery and receipt waiting (default on)
  --ack-latency SPEC   simulator submit_sm_resp latency (default 0; see smsc-sim --help)
  --receipt-delay SPEC simulator receipt delay (default 100ms)
  --threads N          I/O threads for each tool (default 1)
  --nodes N            smppgw nodes in the gateway scenario (default 1; >1: a cluster over
                       three local nats-servers; --binds is split between the nodes)
  --rx-sink N          (--nodes > 1) bind one receiver-only client (bench/rx_sink.js, npm
                       smpp) to node N before the load: with --bind-type tx the other nodes'
                       receipts reach it through the cluster's outbox stream
  --sim-args "..."     extra smsc-sim options (fault injection, outcomes, MO...)
  --gen-args "..."     extra smppgw-bench options (message mix...)

Run:
  --baseline-only      skip the gateway scenario
  --label TEXT         carried into the results row (default: the scenario in short)
  --results FILE       append rows here (default bench/results/e2e.csv)
  --format csv|md      results file format (default from the file name: .md -> md, else csv)
  --build-dir DIR      where smsc-sim and smppgw-bench are (default build/release, then
                       build/h-bench; env SMPPGW_BUILD_DIR)
  --keep               keep the work directory (logs, JSON, SVG charts)
  -h, --help           this text
EOF
}

die() { echo "e2e.sh: error: $*" >&2; exit 2; }

binds=4
bind_type=trx
window=64
rate=0
duration=20s
count=
receipts=on
ack_latency=0
receipt_delay=100ms
threads=1
nodes=1
rx_sink=
sim_args=
gen_args=
baseline_only=0
label=
results=
format=
build_dir=${SMPPGW_BUILD_DIR:-}
keep=0

while [ $# -gt 0 ]; do
  case "$1" in
    --binds) binds=${2:?}; shift 2 ;;
    --bind-type) bind_type=${2:?}; shift 2 ;;
    --window) window=${2:?}; shift 2 ;;
    --rate) rate=${2:?}; shift 2 ;;
    --duration) duration=${2:?}; shift 2 ;;
    --count) count=${2:?}; shift 2 ;;
    --receipts) receipts=${2:?}; shift 2 ;;
    --ack-latency) ack_latency=${2:?}; shift 2 ;;
    --receipt-delay) receipt_delay=${2:?}; shift 2 ;;
    --threads) threads=${2:?}; shift 2 ;;
    --nodes) nodes=${2:?}; shift 2 ;;
    --rx-sink) rx_sink=${2:?}; shift 2 ;;
    --sim-args) sim_args=${2?}; shift 2 ;;
    --gen-args) gen_args=${2?}; shift 2 ;;
    --baseline-only) baseline_only=1; shift ;;
    --label) label=${2?}; shift 2 ;;
    --results) results=${2:?}; shift 2 ;;
    --format) format=${2:?}; shift 2 ;;
    --build-dir) build_dir=${2:?}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done

case "$receipts" in on|off) ;; *) die "--receipts must be on or off" ;; esac
case "$bind_type" in tx|trx|txrx) ;; *) die "--bind-type must be tx, trx or txrx" ;; esac
case "$nodes" in ''|*[!0-9]*|0) die "--nodes must be a positive number" ;; esac
if [ "$nodes" -gt 1 ]; then
  [ $(( binds % nodes )) = 0 ] || die "--binds ($binds) must be a multiple of --nodes ($nodes)"
  PATH="$PATH:/usr/sbin:/sbin"
  command -v nats-server >/dev/null || die "--nodes > 1 needs nats-server (scripts/install-deps.sh)"
fi
[ -n "$results" ] || results="$root/bench/results/e2e.csv"
if [ -z "$format" ]; then
  case "$results" in *.md) format=md ;; *) format=csv ;; esac
fi
case "$format" in csv|md) ;; *) die "--format must be csv or md" ;; esac

if [ -z "$build_dir" ]; then
  for d in "$root/build/release" "$root/build/h-bench"; do
    if [ -x "$d/bench/smsc-sim" ] && [ -x "$d/bench/smppgw-bench" ]; then build_dir=$d; break; fi
  done
fi
sim_bin="${build_dir:-$root/build/release}/bench/smsc-sim"
gen_bin="${build_dir:-$root/build/release}/bench/smppgw-bench"
if [ ! -x "$sim_bin" ] || [ ! -x "$gen_bin" ]; then
  die "smsc-sim/smppgw-bench not built in '${build_dir:-build/release}' (cmake --preset release && cmake --build --preset release --target smsc-sim smppgw-bench)"
fi
command -v python3 >/dev/null || die "python3 is needed to read the generator's JSON report"

work=$(mktemp -d "${TMPDIR:-/tmp}/smppgw-e2e.XXXXXX")
sim_pid=
GW_PID=
GW_PORT=
GW_ADMIN=
gw_pids=()
nats_pids=()
cleanup() {
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; fi
  if [ -n "$GW_PID" ]; then kill "$GW_PID" 2>/dev/null || true; fi
  for p in "${gw_pids[@]}" "${nats_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$keep" = 1 ]; then echo "e2e.sh: logs and reports kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

clk_tck=$(getconf CLK_TCK)

# CPU seconds (user + system) and peak RSS (KiB) of a live process, from /proc.
proc_cpu_seconds() {
  awk -v t="$clk_tck" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / t }' "/proc/$1/stat"
}
proc_peak_rss_kib() {
  awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# ---- the carrier

start_sim() {
  local name=$1
  rm -f "$work/$name.sim.port"
  # shellcheck disable=SC2086  # sim_args is a list of options on purpose
  "$sim_bin" --port 0 --port-file "$work/$name.sim.port" --threads "$threads" \
    --ack-latency "$ack_latency" --receipt-delay "$receipt_delay" $sim_args \
    >"$work/$name.sim.log" 2>&1 &
  sim_pid=$!
  for _ in $(seq 100); do
    [ -s "$work/$name.sim.port" ] && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/$name.sim.log" >&2; die "smsc-sim did not start"; }
    sleep 0.1
  done
  [ -s "$work/$name.sim.port" ] || die "smsc-sim did not report its port"
  sim_port=$(cat "$work/$name.sim.port")
}

stop_sim() {
  sim_cpu=$(proc_cpu_seconds "$sim_pid")
  sim_rss=$(proc_peak_rss_kib "$sim_pid")
  kill -TERM "$sim_pid"
  wait "$sim_pid" || true
  sim_pid=
}

# ---- the gateway (for the lead to complete)

# start_gateway CARRIER_PORT
#
# Starts smppgw in the background with a carrier pointing at 127.0.0.1:CARRIER_PORT (the
# simulator) and waits until it accepts SMPP binds. On success it sets, in this shell:
#   GW_PID   the daemon's pid (for CPU/RSS from /proc and for stop_gateway)
#   GW_PORT  its northbound SMPP port (the generator connects there)
# and returns 0; it returns non-zero when the gateway cannot run (the row is then skipped).
#
# What the gateway's config must contain for the generator's defaults:
#   - an account with system_id "bench", password "bench", allowed to bind as TX, RX and TRX
#     (generator --system-id/--password change that), with a window at least --window;
#   - one carrier at 127.0.0.1:CARRIER_PORT with system_id/password the simulator accepts (any,
#     by default), enough binds and window not to be the bottleneck you are not measuring;
#   - a policy that lets the default traffic through: transactional (service_type TXN) to US
#     numbers in 24 area codes across all time zones. Promotional (MKT), opt-out and quiet-hours
#     scenarios come from --gen-args (--promo-share, --optout-share; seed opt-outs with
#     `smppgw-bench --export-optouts FILE`);
#   - a store in a fresh directory under "$work" (e.g. "$work/gw-store"), sync mode as measured.
# Write its log to "$work/gateway.log". Use port 0 or a free port and read the actual port back
# (log line, admin API or a port file) rather than guessing.
#
# start_gateway CARRIER_PORT NODE (NODE 1..N, --nodes > 1) starts node NODE of the cluster: its
# own directory, log ($work/gatewayNODE.log), node_id and carrier system_id ("smppgw-NODE", so
# that the simulator sends each node the receipts of its own messages; GW_SHARED_CARRIER_ID=1
# gives every node the same one, so that the simulator spreads each node's receipts over all
# nodes' binds and the cluster forwards them). GW_CLUSTER_TOML: more keys for [cluster], e.g.
# "receipt_routes = false".
start_gateway() {
  local carrier_port=$1 node=${2:-}
  local gw_bin="${SMPPGW_BIN:-${build_dir}/gateway/smppgw}"
  if [ ! -x "$gw_bin" ]; then
    echo "e2e.sh: gateway binary '$gw_bin' not found: gateway scenario skipped" >&2
    return 1
  fi
  local dir="$work/gw$node" log="$work/gateway$node.log"
  mkdir -p "$dir"
  ln -sfn "$root/etc/data" "$dir/data"  # policy data beside the config, as in etc/
  local hash
  hash=$("$gw_bin" hash-password bench)
  # Carrier capacity at least the generator's, so the carrier hop is not what is measured.
  local sessions=$(( binds < 2 ? 2 : (binds > 8 ? 8 : binds) ))
  local carrier_window=$(( (binds * window + sessions - 1) / sessions * 2 ))
  [ "$carrier_window" -le 4096 ] || carrier_window=4096
  {
    echo '[server]'
    echo "threads = ${GW_THREADS:-2}"
    [ -z "$node" ] || echo "node_id = $node"
    echo '[[listeners]]'
    echo 'address = "127.0.0.1:0"'
    echo '[[accounts]]'
    echo 'system_id = "bench"'
    echo "password_hash = \"$hash\""
    echo 'brand = "bench"'
    echo "max_binds = $(( binds * 2 + 2 ))"
    echo "max_outstanding = $(( window * 2 ))"
    echo "deliver_window = $(( window * 2 ))"
    echo '[[carriers]]'
    echo 'name = "sim"'
    echo "address = \"127.0.0.1:$carrier_port\""
    if [ "${GW_SHARED_CARRIER_ID:-0}" = 1 ]; then
      echo 'system_id = "smppgw"'
    else
      echo "system_id = \"smppgw${node:+-$node}\""
    fi
    echo "sessions = $sessions"
    echo "window = $carrier_window"
    echo '[[routes]]'
    echo 'carriers = ["sim"]'
    echo '[store]'
    echo 'path = "gw-store"'
    echo "sync = \"${GW_SYNC:-batch}\""
    echo '[policy.consent]'
    echo 'transactional_requires_consent = false'
    echo '[admin]'
    echo 'address = "127.0.0.1:0"'
    echo 'token = "e2e-bench-admin-token"'
    echo '[log]'
    echo 'level = "info"'
    # GW_EXTRA_TOML: more tables, e.g. "[policy.frequency]\ntransactional = true" so that the
    # default traffic counts toward frequency caps (shared between the nodes of a cluster).
    [ -z "${GW_EXTRA_TOML:-}" ] || printf '%b\n' "$GW_EXTRA_TOML"
    if [ -n "$node" ]; then
      echo '[cluster]'
      echo "node = \"gw-$node\""
      echo "servers = [$NATS_URLS]"
      echo 'replicas = 3'
      [ -z "${GW_CLUSTER_TOML:-}" ] || printf '%b\n' "$GW_CLUSTER_TOML"
    fi
  } > "$dir/smppgw.toml"
  "$gw_bin" --config "$dir/smppgw.toml" > "$log" 2>&1 &
  GW_PID=$!
  # Ready when it listens and a carrier bind is up (/readyz); port 0 is resolved in the log.
  local i port admin
  for i in $(seq 1 400); do
    if ! kill -0 "$GW_PID" 2>/dev/null; then
      echo "e2e.sh: gateway exited at startup:" >&2
      cat "$log" >&2
      GW_PID=
      return 1
    fi
    port=$(sed -n 's/.*listening for SMPP on [0-9.]*:\([0-9]*\).*/\1/p' "$log" | head -n 1)
    admin=$(sed -n 's/.*metrics on http:\/\/[0-9.]*:\([0-9]*\).*/\1/p' "$log" | head -n 1)
    if [ -n "$port" ] && [ -n "$admin" ] && curl -sf "http://127.0.0.1:$admin/readyz" >/dev/null; then
      GW_PORT=$port
      GW_ADMIN=$admin
      return 0
    fi
    sleep 0.05
  done
  echo "e2e.sh: gateway not ready after 20 s" >&2
  return 1
}

# Prints p50/p99 (histogram bucket upper bounds, ms) of the gateway's store commit and WAL sync
# latency from its /metrics: where a submit's time goes before its ESME_ROK.
store_latency_summary() {
  python3 - "$1" <<'PY'
import re, sys
buckets = {}
for line in open(sys.argv[1]):
    m = re.match(r'(smppgw_store_\w+_latency_seconds)_bucket\{le="([^"]+)"\} (\S+)', line)
    if m:
        buckets.setdefault(m.group(1), []).append((float(m.group(2)), float(m.group(3))))
def quantile(b, q):
    total = b[-1][1]
    for le, n in b:
        if total and n >= q * total:
            return le * 1e3
    return float("nan")
for name in ("smppgw_store_commit_latency_seconds", "smppgw_store_sync_latency_seconds"):
    b = sorted(buckets.get(name, []))
    if b and b[-1][1] > 0:
        print(f"  {name}: p50 <= {quantile(b, 0.5):g} ms, p99 <= {quantile(b, 0.99):g} ms "
              f"({b[-1][1]:.0f} samples)")
PY
}

# CPU seconds per thread name of a process (threads of a pool summed), largest first, with
# shares: where the gateway's time goes, without perf.
thread_cpu_summary() {
  python3 - "$1" <<'PY'
import os, sys
pid, tick = sys.argv[1], os.sysconf("SC_CLK_TCK")
by_name = {}
switches = {}
for tid in os.listdir(f"/proc/{pid}/task"):
    try:
        stat = open(f"/proc/{pid}/task/{tid}/stat").read()
    except OSError:
        continue
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    cpu = (int(fields[11]) + int(fields[12])) / tick
    key = name.rstrip("0123456789:-_ ") or name
    by_name[key] = by_name.get(key, 0.0) + cpu
    # Each switch is a sleep and a wake-up: the cost of handing work between threads.
    try:
        for line in open(f"/proc/{pid}/task/{tid}/status"):
            if "ctxt_switches:" in line:
                switches[key] = switches.get(key, 0) + int(line.split()[-1])
    except OSError:
        pass
total = sum(by_name.values()) or 1.0
print("  gateway CPU by thread: " + ", ".join(
    f"{n} {c:.1f}s ({100 * c / total:.0f}%)" for n, c in sorted(by_name.items(), key=lambda x: -x[1]) if c >= 0.05))
print(f"  gateway context switches: {sum(switches.values()):,} (" + ", ".join(
    f"{n} {k:,}" for n, k in sorted(switches.items(), key=lambda x: -x[1]) if k >= 1000) + ")")
PY
}

# stop_gateway [PID ADMIN_PORT NAME]: the current gateway by default; sets gw_cpu and gw_rss.
stop_gateway() {
  local pid=${1:-$GW_PID} admin=${2:-$GW_ADMIN} name=${3:-gateway}
  thread_cpu_summary "$pid" || true
  gw_cpu=$(proc_cpu_seconds "$pid")
  gw_rss=$(proc_peak_rss_kib "$pid")
  if curl -sf "http://127.0.0.1:$admin/metrics" >"$work/$name-metrics.txt"; then
    store_latency_summary "$work/$name-metrics.txt"
  fi
  kill -TERM "$pid"
  wait "$pid" || true
  [ "$pid" != "$GW_PID" ] || GW_PID=
}

# ---- the cluster (--nodes > 1): three nats-servers with JetStream, clustered on loopback

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Sets NATS_URLS (for [cluster] servers) and nats_pids.
start_nats() {
  local i j client=() route=() monitor=() routes=""
  for i in 1 2 3; do
    client[i]=$(free_port); route[i]=$(free_port); monitor[i]=$(free_port)
  done
  for j in 1 2 3; do routes+="${routes:+, }\"nats-route://127.0.0.1:${route[j]}\""; done
  NATS_URLS=""
  for i in 1 2 3; do
    mkdir -p "$work/nats/js$i"
    {
      echo "server_name: \"n$i\""
      echo "listen: \"127.0.0.1:${client[i]}\""
      echo "http: \"127.0.0.1:${monitor[i]}\""
      echo "jetstream { store_dir: \"$work/nats/js$i\" }"
      echo "cluster { name: \"smppgw_bench\", listen: \"127.0.0.1:${route[i]}\", routes: [$routes] }"
    } >"$work/nats/n$i.conf"
    nats-server -c "$work/nats/n$i.conf" >"$work/nats/n$i.log" 2>&1 &
    nats_pids+=($!)
    NATS_URLS+="${NATS_URLS:+, }\"nats://127.0.0.1:${client[i]}\""
  done
  NATS_MONITOR="127.0.0.1:${monitor[1]}"
  for i in 1 2 3; do
    for _ in $(seq 200); do
      curl -sf "http://127.0.0.1:${monitor[i]}/healthz" >/dev/null && break
      sleep 0.1
    done
    curl -sf "http://127.0.0.1:${monitor[i]}/healthz" >/dev/null || die "nats-server n$i did not come up"
  done
}

# Messages each JetStream stream took so far (its last sequence: a work queue keeps none once
# taken), to read the nats-servers' CPU per stream message, not only per submit.
nats_stream_messages() {
  curl -sf "http://$NATS_MONITOR/jsz?accounts=true&streams=true" | python3 -c '
import json, sys
streams = {}
for account in json.load(sys.stdin).get("account_details") or []:
    for s in account.get("stream_detail") or []:
        streams[s["name"]] = s["state"]["last_seq"]
print(", ".join(f"{n} {v}" for n, v in sorted(streams.items())) or "none")' || echo "unknown"
}

# CPU seconds of the nats-servers so far (summed), for the cluster's own share.
nats_cpu_seconds() {
  local p total=0
  for p in "${nats_pids[@]}"; do
    total=$(python3 -c "print($total + $(proc_cpu_seconds "$p"))")
  done
  echo "$total"
}

# The generators' reports of a cluster run as one: counts and rates added up, each latency
# percentile the worst of the nodes', the generators' CPU added up and their largest RSS.
merge_reports() {
  python3 - "$@" <<'PY'
import json, sys
out, paths = sys.argv[1], sys.argv[2:]
rs = [json.load(open(p)) for p in paths]
m = rs[0]
for r in rs[1:]:
    for k in m["counts"]:
        m["counts"][k] += r["counts"][k]
    for k in m["throughput"]:
        m["throughput"][k] += r["throughput"][k]
    for kind in m["latency_ms"]:
        for q in m["latency_ms"][kind]:
            m["latency_ms"][kind][q] = max(m["latency_ms"][kind][q], r["latency_ms"][kind][q])
    m["process"]["cpu_user_s"] += r["process"]["cpu_user_s"]
    m["process"]["cpu_system_s"] += r["process"]["cpu_system_s"]
    m["process"]["max_rss_kib"] = max(m["process"]["max_rss_kib"], r["process"]["max_rss_kib"])
    m["send_seconds"] = max(m["send_seconds"], r["send_seconds"])
    m["loadavg"]["end"] = max(m["loadavg"]["end"], r["loadavg"]["end"])
json.dump(m, open(out, "w"))
PY
}

# ---- the load

# run_gen NAME PORT [BINDS]
run_gen() {
  local name=$1 port=$2 gen_binds=${3:-$binds}
  local limit=(--duration "$duration")
  [ -n "$count" ] && limit=(--count "$count")
  # shellcheck disable=SC2086  # gen_args is a list of options on purpose
  "$gen_bin" --port "$port" --binds "$gen_binds" --bind-type "$bind_type" --window "$window" \
    --threads "$threads" --rate "$rate" "${limit[@]}" --receipts "$receipts" \
    --label "$name" --json "$work/$name.json" --svg "$work/$name.svg" $gen_args \
    >"$work/$name.txt" 2>"$work/$name.progress" || {
      cat "$work/$name.progress" >&2
      die "smppgw-bench failed in scenario '$name'"
    }
  cat "$work/$name.txt"
}

# ---- results

columns="date,commit,label,scenario,load_1m,binds,bind_type,window,threads,rate_target,ack_latency,receipt_delay,receipts,submits,send_s,submits_per_s,receipts_per_s,resp_p50_ms,resp_p99_ms,resp_p999_ms,resp_max_ms,dlr_p50_ms,dlr_p99_ms,dlr_max_ms,errors,receipts_missing,gen_cpu_s_per_M,gen_rss_MiB,sim_cpu_s_per_M,sim_rss_MiB,gw_cpu_s_per_M,gw_rss_MiB,vs_baseline"

# emit_row SCENARIO JSON SIM_CPU SIM_RSS GW_CPU GW_RSS BASELINE_RATE
emit_row() {
  python3 - "$@" <<'PY'
import json, sys, os
scenario, path, sim_cpu, sim_rss, gw_cpu, gw_rss, base_rate = sys.argv[1:8]
e = os.environ
r = json.load(open(path))
c, t, l = r["counts"], r["throughput"], r["latency_ms"]
submits = max(c["submits"], 1)
per_m = lambda cpu: "" if cpu == "" else f"{float(cpu) * 1e6 / submits:.2f}"
mib = lambda kib: "" if kib == "" else f"{int(kib) / 1024:.0f}"
rate = t["submits_per_s"]
ratio = f"{rate / float(base_rate):.3f}" if base_rate not in ("", "0") and float(base_rate) > 0 else ""
missing = max(c["receipts_expected"] - c["receipts_matched"], 0)
row = [
    r["started_at"], e["E2E_COMMIT"], e["E2E_LABEL"], scenario,
    f'{(r["loadavg"]["start"] + r["loadavg"]["end"]) / 2:.2f}',
    e["E2E_BINDS"], e["E2E_BIND_TYPE"], e["E2E_WINDOW"], e["E2E_THREADS"], e["E2E_RATE"],
    e["E2E_ACK"], e["E2E_DELAY"], e["E2E_RECEIPTS"],
    str(c["submits"]), f'{r["send_seconds"]:.2f}', f"{rate:.0f}", f'{t["receipts_per_s"]:.0f}',
    f'{l["submit_resp"]["p50"]:.2f}', f'{l["submit_resp"]["p99"]:.2f}',
    f'{l["submit_resp"]["p99_9"]:.2f}', f'{l["submit_resp"]["max"]:.2f}',
    f'{l["submit_receipt"]["p50"]:.1f}', f'{l["submit_receipt"]["p99"]:.1f}',
    f'{l["submit_receipt"]["max"]:.1f}',
    str(c["errors"]), str(missing),
    per_m(f'{r["process"]["cpu_user_s"] + r["process"]["cpu_system_s"]}'),
    mib(str(r["process"]["max_rss_kib"])),
    per_m(sim_cpu), mib(sim_rss), per_m(gw_cpu), mib(gw_rss), ratio,
]
print("\t".join(row))
PY
}

write_row() {
  local row=$1
  mkdir -p "$(dirname "$results")"
  if [ "$format" = csv ]; then
    [ -s "$results" ] || echo "$columns" >"$results"
    printf '%s\n' "$row" | tr '\t' ',' >>"$results"
  else
    if [ ! -s "$results" ]; then
      echo "| ${columns//,/ | } |" >"$results"
      echo "|$(echo "$columns" | sed 's/[^,]*/---/g; s/,/|/g')|" >>"$results"
    fi
    printf '| %s |\n' "$(printf '%s' "$row" | sed 's/\t/ | /g')" >>"$results"
  fi
}

export E2E_COMMIT
E2E_COMMIT=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
export E2E_LABEL=${label:-"${binds}x${bind_type}/w${window} ack=${ack_latency} dlr=${receipts}"}
export E2E_BINDS=$binds E2E_BIND_TYPE=$bind_type E2E_WINDOW=$window E2E_THREADS=$threads
export E2E_RATE=$rate E2E_ACK=$ack_latency E2E_DELAY=$receipt_delay E2E_RECEIPTS=$receipts

echo "e2e.sh: $E2E_LABEL; load $(cut -d' ' -f1-3 /proc/loadavg); results -> $results" >&2

# 1. Baseline: generator straight to the simulator.
start_sim baseline
run_gen baseline "$sim_port"
stop_sim
baseline_rate=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["throughput"]["submits_per_s"])' "$work/baseline.json")
write_row "$(emit_row baseline "$work/baseline.json" "$sim_cpu" "$sim_rss" "" "" "$baseline_rate")"

# 2. Through the gateway: a cluster of --nodes nodes.
if [ "$baseline_only" = 0 ] && [ "$nodes" -gt 1 ]; then
  start_sim gateway
  start_nats
  ports=() admins=()
  for n in $(seq "$nodes"); do
    start_gateway "$sim_port" "$n" || die "cluster node $n did not start"
    gw_pids+=("$GW_PID"); ports+=("$GW_PORT"); admins+=("$GW_ADMIN")
    GW_PID=
  done
  sink_pid=
  if [ -n "$rx_sink" ]; then
    node "$here/rx_sink.js" "${ports[rx_sink-1]}" >"$work/rx_sink.json" 2>"$work/rx_sink.log" &
    sink_pid=$!
    for _ in $(seq 100); do grep -q bound "$work/rx_sink.log" 2>/dev/null && break; sleep 0.1; done
    grep -q bound "$work/rx_sink.log" || die "rx_sink did not bind: $(cat "$work/rx_sink.log")"
  fi
  nats_before=$(nats_cpu_seconds)
  gen_pids=()
  for n in $(seq "$nodes"); do
    run_gen "gateway-$n" "${ports[n-1]}" $(( binds / nodes )) >/dev/null &
    gen_pids+=($!)
  done
  for p in "${gen_pids[@]}"; do wait "$p"; done
  if [ -n "$sink_pid" ]; then
    sleep 3  # the last receipts' way through the cluster
    sink_cpu=$(proc_cpu_seconds "$sink_pid")
    kill -TERM "$sink_pid"; wait "$sink_pid" || true
    echo "  rx_sink on gw-$rx_sink: $(cat "$work/rx_sink.json") (CPU ${sink_cpu} s)" >&2
  fi
  nats_cpu=$(python3 -c "print($(nats_cpu_seconds) - $nats_before)")
  echo "  JetStream messages per stream: $(nats_stream_messages)" >&2
  reports=()
  for n in $(seq "$nodes"); do reports+=("$work/gateway-$n.json"); done
  merge_reports "$work/gateway.json" "${reports[@]}"
  submits_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["counts"]["submits"])' "$1"; }
  submits=$(submits_of "$work/gateway.json")
  cluster_cpu=0 cluster_rss=0
  for n in $(seq "$nodes"); do
    echo "  node gw-$n:" >&2
    stop_gateway "${gw_pids[n-1]}" "${admins[n-1]}" "gateway-$n" >&2
    node_submits=$(submits_of "$work/gateway-$n.json")
    echo "  node gw-$n: $node_submits submits, $(python3 -c "print(f'{$gw_cpu * 1e6 / max($node_submits, 1):.2f}')") CPU-s per million, peak RSS $(( gw_rss / 1024 )) MiB" >&2
    cluster_cpu=$(python3 -c "print($cluster_cpu + $gw_cpu)")
    [ "$gw_rss" -le "$cluster_rss" ] || cluster_rss=$gw_rss
  done
  gw_pids=()
  echo "  nats-servers (3): $(python3 -c "print(f'{$nats_cpu:.1f} CPU-s, {$nats_cpu * 1e6 / max($submits, 1):.2f} CPU-s per million submits')") during the load" >&2
  stop_sim
  # The row's gateway CPU is the nodes' together (nats-servers apart, above); RSS the largest.
  [ -n "$label" ] || E2E_LABEL="$E2E_LABEL nodes=$nodes"
  write_row "$(emit_row gateway "$work/gateway.json" "$sim_cpu" "$sim_rss" "$cluster_cpu" "$cluster_rss" "$baseline_rate")"
elif [ "$baseline_only" = 0 ]; then
  start_sim gateway
  if start_gateway "$sim_port"; then
    # E2E_PERF=FILE records a CPU profile of the gateway (perf record -g) while the load runs.
    perf_pid=
    if [ -n "${E2E_PERF:-}" ]; then
      perf record -g -F 999 -p "$GW_PID" -o "$E2E_PERF" >/dev/null 2>&1 &
      perf_pid=$!
    fi
    run_gen gateway "$GW_PORT"
    if [ -n "$perf_pid" ]; then
      kill -INT "$perf_pid" 2>/dev/null || true
      wait "$perf_pid" 2>/dev/null || true
    fi
    stop_gateway
    stop_sim
    write_row "$(emit_row gateway "$work/gateway.json" "$sim_cpu" "$sim_rss" "$gw_cpu" "$gw_rss" "$baseline_rate")"
  else
    stop_sim
    echo "e2e.sh: gateway scenario skipped; baseline row written" >&2
  fi
fi
# The disk's own floor in the same run, next to the latencies above: 4 KiB write + fdatasync
# where the gateway's store was (a synced ESME_ROK cannot beat it).
store_bench_bin="${build_dir:-$root/build/release}/bench/store_bench"
if [ "$baseline_only" = 0 ] && [ -x "$store_bench_bin" ]; then
  "$store_bench_bin" --mode disk --syncs 1000 --db "$work/disk-floor" | tail -n 1 || true
fi
echo "e2e.sh: appended to $results" >&2
