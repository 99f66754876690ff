#!/usr/bin/env bash
# Installs the system packages the tests need on a fresh Debian/Ubuntu machine, only those that are missing:
# Debian's PyTorch for the training tests (python3-torch 1.13, CPU), onnx, pytest, Chromium for the renderer's
# end-to-end tests, and Mesa's Vulkan drivers (lavapipe, a software Vulkan device) so onnxruntime-node's bundled
# WebGPU provider can be tested without a GPU. Bookworm's own Mesa (22.3) is too old for onnxruntime's WebGPU
# (Dawn), so on bookworm it comes from bookworm-backports (25.x), whose apt source is added when missing.
# Needs root (or sudo). Everything else comes from `npm ci`.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_install() { # apt_install [-t SUITE] PKG...
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
updated=0
apt_update() { [ $updated -eq 1 ] || { $SUDO apt-get update -qq; updated=1; }; }

missing=()
/usr/bin/python3 -c 'import torch, torchvision, onnx, numpy, scipy, PIL, matplotlib' 2>/dev/null ||
  missing+=(python3-torch python3-torchvision python3-onnx python3-numpy python3-scipy python3-pil python3-matplotlib)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  apt_update
  apt_install "${missing[@]}"
fi

# Vulkan for the WebGPU tests: lavapipe from Mesa >= 25 and the Vulkan loader.
mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
if [ -z "$mesa" ] || ! dpkg --compare-versions "$mesa" ge 25 || ! dpkg-query -W libvulkan1 >/dev/null 2>&1; then
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  suite=()
  if [ "$codename" = bookworm ]; then
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo "Adding the bookworm-backports apt source (for Mesa's Vulkan drivers)"
      printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm-backports' 'Components: main' \
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' |
        $SUDO tee /etc/apt/sources.list.d/bookworm-backports.sources >/dev/null
      updated=0
    fi
    suite=(-t bookworm-backports)
  fi
  echo "Installing system packages: mesa-vulkan-drivers libvulkan1 ${suite[*]}"
  apt_update
  apt_install "${suite[@]}" mesa-vulkan-drivers libvulkan1
fi
