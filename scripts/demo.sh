#!/usr/bin/env bash
# The main job: set up, then run the post's program (examples/jax-intro.py) through the jaxnb
# CLI — a kernel process with Pyodide and the TypeScript runtime — printing each cell's output
# and writing the executed notebook and an HTML report (plots included) under out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
bin/jaxnb run examples/jax-intro.py --out out/jax-intro.jaxnb --html out/jax-intro.html
echo "Executed notebook: out/jax-intro.jaxnb; report: out/jax-intro.html"
