/**
 * @file The extension in a real VS Code (code-server + headless Chromium): its own mocha suite
 * (serializer, controllers, interrupt/restart/death, hovers, benchmark) inside the extension host.
 * The UI walk-through of the post's notebook is test/ui/notebook.test.ts.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, repoRoot, runExtensionSuite, startServer, type VsCodeServer } from "./harness.js";

const shots = path.join(repoRoot, "test/e2e/screenshots");
const examples = { examples: { copy: path.join(repoRoot, "examples") } };

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

describe("VS Code (code-server, Chromium)", function () {
  this.timeout(20 * 60_000);
  let browser: Browser | undefined;
  let server: VsCodeServer | undefined;

  before(() => {
    execFileSync(process.execPath, [path.join(repoRoot, "esbuild.mjs"), "--if-stale"], { stdio: "inherit" });
  });

  afterEach(async () => {
    await browser?.close().catch(() => undefined);
    browser = undefined;
    await server?.stop();
    server = undefined;
  });

  it("passes the extension's own suite inside the extension host", async () => {
    server = await startServer(examples);
    browser = await launchBrowser(server.home);
    const page = await browser.newPage();
    const log: string[] = [];
    const code = await runExtensionSuite(page, server, path.join(repoRoot, "out/test/suite/index.cjs"), 15 * 60_000, (s) => log.push(s));
    if (code !== 0) await shot(page, "extension-suite-failed");
    assert.equal(code, 0, `extension suite exit code ${code}\n${log.join("")}\n--- server log ---\n${server.log().slice(-4000)}`);
  });
});
