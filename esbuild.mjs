/**
 * @file The one build script for every bundle (`npm run build`, or `node esbuild.mjs`).
 *
 * Bundles (into out/, ignored by git):
 * - kernel: `out/kernel/main.js` (the kernel process), `out/kernel/worker.js` (the Python
 *   thread), `out/cli.js` (`bin/jaxnb`), with the Python package copied to `out/kernel/python/`;
 * - report: `out/report/vega-embed.js`, vega + vega-lite + vega-embed for the browser as one
 *   script that HTML reports inline (they work offline);
 * - extension: `out/extension.cjs` (the VS Code extension host side), `out/webview/renderer.js`
 *   (the notebook renderer) and `out/webview/panel.js` (the benchmark panel).
 *
 * `node esbuild.mjs --if-stale` rebuilds only when a source that went into the last build (or a
 * Python file) is newer than it: `bin/jaxnb` runs this before every command, so a fresh clone
 * and an edited tree both just work.
 */

import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, copyFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(root, "out");
const stampFile = path.join(out, "build-inputs.json");

/** Native or file-loading packages stay in node_modules. */
const NODE_EXTERNAL = ["pyodide", "webgpu", "vega", "vega-lite", "vega-embed"];

function pythonFiles(dir = path.join(root, "kernel/python")) {
  const found = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== "__pycache__") found.push(...pythonFiles(p));
    else if (e.isFile() && e.name.endsWith(".py")) found.push(p);
  }
  return found;
}

function copyPython() {
  const dest = path.join(out, "kernel/python");
  rmSync(dest, { recursive: true, force: true });
  const src = path.join(root, "kernel/python");
  for (const f of pythonFiles()) {
    const to = path.join(dest, path.relative(src, f));
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
}

export async function build() {
  const esbuild = await import("esbuild");
  const common = { bundle: true, sourcemap: "linked", logLevel: "warning", metafile: true };
  const kernel = await esbuild.build({
    ...common,
    entryPoints: {
      "kernel/main": path.join(root, "kernel/server/main.ts"),
      "kernel/worker": path.join(root, "kernel/server/worker.ts"),
      // The GPU thread and the CPU device threads: kernel/backend starts them from next to itself.
      "kernel/webgpu-worker": path.join(root, "kernel/backend/webgpu-worker.ts"),
      "kernel/cpu-worker": path.join(root, "kernel/backend/cpu-worker.ts"),
      cli: path.join(root, "kernel/server/cli.ts"),
    },
    outdir: out,
    platform: "node",
    format: "esm",
    target: "node20",
    external: NODE_EXTERNAL,
    // Bundled CommonJS dependencies may call require(): give ESM output one.
    banner: { js: "import { createRequire as __jaxnbRequire } from 'node:module'; const require = __jaxnbRequire(import.meta.url);" },
  });
  const report = await esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: { "report/vega-embed": path.join(root, "kernel/server/report-entry.ts") },
    outdir: out,
    platform: "browser",
    format: "iife",
    minify: true,
  });
  // The VS Code extension (CommonJS for the extension host; `vscode` is provided by the editor)
  // and the webview code (the notebook renderer as an ES module, the benchmark panel as a script).
  const extension = await esbuild.build({
    ...common,
    entryPoints: { extension: path.join(root, "extension/src/extension.ts") },
    outdir: out,
    outExtension: { ".js": ".cjs" },
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode", ...NODE_EXTERNAL],
  });
  const webview = await esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: { "webview/renderer": path.join(root, "webview/renderer.ts") },
    outdir: out,
    platform: "browser",
    format: "esm",
    minify: true,
  });
  const panel = await esbuild.build({
    ...common,
    sourcemap: false,
    entryPoints: { "webview/panel": path.join(root, "webview/panel.ts") },
    outdir: out,
    platform: "browser",
    format: "iife",
    minify: true,
  });
  // The extension's own test suite, run inside a real VS Code extension host (test/e2e).
  const extensionTests = await esbuild.build({
    ...common,
    entryPoints: {
      "test/suite/index": path.join(root, "extension/test/suite/index.ts"),
      "test/suite/tests": path.join(root, "extension/test/suite/tests.ts"),
    },
    outdir: out,
    outExtension: { ".js": ".cjs" },
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode", "mocha", ...NODE_EXTERNAL],
  });
  copyPython();
  const inputs = [kernel, report, extension, webview, panel, extensionTests].flatMap((b) => Object.keys(b.metafile.inputs))
    .filter((p) => !p.startsWith("node_modules/"))
    .map((p) => path.relative(root, path.resolve(root, p)));
  writeFileSync(stampFile, JSON.stringify({ inputs: [...new Set(inputs)] }));
}

/** True when out/ is missing or older than any source the last build read. */
export function isStale() {
  if (!existsSync(stampFile)) return true;
  const built = statSync(stampFile).mtimeMs;
  const { inputs } = JSON.parse(readFileSync(stampFile, "utf8"));
  const sources = [...inputs.map((p) => path.join(root, p)), ...pythonFiles(), path.join(root, "package-lock.json"), fileURLToPath(import.meta.url)];
  const pyOut = path.join(out, "kernel/python");
  if (!existsSync(pyOut)) return true;
  return sources.some((p) => !existsSync(p) || statSync(p).mtimeMs > built);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes("--if-stale") || isStale()) await build();
}
