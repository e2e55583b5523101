/**
 * @file The newer jax.numpy functions from Python, through `bin/jaxnb run`: tuples (and JAX's
 * named tuples) where JAX returns them, callables (apply_along_axis, apply_over_axes, piecewise),
 * slices for delete/insert, nested lists for block, size= under jit, the index tricks (mgrid, ogrid,
 * r_, c_, s_, index_exp). Values are NumPy's.
 */

import assert from "node:assert/strict";
import { runProgram } from "./run.js";

describe("jaxnb run: more of jax.numpy", function () {
  this.timeout(120_000);

  it("returns JAX's result types and NumPy's values", async () => {
    const stdout = await runProgram("jnp_more.py");
    assert.deepEqual(stdout.trim().split("\n"), [
      "tuple tuple tuple",
      "UniqueAllResult(values=Array([1, 3], dtype=int32), indices=Array([1, 0], dtype=int32), inverse_indices=Array([1, 0, 1], dtype=int32), counts=Array([1, 2], dtype=int32))",
      "[1 2]",
      "[1 3 5] [0 9 1 9 2 3]",
      "[[1. 1. 0.]",
      " [1. 1. 0.]",
      " [5. 5. 5.]]",
      "[ 5. 50.]",
      "(1, 3, 1)",
      "[2. 1. 0. 2. 4.]",
      "[ 1  3  7 -1 -1]",
      "ConcretizationTypeError Abstract tracer value encountered where concrete value is expected: traced array with shape i32[2]",
      "6 (Array(0.5, dtype=float32), Array(4, dtype=int32)) 1.2660658 [1.5 2.  0. ]",
      "[[3. 0.]",
      " [0. 3.]]",
      "NotImplementedError JAX arrays are immutable, must use inplace=False",
      "[1.5 2.  3.  3.5]",
      "[0. 1. 2. 3.]",
      "(1, 2)",
      "[4. 1. 0.]",
      "list 2 [[0.0, 1.0], [1.0, 1.0]]",
      "[[0, 1, 2], [10, 11, 12]]",
      "[[0, 0, 1], [1, 2, 2]]",
      "tuple [2, 3]",
      "(2, 3, 2) [[0, 1], [0, 1], [0, 1]]",
      "[(3, 1), (1, 4)]",
      "[0.0, 0.25, 0.5, 0.75, 1.0]",
      "[1, 2, 3, 0, 1, 2]",
      "[[1, 3], [2, 4]]",
      "(2, 3)",
      "[2, 5] (1,)",
      // JAX's isscalar is True for 0-d arrays (NumPy's is not).
      "True True False True True False",
      "Array([1.5, 2. ], dtype=float32) [1 2]",
    ]);
  });
});
