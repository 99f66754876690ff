#!/usr/bin/env bash
# Installs the system packages the tests need on a fresh Debian/Ubuntu machine, only those that are missing:
# Debian's PyTorch for the training tests (python3-torch 1.13, CPU), onnx, pytest, and Chromium for the renderer's
# end-to-end tests. Needs root (or sudo). Everything else comes from `npm ci`.
set -euo pipefail
missing=()
/usr/bin/python3 -c 'import torch, torchvision, onnx, numpy, scipy, PIL, matplotlib' 2>/dev/null ||
  missing+=(python3-torch python3-torchvision python3-onnx python3-numpy python3-scipy python3-pil python3-matplotlib)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
