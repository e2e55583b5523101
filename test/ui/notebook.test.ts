/**
 * @file A UI walk-through in a real VS Code (code-server + headless Chromium), as a person would
 * do it: open the post's notebook, Run All, scroll to each output and read the plot (two curves
 * of 10000 points), the device count (4) and the sharding grid (CPU 0–3), hover `func` for its
 * derivative, run "JAX: Benchmark Function" from the palette and click the panel's "Insert into
 * notebook" (a new cell showing the bars) — a screenshot of each step under test/e2e/screenshots/. Notebook outputs render only near the viewport, so every check
 * scrolls its cell into view first.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser, ElementHandle, Frame, Locator, Page } from "playwright-core";
import { launchBrowser, repoRoot, startServer, workbenchUrl, type VsCodeServer } from "../e2e/harness.js";

const shots = path.join(repoRoot, "test/e2e/screenshots");
const examples = { examples: { copy: path.join(repoRoot, "examples") } };

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

/** `p`, or undefined after `ms` (a frame that is being replaced can leave a call pending forever). */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return Promise.race([p, new Promise<undefined>((r) => setTimeout(r, ms))]);
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await within(fn(), 10_000).catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget input", { state: "visible" });
  await page.keyboard.type(`>${title}`);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press("Enter");
}

/** The first frame (the page or a webview) where `sel` matches. */
async function frameWith(page: Page, sel: string): Promise<Frame | undefined> {
  for (const f of page.frames()) if (await within(f.locator(sel).count(), 3000).catch(() => 0)) return f;
  return undefined;
}

/** Waits until `el` stops moving (the list's scroll has ended), so a box read now stays true. */
async function settled(el: Locator): Promise<void> {
  let last = NaN;
  await waitFor("the notebook's scroll to end", async () => {
    const y = (await el.boundingBox())?.y ?? NaN;
    const still = y === last;
    last = y;
    return still;
  }, 30_000);
}

/** The notebook's list, the surface the mouse wheel scrolls. */
const notebookList = (page: Page) => page.locator(".notebook-editor .monaco-list").first();

/**
 * Scrolls the notebook with the mouse wheel until the code cell holding `line` is near the top,
 * so that its outputs (below it) are on screen and rendered. The notebook moves about 50 px per
 * wheel event, whatever the event's delta.
 */
async function scrollToCell(page: Page, line: string): Promise<void> {
  // The notebook's tab first, so the keys below reach the notebook (not a focused webview panel).
  await page.locator(".tabs-container .tab", { hasText: "jax-intro.jaxnb" }).first().click();
  const box = (await notebookList(page).boundingBox())!;
  await page.mouse.move(box.x + 10, box.y + box.height / 2);
  // From the first cell down (Escape leaves a cell's editor; Ctrl+Home focuses the first cell).
  await page.keyboard.press("Escape");
  await page.keyboard.press("Control+Home");
  await waitFor("the notebook's first cell at the top", async () => {
    const first = await notebookList(page).locator(".monaco-list-row[data-index='0']").boundingBox();
    return first !== null && Math.abs(first.y - box.y) < 60;
  }, 30_000);
  const target = page.locator(".notebook-editor .view-line", { hasText: line }).first();
  for (let i = 0; i < 300; i++) {
    const at = (await target.count()) ? await target.boundingBox() : null;
    const dist = at ? at.y - (box.y + 80) : 1000;
    if (Math.abs(dist) < 60) return settled(target);
    const steps = Math.min(10, Math.max(1, Math.round(Math.abs(dist) / 50)));
    for (let k = 0; k < steps; k++) await page.mouse.wheel(0, dist > 0 ? 100 : -100);
    await page.waitForTimeout(150);
  }
  throw new Error(`the cell with ${JSON.stringify(line)} never scrolled into view`);
}

/**
 * The rendered outputs of the code cell holding `line`: outputs live in the notebook's webview,
 * one `.cell_container` per cell, placed right under the cell's row in the list.
 */
async function outputsOf(page: Page, line: string): Promise<ElementHandle<HTMLElement>[]> {
  const row = (await page.locator(".notebook-editor .code-cell-row", { hasText: line }).first().boundingBox())!;
  for (const f of page.frames()) {
    for (const cell of (await within(f.$$(".cell_container"), 3000).catch(() => undefined)) ?? []) {
      const outs = (await cell.$$(".output_container")) as ElementHandle<HTMLElement>[];
      const tops = (await Promise.all(outs.map((o) => o.boundingBox()))).flatMap((b) => (b && b.height > 0 ? [b.y] : []));
      if (tops.length && Math.abs(Math.min(...tops) - (row.y + row.height)) < 40) return outs;
    }
  }
  return [];
}

describe("VS Code UI (code-server, Chromium): the post's notebook", function () {
  this.timeout(10 * 60_000);
  let browser: Browser | undefined;
  let server: VsCodeServer | undefined;
  let page: Page;

  before(async () => {
    execFileSync(process.execPath, [path.join(repoRoot, "esbuild.mjs"), "--if-stale"], { stdio: "inherit" });
    server = await startServer(examples);
    browser = await launchBrowser(server.home);
    page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    await page.goto(workbenchUrl(server));
    await page.waitForSelector(".statusbar", { timeout: 60_000 });
    await waitFor("the extension's status-bar item", async () => (await page.locator(".statusbar-item", { hasText: /^JAX/ }).count()) > 0, 90_000);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") await shot(page, `failed-${this.currentTest.title.slice(0, 40).replace(/\W+/g, "-")}`).catch(() => undefined);
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });

  it("opens the example with its saved kernel, JAX (CPU), selected", async () => {
    await page.keyboard.press("Control+P");
    await page.waitForSelector(".quick-input-widget input", { state: "visible" });
    await page.keyboard.type("jax-intro.jaxnb");
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "jax-intro.jaxnb" }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press("Enter");
    await page.locator(".view-line", { hasText: "def func(x):" }).first().waitFor({ timeout: 90_000 });
    await waitFor("the JAX (CPU) kernel in the notebook toolbar", async () => (await page.locator(".kernel-label").allInnerTexts()).includes("JAX (CPU)"), 30_000);
    await shot(page, "1-opened");
  });

  it("runs all cells (Run All in the toolbar) without an error", async () => {
    const started = Date.now();
    await page.getByRole("button", { name: "Run All", exact: true }).first().click({ timeout: 30_000 });
    await page.mouse.move(5, 500); // off the toolbar, so its tooltip does not cover the cells
    // The last code cell (the timings of the four methods on 10^7 points) finishing means all ran.
    await waitFor("the last cell to finish", async () => {
      await page.keyboard.press("Escape");
      await page.keyboard.press("Control+End");
      await page.waitForTimeout(500);
      const states = await page.locator(".notebook-editor .codicon[class*='codicon-notebook-state-']").evaluateAll((els) => els.map((e) => e.className));
      assert.ok(!states.some((c) => c.includes("state-error")), "a cell failed");
      const last = page.locator(".notebook-editor .code-cell-row", { hasText: "plt.title(" }).first();
      return (await last.locator(".codicon-notebook-state-success").count()) > 0;
    }, 6 * 60_000);
    console.log(`      Run All took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // The status bar follows the notebook's own device setting (XLA_FLAGS in a cell: 4 CPU devices).
    await waitFor("4 CPU devices in the status bar", async () => (await page.locator(".statusbar-item", { hasText: /^JAX: CPU · 4 CPU$/ }).count()) > 0, 30_000);
  });

  it("shows the plot: two curves of 10000 points with a legend", async () => {
    await scrollToCell(page, "plt.legend()");
    const plot = await waitFor("the plot under its cell", async () => {
      for (const o of await outputsOf(page, "plt.legend()")) if (await o.$(".jaxnb-plot svg .mark-line path")) return o;
      return undefined;
    }, 60_000);
    const { points, legend } = await plot.evaluate((o) => ({
      points: Array.from(o.querySelectorAll(".jaxnb-plot svg .mark-line path")).map((p) => ((p.getAttribute("d") ?? "").match(/[ML]/g) ?? []).length),
      legend: Array.from(o.querySelectorAll(".jaxnb-plot svg .role-legend-label text")).map((t) => t.textContent),
    }));
    assert.deepEqual(points, [10000, 10000], "two curves of 10000 points each");
    assert.deepEqual(legend, ["f(x)", "f'(x)"]);
    await shot(page, "2-plot");
  });

  it("prints jax.device_count() = 4", async () => {
    await scrollToCell(page, "jax.device_count()");
    const text = await waitFor("the output of jax.device_count()", async () => {
      const outs = await outputsOf(page, "jax.device_count()");
      return outs.length ? (await Promise.all(outs.map((o) => o.innerText()))).join("\n").trim() : undefined;
    }, 60_000);
    assert.equal(text, "4");
    await shot(page, "3-device-count");
  });

  it("shows the sharding grid: four tiles CPU 0–3, one colour each, equal widths", async () => {
    await scrollToCell(page, "jax.debug.visualize_array_sharding(y)");
    const grid = await waitFor("the sharding grid under its cell", async () => {
      for (const o of await outputsOf(page, "visualize_array_sharding(y)")) if (await o.$(".jaxnb-sharding .jaxnb-tile")) return o;
      return undefined;
    }, 60_000);
    const tiles = await grid.$$eval(".jaxnb-sharding .jaxnb-tile", (els) => els.map((e) => {
      const r = e.getBoundingClientRect();
      return { text: (e as HTMLElement).innerText.trim(), colour: getComputedStyle(e).backgroundColor, width: r.width, visible: r.width > 0 && r.height > 0 };
    }));
    assert.deepEqual(tiles.map((t) => t.text), ["CPU 0", "CPU 1", "CPU 2", "CPU 3"]);
    assert.equal(new Set(tiles.map((t) => t.colour)).size, 4, "one colour per device");
    assert.ok(tiles.every((t) => t.visible && Math.abs(t.width - tiles[0].width) < 1), `equal, visible tiles: ${JSON.stringify(tiles)}`);
    await shot(page, "4-sharding-grid");
  });

  it("hovering func shows its derivative formula", async () => {
    await scrollToCell(page, "def func(x):");
    const name = page.locator(".notebook-editor .view-line", { hasText: "def func(x):" }).first().locator("span span", { hasText: /^func$/ }).first();
    const box = (await name.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const hover = await waitFor("the derivative hover", async () => {
      const t = await page.locator(".monaco-hover:visible").allInnerTexts();
      return t.find((s) => s.includes("func′(x) ="));
    }, 60_000);
    assert.match(hover, /func′\(x\) = .*sin\(u\)/s);
    assert.match(hover, /u = e\^\(x²\)/);
    await waitFor("the hover's fade-in to end", () => page.locator(".monaco-hover:visible").first().evaluate((e) => {
      for (let n: Element | null = e; n; n = n.parentElement) if (n.getAnimations().some((a) => a.playState === "running")) return false;
      return true;
    }), 10_000);
    await shot(page, "5-hover");
    await page.mouse.move(5, 500);
    await page.keyboard.press("Escape");
  });

  it("JAX: Benchmark Function from the palette opens a panel with the four methods' bars", async () => {
    await runCommand(page, "JAX: Benchmark Function");
    // The function: the kernel's functions are listed; pick func itself (not func_jit).
    const fnRow = page.locator(".quick-input-widget .monaco-list-row[aria-label='func']");
    await fnRow.waitFor({ timeout: 60_000 });
    await fnRow.click();
    // The size: a small one, so the four methods run quickly.
    const input = page.locator(".quick-input-widget input");
    await waitFor("the size input", async () => (await input.inputValue()) === "10000000", 30_000);
    await input.fill("100000");
    await page.keyboard.press("Enter");
    // The backends, asked only when the kernel has more than one (then the CPU); else the
    // benchmark starts at once (its progress notification, or already its panel).
    const cpuRow = page.locator(".quick-input-widget:visible .monaco-list-row[aria-label='cpu']");
    const next = await waitFor("the backends picker or the benchmark running", async () => {
      if (await cpuRow.count()) return "pick";
      if (await page.locator(".notifications-toasts", { hasText: "Benchmarking func" }).count()) return "running";
      return (await frameWith(page, "#jaxnb-insert")) && "running";
    }, 60_000);
    if (next === "pick") {
      await cpuRow.click();
      await page.keyboard.press("Enter");
    }
    const panel = await waitFor("the benchmark panel", () => frameWith(page, ".jaxnb-bench-table tbody tr"), 5 * 60_000);
    const rows = await panel.locator(".jaxnb-bench-table tbody tr").evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent ?? "")));
    assert.deepEqual(rows.map((r) => r[0]), ["Baseline", "JIT", "Sharding", "Sharding + JIT"]);
    assert.ok(rows.every((r) => r[1] === "cpu" && Number(r[3]) > 0), `rows: ${JSON.stringify(rows)}`);
    const bars = await waitFor("the bars", async () => {
      const n = await panel.locator(".jaxnb-plot svg .mark-rect path").evaluateAll((ps) => ps.filter((p) => (p.getBoundingClientRect().height) > 0).length);
      return n >= 4 && n;
    }, 30_000);
    assert.ok(bars >= 4, `bars drawn: ${bars}`);
    const labels = await panel.locator(".jaxnb-plot svg .mark-text text").allTextContents();
    assert.ok(labels.some((l) => /^1(\.0)?×$/.test(l.trim())), `speed-up labels: ${labels.join(", ")}`);
    await shot(page, "6-benchmark");
  });

  it("Insert into notebook (the panel's button) adds a cell whose output shows the benchmark bars", async () => {
    // The button lives in the panel's inner frame; the panel has focus, so the extension must insert
    // into the notebook the benchmark came from, which has no selected cell at this point (the
    // new cell goes at the end; it used to fail here, reading the missing selection).
    const panel = await waitFor("the panel's Insert button", () => frameWith(page, "#jaxnb-insert"), 30_000);
    await panel.locator("#jaxnb-insert").click();
    const title = "# JAX: Benchmark Function — func, n = 100000";
    await waitFor("the inserted cell in the notebook", async () => (await page.locator(".notebook-editor .code-cell-row", { hasText: title }).count()) > 0, 60_000);
    await scrollToCell(page, title);
    const out = await waitFor("the benchmark bars under the inserted cell", async () => {
      for (const o of await outputsOf(page, title)) if (await o.$(".jaxnb-plot svg .mark-rect path")) return o;
      return undefined;
    }, 60_000);
    const { bars, axis } = await out.evaluate((o) => ({
      bars: Array.from(o.querySelectorAll(".jaxnb-plot svg .mark-rect path")).filter((p) => p.getBoundingClientRect().height > 0).length,
      axis: Array.from(o.querySelectorAll(".jaxnb-plot svg .role-axis-label text")).map((t) => t.textContent ?? ""),
    }));
    assert.ok(bars >= 4, `bars drawn: ${bars}`);
    for (const m of ["Baseline", "JIT", "Sharding", "Sharding + JIT"]) assert.ok(axis.includes(m), `${m} among the axis labels ${JSON.stringify(axis)}`);
    await shot(page, "7-inserted");
  });
});
