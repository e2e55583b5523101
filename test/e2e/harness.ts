/**
 * @file A real VS Code for tests: a fresh code-server (VS Code 1.100.3, installed by
 * scripts/setup-vscode.sh) on 127.0.0.1 with throwaway user data, driven by Debian's Chromium
 * through playwright-core. Ends the server by process group so no extension host outlives it.
 */

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** Installs code-server if needed (scripts/setup-vscode.sh prints its folder) and returns its binary. */
export function codeServerBin(): string {
  const dir = execFileSync("bash", [path.join(repoRoot, "scripts/setup-vscode.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").pop()!;
  return path.join(dir, "node_modules/.bin/code-server");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface VsCodeServer {
  url: string;
  port: number;
  workspace: string;
  home: string;
  proc: ChildProcess;
  log: () => string;
  stop: () => Promise<void>;
}

/** Starts code-server over a copy of `files` (path → contents or a source path to copy). */
export async function startServer(files: Record<string, string | { copy: string }> = {}, settings: Record<string, unknown> = {}): Promise<VsCodeServer> {
  const home = mkdtempSync(path.join(os.tmpdir(), "jaxnb-vscode-"));
  const workspace = path.join(home, "workspace");
  mkdirSync(workspace, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const dest = path.join(workspace, rel);
    mkdirSync(path.dirname(dest), { recursive: true });
    if (typeof content === "string") writeFileSync(dest, content);
    else cpSync(content.copy, dest, { recursive: true });
  }
  const userData = path.join(home, "user-data");
  mkdirSync(path.join(userData, "User"), { recursive: true });
  writeFileSync(path.join(userData, "User", "settings.json"), JSON.stringify({
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": false,
    "security.workspace.trust.enabled": false,
    "notebook.confirmDeleteRunningCell": false,
    ...settings,
  }, null, 2));
  const port = await freePort();
  let log = "";
  const proc = spawn(codeServerBin(), [
    "--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--user-data-dir", userData,
    "--extensions-dir", path.join(home, "extensions"), "--disable-telemetry", "--disable-update-check",
    "--disable-workspace-trust", workspace,
  ], {
    detached: true, // its own process group, ended as a whole
    env: {
      ...process.env,
      XDG_CONFIG_HOME: path.join(home, "xdg-config"),
      XDG_DATA_HOME: path.join(home, "xdg-data"),
      XDG_CACHE_HOME: path.join(home, "xdg-cache"),
      HOME: home,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  proc.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`code-server exited (${proc.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not start in 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  // If the test run itself is ended (Ctrl+C, a CI timeout), the server's group goes with it.
  const killGroup = (): void => {
    try {
      process.kill(-proc.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  };
  process.once("exit", killGroup);
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => process.exit(130));
  const stop = async (): Promise<void> => {
    process.removeListener("exit", killGroup);
    try {
      process.kill(-proc.pid!, "SIGTERM");
    } catch {
      // already gone
    }
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-proc.pid!, "SIGKILL");
    } catch {
      // already gone
    }
    rmSync(home, { recursive: true, force: true });
  };
  return { url, port, workspace, home, proc, log: () => log, stop };
}

export async function launchBrowser(home: string): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run", "--disable-quic",
    ],
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, "xdg-config") },
  });
}

/** The URL that opens `folder` with the extension loaded from the repo (and optionally its test suite). */
export function workbenchUrl(server: VsCodeServer, opts: { testsPath?: string } = {}): string {
  const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload: [string, string][] = [["extensionDevelopmentPath", remote(repoRoot)]];
  if (opts.testsPath) payload.push(["extensionTestsPath", remote(opts.testsPath)]);
  return `${server.url}/?folder=${encodeURIComponent(server.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Runs the extension's mocha suite inside the extension host; resolves with its exit code. */
export async function runExtensionSuite(page: Page, server: VsCodeServer, testsPath: string, timeoutMs: number, onLog: (s: string) => void): Promise<number> {
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  await page.exposeFunction("codeAutomationLog", (...args: unknown[]) => onLog(`${args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")}\n`));
  await page.exposeFunction("codeAutomationExit", (code: number) => finish(code));
  await page.goto(workbenchUrl(server, { testsPath }));
  const timer = new Promise<number>((resolve) => setTimeout(() => resolve(-1), timeoutMs));
  return Promise.race([done, timer]);
}

/** All text in the page and its nested webview frames (cell outputs render in iframes). */
export async function allFramesText(page: Page): Promise<string> {
  const texts: string[] = [];
  for (const f of page.frames()) {
    try {
      texts.push(await f.evaluate(() => document.body?.innerText ?? ""));
    } catch {
      // detached frame
    }
  }
  return texts.join("\n");
}
