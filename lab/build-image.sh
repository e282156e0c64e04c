#!/usr/bin/env bash
# Builds a lab base image (Debian with systemd) locally: no registry is reachable from
# these machines, so nothing is ever pulled. The tag names the Debian release: the lab
# and the default scenario run trixie (13); the releases scenario bookworm (12) and
# bullseye (11), the older releases students' VMs have.
# Usage: lab/build-image.sh dumbflix-lab-base:SUITE
set -euo pipefail

image=${1:?usage: lab/build-image.sh dumbflix-lab-base:SUITE}
suite=${image##*:}
case "$suite" in
  bullseye|bookworm|trixie) ;;
  *) echo "lab/build-image.sh: $image: the tag must be a Debian release this lab builds (bullseye, bookworm, trixie), not '$suite'" >&2
     exit 2 ;;
esac
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "image $image already present"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# sudo and curl stand in for what the task's VMs had: sudo for Ansible's become,
# curl for the proof requests the task makes from the proxy.
# The host's CA bundle goes in as a local CA so it survives update-ca-certificates:
# downloads from inside the containers go through a proxy only that bundle trusts.
# The hooks are single-quoted on purpose: mmdebstrap runs them with the root file system's path as $1.
# shellcheck disable=SC2016
mmdebstrap --variant=minbase --quiet \
  --include=python3,systemd,systemd-sysv,iproute2,ca-certificates,sudo,curl,procps \
  --customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"' \
  --customize-hook='copy-in /etc/ssl/certs/ca-certificates.crt /usr/local/share/ca-certificates/' \
  --customize-hook='mv "$1/usr/local/share/ca-certificates/ca-certificates.crt" "$1/usr/local/share/ca-certificates/lab-host-bundle.crt"' \
  --customize-hook='chroot "$1" update-ca-certificates >/dev/null 2>&1 || true' \
  --customize-hook='copy-in /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/' \
  --customize-hook='rm -f "$1/etc/machine-id"; : > "$1/etc/machine-id"' \
  "$suite" "$work/rootfs.tar"

docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  "$work/rootfs.tar" "$image" >/dev/null
echo "image $image built"
