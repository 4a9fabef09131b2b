# Pinned Envoy release for the image. Update all three together.
#
# The digests are the SHA-256 of the official release assets
#   https://github.com/envoyproxy/envoy/releases/download/v<version>/envoy-<version>-linux-x86_64
#   https://github.com/envoyproxy/envoy/releases/download/v<version>/envoy-<version>-linux-aarch_64
# as recorded (SRI form, converted to hex) by the nixpkgs envoy-bin package for v1.39.0; this build environment
# cannot download the assets to recompute them. scripts/install-envoy.sh verifies the download against them and
# refuses an all-zero placeholder.
envoy_version      = "1.39.0"
envoy_sha256_amd64 = "4409dadc87931d8f8676314cbd83071cb65125fb4feac3f6335800580dfa9218"
envoy_sha256_arm64 = "ee53a4f5375566f15944dc9cb03afb1fc228df38f61737c677f139213215afcf"
