#!/usr/bin/env bash
# Everything a fresh Debian 12 machine (root, Node 20, only npm + Debian reachable) needs:
# Debian packages (NumPy/PyTorch for fixtures and benchmarks, Mesa's lavapipe from backports
# for WebGPU without a GPU, Chromium for the VS Code tests) and the npm dependencies.
# Idempotent: steps already done are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
dpkg -s python3-numpy >/dev/null 2>&1 || need_apt+=(python3-numpy)
dpkg -s python3-torch >/dev/null 2>&1 || need_apt+=(python3-torch)
dpkg -s chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
lavapipe_ok=1
dpkg -s mesa-vulkan-drivers 2>/dev/null | grep -q '^Version: 2[5-9]' || lavapipe_ok=0

if [ ${#need_apt[@]} -gt 0 ] || [ $lavapipe_ok = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  if [ $lavapipe_ok = 0 ] && [ ! -f /etc/apt/sources.list.d/backports.sources ]; then
    # Debian 12's own Mesa lavapipe is too old for Dawn; the backports one works. Derive the
    # backports source from this machine's own apt source (no host name needed).
    awk 'BEGIN{RS="";ORS="\n\n"} /Suites: bookworm bookworm-updates/ {sub(/Suites: bookworm bookworm-updates/,"Suites: bookworm-backports"); print}' \
      /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/backports.sources
  fi
  apt-get update -q
  [ ${#need_apt[@]} -gt 0 ] && apt-get install -y -q --no-install-recommends "${need_apt[@]}"
  [ $lavapipe_ok = 0 ] && apt-get install -y -q --no-install-recommends -t bookworm-backports libvulkan1 mesa-vulkan-drivers
fi

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
