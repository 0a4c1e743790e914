#!/usr/bin/env bash
# Sanitizer runs, the nightly-style companion of scripts/test-all.sh:
#   * every test under AddressSanitizer + UndefinedBehaviorSanitizer (preset asan-ubsan), the
#     daemon that integration tests start included;
#   * the concurrency-heavy suites under ThreadSanitizer (preset tsan): SMPP sessions, the store's
#     group commit, the gateway and the integration tests against a TSan-built daemon.
# Any sanitizer report fails the test that produced it (halt_on_error / exitcode).
#
#   scripts/sanitize.sh            # both
#   scripts/sanitize.sh asan       # only ASan+UBSan
#   scripts/sanitize.sh tsan       # only TSan (CI runs the same suites, scripts/test-all.sh)
#
# About 40 minutes of builds and 10 of tests on 2 cores; CI runs test-all.sh, not this.
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# TSAN_OPTIONS come from the tsan test preset (CMakePresets.json): halt on the first report,
# with tests/tsan.supp, which ignores what happens inside the uninstrumented Debian libraries
# (RocksDB, zstd) and says why.

if [ "$which" = all ] || [ "$which" = asan ]; then
  cmake --preset asan-ubsan
  cmake --build --preset asan-ubsan
  ctest --preset asan-ubsan
fi

if [ "$which" = all ] || [ "$which" = tsan ]; then
  cmake --preset tsan
  cmake --build --preset tsan
  ctest --preset tsan -R '^(smpp_tests|store_tests|gateway_tests|integration_tests|security_tests|drill_tests):'
fi
