#!/usr/bin/env bash
# Installs a real VS Code for the tests and the demo: code-server 4.100.3 (VS Code 1.100.3, the
# newest that runs on Node 20) from npm into a per-user cache (JAXNB_CODE_SERVER_DIR, default
# ~/.cache/jaxnb/code-server-4.100.3), outside the repository and its node_modules, so fresh
# clones on the same machine (CI) reuse it. Prints the install folder.
# Offline-safe: code-server's pinned @vscode/ripgrep downloads `rg` at install time, so its
# download cache is pre-seeded with the `rg` binary from the npm package @vscode/ripgrep-linux-x64.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${JAXNB_CODE_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/jaxnb/code-server-4.100.3}"
bin="$root/node_modules/.bin/code-server"
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then echo "$root"; exit 0; fi

dpkg -s libkrb5-dev >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libkrb5-dev; }

mkdir -p "$root"
tmp="$root/tmp"
rm -rf "$tmp" && mkdir -p "$tmp/rg"
(cd "$tmp/rg" && npm pack --silent @vscode/ripgrep-linux-x64@1.18.0 >/dev/null && tar xzf ./*.tgz)
rgbin=$(find "$tmp/rg/package" -type f -name rg | head -n 1)
[ -n "$rgbin" ] || { echo "setup-vscode: no rg binary in @vscode/ripgrep-linux-x64" >&2; exit 1; }
mkdir -p "$tmp/vscode-ripgrep-cache-1.15.11"
tar czf "$tmp/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$rgbin")" rg

cd "$root"
# code-server and its native modules build or fetch parts in install scripts: allow them here.
cat > package.json <<'JSON'
{ "name": "jaxnb-code-server", "private": true, "dependencies": { "code-server": "4.100.3" } }
JSON
{
  TMPDIR="$tmp" npm install --no-audit --no-fund --ignore-scripts &&
  npm install-scripts approve --all &&
  TMPDIR="$tmp" npm_config_yes=true npm_config_unsafe_perm=true npm rebuild --no-audit --no-fund
} >"$root/install.log" 2>&1 || { tail -40 "$root/install.log" >&2; exit 1; }
"$bin" --version >&2
echo "$root"
