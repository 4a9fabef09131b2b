# Inputs of the image build. The Envoy version and digests are not variables: they are read from the one pin,
# packaging/envoy.json (locals in vpsie-lb.pkr.hcl), which also made the vpsie-lb-envoy .deb.

variable "envoy_pin" {
  type        = string
  description = "The pinned Envoy (packaging/envoy.json: version, per-architecture binary SHA-256). Relative paths start at packaging/packer (file() resolves them from the template directory)."
  default     = "../envoy.json"
}

variable "agent_version" {
  type        = string
  description = "Debian version of the vpsie-lb-agent package in dist/ (scripts/build-all.mjs)."
  default     = "0.1.0-1"
}

variable "dist_dir" {
  type        = string
  description = "Where the .deb files (agent and Envoy) are (relative to the directory packer runs in, normally the repo root)."
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
