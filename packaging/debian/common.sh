# Shared by the maintainer scripts: build-deb.mjs pastes it where they say so. POSIX sh.
# DPKG_ROOT is set by `dpkg --root=DIR --force-script-chrootless`: every path is then under it, the host's
# NSS (getent) and systemd are not the target's, so users come from $ROOT/etc/{passwd,group} and no
# service is touched.
PKG=vpsie-lb-agent
ROOT="${DPKG_ROOT:-}"
UNITS="vpsie-lb-envoy.service vpsie-lb-agent.service"

note() { echo "$PKG: $*" >&2; }

# systemd is PID 1 of the target system (not a chroot, image build without boot, container, or --root).
systemd_running() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }

# Field 3 (the id) of entry $2 in $ROOT/etc/$1 (passwd|group), or getent on the live system.
entry_id() {
  if [ -z "$ROOT" ]; then
    getent "$1" "$2" | cut -d: -f3
  elif [ -r "$ROOT/etc/$1" ]; then
    awk -F: -v n="$2" '$1 == n { print $3; exit }' "$ROOT/etc/$1"
  fi
}
