#!/usr/bin/env bash
# One-command setup for the `wgpu` backend without a GPU: Debian's lavapipe (a CPU Vulkan driver).
# burn's `wgpu` feature alone compiles kernels to WGSL and runs on lavapipe; do not add the
# `vulkan` feature on such a machine (SPIR-V path, lavapipe segfaults in pipeline creation).
set -euo pipefail
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1 >&2
fi
ls /usr/share/vulkan/icd.d/lvp_icd*.json >&2
