# VPSie Load Balancer images: Debian 12 + Envoy (pinned, checksum-verified) + the vpsie-lb-agent .deb.
#
#   node scripts/build-all.mjs                      # dist/vpsie-lb-agent_<version>_{amd64,arm64}.deb
#   packer build -only=qemu.amd64 packaging/packer  # run from the repo root (paths are relative to it)
#   packer build -only=qemu.arm64 -var arm64_accelerator=kvm packaging/packer   # on an arm64 host
#
# The base is Debian's generic cloud image; packer reaches it over SSH through a NoCloud seed served by its
# HTTP server (packaging/packer/http/), the only build-time account, locked and removed by cleanup.sh.

locals {
  envoy_sha256 = {
    amd64 = var.envoy_sha256_amd64
    arm64 = var.envoy_sha256_arm64
  }
  envoy_asset = {
    amd64 = "envoy-${var.envoy_version}-linux-x86_64"
    arm64 = "envoy-${var.envoy_version}-linux-aarch_64"
  }
  nocloud = "ds=nocloud-net;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"
}

source "qemu" "amd64" {
  iso_url          = var.debian_iso_url_amd64
  iso_checksum     = var.debian_iso_checksum_amd64
  disk_image       = true
  disk_size        = var.disk_size
  format           = "qcow2"
  disk_compression = true
  accelerator      = var.accelerator
  headless         = true
  http_directory   = "packaging/packer/http"
  qemuargs         = [["-smbios", "type=1,serial=${local.nocloud}"]]
  ssh_username     = "packer"
  ssh_password     = var.ssh_password
  ssh_timeout      = "15m"
  shutdown_command = "sudo systemctl poweroff"
  output_directory = "${var.output_dir}/amd64"
  vm_name          = "vpsie-lb-debian12-amd64.qcow2"
}

source "qemu" "arm64" {
  iso_url          = var.debian_iso_url_arm64
  iso_checksum     = var.debian_iso_checksum_arm64
  disk_image       = true
  disk_size        = var.disk_size
  format           = "qcow2"
  disk_compression = true
  qemu_binary      = "qemu-system-aarch64"
  machine_type     = "virt"
  accelerator      = var.arm64_accelerator
  headless         = true
  net_device       = "virtio-net-pci"
  disk_interface   = "virtio"
  http_directory   = "packaging/packer/http"
  qemuargs = [
    ["-cpu", "max"],
    ["-bios", var.arm64_firmware],
    ["-smbios", "type=1,serial=${local.nocloud}"],
  ]
  ssh_username     = "packer"
  ssh_password     = var.ssh_password
  ssh_timeout      = "45m"
  shutdown_command = "sudo systemctl poweroff"
  output_directory = "${var.output_dir}/arm64"
  vm_name          = "vpsie-lb-debian12-arm64.qcow2"
}

build {
  sources = ["source.qemu.amd64", "source.qemu.arm64"]

  provisioner "file" {
    source      = "${var.dist_dir}/vpsie-lb-agent_${var.agent_version}_${source.name}.deb"
    destination = "/tmp/vpsie-lb-agent.deb"
  }

  provisioner "file" {
    source      = "packaging/packer/files/"
    destination = "/tmp/vpsie-lb-files"
  }

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; sudo -E {{ .Vars }} {{ .Path }}"
    environment_vars = [
      "ENVOY_VERSION=${var.envoy_version}",
      "ENVOY_ASSET=${local.envoy_asset[source.name]}",
      "ENVOY_SHA256=${local.envoy_sha256[source.name]}",
    ]
    script = "packaging/packer/scripts/install-envoy.sh"
  }

  provisioner "shell" {
    execute_command = "chmod +x {{ .Path }}; sudo -E {{ .Vars }} {{ .Path }}"
    scripts = [
      "packaging/packer/scripts/install-agent.sh",
      "packaging/packer/scripts/cleanup.sh",
    ]
  }

  post-processor "checksum" {
    checksum_types = ["sha256"]
    output         = "${var.output_dir}/${source.name}/SHA256SUMS"
  }
}
