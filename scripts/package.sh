#!/usr/bin/env bash
# Builds the VS Code extension as a .vsix for one platform (default linux-x64):
#   bash scripts/package.sh [linux-x64|linux-arm64|darwin-arm64|darwin-x64|win32-x64|win32-arm64]
# The .vsix holds the bundles (out/), the example, and the runtime packages the kernel loads from
# disk: pyodide (CPython in WebAssembly), webgpu with only the target's Dawn binary, and vega.
# Other targets: the same command with their name (Dawn ships prebuilt binaries for each).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-linux-x64}"
case "$target" in
  linux-x64|linux-arm64|win32-x64|win32-arm64) dawn="$target" ;;
  darwin-x64|darwin-arm64) dawn="darwin-universal" ;;
  *) echo "package.sh: unknown target '$target'" >&2; exit 2 ;;
esac
[ -d node_modules ] || bash scripts/setup.sh
node esbuild.mjs

stage=dist/vsix-$target
rm -rf "$stage" && mkdir -p "$stage"
cp -r out examples README.md "$stage/"
rm -rf "$stage/out/test" && find "$stage/out" -name '*.map' -delete
# The manifest, with only the runtime dependencies the bundles leave external.
node -e '
const fs = require("fs");
const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
const keep = ["pyodide", "webgpu", "vega", "vega-lite", "vega-embed"];
pkg.dependencies = Object.fromEntries(keep.map((k) => [k, pkg.dependencies[k]]));
delete pkg.devDependencies; delete pkg.scripts; delete pkg.allowScripts;
pkg.type = "module";
fs.writeFileSync(process.argv[1] + "/package.json", JSON.stringify(pkg, null, 2));
' "$stage"
cp package-lock.json "$stage/" 2>/dev/null || true
(cd "$stage" && npm install --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
# Only the target platform's Dawn binary.
for d in "$stage"/node_modules/webgpu/dist/*/; do
  [ "$(basename "$d")" = "$dawn" ] || rm -rf "$d"
done
cat > "$stage/.vscodeignore" <<'IGN'
**/*.map
**/*.ts
!**/*.d.ts
package-lock.json
IGN
printf 'MIT License\n\nCopyright (c) 2026 the jaxnb authors\n' > "$stage/LICENSE"
(cd "$stage" && npx --yes --prefix "$OLDPWD" vsce package --target "$target" --allow-missing-repository -o "../jaxnb-$target.vsix" >/dev/null)
ls -la "dist/jaxnb-$target.vsix"
