#!/usr/bin/env bash
# Runs every test after doing all of its own set-up (scripts/setup.sh): type check + lint,
# the kernel's mocha suites (CPU and WebGPU on lavapipe), the Python-level programs, and the
# VS Code tests in code-server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm run --silent check
npx mocha "test/**/*.test.ts"
