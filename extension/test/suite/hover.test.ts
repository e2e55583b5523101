/** @file Derivative hovers and the benchmark command, through the real editor's providers. */

import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { openNotebook, runCells } from "./util.js";
import { wrapFormula } from "../../src/formula.js";
import { insertResult } from "../../src/benchmark.js";
import type { BenchmarkResult } from "../../../webview/benchmark-spec.js";

const POST = "import jax.numpy as jnp\ndef func(x):\n    return jnp.exp(-x ** 2) * jnp.cos(jnp.exp(x ** 2))\n";

async function hoverText(doc: vscode.TextDocument, line: number, ch: number): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", doc.uri, new vscode.Position(line, ch))) ?? [];
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : (c as vscode.MarkdownString).value))).join("\n");
}

describe("hovers and benchmarks", () => {
  it("shows the post's derivative as a formula, and each partial of a two-argument function", async () => {
    const doc = await openNotebook([POST, "def g(a, b):\n    return jnp.sin(a) * b ** 2\n", "from jax import grad\nd = grad(func)"]);
    await runCells(doc);
    const text = await hoverText(doc.cellAt(0).document, 1, 5);
    assert.match(text, /func′\(x\) = /);
    assert.match(text, /u = e\^\(x²\)/);
    assert.match(text, /sin\(u\)/);
    const inGrad = await hoverText(doc.cellAt(2).document, 1, 10);
    assert.match(inGrad, /func′\(x\)/);
    const two = await hoverText(doc.cellAt(1).document, 0, 4);
    assert.match(two, /∂g\/∂a = b²·cos\(a\)/);
    assert.match(two, /∂g\/∂b = 2b·sin\(a\)/);
  });

  it("breaks long formula lines before top-level terms, and where-lines after their commas", () => {
    const second = "func″(x) = −2v − 4x²·w·u − 2w·p − 2x·(−2x·w − 2x·u·v)·p";
    assert.deepEqual(wrapFormula(second), ["func″(x) = −2v − 4x²·w·u − 2w·p", "           − 2x·(−2x·w − 2x·u·v)·p"]);
    assert.deepEqual(wrapFormula("where u = e^(x²), v = sin(u), w = cos(u), p = e^(−x²)"), ["where u = e^(x²), v = sin(u), w = cos(u),", "      p = e^(−x²)"]);
    assert.deepEqual(wrapFormula("f′(x) = 2x"), ["f′(x) = 2x"]);
    // A term too long for a line stays whole rather than being cut inside its parentheses.
    const long = `g′(x) = (${"a + ".repeat(20)}b)`;
    assert.deepEqual(wrapFormula(long), [long]);
  });

  it("benchmarks a function with the four methods of the post", async () => {
    const doc = await openNotebook([POST]);
    await runCells(doc);
    // The "Benchmark" code lens above the def runs the command for that function.
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", doc.cellAt(0).document.uri);
    const bench = lenses.filter((l) => l.command?.command === "jaxnb.benchmarkFunction");
    assert.equal(bench.length, 1);
    assert.equal(bench[0].command!.title, "Benchmark");
    assert.equal(bench[0].range.start.line, 1);
    assert.deepEqual(bench[0].command!.arguments, [{ function: "func" }]);
    const r = await vscode.commands.executeCommand<{ function: string; error?: string; runs: { method: string; median_ms: number; times_ms: number[] }[] }>(
      "jaxnb.benchmarkFunction", { function: "func", size: "100000", backends: ["cpu"], repeats: 3, showPanel: false });
    assert.ok(r, "no result");
    assert.equal(r.error, undefined, `the benchmark failed: ${r.error}`);
    assert.equal(r.function, "func");
    assert.deepEqual(r.runs.map((x) => x.method), ["Baseline", "JIT", "Sharding", "Sharding + JIT"]);
    for (const run of r.runs) {
      assert.equal(run.times_ms.length, 3);
      assert.ok(run.median_ms > 0);
    }
    // "Insert into notebook" (the panel's button): a new cell whose output is the benchmark bars.
    const before = doc.cellCount;
    await insertResult(doc, r as unknown as BenchmarkResult);
    assert.equal(doc.cellCount, before + 1);
    const added = doc.getCells().find((c) => c.document.getText().startsWith("# JAX: Benchmark Function — func"));
    assert.ok(added, "no inserted cell");
    const items = added.outputs.flatMap((o) => o.items.map((i) => i.mime));
    assert.deepEqual(items, ["application/vnd.jaxnb.benchmark+json", "text/plain"]);
    // With no cell selected (the editor's `selection` is then undefined despite its type), the
    // result goes at the end instead of failing.
    const editor = vscode.window.visibleNotebookEditors.find((e) => e.notebook === doc);
    assert.ok(editor, "the notebook is visible");
    editor.selections = [];
    const count = doc.cellCount;
    await insertResult(doc, r as unknown as BenchmarkResult);
    assert.equal(doc.cellCount, count + 1);
    assert.match(doc.cellAt(count).document.getText(), /^# JAX: Benchmark Function — func/);
  });
});
