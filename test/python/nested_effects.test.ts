/**
 * @file Effects inside nested jaxprs through `bin/jaxnb run`: a `jax.debug.print` in a cond branch
 * or a loop body, on a value nothing else reads, still prints under grad, jit and make_jaxpr (JAX's
 * dce_jaxpr keeps equations whose sub-jaxprs have effects); checkpoint keeps such a cond out of
 * its forward part when it reads tangents. Values are exact (small integers, sin/cos at 0).
 */

import assert from "node:assert/strict";
import { runProgram } from "./run.js";

describe("jaxnb run: effects in nested jaxprs", function () {
  this.timeout(120_000);

  it("survive dead-code elimination", async () => {
    const stdout = await runProgram("nested_effects.py");
    assert.deepEqual(stdout.trim().split("\n"), [
      "cond branch v=30.0",
      "grad cond -> 6.0",
      "cond branch v=20.0",
      "jit grad cond -> 4.0",
      "fori i=0 c=0.0",
      "fori i=1 c=1.0",
      "grad fori -> 1.0",
      "fori i=0 c=0.0",
      "fori i=1 c=1.0",
      "jit fori -> 0.0",
      "make_jaxpr keeps the cond: True True",
      "grad jaxpr keeps the cond: True True",
      "inner cond v=1.5",
      "vjp of jit -> 2.0",
      // The loop's result is unused: only the cond's effect keeps its carries live.
      "fori cond i=0",
      "fori cond i=1",
      "jit fori cond -> 3.0",
      "fori cond i=0",
      "fori cond i=1",
      "grad fori cond -> 3.0",
      "grad checkpoint cond -> 6.0",
    ]);
  });
});
