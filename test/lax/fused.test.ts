/** @file The lowerings of the structural, slicing, gather, reduction and dot primitives inside fused jit kernels, and host-lowered ones between them: jit(f) equals eager f. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import type { Value } from "../../kernel/ir/core.js";
import type { Array } from "../../kernel/backend/array.js";
import { setDefaultDevice } from "../../kernel/backend/device.js";
import { assertClose, testDevices } from "../util.js";
import { arrayOf, rng, uniform } from "./helpers.js";

const rows = new lax.GatherDimensionNumbers({ offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] });
const rowUpdates = new lax.ScatterDimensionNumbers({ updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] });

/** Functions mixing several view-lowered primitives with elementwise ops, so that the JIT fuses them. */
const CASES: [string, (x: Value, i: Value) => Value | Value[]][] = [
  ["pad ∘ exp ∘ slice", (x) => lax.pad(lax.exp(lax.slice(x, [1, 0], [4, 5], [2, 2])), -1, [[1, -1, 1], [0, 2, 0]])],
  ["concatenate of rev and transpose", (x) => lax.concatenate([lax.rev(x, [1]), lax.transpose(lax.slice(x, [0, 0], [4, 4]), [1, 0])], 1)],
  ["reduce_max of a broadcast sum", (x) => lax.reduceMax(lax.add(x, lax.broadcastInDim(lax.reduceSum(x, [0]), [4, 5], [1])), [1])],
  ["argmax and argmin of an expression", (x) => [lax.argmax(lax.sin(x), 1, "int32"), lax.argmin(lax.mul(x, x), 0, "int32")]],
  ["reduce_prod, reduce_min over iota-shifted values", (x) => [lax.reduceProd(x, [1]), lax.reduceMin(lax.add(x, lax.convertElementType(lax.broadcastedIota("int32", [4, 5], 0), "float32")), [0, 1])]],
  ["gather (clip and fill) of an expression", (x, i) => [lax.gather(lax.exp(x), i, rows, [1, 5], { mode: "clip" }), lax.gather(lax.neg(x), i, rows, [1, 5], { mode: "fill" })]],
  ["dynamic_slice and dynamic_update_slice", (x) => lax.dynamicUpdateSlice(x, lax.cos(lax.dynamicSlice(x, [3, 1], [2, 3])), [0, 4])],
  ["dot_general with an elementwise epilogue", (x) => lax.exp(lax.dotGeneral(x, lax.transpose(x, [1, 0]), [[[1], [0]], [[], []]]))],
  ["batched dot_general of reshapes", (x) => lax.dotGeneral(lax.reshape(x, [2, 2, 5]), lax.reshape(x, [2, 5, 2]), [[[2], [1]], [[0], [0]]])],
  ["squeeze and expand_dims around a reduction", (x) => lax.squeeze(lax.expandDims(lax.reduceSum(x, [1]), [0, 2]), [2])],
  ["reduce_and/or of comparisons", (x) => [lax.reduceAnd(lax.gt(x, -1.5), [1]), lax.reduceOr(lax.gt(x, 1.5), [0])]],
  // Host-lowered primitives between fused kernels.
  ["cumsum and sort between elementwise ops", (x) => lax.exp(lax.sort(lax.cumsum(lax.sin(x), 1, true), 0))],
  ["scatter-add of an expression", (x, i) => lax.mul(lax.scatterAdd(x, lax.slice(i, [0, 0], [3, 1]), lax.slice(lax.exp(x), [0, 0], [3, 5]), rowUpdates, { mode: "clip" }), 2)],
  ["qr and triangular_solve", (x) => {
    const [q, r] = lax.qr(lax.add(lax.slice(x, [0, 0], [4, 4]), lax.broadcastInDim(lax.convertElementType(lax.eq(lax.broadcastedIota("int32", [4, 4], 0), lax.broadcastedIota("int32", [4, 4], 1)), "float32"), [4, 4], [0, 1])));
    return lax.triangularSolve(r, lax.transpose(q, [1, 0]), { leftSide: true });
  }],
];

describe("lowerings inside jit (fused views, host steps) equal eager evaluation", () => {
  const r = rng(31);
  for (const device of testDevices()) {
    describe(device.toString(), () => {
      before(() => setDefaultDevice(device));
      after(() => setDefaultDevice(null));
      for (const [name, f] of CASES) {
        it(name, () => {
          const x = arrayOf(uniform(20, r), [4, 5], "float32");
          const idx = arrayOf([3, 0, 7, -1, 2], [5, 1], "int32");
          const want = [f(x, idx)].flat() as Array[];
          const got = [jit(f)(x, idx)].flat() as Array[];
          assert.equal(got.length, want.length);
          got.forEach((g, k) => assertClose(g, { shape: [...want[k].shape], dtype: want[k].dtype, data: want[k].toNumbers() }, { msg: `${name} output ${k}`, rtol: 1e-5, atol: 1e-6 }));
        });
      }
    });
  }
});
