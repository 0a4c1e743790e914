#!/usr/bin/env bash
# Builds and runs every test: the Catch2 suites, integration tests and admin API checks through
# ctest, lintian on the .deb, then each libFuzzer target for a bounded time over its checked-in
# corpus, then the SMPP, store, gateway, integration, security and drill suites under
# ThreadSanitizer (scripts/sanitize.sh adds AddressSanitizer runs). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake --workflow --preset test

# The .deb built from the same tree, through lintian (errors and warnings fail). The install,
# upgrade and purge half of scripts/check-package.sh changes the machine, so CI leaves it out.
scripts/check-package.sh --lint-only test

fuzz_seconds="${SMPPGW_FUZZ_SECONDS:-30}"
# Undefined behaviour is a finding like a crash: stop at the first report, with its stack.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
fuzzers=(fuzz_pdu_decoder fuzz_receipt fuzz_keywords fuzz_config fuzz_proxy_header fuzz_cluster_wire)
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target "${fuzzers[@]}"
for fuzzer in "${fuzzers[@]/#/build/fuzz/tests/fuzz/}"; do
  name=$(basename "$fuzzer")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  echo "== $name for ${fuzz_seconds}s (corpus $corpus)"
  "$fuzzer" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$work" "$corpus" 2>&1 | tail -n 12
  rm -rf "$work"
done

# ThreadSanitizer over the suites whose code hands work between threads: the SMPP session, the
# store's group commit, and the gateway, integration, security and drill suites, which run the
# TSan-built daemon (a report in it ends it and fails the test). tests/tsan.supp says what it
# ignores inside Debian's uninstrumented libraries and libstdc++, and why. The cluster suite is
# left out: nats.c comes uninstrumented and hands work between its own threads.
echo "== ThreadSanitizer: smpp, store, gateway, integration, security and drill suites"
cmake --preset tsan >/dev/null
cmake --build --preset tsan --target smpp_tests store_tests gateway_tests integration_tests \
  security_tests drill_tests
# The tmpfs drill runs in the test preset only: under TSan's slowdown its timing (refusal
# within 30 s of the fill, sync = "none") failed 2 of 2 runs on 2026-12-07 while the code path
# it covers passes there; the fault-injected disk-full drill keeps the ENOSPC path under TSan.
ctest --preset tsan -j2 -R '^(smpp_tests|store_tests|gateway_tests|integration_tests|security_tests|drill_tests):' -E 'tmpfs'
