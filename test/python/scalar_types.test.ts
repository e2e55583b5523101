/**
 * @file jnp's scalar types from Python, through `bin/jaxnb run`: `jnp.float32(1.0)` and friends are
 * strongly typed 0-d arrays (JAX's scalar_types.py is `asarray(x, dtype=...)`), so they promote
 * by JAX's lattice as arrays do; expected dtypes are read off JAX's promotion table.
 */

import assert from "node:assert/strict";
import { runProgram } from "./run.js";

describe("jaxnb run: jnp scalar types", function () {
  this.timeout(120_000);

  it("make strongly typed arrays that promote as JAX's do", async () => {
    const stdout = await runProgram("scalar_types.py");
    assert.deepEqual(stdout.trim().split("\n"), [
      "Array(1., dtype=float32) False ShapedArray(float32[])",
      // f32+f16 -> f32; a weak Python scalar never widens a strong f16.
      "float32 float16 float16",
      // bf16 and f16 meet at f32; i32 * f16 -> f16; i8 + u8 -> i16.
      "float32 float16 int16",
      "Array(3, dtype=int32) Array(2, dtype=int32) Array(True, dtype=bool) Array(3.5, dtype=float32)",
      // A dtype given to asarray/array makes the value strong; without one a Python float is weak.
      "False False True",
      "float32",
      // Empty tuples and lists as shapes and as data.
      "Array(0., dtype=float32) (0,) (2, 0)",
    ]);
  });
});
