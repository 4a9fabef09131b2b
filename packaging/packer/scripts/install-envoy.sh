#!/bin/sh
# Installs the vpsie-lb-envoy .deb uploaded by packer (scripts/build-envoy-deb.mjs, from packaging/envoy.json) and
# proves that /usr/bin/envoy in the image is the pinned binary: its SHA-256 and the version it prints. Nothing is
# downloaded. Env: ENVOY_VERSION, ENVOY_SHA256 (the pin's binary_sha256 for this architecture).
# IMAGE_ROOT (tests only): the directory a stand-in apt-get unpacked the package into; empty in the image.
set -eu
root=${IMAGE_ROOT:-}
deb=${ENVOY_DEB:-/tmp/vpsie-lb-envoy.deb} # ENVOY_DEB: tests only
export DEBIAN_FRONTEND=noninteractive

# A local .deb: apt checks its Depends (libc6) against what the base image has.
apt-get install -y -qq --no-install-recommends "$deb"
rm -f "$deb"

echo "$ENVOY_SHA256  $root/usr/bin/envoy" | sha256sum --check --strict || {
  echo "install-envoy: /usr/bin/envoy is not the pinned Envoy $ENVOY_VERSION (SHA-256 $ENVOY_SHA256, packaging/envoy.json)" >&2
  exit 1
}
version=$("$root/usr/bin/envoy" --version) || { echo "install-envoy: /usr/bin/envoy --version failed" >&2; exit 1; }
case "$version" in
  *"/$ENVOY_VERSION/"*) echo "$version" ;;
  *) echo "install-envoy: /usr/bin/envoy --version says '$version', not $ENVOY_VERSION" >&2; exit 1 ;;
esac
