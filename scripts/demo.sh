#!/usr/bin/env bash
# The main job, on a fresh machine: set everything up, run the post's program through the jaxnb
# CLI (printing each cell's output; the executed notebook and an HTML report go under out/),
# then build the extension and serve a real VS Code (code-server) on http://127.0.0.1:8080 with
# the extension installed and the post's notebook open. Ctrl+C stops the server.
# JAXNB_DEMO_NO_SERVER=1 stops after the CLI run; JAXNB_DEMO_PORT picks another port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
# The post shards over four CPU devices: run it on the CPU platform, as its notebook's
# "JAX (CPU)" kernel does (with WebGPU as the default backend, jax.devices() would list the GPU).
JAX_PLATFORMS=cpu bin/jaxnb run examples/jax-intro.py --out out/jax-intro.jaxnb --html out/jax-intro.html
echo "Executed notebook: out/jax-intro.jaxnb; report: out/jax-intro.html"
[ "${JAXNB_DEMO_NO_SERVER:-0}" = 1 ] && exit 0

cs_dir=$(bash scripts/setup-vscode.sh)
cs="$cs_dir/node_modules/.bin/code-server"
bash scripts/package.sh linux-x64 >/dev/null
demo="${JAXNB_DEMO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jaxnb/demo}"
mkdir -p "$demo/user-data/User" "$demo/workspace"
# A copy of the example, so the repository's notebook is never changed by running it (refreshed
# when the repository's is newer).
cp -u examples/jax-intro.jaxnb "$demo/workspace/"
cat > "$demo/user-data/User/settings.json" <<JSON
{ "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "update.mode": "none",
  "extensions.autoCheckUpdates": false, "workbench.tips.enabled": false,
  "jaxnb.openOnStartup": "$demo/workspace/jax-intro.jaxnb" }
JSON
export XDG_CONFIG_HOME="$demo/xdg-config" XDG_DATA_HOME="$demo/xdg-data"
"$cs" --extensions-dir "$demo/extensions" --user-data-dir "$demo/user-data" --install-extension dist/jaxnb-linux-x64.vsix --force >/dev/null
port="${JAXNB_DEMO_PORT:-8080}"
echo
echo "VS Code with jaxnb: http://127.0.0.1:$port/?folder=$demo/workspace  (the example is open on \"JAX (CPU)\": Run All)"
# The workspace is the demo's own copy of the example, so it is trusted (no trust prompt); on
# 127.0.0.1 only, without a password.
exec "$cs" --auth none --bind-addr "127.0.0.1:$port" --user-data-dir "$demo/user-data" --extensions-dir "$demo/extensions" \
  --disable-telemetry --disable-update-check --disable-workspace-trust "$demo/workspace"
