/** @file Running cells through the controllers in the real editor: outputs, errors, interrupt, restart, kernel death. */

import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { api, openNotebook, outputsOf, runCells, sleep, textOf } from "./util.js";

describe("kernel controller", () => {
  it("runs cells on the CPU kernel with streamed text, results, rich outputs and errors", async () => {
    const doc = await openNotebook([
      "import jax.numpy as jnp\nprint('hello')\nx = jnp.arange(3.0)\nx * 2",
      "import os\nos.environ['XLA_FLAGS'] = '--xla_force_host_platform_device_count=4'\nimport jax\nprint(jax.device_count())",
      "1 / 0",
    ]);
    await runCells(doc);
    const [c0, c1, c2] = doc.getCells();
    assert.match(textOf(c0), /hello/);
    assert.match(textOf(c0), /Array\(\[0\., 2\., 4\.\], dtype=float32\)/);
    assert.equal(c0.executionSummary?.success, true);
    assert.ok((c0.executionSummary?.executionOrder ?? 0) >= 1);
    assert.match(textOf(c1), /^4\s*$/m);
    const err = outputsOf(c2).find(([m]) => m === "application/vnd.code.notebook.error");
    assert.ok(err, "the error cell has an error output");
    assert.match(err[1], /ZeroDivisionError/);
    assert.equal(c2.executionSummary?.success, false);
  });

  it("interrupts an endless loop within a second and keeps the namespace", async () => {
    const doc = await openNotebook(["y = 41", "while True:\n    pass", "y + 1"]);
    await runCells(doc, 0, 1);
    const loop = runCells(doc, 1, 2, 30_000);
    await sleep(1500);
    const t0 = Date.now();
    await vscode.commands.executeCommand("notebook.cancelExecution", { document: doc.uri });
    await loop;
    assert.ok(Date.now() - t0 < 3000, "interrupt took too long");
    assert.match(textOf(doc.cellAt(1)), /KeyboardInterrupt/);
    await runCells(doc, 2, 3);
    assert.match(textOf(doc.cellAt(2)), /42/);
  });

  it("restarts the kernel (namespace cleared) and recovers from a dead kernel", async () => {
    const { controllers } = await api();
    const doc = await openNotebook(["z = 7", "z"]);
    await runCells(doc, 0, 2);
    assert.match(textOf(doc.cellAt(1)), /7/);
    await vscode.commands.executeCommand("jaxnb.restartKernel");
    await runCells(doc, 1, 2);
    assert.match(textOf(doc.cellAt(1)), /NameError/);
    const session = controllers.sessionOf(doc)!;
    session.client.kill();
    await session.client.exited;
    assert.equal(session.isDead, true);
    await runCells(doc, 0, 2);
    assert.match(textOf(doc.cellAt(1)), /7/);
  });
});
