/**
 * @file How the kernel's worker threads (CPU devices, the GPU thread) start: from a plain-JS stub
 * that loads the worker module — registering tsx first when the sources are TypeScript and the
 * thread did not inherit a loader (e.g. under the tsx CLI) — and reports a module that cannot
 * load through the caller's `fail` handler instead of hanging the thread's waiting parent.
 */

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** tsx's ESM loader API (a file URL), when running the .ts sources with tsx installed. */
export function tsxLoader(): string | undefined {
  if (!import.meta.url.endsWith(".ts")) return undefined;
  try {
    const pkgPath = createRequire(import.meta.url).resolve("tsx/package.json");
    const pkg = JSON.parse(readFileSync(pkgPath, "utf8")) as { exports: Record<string, { import: { default: string } }> };
    return pathToFileURL(path.join(path.dirname(pkgPath), pkg.exports["./esm/api"].import.default)).href;
  } catch {
    return undefined;
  }
}

/**
 * The stub's source, for `new Worker(source, { eval: true, workerData })` with `workerData.url`
 * (the module) and `workerData.tsx` (tsxLoader()). `fail` is a JS function expression `(e) => …`
 * run in the thread, with `workerData` in scope, when the module cannot load.
 */
export function bootstrap(fail: string): string {
  return `
const { workerData } = require("node:worker_threads");
const fail = ${fail};
import(workerData.url).catch(async (e) => {
  if (e && e.code === "ERR_UNKNOWN_FILE_EXTENSION" && workerData.tsx) {
    (await import(workerData.tsx)).register();
    return import(workerData.url + "?tsx");
  }
  throw e;
}).catch(fail);`;
}
