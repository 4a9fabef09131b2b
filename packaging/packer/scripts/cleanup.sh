#!/bin/sh
# Makes the image generic: no build user, no identity (machine-id, SSH host keys), no cloud-init state, no logs,
# no package caches. Runs last; the instance regenerates what it needs on first boot.
set -eu
export DEBIAN_FRONTEND=noninteractive

apt-get -y -qq autoremove --purge
apt-get clean
rm -rf /var/lib/apt/lists/*

# Agent state from the build (there should be none: nothing was started).
rm -rf /var/lib/vpsie-lb/* /etc/envoy/dynamic/* /etc/envoy/bootstrap.yaml /etc/vpsie-lb/api-key
install -d -o envoy -g envoy -m 0750 /var/lib/vpsie-lb/envoy-logs

# Identity: regenerated on first boot (systemd-machine-id-setup, cloud-init's ssh module).
truncate -s 0 /etc/machine-id
rm -f /var/lib/dbus/machine-id
ln -sf /etc/machine-id /var/lib/dbus/machine-id
rm -f /etc/ssh/ssh_host_*

# cloud-init: forget this instance so the VPSie datasource runs fresh (and re-creates the SSH keys).
cloud-init clean --logs --seed

# Logs and shell history.
journalctl --rotate >/dev/null 2>&1 || true
journalctl --vacuum-time=1s >/dev/null 2>&1 || true
find /var/log -type f \( -name '*.gz' -o -name '*.[0-9]' -o -name '*.old' \) -delete
find /var/log -type f -exec truncate -s 0 {} +
rm -f /root/.bash_history
rm -rf /tmp/* /var/tmp/*

# The build user last: packer's SSH session ends right after this script.
sed -i '/^packer /d' /etc/sudoers.d/90-cloud-init-users 2>/dev/null || true
userdel --remove --force packer 2>/dev/null || true
sync
