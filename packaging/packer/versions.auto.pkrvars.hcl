# Pinned Envoy release for the image. Update all three together.
#
# PLACEHOLDER CHECKSUMS: the all-zero values below are NOT the published digests (they could not be fetched from
# this build environment). Replace them with the SHA-256 of the release assets
#   https://github.com/envoyproxy/envoy/releases/download/v<version>/envoy-<version>-linux-x86_64
#   https://github.com/envoyproxy/envoy/releases/download/v<version>/envoy-<version>-linux-aarch_64
# (from the release's signed checksums). scripts/install-envoy.sh refuses the all-zero placeholder, so an image
# cannot be built until they are filled in; test/integration/packaging/packer.test.ts reports them.
envoy_version      = "1.34.1"
envoy_sha256_amd64 = "0000000000000000000000000000000000000000000000000000000000000000"
envoy_sha256_arm64 = "0000000000000000000000000000000000000000000000000000000000000000"
