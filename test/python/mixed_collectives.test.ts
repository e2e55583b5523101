/**
 * @file Collectives over a vmapped axis mixed with a mesh axis from Python (`jax.vmap(…,
 * axis_name='i')` inside `jax.shard_map`), through `bin/jaxnb run`; and axis_index_groups refused
 * with NotImplementedError rather than ignored. Inputs are aranges, so the references are worked
 * out by hand in the comments.
 */

import assert from "node:assert/strict";
import { runProgram } from "./run.js";

describe("python: collectives over ('i', 'x') with 'i' vmapped", function () {
  this.timeout(120_000);

  it("number devices row-major over the names given", async () => {
    const stdout = await runProgram("mixed_collectives.py");
    assert.deepEqual(stdout.trim().split("\n"), [
      // Index L = 2i + x over ('i', 'x'); row 3x + i holds [6x + 2i, 6x + 2i + 1].
      "all_gather (i, x): [[0.0, 1.0], [6.0, 7.0], [2.0, 3.0], [8.0, 9.0], [4.0, 5.0], [10.0, 11.0]]",
      "axis_index (i, x): [0, 2, 4, 1, 3, 5]",
      // Element L receives element L - 1 (mod 6).
      "ppermute (i, x): [10.0, 6.0, 8.0, 0.0, 2.0, 4.0]",
      // Σ_g w[g, j] = Σ_g (6g + j) = 90 + 6j, element with index L keeps j = L.
      "psum_scatter (i, x): [90.0, 102.0, 114.0, 96.0, 108.0, 120.0]",
      "psum (i, x): [[30.0, 36.0], [30.0, 36.0], [30.0, 36.0]]",
      // Every one of the 6 elements squares gathered entry 1 (row 3 = [6, 7]): 6 · 2 · [6, 7].
      "grad: [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [72.0, 84.0], [0.0, 0.0], [0.0, 0.0]]",
      "NotImplementedError: psum: axis_index_groups is not supported (collectives run over all devices along the named axes)",
    ]);
  });
});
