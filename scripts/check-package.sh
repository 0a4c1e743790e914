#!/usr/bin/env bash
# Checks the Debian package the way a packager and an operator meet it.
#
#   scripts/check-package.sh [--lint-only] [PRESET]     (PRESET: a configured and built preset,
#                                                        default "test")
#
# 1. Builds the .deb from the preset's build tree (cmake --build --target package_deb) and runs
#    lintian on it: any error or warning fails.
# 2. Unless --lint-only: installs it on this machine, upgrades to a second package (same
#    binaries, a higher version, a changed example config) and purges it, every step through
#    apt/dpkg with standard input closed and no --force-conf* option, so a conffile prompt fails
#    the check. After each step it checks what should hold: the system user and its home, the
#    generated admin token, `dpkg --verify` clean (the conffile is never edited), the config
#    passing `smppgw config check` as the service user, the new conffile installed by the
#    upgrade with the token kept, and nothing of /etc/smppgw left after the purge (the store in
#    /var/lib/smppgw is kept on purge, by design).
#
# Step 2 installs into the system (root only, refuses when smppgw is already installed) and
# leaves the machine as it found it: it removes the user and the store directory it created.
# scripts/test-all.sh runs step 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

lint_only=0
if [ "${1:-}" = "--lint-only" ]; then
  lint_only=1
  shift
fi
preset="${1:-test}"
build="build/$preset"

fail() {
  echo "check-package: FAIL: $*" >&2
  exit 1
}
step() {
  echo "== check-package: $*"
}

command -v lintian >/dev/null || fail "lintian is not installed (scripts/install-deps.sh)"
[ -d "$build" ] || fail "no build tree $build (cmake --preset $preset && cmake --build --preset $preset)"

step "building the .deb ($preset)"
rm -f "$build"/smppgw_*.deb
cmake --build --preset "$preset" --target package_deb >/dev/null
deb=$(ls "$build"/smppgw_*.deb)

step "lintian $deb"
# Root is fine for reading a .deb; lintian only warns about it on stderr.
lintian --fail-on error,warning --tag-display-limit 0 "$deb" 2> >(grep -v "root privileges" >&2)

if [ "$lint_only" -eq 1 ]; then
  echo "check-package: lintian clean"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || fail "the install check needs root (it installs into the system)"
if dpkg-query -W -f='${Status}' smppgw 2>/dev/null | grep -q "installed"; then
  fail "smppgw is already installed here; the check will not touch an existing installation"
fi
user_existed=0
getent passwd smppgw >/dev/null && user_existed=1
store_existed=0
[ -e /var/lib/smppgw ] && store_existed=1

work=$(mktemp -d)
cleanup() {
  dpkg --purge smppgw </dev/null >/dev/null 2>&1 || true
  if [ "$user_existed" -eq 0 ] && getent passwd smppgw >/dev/null; then
    deluser --system --quiet smppgw >/dev/null 2>&1 || true
    delgroup --system --quiet smppgw >/dev/null 2>&1 || true
  fi
  if [ "$store_existed" -eq 0 ]; then
    rm -rf /var/lib/smppgw
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step "making the upgrade package (higher version, changed example config)"
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -R "$deb" "$work/pkg"
sed -i "s/^Version: .*/Version: ${version}+upgradecheck1/" "$work/pkg/DEBIAN/control"
echo "# This line is new in the upgrade package (scripts/check-package.sh)." \
  >>"$work/pkg/etc/smppgw/smppgw.toml"
(cd "$work/pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | sort |
  xargs md5sum >DEBIAN/md5sums)
dpkg-deb --root-owner-group -b "$work/pkg" "$work/smppgw_upgrade.deb" >/dev/null
lintian --fail-on error,warning "$work/smppgw_upgrade.deb" 2> >(grep -v "root privileges" >&2)

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" </dev/null \
    >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install $1"; }
}
verify_clean() {
  local out
  out=$(dpkg --verify smppgw 2>&1 || true)
  [ -z "$out" ] || fail "dpkg --verify smppgw reports changes: $out"
}
config_check_as_service() {
  runuser -u smppgw -- smppgw config check /etc/smppgw/smppgw.toml >"$work/check.log" 2>&1 ||
    { cat "$work/check.log"; fail "smppgw config check as the smppgw user"; }
}

step "install"
apt_install "$(realpath "$deb")"
getent passwd smppgw >/dev/null || fail "no smppgw user"
[ "$(getent passwd smppgw | cut -d: -f6)" = /var/lib/smppgw ] || fail "smppgw's home"
[ "$(stat -c %U /var/lib/smppgw)" = smppgw ] || fail "/var/lib/smppgw is not owned by smppgw"
[ "$(stat -c '%a %U %G' /etc/smppgw/admin-token)" = "640 root smppgw" ] ||
  fail "admin-token mode/owner: $(stat -c '%a %U %G' /etc/smppgw/admin-token)"
[ "$(head -c 48 /etc/smppgw/admin-token | tr -d '0-9a-f' | wc -c)" -eq 0 ] ||
  fail "admin-token is not 48 hex digits"
[ "$(stat -c '%a %U %G' /etc/smppgw/smppgw.toml)" = "640 root smppgw" ] ||
  fail "smppgw.toml mode/owner: $(stat -c '%a %U %G' /etc/smppgw/smppgw.toml)"
! grep -q demo /etc/smppgw/smppgw.toml || fail "the packaged config mentions the demo"
verify_clean
config_check_as_service
man -w smppgw smsc-sim smppgw-bench >/dev/null || fail "man pages"
zcat /usr/share/doc/smppgw/changelog.gz | head -1 | grep -q "^smppgw (" || fail "changelog"
token=$(cat /etc/smppgw/admin-token)

step "upgrade to $version+upgradecheck1"
apt_install "$work/smppgw_upgrade.deb"
[ "$(dpkg-query -W -f='${Version}' smppgw)" = "${version}+upgradecheck1" ] || fail "version"
grep -q "new in the upgrade package" /etc/smppgw/smppgw.toml ||
  fail "the upgrade did not install the new (unmodified) conffile"
[ "$(cat /etc/smppgw/admin-token)" = "$token" ] || fail "the upgrade changed the admin token"
[ "$(stat -c '%a %G' /etc/smppgw/smppgw.toml)" = "640 smppgw" ] || fail "config mode after upgrade"
verify_clean
config_check_as_service

step "purge"
DEBIAN_FRONTEND=noninteractive dpkg --purge smppgw </dev/null >"$work/purge.log" 2>&1 ||
  { cat "$work/purge.log"; fail "dpkg --purge"; }
[ ! -e /etc/smppgw ] || fail "/etc/smppgw is left after purge: $(ls -la /etc/smppgw)"
! dpkg-statoverride --list /etc/smppgw/smppgw.toml >/dev/null || fail "stat override left"
[ ! -e /usr/bin/smppgw ] || fail "/usr/bin/smppgw left"

echo "check-package: lintian clean; install, upgrade with a changed config and purge without a prompt"
