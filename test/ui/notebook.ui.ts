/**
 * @file A UI walk-through in a real VS Code (code-server + headless Chromium), as a person would
 * do it: open the post's notebook, Run All, read the plot, the device count and the sharding
 * grid, hover `func`, run "JAX: Benchmark Function" — a screenshot of each step under
 * test/e2e/screenshots/. Run with `npm run test:ui` (not yet part of scripts/test.sh).
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, Frame, Page } from "playwright-core";
import { allFramesText, launchBrowser, repoRoot, startServer, workbenchUrl, type VsCodeServer } from "../e2e/harness.js";

const shots = path.join(repoRoot, "test/e2e/screenshots");
const examples = { examples: { copy: path.join(repoRoot, "examples") } };

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget input", { state: "visible" });
  await page.keyboard.type(`>${title}`);
  await page.waitForTimeout(400);
  await page.keyboard.press("Enter");
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

  it("runs the post's notebook: plot, device count, sharding grid, hover, benchmark", async () => {
    server = await startServer(examples, { "jaxnb.benchmark.size": 1_000_000, "jaxnb.benchmark.repeats": 3 });
    browser = await launchBrowser(server.home);
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await page.goto(workbenchUrl(server));
    await page.waitForSelector(".statusbar", { timeout: 60_000 });
    await waitFor("the extension's status-bar item", async () => (await page.locator(".statusbar-item", { hasText: /^JAX/ }).count()) > 0, 90_000);

    // Open the example notebook through Quick Open, as a person would.
    await page.keyboard.press("Control+P");
    await page.keyboard.type("jax-intro.jaxnb");
    await page.waitForTimeout(800);
    await page.keyboard.press("Enter");
    await page.locator(".view-line", { hasText: "def func(x):" }).first().waitFor({ timeout: 90_000 });
    await shot(page, "1-opened");

    // Run All from the notebook toolbar (the "JAX (CPU)" kernel is preselected: the notebook was saved with it).
    await page.locator(".notebook-toolbar-container .action-label", { hasText: "Run All" }).first().click({ timeout: 30_000 })
      .catch(() => runCommand(page, "Notebook: Run All"));
    // The last cell's sharding grid is the sign that everything ran.
    const frameWith = async (sel: string): Promise<Frame | undefined> => {
      for (const f of page.frames()) if (await f.locator(sel).count().catch(() => 0)) return f;
      return undefined;
    };
    const gridFrame = await waitFor("the sharding grid", () => frameWith(".jaxnb-sharding"), 10 * 60_000);
    await page.waitForTimeout(1000);
    await shot(page, "2-ran-all");

    const tiles = await gridFrame.locator(".jaxnb-sharding .jaxnb-tile").allInnerTexts();
    assert.deepEqual(tiles.map((t) => t.trim()), ["CPU 0", "CPU 1", "CPU 2", "CPU 3"]);
    const text = await allFramesText(page);
    assert.match(text, /^4$/m, "jax.device_count() printed 4");

    // The plot: two line marks of 10000 points each.
    const plotFrame = await waitFor("the plot", () => frameWith(".jaxnb-plot svg"), 60_000);
    const paths = await plotFrame.locator(".jaxnb-plot svg .mark-line path").evaluateAll((ps) => ps.map((p) => (p.getAttribute("d") ?? "").split(/[ML]/).length - 1));
    assert.equal(paths.length, 2, "two curves");
    for (const n of paths) assert.equal(n, 10000, "10000 points per curve");

    // Hover `func` in its def and read the formula.
    const def = page.locator(".monaco-editor .view-line", { hasText: "def func(x):" }).first();
    await def.scrollIntoViewIfNeeded();
    const box = (await def.boundingBox())!;
    await page.mouse.move(box.x + 40, box.y + box.height / 2);
    const hover = await waitFor("the derivative hover", async () => {
      const t = await page.locator(".monaco-hover").allInnerTexts();
      return t.find((s) => s.includes("func′(x)"));
    }, 60_000);
    assert.match(hover, /u = e\^\(x²\)/);
    await shot(page, "3-hover");
    await page.mouse.move(5, 5);

    // "JAX: Benchmark Function" from the palette: pick func, accept the size, read the panel.
    await runCommand(page, "JAX: Benchmark Function");
    await page.waitForSelector(".quick-input-widget .monaco-list-row", { timeout: 60_000 });
    await page.keyboard.type("func");
    await page.keyboard.press("Enter");
    await page.waitForTimeout(500);
    await page.keyboard.press("Enter"); // the size (setting's default)
    await page.waitForTimeout(500);
    if (await page.locator(".quick-input-widget .monaco-list-row").count()) await page.keyboard.press("Enter"); // backends
    const panelFrame = await waitFor("the benchmark panel", () => frameWith("#jaxnb-insert"), 10 * 60_000);
    await page.waitForTimeout(1500);
    const rows = await panelFrame.locator(".jaxnb-bench-table tbody tr").allInnerTexts();
    const methods = rows.map((r) => r.split("\t")[0].trim());
    for (const m of ["Baseline", "JIT", "Sharding", "Sharding + JIT"]) assert.ok(methods.includes(m), `${m} in ${methods.join(", ")}`);
    const bars = await panelFrame.locator(".mark-rect path, .mark-rect rect").count();
    assert.ok(bars >= 4, `bars drawn: ${bars}`);
    await shot(page, "4-benchmark");
  });
});
