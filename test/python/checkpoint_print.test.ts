/**
 * @file `jax.debug.print` inside `jax.checkpoint` under `jax.grad`, through `bin/jaxnb run`: each
 * print appears twice (the forward pass, then the rematerialized forward in the backward pass),
 * as JAX prints it (its test_remat_of_debug_print), directly and inside `lax.cond`; once without
 * checkpoint.
 */

import assert from "node:assert/strict";
import { runProgram } from "./run.js";

describe("python: debug.print inside checkpoint", function () {
  this.timeout(120_000);

  it("prints in the forward pass and again in the backward pass", async () => {
    const stdout = await runProgram("checkpoint_print.py");
    assert.deepEqual(stdout.trim().split("\n"), [
      "y: 3.0, z: 6.0",
      "y: 3.0, z: 6.0",
      `grad -> ${(2 * Math.exp(6)).toFixed(3)}`,
      "pos branch v=0.5",
      "pos branch v=0.5",
      `grad cond -> ${Math.cos(0.5).toFixed(6)}`,
      "neg branch v=-0.5",
      "neg branch v=-0.5",
      `grad cond neg -> ${(-Math.sin(-0.5)).toFixed(6)}`,
      "pos branch v=0.5",
      "pos branch v=0.5",
      `jit grad cond -> ${Math.cos(0.5).toFixed(6)}`,
      "pos branch v=0.5",
      `no checkpoint -> ${Math.cos(0.5).toFixed(6)}`,
    ]);
  });
});
