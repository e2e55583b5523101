/**
 * @file `npm run test:electron`: the extension's own mocha suite (extension/test/suite) in a
 * desktop VS Code through @vscode/test-electron, for machines that can download VS Code (or have
 * one: VSCODE_EXECUTABLE_PATH). Where the download is impossible (offline, or only the npm
 * registry reachable, as on the project's CI) it stops with a message saying so instead of
 * hanging; the same suite runs in code-server there (test/e2e/vscode.test.ts, in `npm test`).
 * On Linux without a display, run it under `xvfb-run -a`.
 */

import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { downloadAndUnzipVSCode, runTests } from "@vscode/test-electron";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** How long the download may take in all; its own `timeout` only covers an idle connection. */
const DOWNLOAD_LIMIT_MS = 10 * 60_000;

async function vscodeExecutable(): Promise<string> {
  const given = process.env.VSCODE_EXECUTABLE_PATH;
  if (given) return given;
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no download after ${DOWNLOAD_LIMIT_MS / 60_000} minutes`)), DOWNLOAD_LIMIT_MS);
  });
  try {
    return await Promise.race([downloadAndUnzipVSCode({ timeout: 20_000 }), limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  let executable: string;
  try {
    executable = await vscodeExecutable();
  } catch (e) {
    console.error([
      `test:electron: could not download VS Code (${(e as Error).message.split("\n")[0]}).`,
      "@vscode/test-electron needs https://update.code.visualstudio.com (or VSCODE_EXECUTABLE_PATH pointing at a VS Code",
      "binary). Without it, the same extension suite runs in code-server: npx mocha test/e2e/vscode.test.ts (part of npm test).",
    ].join("\n"));
    return 2;
  }
  // A throwaway copy of the examples as the workspace, as the code-server runner uses.
  const home = mkdtempSync(path.join(os.tmpdir(), "jaxnb-electron-"));
  const workspace = path.join(home, "workspace");
  cpSync(path.join(repoRoot, "examples"), path.join(workspace, "examples"), { recursive: true });
  try {
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(repoRoot, "out/test/suite/index.cjs"),
      launchArgs: [workspace, "--disable-extensions", "--disable-workspace-trust", `--user-data-dir=${path.join(home, "user-data")}`],
    });
    return 0;
  } catch (e) {
    console.error(`test:electron: the extension suite failed: ${(e as Error).message}`);
    return 1;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

process.exitCode = await main();
