#!/usr/bin/env bash
# Installs everything smppgw needs to build, test and run, from Debian 12 packages only, plus
# the npm packages the interoperability and admin API tests use. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libboost1.81-all-dev libboost-json1.81-dev librocksdb-dev libfmt-dev prometheus-cpp-dev catch2
  libtomlplusplus-dev libhowardhinnant-date-dev libicu-dev libssl-dev libsystemd-dev libcrypt-dev
  libjemalloc-dev
  libnats-dev nats-server haproxy
  tzdata openssl curl python3 procps
  lintian
)

# Node.js and npm drive the interoperability tests. Some machines carry a Node.js build that
# bundles npm (NodeSource); Debian's separate npm package conflicts with it, so only ask apt for
# what is really missing.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Interoperability tests use an independent SMPP implementation (npm `smpp`), pinned by the
# lockfile in tests/interop; the admin API tests use `redocly lint` and a JSON Schema validator
# (npm @redocly/cli, ajv), pinned by the lockfile in tests/openapi.
for dir in tests/interop tests/openapi; do
  if [ -f "$dir/package.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
