/** @file slice, pad, concatenate, dynamic_slice, dynamic_update_slice: NumPy references, errors, jaxprs, derivatives, batching. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as lax from "../../kernel/lax/index.js";
import { makeJaxpr, printJaxpr } from "../../kernel/index.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import type { Value } from "../../kernel/ir/core.js";
import type { Array as JArray } from "../../kernel/backend/array.js";
import { type OpFn, arrayOf, checkBatch, checkGrads, checkTranspose, f64, rng, runFixtureCases, uniform, withX64 } from "./helpers.js";

const P = <T>(p: Record<string, unknown>, k: string) => p[k] as T;

const ops: Record<string, OpFn> = {
  slice: ([x], p) => lax.slice(x, P(p, "start_indices"), P(p, "limit_indices"), P(p, "strides")),
  pad: ([x, v], p) => lax.pad(x, v, P(p, "padding_config")),
  concatenate: (xs, p) => lax.concatenate(xs, P(p, "dimension")),
  dynamic_slice: ([x, ...idx], p) => lax.dynamicSlice(x, idx, P(p, "slice_sizes")),
  dynamic_update_slice: ([x, u, ...idx]) => lax.dynamicUpdateSlice(x, u, idx),
};

const f32 = (...shape: number[]) => new ShapedArray(shape, "float32");
const i32 = (...shape: number[]) => new ShapedArray(shape, "int32");
const x34 = () => arrayOf([...Array(12).keys()], [3, 4], "float32");

describe("lax slicing primitives", () => {
  runFixtureCases("slicing", ops);

  describe("lax's convenience wrappers agree with the primitives they stand for", () => {
    const same = (a: Value, b: Value, msg: string) => {
      const x = a as JArray, y = b as JArray;
      assert.deepEqual([[...x.shape], x.dtype, x.toNumbers()], [[...y.shape], y.dtype, y.toNumbers()], msg);
    };
    it("slice_in_dim, index_in_dim, dynamic_slice_in_dim, dynamic_index_in_dim", () => {
      const x = x34();
      same(lax.sliceInDim(x, 1, -1, 1, 1), lax.slice(x, [0, 1], [3, 3]), "slice_in_dim with a negative limit");
      same(lax.indexInDim(x, -1, 0, false), lax.reshape(lax.slice(x, [2, 0], [3, 4]), [4]), "index_in_dim");
      same(lax.dynamicSliceInDim(x, arrayOf([-3], [], "int32"), 2, 1), lax.slice(x, [0, 1], [3, 3]), "dynamic_slice_in_dim wraps a negative start");
      same(lax.dynamicIndexInDim(x, arrayOf([5], [], "int32"), 0), lax.slice(x, [2, 0], [3, 4]), "dynamic_index_in_dim clamps");
      assert.throws(() => lax.indexInDim(x, 3), { name: "IndexError", message: "index 3 is out of bounds for axis 0 with size 3" });
    });
    it("dynamic_update_slice_in_dim, dynamic_update_index_in_dim", () => {
      const x = x34(), u = arrayOf([-1, -2, -3], [3, 1], "float32");
      const i = arrayOf([2], [], "int32");
      same(lax.dynamicUpdateSliceInDim(x, u, i, 1), lax.dynamicUpdateSlice(x, u, [0, 2]), "dynamic_update_slice_in_dim");
      same(lax.dynamicUpdateIndexInDim(x, lax.reshape(u, [3]), i, 1), lax.dynamicUpdateSlice(x, u, [0, 2]), "dynamic_update_index_in_dim");
    });
    it("broadcast and collapse", () => {
      const x = x34();
      same(lax.broadcast(x, [2]), lax.broadcastInDim(x, [2, 3, 4], [1, 2]), "broadcast");
      same(lax.collapse(lax.broadcast(x, [2]), 1), lax.reshape(lax.broadcast(x, [2]), [2, 12]), "collapse");
      assert.throws(() => lax.collapse(x, 2, 1), /Invalid dimension range passed to collapse/);
    });
  });

  describe("errors, as JAX raises them", () => {
    const cases: [string, () => unknown, RegExp][] = [
      ["slice limit beyond the shape", () => lax.slice(x34(), [0, 0], [4, 4]), /slice limit_indices must be less than or equal to operand shape, got limit_indices \(4, 4\) for operand shape \(3, 4\)/],
      ["slice negative start", () => lax.slice(x34(), [-1, 0], [2, 4]), /slice start_indices must be greater than or equal to zero/],
      ["slice wrong rank", () => lax.slice(x34(), [0], [2]), /slice start_indices must have length equal to the number of dimensions of the operand/],
      ["slice limit before start", () => lax.slice(x34(), [2, 0], [1, 4]), /slice limit_indices must be greater than or equal to start_indices/],
      ["slice zero stride", () => lax.slice(x34(), [0, 0], [3, 4], [0, 1]), /slice strides must be positive/],
      ["pad with a different dtype", () => lax.pad(x34(), arrayOf([0], [], "int32"), [[0, 0, 0], [0, 0, 0]]), /pad operand and padding_value must be same dtype: got float32 and int32/],
      ["pad config length", () => lax.pad(x34(), 0, [[0, 0, 0]]), /length of padding_config must equal the number of axes of operand/],
      ["pad negative interior", () => lax.pad(x34(), 0, [[0, 0, -1], [0, 0, 0]]), /interior padding in padding_config must be nonnegative/],
      ["pad below zero size", () => lax.pad(x34(), 0, [[-2, -2, 0], [0, 0, 0]]), /Dimension size after padding is not at least 0/],
      ["concatenate ranks", () => lax.concatenate([x34(), arrayOf([1], [1], "float32")], 0), /Cannot concatenate arrays with different numbers of dimensions: got \(3, 4\), \(1,\)/],
      ["concatenate shapes", () => lax.concatenate([x34(), arrayOf([1, 2], [1, 2], "float32")], 0), /Cannot concatenate arrays with shapes that differ in dimensions other than the one being concatenated/],
      ["concatenate dimension", () => lax.concatenate([x34(), x34()], 2), /concatenate dimension out of bounds: dimension 2 for shapes \(3, 4\), \(3, 4\)/],
      ["concatenate dtypes", () => lax.concatenate([x34(), arrayOf([1, 2, 3, 4], [1, 4], "int32")], 0), /concatenate requires arguments to have the same dtypes/],
      ["concatenate nothing", () => lax.concatenate([], 0), /concatenate requires a non-empty sequences of arrays/],
      ["dynamic_slice too large", () => lax.dynamicSlice(x34(), [0, 0], [4, 1]), /slice slice_sizes must be less than or equal to operand shape, got slice_sizes \(4, 1\) for operand shape \(3, 4\)/],
      ["dynamic_slice index count", () => lax.dynamicSlice(x34(), [0], [1, 1]), /Length of slice indices must match number of operand dimensions/],
      ["dynamic_slice float index", () => lax.dynamicSlice(x34(), [arrayOf([1], [], "float32"), 0], [1, 1]), /index arguments to dynamic_slice must be integers of the same type, got float32, int32/],
      ["dynamic_update_slice rank", () => lax.dynamicUpdateSlice(x34(), arrayOf([1], [1], "float32"), [0, 0]), /dynamic_update_slice update must have the same rank as operand, got update shape \(1,\) for operand shape \(3, 4\)/],
      ["dynamic_update_slice too large", () => lax.dynamicUpdateSlice(x34(), arrayOf(new Array(5).fill(0), [1, 5], "float32"), [0, 0]), /dynamic_update_slice update shape must be smaller than operand shape/],
    ];
    for (const [what, fn, re] of cases) it(what, () => assert.throws(fn, re));
  });

  describe("jaxprs print as JAX prints them", () => {
    it("slice, pad, concatenate", () => {
      const j = makeJaxpr((x: Value) => lax.concatenate([lax.slice(x, [1], [7], [2]), lax.pad(x, 0, [[1, -2, 1]])], 0))(f32(8));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[8]. let",
        "    b:f32[3] = slice[limit_indices=(7,) start_indices=(1,) strides=(2,)] a",
        "    c:f32[14] = pad[padding_config=((1, -2, 1),)] a 0.0:f32[]",
        "    d:f32[17] = concatenate[dimension=0] b c",
        "  in (d,) }",
      ].join("\n"));
    });
    it("dynamic_slice and dynamic_update_slice take scalar index operands", () => {
      const j = makeJaxpr((x: Value, i: Value) => lax.dynamicUpdateSlice(x, lax.dynamicSlice(x, [i, 1], [2, 2]), [0, i]))(f32(3, 4), i32());
      const text = printJaxpr(j);
      assert.match(text, /c:bool\[\] = lt b 0:i32\[\]\n {4}d:i32\[\] = add b 3:i32\[\]\n {4}e:i32\[\] = select_n c b d/);
      assert.match(text, /dynamic_slice\[slice_sizes=\(2, 2\)\] a \w+ 1:i32\[\]/);
      assert.match(text, /f32\[3,4\] = dynamic_update_slice a \w+ 0:i32\[\] \w+/);
    });
  });

  describe("derivatives (float64)", () => {
    const r = rng(3);
    it("slice with strides, pad with negative and interior padding, concatenate", () => withX64(() => {
      const x = f64(uniform(12, r), [3, 4]);
      const v = f64([0.5], []);
      checkGrads((a) => lax.slice(a, [0, 1], [3, 4], [2, 2]), [x]);
      checkGrads((a, b) => lax.pad(a, b, [[1, -1, 1], [-2, 2, 0]]), [x, v]);
      checkGrads((a, b) => lax.concatenate([a, b, a], 1), [x, f64(uniform(6, r), [3, 2])]);
    }));
    it("dynamic_slice and dynamic_update_slice (indices held constant)", () => withX64(() => {
      const x = f64(uniform(12, r), [3, 4]);
      const u = f64(uniform(4, r), [2, 2]);
      const i = arrayOf([2], [], "int64"), j = arrayOf([-1], [], "int64");
      checkGrads((a, p, q) => lax.dynamicSlice(a, [p, q], [2, 3]), [x, i, j], { argnums: [0] });
      checkGrads((a, b, p, q) => lax.dynamicUpdateSlice(a, b, [p, q]), [x, u, i, j], { argnums: [0, 1] });
    }));
    it("transposes: slice↔pad, concatenate→slices, dynamic_slice↔dynamic_update_slice", () => withX64(() => {
      checkTranspose((a) => lax.slice(a, [1, 0], [5, 3], [3, 2]), [[5, 3]]);
      checkTranspose((a) => lax.pad(a, 0, [[2, -1, 2], [-1, 0, 0]]), [[3, 4]]);
      checkTranspose((a, b) => lax.concatenate([b, a], 0), [[2, 3], [1, 3]]);
      const i = arrayOf([1], [], "int64");
      checkTranspose((a) => lax.dynamicSlice(a, [i, 3], [2, 2]), [[3, 4]]);
      checkTranspose((a, b) => lax.dynamicUpdateSlice(a, b, [i, 0]), [[3, 4], [1, 2]]);
    }));
    it("pad's transpose with respect to the padding value sums the padded positions", () => withX64(() => {
      checkTranspose((a, b) => lax.pad(a, b, [[1, 2, 1]]), [[3], []]);
    }));
  });

  describe("batching equals a loop over the batch", () => {
    const r = rng(4);
    const x = arrayOf(uniform(60, r), [3, 4, 5], "float32");
    it("slice, pad, concatenate with the batch on any axis", () => {
      for (const axis of [0, 1, 2]) {
        checkBatch((a) => lax.slice(a, [0, 1], [2, 4], [1, 2]), [x], [axis]);
        checkBatch((a) => lax.pad(a, -1, [[1, 0, 1], [0, -1, 0]]), [x], [axis]);
        checkBatch((a) => lax.concatenate([a, a], 1), [x], [axis]);
      }
      const y = arrayOf(uniform(20, r), [4, 5], "float32");
      checkBatch((a, b) => lax.concatenate([a, b], 0), [x, y], [0, null]);
    });
    it("pad with a batched padding value", () => {
      const v = arrayOf([1, 2, 3], [3], "float32");
      checkBatch((a, b) => lax.pad(a, b, [[1, 1, 1], [0, 2, 0]]), [x, v], [0, 0]);
      checkBatch((a, b) => lax.pad(a, b, [[1, 1, 0]]), [arrayOf([5, 6], [2], "float32"), v], [null, 0]);
    });
    it("dynamic_slice with batched operand and/or indices (a gather, as in JAX)", () => {
      const i = arrayOf([0, 2, -1], [3], "int32");
      checkBatch((a, p) => lax.dynamicSlice(a, [p, 1], [2, 3]), [x, i], [0, 0]);
      checkBatch((a, p) => lax.dynamicSlice(a, [1, p], [2, 3]), [arrayOf(uniform(60, r), [4, 3, 5], "float32"), i], [1, 0]);
      checkBatch((a, p) => lax.dynamicSlice(a, [p, p], [1, 2]), [arrayOf(uniform(20, r), [4, 5], "float32"), i], [null, 0]);
      checkBatch((a) => lax.dynamicSlice(a, [1, 3], [2, 2]), [x], [2]);
    });
    it("dynamic_update_slice with batched operand, update and/or indices (a scatter, as in JAX)", () => {
      const i = arrayOf([0, 3, -1], [3], "int32");
      const u = arrayOf(uniform(18, r), [3, 2, 3], "float32");
      checkBatch((a, b, p) => lax.dynamicUpdateSlice(a, b, [p, 1]), [x, u, i], [0, 0, 0]);
      checkBatch((a, b, p) => lax.dynamicUpdateSlice(a, b, [1, p]), [arrayOf(uniform(20, r), [4, 5], "float32"), u, i], [null, 0, 0]);
      checkBatch((a, b) => lax.dynamicUpdateSlice(a, b, [2, 2]), [x, arrayOf([7, 8, 9, 10, 11, 12], [2, 3], "float32")], [0, null]);
    });
  });
});
