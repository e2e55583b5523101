#!/usr/bin/env bash
# The benchmark command: our kernel next to NumPy, PyTorch and @jax-js/jax, in one run.
# Its own set-up: npm packages, and Debian's NumPy/PyTorch/threadpoolctl for the references.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/@jax-js/jax ] || npm ci --no-audit --no-fund
if ! /usr/bin/python3 -c "import numpy, torch, threadpoolctl" 2>/dev/null; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-numpy python3-torch python3-threadpoolctl
fi
npx tsx bench/run.ts "$@"
# The post's four methods (Baseline, JIT, Sharding, Sharding + JIT) over 1, 2 and 4 CPU devices.
npx tsx bench/sharding.ts
# Loops (fori_loop, while_loop, scan, cond in a loop) per iteration, next to NumPy/PyTorch loops.
exec npx tsx bench/loops.ts
