#!/usr/bin/env bash
# The main job: set up, then run the post's program through the kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsx examples/jax-intro.ts
