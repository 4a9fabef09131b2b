#!/bin/sh
# Installs the vpsie-lb-agent .deb and the cloud-init hook; enables the units without starting them (the image
# must not carry state from the build VM; they start on the first boot of the real instance).
set -eu
export DEBIAN_FRONTEND=noninteractive

# policy-rc.d 101: deb-systemd-invoke (used by the maintainer scripts) starts nothing during the build.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT

apt-get update -qq
# apt resolves the Depends (libc6, libstdc++6, ...) from Debian's repositories; vpsie-lb-envoy (= the pinned
# version) is installed already by install-envoy.sh.
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold /tmp/vpsie-lb-agent.deb
rm -f /tmp/vpsie-lb-agent.deb

systemctl enable vpsie-lb-envoy.service vpsie-lb-agent.service

files=/tmp/vpsie-lb-files
install -d -o root -g root -m 0755 /usr/lib/vpsie-lb
install -o root -g root -m 0755 "$files/vpsie-lb-cloud-config" /usr/lib/vpsie-lb/vpsie-lb-cloud-config
install -o root -g root -m 0644 "$files/vpsie-lb-cloud-config.service" /lib/systemd/system/vpsie-lb-cloud-config.service
systemctl enable vpsie-lb-cloud-config.service
rm -rf "$files"

/usr/bin/vpsie-lb-agent --version
test -x /usr/bin/envoy
