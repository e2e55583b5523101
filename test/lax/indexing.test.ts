/** @file gather and the scatter family: NumPy references (every mode), errors, jaxprs, derivatives, batching. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as lax from "../../kernel/lax/index.js";
import { makeJaxpr, printJaxpr } from "../../kernel/index.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import type { Value } from "../../kernel/ir/core.js";
import type { Array } from "../../kernel/backend/array.js";
import { grad } from "../../kernel/ad/index.js";
import { type OpFn, arrayOf, checkBatch, checkGrads, checkTranspose, f64, rng, runFixtureCases, uniform, withX64 } from "./helpers.js";

type Dn = Record<string, number[]>;
const gdn = (d: Dn) => new lax.GatherDimensionNumbers({
  offsetDims: d.offset_dims, collapsedSliceDims: d.collapsed_slice_dims, startIndexMap: d.start_index_map,
  operandBatchingDims: d.operand_batching_dims, startIndicesBatchingDims: d.start_indices_batching_dims,
});
const sdn = (d: Dn) => new lax.ScatterDimensionNumbers({
  updateWindowDims: d.update_window_dims, insertedWindowDims: d.inserted_window_dims, scatterDimsToOperandDims: d.scatter_dims_to_operand_dims,
  operandBatchingDims: d.operand_batching_dims, scatterIndicesBatchingDims: d.scatter_indices_batching_dims,
});

const SCATTERS = { "scatter": lax.scatter, "scatter-add": lax.scatterAdd, "scatter-sub": lax.scatterSub, "scatter-mul": lax.scatterMul, "scatter-min": lax.scatterMin, "scatter-max": lax.scatterMax };

const ops: Record<string, OpFn> = {
  gather: ([x, i], p) => lax.gather(x, i, gdn(p.dimension_numbers as Dn), p.slice_sizes as number[], { mode: p.mode as string }),
  ...Object.fromEntries(Object.entries(SCATTERS).map(([name, fn]) => [name, (([x, i, u], p) => fn(x, i, u, sdn(p.dimension_numbers as Dn), { mode: p.mode as string })) as OpFn])),
};

const rows = new lax.GatherDimensionNumbers({ offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] });
const rowUpdates = new lax.ScatterDimensionNumbers({ updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] });
const f32 = (...shape: number[]) => new ShapedArray(shape, "float32");
const idx = (data: number[], shape: number[]) => arrayOf(data, shape, "int32");

describe("lax gather and scatter", () => {
  runFixtureCases("indexing", ops);

  describe("errors, as JAX raises them", () => {
    const x = () => arrayOf(uniform(15, rng(1)), [5, 3], "float32");
    const cases: [string, () => unknown, RegExp][] = [
      ["gather with float indices", () => lax.gather(x(), arrayOf([1], [1, 1], "float32"), rows, [1, 3]), /indices must have an integer type/],
      ["gather slice size too big", () => lax.gather(x(), idx([1], [1, 1]), rows, [1, 4]), /Slice size at index 1 in gather op is out of range, must be within \[0, 3 \+ 1\), got 4/],
      ["gather collapsing a window of 2", () => lax.gather(x(), idx([1], [1, 1]), rows, [2, 3]), /Gather op can only collapse slice dims with bound 1, but bound is 2 for index 0 at position 0/],
      ["gather start_index_map length", () => lax.gather(x(), idx([1, 2], [1, 2]), rows, [1, 3]), /Gather op has 1 elements in start_index_map and the bound of dimension index_vector_dim=1 of indices is 2/],
      ["gather unsorted offset dims", () => lax.gather(x(), idx([1], [1, 1]), new lax.GatherDimensionNumbers({ offsetDims: [2, 1], collapsedSliceDims: [], startIndexMap: [0] }), [1, 3]), /offset_dims in gather op must be sorted; got \(2, 1\)/],
      ["gather bad mode", () => lax.gather(x(), idx([1], [1, 1]), rows, [1, 3], { mode: "wrap" }), /Unknown gather mode "wrap"/],
      ["scatter dtype mismatch", () => lax.scatterAdd(x(), idx([1], [1, 1]), arrayOf([1, 2, 3], [1, 3], "int32"), rowUpdates), /scatter requires arguments to have the same dtypes, got float32, int32/],
      ["scatter updates rank", () => lax.scatterAdd(x(), idx([1], [1, 1]), arrayOf([1, 2, 3], [3], "float32"), rowUpdates), /Updates tensor must be of rank 2; got 1/],
      ["scatter window too big", () => lax.scatterAdd(x(), idx([1], [1, 1]), arrayOf(new globalThis.Array(4).fill(0), [1, 4], "float32"), rowUpdates), /Bounds of the window dimensions of updates must not exceed the bounds of the corresponding dimensions of operand. For dimension 1, updates bound is 4, operand bound is 3/],
      ["scatter batch mismatch", () => lax.scatterAdd(x(), idx([1, 2], [2, 1]), arrayOf(new globalThis.Array(9).fill(0), [3, 3], "float32"), rowUpdates), /Bounds of the scatter dimensions of updates must be the same as the bounds of the corresponding dimensions of scatter indices/],
    ];
    for (const [what, fn, re] of cases) it(what, () => assert.throws(fn, re));
  });

  describe("jaxprs print as JAX prints them", () => {
    it("gather and scatter-add params", () => {
      const j = makeJaxpr((x: Value, i: Value) => lax.scatterAdd(x, i, lax.gather(x, i, rows, [1, 3], { mode: "fill" }), rowUpdates))(f32(5, 3), new ShapedArray([2, 1], "int32"));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[5,3] b:i32[2,1]. let",
        "    c:f32[2,3] = gather[",
        "      dimension_numbers=GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,), operand_batching_dims=(), start_indices_batching_dims=())",
        "      fill_value=nan",
        "      indices_are_sorted=False",
        "      mode=GatherScatterMode.FILL_OR_DROP",
        "      slice_sizes=(1, 3)",
        "      unique_indices=False",
        "    ] a b",
        "    d:f32[5,3] = scatter-add[",
        "      dimension_numbers=ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,), operand_batching_dims=(), scatter_indices_batching_dims=())",
        "      indices_are_sorted=False",
        "      mode=GatherScatterMode.FILL_OR_DROP",
        "      unique_indices=False",
        "      update_consts=()",
        "      update_jaxpr={ lambda ; a:f32[] b:f32[]. let c:f32[] = add a b in (c,) }",
        "    ] a b c",
        "  in (d,) }",
      ].join("\n"));
    });
  });

  describe("derivatives (float64)", () => {
    const r = rng(5);
    it("gather in every mode (indices held constant)", () => withX64(() => {
      const x = f64(uniform(15, r), [5, 3]);
      for (const mode of ["clip", "fill", "promise_in_bounds"]) {
        checkGrads((a, i) => lax.gather(a, i, rows, [1, 3], { mode }), [x, arrayOf([4, 0, 4, 2], [4, 1], "int64")], { argnums: [0] });
      }
      const along = new lax.GatherDimensionNumbers({ offsetDims: [], collapsedSliceDims: [1], startIndexMap: [1], operandBatchingDims: [0], startIndicesBatchingDims: [0] });
      checkGrads((a, i) => lax.gather(a, i, along, [1, 1]), [x, arrayOf([2, 0, 1, 1, 2], [5, 1, 1], "int64")], { argnums: [0] });
    }));
    it("scatter-add, scatter-sub in operand and updates", () => withX64(() => {
      const x = f64(uniform(15, r), [5, 3]), u = f64(uniform(9, r), [3, 3]);
      const i = arrayOf([1, 4, 1], [3, 1], "int64");
      checkGrads((a, b, j) => lax.scatterAdd(a, j, b, rowUpdates), [x, u, i], { argnums: [0, 1] });
      checkGrads((a, b, j) => lax.scatterSub(a, j, b, rowUpdates, { mode: "clip" }), [x, u, arrayOf([7, 0, 1], [3, 1], "int64")], { argnums: [0, 1] });
    }));
    it("scatter (replace): unique indices, and overlapping ones (one update wins)", () => withX64(() => {
      const x = f64(uniform(15, r), [5, 3]), u = f64(uniform(9, r), [3, 3]);
      checkGrads((a, b, j) => lax.scatter(a, j, b, rowUpdates, { uniqueIndices: true }), [x, u, arrayOf([1, 4, 0], [3, 1], "int64")], { argnums: [0, 1] });
      checkGrads((a, b, j) => lax.scatter(a, j, b, rowUpdates), [x, u, arrayOf([1, 4, 4], [3, 1], "int64")], { argnums: [0, 1] });
    }));
    it("scatter-mul (updates need unique indices, as in JAX), scatter-min, scatter-max", () => withX64(() => {
      const x = f64(uniform(15, r), [5, 3]), u = f64(uniform(9, r), [3, 3]);
      checkGrads((a, b, j) => lax.scatterMul(a, j, b, rowUpdates, { uniqueIndices: true }), [x, u, arrayOf([1, 4, 0], [3, 1], "int64")], { argnums: [0, 1] });
      checkGrads((a, b, j) => lax.scatterMin(a, j, b, rowUpdates), [x, u, arrayOf([1, 4, 1], [3, 1], "int64")], { argnums: [0, 1] });
      checkGrads((a, b, j) => lax.scatterMax(a, j, b, rowUpdates), [x, u, arrayOf([1, 4, 1], [3, 1], "int64")], { argnums: [0, 1] });
      assert.throws(() => checkGrads((a, b, j) => lax.scatterMul(a, j, b, rowUpdates), [x, u, arrayOf([1, 4, 0], [3, 1], "int64")], { argnums: [1] }),
        /scatter_mul gradients are only implemented if `unique_indices=True`/);
    }));
    it("scatter-max splits the tangent evenly between tied values", () => withX64(() => {
      const x = f64([1, 5], [2]), u = f64([5, 2], [2]);
      const one = new lax.ScatterDimensionNumbers({ updateWindowDims: [], insertedWindowDims: [0], scatterDimsToOperandDims: [0] });
      const j = arrayOf([1, 0], [2, 1], "int64");
      // x[1] and u[0] tie at 5 for position 1: each gets half its cotangent; u[1] wins position 0 alone.
      const [dx, du] = grad((a: Value, b: Value) => lax.reduceSum(lax.scatterMax(a, j, b, one), [0]), { argnums: [0, 1] })(x, u) as Array[];
      assert.deepEqual(dx.toNumbers(), [0, 0.5]);
      assert.deepEqual(du.toNumbers(), [0.5, 1]);
    }));
    it("transposes: gather → scatter-add, scatter-add → gather", () => withX64(() => {
      const i = arrayOf([3, 0, 3, -1], [4, 1], "int64");
      checkTranspose((a) => lax.gather(a, i, rows, [1, 3], { mode: "clip" }), [[4, 3]]);
      checkTranspose((a) => lax.gather(a, i, rows, [1, 3], { mode: "fill", fillValue: 0 }), [[4, 3]]);
      checkTranspose((a, b) => lax.scatterAdd(a, i, b, rowUpdates, { mode: "fill" }), [[4, 3], [4, 3]]);
      checkTranspose((a, b) => lax.scatterAdd(a, i, b, rowUpdates, { mode: "clip" }), [[4, 3], [4, 3]]);
    }));
  });

  describe("batching equals a loop over the batch", () => {
    const r = rng(6);
    const x = arrayOf(uniform(30, r), [2, 5, 3], "float32");
    const i = idx([4, 1, 0, 0, 2, 3], [2, 3, 1]);
    it("gather with batched operand, indices, or both", () => {
      checkBatch((a, j) => lax.gather(a, j, rows, [1, 3]), [x, i], [0, 0]);
      checkBatch((a, j) => lax.gather(a, j, rows, [1, 3]), [x, idx([4, 1, 0], [3, 1])], [0, null]);
      checkBatch((a, j) => lax.gather(a, j, rows, [1, 3]), [arrayOf(uniform(15, r), [5, 3], "float32"), i], [null, 0]);
      checkBatch((a, j) => lax.gather(a, j, rows, [1, 3], { mode: "fill" }), [arrayOf(uniform(30, r), [5, 2, 3], "float32"), idx([9, 1, 0, 0, -2, 3], [3, 1, 2])], [1, 2]);
    });
    it("scatter-add and scatter with any combination of batched inputs", () => {
      const u = arrayOf(uniform(18, r), [2, 3, 3], "float32");
      checkBatch((a, j, b) => lax.scatterAdd(a, j, b, rowUpdates), [x, i, u], [0, 0, 0]);
      checkBatch((a, j, b) => lax.scatterAdd(a, j, b, rowUpdates), [x, idx([4, 1, 1], [3, 1]), u], [0, null, 0]);
      checkBatch((a, j, b) => lax.scatterAdd(a, j, b, rowUpdates), [arrayOf(uniform(15, r), [5, 3], "float32"), i, u], [null, 0, 0]);
      checkBatch((a, j, b) => lax.scatterAdd(a, j, b, rowUpdates), [x, i, arrayOf(uniform(9, r), [3, 3], "float32")], [0, 0, null]);
      checkBatch((a, j, b) => lax.scatterMax(a, j, b, rowUpdates), [x, i, u], [0, 0, 0]);
      checkBatch((a, j, b) => lax.scatter(a, j, b, rowUpdates, { mode: "clip" }), [x, idx([9, 1, 0, 0, 2, 3], [2, 3, 1]), u], [0, 0, 0]);
    });
  });
});
