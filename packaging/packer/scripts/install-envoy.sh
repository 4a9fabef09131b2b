#!/bin/sh
# Installs the official Envoy release binary as /usr/bin/envoy, verified against the pinned SHA-256.
# Env: ENVOY_VERSION, ENVOY_ASSET (envoy-<v>-linux-x86_64 | envoy-<v>-linux-aarch_64), ENVOY_SHA256.
set -eu

case "$ENVOY_SHA256" in
  0000000000000000000000000000000000000000000000000000000000000000)
    echo "install-envoy: envoy_sha256_* is still the all-zero placeholder in versions.auto.pkrvars.hcl;" >&2
    echo "install-envoy: fill in the published SHA-256 of $ENVOY_ASSET before building an image" >&2
    exit 1 ;;
esac

export DEBIAN_FRONTEND=noninteractive
command -v curl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends curl ca-certificates; }

url="https://github.com/envoyproxy/envoy/releases/download/v${ENVOY_VERSION}/${ENVOY_ASSET}"
tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
curl --fail --silent --show-error --location --proto '=https' --tlsv1.2 --retry 3 -o "$tmp" "$url"
echo "$ENVOY_SHA256  $tmp" | sha256sum --check --strict --quiet || {
  echo "install-envoy: checksum mismatch for $url" >&2
  exit 1
}
install -o root -g root -m 0755 "$tmp" /usr/bin/envoy
/usr/bin/envoy --version
