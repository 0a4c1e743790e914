#!/usr/bin/env bash
# Installs the dependencies, builds smppgw, and runs it on its embedded default: RocksDB in
# ./var/smppgw, the carrier simulator (smsc-sim) on 127.0.0.1:2776 as the carrier, the demo
# account (system_id "demo", password "demo1234") on 127.0.0.1:2775, the admin API and
# /metrics on 127.0.0.1:8775. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target smppgw smsc-sim smppgw-bench

build/release/bench/smsc-sim --host 127.0.0.1 --port 2776 --stats-interval 60s &
sim=$!
trap 'kill "$sim" 2>/dev/null || true' EXIT

cat <<'TXT'

smppgw is starting. In another terminal, bind and send (any SMPP client works):
  build/release/bench/smppgw-bench --port 2775 --system-id demo --password demo1234 --count 1000
  build/release/gateway/smppgw pdu decode 0000001000000015000000000000002a
  curl -s localhost:8775/metrics | grep smppgw_messages_total
TXT
build/release/gateway/smppgw --config etc/smppgw.toml
