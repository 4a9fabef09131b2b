# Inputs of the image build. (Packer 1.6.6 offers no regex() in validation blocks: lengths are checked here,
# the hex format by sha256sum --check --strict in scripts/install-envoy.sh.) Pinned values live in versions.auto.pkrvars.hcl (loaded automatically when
# building the directory: `packer build packaging/packer`).

variable "envoy_version" {
  type        = string
  description = "Envoy release installed as /usr/bin/envoy (official binary from GitHub releases)."
  validation {
    condition     = length(var.envoy_version) >= 5 && substr(var.envoy_version, 0, 1) != "v"
    error_message = "The envoy_version value must look like 1.34.1 (no leading v)."
  }
}

variable "envoy_sha256_amd64" {
  type        = string
  description = "SHA-256 of envoy-<version>-linux-x86_64 as published with the release."
  validation {
    condition     = length(var.envoy_sha256_amd64) == 64
    error_message = "The envoy_sha256_amd64 value must be 64 hex digits (a SHA-256)."
  }
}

variable "envoy_sha256_arm64" {
  type        = string
  description = "SHA-256 of envoy-<version>-linux-aarch_64 as published with the release."
  validation {
    condition     = length(var.envoy_sha256_arm64) == 64
    error_message = "The envoy_sha256_arm64 value must be 64 hex digits (a SHA-256)."
  }
}

variable "agent_version" {
  type        = string
  description = "Debian version of the vpsie-lb-agent package in dist/ (scripts/build-all.mjs)."
  default     = "0.1.0-1"
}

variable "dist_dir" {
  type        = string
  description = "Where the .deb files are (relative to the directory packer runs in, normally the repo root)."
  default     = "dist"
}

variable "debian_iso_url_amd64" {
  type        = string
  description = "Debian 12 generic cloud image (qcow2) used as the base disk."
  default     = "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2"
}

variable "debian_iso_checksum_amd64" {
  type        = string
  description = "Checksum of the base image: file:<SHA512SUMS url> or sha512:<hex>."
  default     = "file:https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS"
}

variable "debian_iso_url_arm64" {
  type        = string
  description = "Debian 12 generic cloud image (qcow2) for arm64."
  default     = "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-arm64.qcow2"
}

variable "debian_iso_checksum_arm64" {
  type    = string
  default = "file:https://cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS"
}

variable "arm64_firmware" {
  type        = string
  description = "UEFI firmware for qemu-system-aarch64 (Debian package qemu-efi-aarch64)."
  default     = "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
}

variable "accelerator" {
  type        = string
  description = "kvm on a native host; tcg to emulate (the arm64 build on an amd64 host)."
  default     = "kvm"
}

variable "arm64_accelerator" {
  type    = string
  default = "tcg"
}

variable "disk_size" {
  type    = string
  default = "4G"
}

variable "output_dir" {
  type    = string
  default = "dist/images"
}

variable "ssh_password" {
  type        = string
  description = "Build-time only password of the temporary build user (set via the seed cloud-init); locked by cleanup."
  default     = "packer-build-only"
  sensitive   = true
}
