/** @file Structural primitives (iota, squeeze, expand_dims, rev, broadcast_in_dim, reshape, transpose, reduce_sum): NumPy references, errors, jaxprs, derivatives, batching. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as lax from "../../kernel/lax/index.js";
import { makeJaxpr, printJaxpr } from "../../kernel/index.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import type { DType } from "../../kernel/ir/dtype.js";
import type { Value } from "../../kernel/ir/core.js";
import { type OpFn, arrayOf, checkBatch, checkGrads, checkTranspose, f64, rng, runFixtureCases, uniform, withX64 } from "./helpers.js";

const P = <T>(p: Record<string, unknown>, k: string) => p[k] as T;

const ops: Record<string, OpFn> = {
  iota: (_a, p) => lax.broadcastedIota(P<DType>(p, "dtype"), P(p, "shape"), P(p, "dimension")),
  squeeze: ([x], p) => lax.squeeze(x, P(p, "dimensions")),
  expand_dims: ([x], p) => lax.expandDims(x, P(p, "dimensions")),
  rev: ([x], p) => lax.rev(x, P(p, "dimensions")),
  broadcast_in_dim: ([x], p) => lax.broadcastInDim(x, P(p, "shape"), P(p, "broadcast_dimensions")),
  reshape: ([x], p) => lax.reshape(x, P(p, "new_sizes")),
  transpose: ([x], p) => lax.transpose(x, P(p, "permutation")),
  reduce_sum: ([x], p) => lax.reduceSum(x, P(p, "axes")),
};

const f32 = (...shape: number[]) => new ShapedArray(shape, "float32");

describe("lax structural primitives", () => {
  runFixtureCases("structural", ops);

  describe("errors, as JAX raises them", () => {
    const cases: [string, () => unknown, RegExp][] = [
      ["squeeze of a non-1 axis", () => lax.squeeze(arrayOf([1, 2], [2], "float32"), [0]), /cannot select an axis to squeeze out which has size not equal to one, got shape=\(2,\) and dimensions=\(0,\)/],
      ["squeeze of a repeated axis", () => lax.squeeze(arrayOf([1], [1, 1], "float32"), [0, -2]), /dimensions are not unique/],
      ["squeeze out of range", () => lax.squeeze(arrayOf([1], [1], "float32"), [1]), /axis 1 is out of bounds for array of dimension 1/],
      ["expand_dims repeated", () => lax.expandDims(arrayOf([1], [1], "float32"), [0, 0]), /repeated axis in lax.expand_dims/],
      ["rev repeated", () => lax.rev(arrayOf([1, 2], [2], "float32"), [0, 0]), /rev dimensions must be unique, got \(0, 0\)/],
      ["rev out of range", () => lax.rev(arrayOf([1, 2], [2], "float32"), [1]), /rev dimensions must all be less than operand ndim, got dimensions \(1,\) for operand ndim 1/],
      ["iota of bool", () => lax.iota("bool", 3), /iota does not accept dtype bool/],
      ["iota dimension", () => lax.broadcastedIota("int32", [2, 2], 2), /axis 2 is out of bounds/],
      ["reduce_sum repeated axes", () => lax.reduceSum(arrayOf([1, 2], [2], "float32"), [0, 0]), /duplicate value in 'axes' of reduction: \(0, 0\)/],
      ["reduce_sum axis out of range", () => lax.reduceSum(arrayOf([1, 2], [2], "float32"), [1]), /reduction axes \(1,\) contains out-of-bounds indices for ShapedArray\(float32\[2\]\)/],
      ["broadcast_in_dim incompatible", () => lax.broadcastInDim(arrayOf([1, 2], [2], "float32"), [3], [0]), /broadcast_in_dim operand dimension sizes must either be 1, or be equal to their corresponding dimensions in the target broadcast shape/],
      ["reshape size", () => lax.reshape(arrayOf([1, 2], [2], "float32"), [3]), /reshape total size must be unchanged/],
      ["transpose permutation", () => lax.transpose(arrayOf([1, 2], [1, 2], "float32"), [0, 0]), /transpose permutation isn't a permutation of operand dimensions, got permutation \(0, 0\) for operand shape \(1, 2\)/],
    ];
    for (const [what, fn, re] of cases) it(what, () => assert.throws(fn, re));
    it("uses JAX's error kinds", () => {
      assert.throws(() => lax.squeeze(arrayOf([1, 2], [2], "float32"), [0]), { name: "ValueError" });
      assert.throws(() => lax.rev(arrayOf([1, 2], [2], "float32"), [0, 0]), TypeError);
    });
  });

  describe("jaxprs print as JAX prints them", () => {
    it("iota, squeeze, rev, and expand_dims as broadcast_in_dim", () => {
      const j = makeJaxpr((x: Value) => [lax.rev(lax.squeeze(x, [0]), [0]), lax.expandDims(x, [0]), lax.iota("int32", 3)])(f32(1, 3));
      assert.equal(printJaxpr(j), [
        "{ lambda ; a:f32[1,3]. let",
        "    b:f32[3] = squeeze[dimensions=(0,)] a",
        "    c:f32[3] = rev[dimensions=(0,)] b",
        "    d:f32[1,1,3] = broadcast_in_dim[broadcast_dimensions=(1, 2)] a",
        "    e:i32[3] = iota[dimension=0 dtype=int32 shape=(3,) sharding=None] ",
        "  in (c, d, e) }",
      ].join("\n"));
    });
  });

  describe("derivatives (float64, finite differences and the transpose identity)", () => {
    const r = rng(1);
    it("squeeze, expand_dims, rev, transpose, reshape, broadcast_in_dim, reduce_sum", () => withX64(() => {
      const x = f64(uniform(6, r), [1, 2, 3]);
      checkGrads((a) => lax.rev(lax.squeeze(a, [0]), [1]), [x]);
      checkGrads((a) => lax.expandDims(a, [3, 0]), [x]);
      checkGrads((a) => lax.transpose(a, [2, 0, 1]), [x]);
      checkGrads((a) => lax.reshape(a, [3, 2]), [x]);
      checkGrads((a) => lax.broadcastInDim(a, [4, 1, 2, 3], [1, 2, 3]), [x]);
      checkGrads((a) => lax.reduceSum(a, [0, 2]), [x]);
    }));
    it("linear transposes satisfy <ct, f(t)> = <fᵀ(ct), t>", () => withX64(() => {
      checkTranspose((a) => lax.rev(a, [0, 1]), [[3, 4]]);
      checkTranspose((a) => lax.squeeze(a, [1]), [[3, 1, 2]]);
      checkTranspose((a) => lax.expandDims(a, [1]), [[3, 2]]);
      checkTranspose((a) => lax.broadcastInDim(a, [2, 3, 4], [1]), [[3]]);
      checkTranspose((a) => lax.broadcastInDim(a, [3, 4], [0, 1]), [[3, 1]]);
      checkTranspose((a) => lax.transpose(a, [1, 2, 0]), [[2, 3, 4]]);
      checkTranspose((a) => lax.reduceSum(a, [1]), [[2, 3, 4]]);
    }));
  });

  describe("batching equals a loop over the batch", () => {
    const r = rng(2);
    const x = arrayOf(uniform(24, r), [2, 3, 4], "float32");
    for (const axis of [0, 1, 2]) {
      it(`rev, squeeze, transpose, reshape, reduce_sum with the batch on axis ${axis}`, () => {
        checkBatch((a) => lax.rev(a, [0]), [x], [axis]);
        checkBatch((a) => lax.transpose(a, [1, 0]), [x], [axis]);
        checkBatch((a) => lax.reshape(a, [prodOthers(x.shape, axis)]), [x], [axis]);
        checkBatch((a) => lax.reduceSum(a, [1]), [x], [axis]);
        checkBatch((a) => lax.squeeze(lax.expandDims(a, [1]), [1]), [x], [axis]);
        checkBatch((a) => lax.broadcastInDim(a, [5, ...otherShape(x.shape, axis)], [1, 2]), [x], [axis]);
      });
    }
  });
});

const otherShape = (s: readonly number[], axis: number) => s.filter((_, i) => i !== axis);
const prodOthers = (s: readonly number[], axis: number) => otherShape(s, axis).reduce((a, b) => a * b, 1);
