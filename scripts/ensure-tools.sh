#!/bin/sh
# Installs the Debian tools the packaging build and tests need, only when missing.
# Usage: scripts/ensure-tools.sh [deb|packer|qemu-user|promtool|all]...   (default: deb)
# Exit status: 0 when every requested tool is present afterwards, 1 otherwise.
# Only Debian's apt repositories are used (CI runs on a fresh Debian 12 clone).
set -u

want=${*:-deb}
missing_pkgs=""

need() { # need <command> <debian-package>
  command -v "$1" >/dev/null 2>&1 || missing_pkgs="$missing_pkgs $2"
}
need_file() { # need_file <path> <debian-package>
  [ -e "$1" ] || missing_pkgs="$missing_pkgs $2"
}
# The arm64 executable's loader and libraries for qemu-aarch64-static -L /usr/aarch64-linux-gnu (plain amd64
# packages: no multiarch setup on the host).
need_arm64_libs() {
  need_file /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 libc6-arm64-cross
  need_file /usr/aarch64-linux-gnu/lib/libstdc++.so.6 libstdc++6-arm64-cross
  need_file /usr/aarch64-linux-gnu/lib/libgcc_s.so.1 libgcc-s1-arm64-cross
}

check_missing() {
  missing_pkgs=""
  for group in $want; do
    case "$group" in
      deb) need dpkg-deb dpkg; need fakeroot fakeroot; need systemd-analyze systemd ;;
      packer) need packer packer ;;
      # promtool check/test rules for the shipped alert rules (Debian's prometheus package carries it).
      promtool) need promtool prometheus ;;
      # Runs the arm64 executable on an amd64 host (no binfmt needed: qemu-aarch64-static ./bin).
      qemu-user) need qemu-aarch64-static qemu-user-static; need_arm64_libs ;;
      all) need dpkg-deb dpkg; need fakeroot fakeroot; need systemd-analyze systemd
           need packer packer; need promtool prometheus; need qemu-aarch64-static qemu-user-static; need_arm64_libs ;;
      *) echo "ensure-tools: unknown group '$group'" >&2; exit 2 ;;
    esac
  done
}

check_missing
[ -z "$missing_pkgs" ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tools: missing$missing_pkgs and cannot apt-get install (need root on Debian)" >&2
  exit 1
fi

# Tests run in parallel and may ask for tools at once: one install at a time (dpkg's own lock would make the
# second apt-get fail at once), and what the first one installed is not installed again.
lock=/var/lock/vpsie-lb-ensure-tools.lock
if command -v flock >/dev/null 2>&1; then
  exec 9>"$lock"
  flock -w 900 9 || { echo "ensure-tools: waited 900 s for $lock" >&2; exit 1; }
  check_missing
  [ -z "$missing_pkgs" ] && exit 0
fi

# One update per machine boot is enough; the stamp keeps repeated test runs fast.
stamp=/var/lib/apt/periodic/vpsie-lb-ensure-tools.stamp
if [ ! -e "$stamp" ] || [ -n "$(find /var/lib/apt/lists -maxdepth 0 -mmin +720 2>/dev/null)" ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 || echo "ensure-tools: apt-get update failed; trying with cached lists" >&2
  mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
echo "ensure-tools: apt-get install -y$missing_pkgs" >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing_pkgs >&2 || {
  echo "ensure-tools: apt-get install failed for$missing_pkgs" >&2
  exit 1
}
exit 0
