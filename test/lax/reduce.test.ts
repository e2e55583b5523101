/** @file reduce_max/min/prod/and/or/xor and argmax/argmin: NumPy references, errors, jaxprs, derivatives, batching. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as lax from "../../kernel/lax/index.js";
import { makeJaxpr, printJaxpr } from "../../kernel/index.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import type { DType } from "../../kernel/ir/dtype.js";
import type { Value } from "../../kernel/ir/core.js";
import type { Array } from "../../kernel/backend/array.js";
import { Float0Array, grad, jvp } from "../../kernel/ad/index.js";
import { type OpFn, arrayOf, checkBatch, checkGrads, f64, rng, runFixtureCases, uniform, withX64 } from "./helpers.js";

const axes = (p: Record<string, unknown>) => p.axes as number[];
const ops: Record<string, OpFn> = {
  reduce_max: ([x], p) => lax.reduceMax(x, axes(p)),
  reduce_min: ([x], p) => lax.reduceMin(x, axes(p)),
  reduce_prod: ([x], p) => lax.reduceProd(x, axes(p)),
  reduce_and: ([x], p) => lax.reduceAnd(x, axes(p)),
  reduce_or: ([x], p) => lax.reduceOr(x, axes(p)),
  reduce_xor: ([x], p) => lax.reduceXor(x, axes(p)),
  argmax: ([x], p) => lax.argmax(x, p.axis as number, p.index_dtype as DType),
  argmin: ([x], p) => lax.argmin(x, p.axis as number, p.index_dtype as DType),
};

describe("lax reductions and argmax/argmin", () => {
  runFixtureCases("reduce", ops);

  describe("errors, as JAX raises them", () => {
    const x = () => arrayOf([1, 2, 3, 4, 5, 6], [2, 3], "float32");
    const cases: [string, () => unknown, RegExp][] = [
      ["duplicate axes", () => lax.reduceMax(x(), [1, 1]), /duplicate value in 'axes' of reduction: \(1, 1\)/],
      ["axis out of range", () => lax.reduceMin(x(), [2]), /reduction axes \(2,\) contains out-of-bounds indices for ShapedArray\(float32\[2,3\]\)/],
      ["reduce_prod of bool", () => lax.reduceProd(arrayOf([1], [1], "bool"), [0]), /reduce_prod does not accept dtype bool. Accepted dtypes are subtypes of number/],
      ["reduce_or of float", () => lax.reduceOr(x(), [0]), /logical reduction requires operand dtype bool or int, got float32/],
      ["argmax of an empty axis", () => lax.argmax(arrayOf([], [2, 0], "float32"), 1, "int32"), /argmin and argmax require non-empty reduced dimension. operand.shape=\(2, 0\) axis=1/],
      ["argmax index dtype", () => lax.argmax(x(), 0, "float32"), /index_dtype must be an integer type, but got float32/],
      ["argmax axis", () => lax.argmax(x(), 2, "int32"), /Invalid axis 2 for operand shape \(2, 3\)/],
    ];
    for (const [what, fn, re] of cases) it(what, () => assert.throws(fn, re));
  });

  it("jaxprs print as JAX prints them", () => {
    const j = makeJaxpr((x: Value) => [lax.reduceMax(x, [1]), lax.argmin(x, 0, "int32"), lax.reduceProd(x, [0, 1])])(new ShapedArray([2, 3], "float32"));
    assert.equal(printJaxpr(j), [
      "{ lambda ; a:f32[2,3]. let",
      "    b:f32[2] = reduce_max[axes=(1,) out_sharding=None] a",
      "    c:i32[3] = argmin[axes=(0,) index_dtype=int32] a",
      "    d:f32[] = reduce_prod[axes=(0, 1)] a",
      "  in (b, c, d) }",
    ].join("\n"));
  });

  describe("derivatives (float64)", () => {
    const r = rng(8);
    it("reduce_max, reduce_min (distinct values), reduce_prod", () => withX64(() => {
      const x = f64(uniform(24, r), [2, 3, 4]);
      checkGrads((a) => lax.reduceMax(a, [1]), [x]);
      checkGrads((a) => lax.reduceMin(a, [0, 2]), [x]);
      checkGrads((a) => lax.reduceProd(a, [2]), [x]);
      checkGrads((a) => lax.reduceProd(a, [0]), [f64(uniform(5, r, 0.5, 1.5), [5])]);
    }));
    it("reduce_prod with zeros (no division by the product)", () => withX64(() => {
      const x = f64([2, 0, 3, 0, 5, 7, 0, 1, 4], [3, 3]);
      checkGrads((a) => lax.reduceProd(a, [1]), [x]);
      const g = grad((a: Value) => lax.reduceProd(a, [0]))(f64([2, 0, 3], [3])) as Array;
      assert.deepEqual(g.toNumbers(), [0, 6, 0]);
    }));
    it("reduce_max splits the tangent evenly between tied maxima (JAX's rule)", () => withX64(() => {
      const g = grad((a: Value) => lax.reduceMax(a, [0]))(f64([1, 3, 3, 2], [4])) as Array;
      assert.deepEqual(g.toNumbers(), [0, 0.5, 0.5, 0]);
    }));
    it("argmax has a float0 (integer) tangent, as in JAX", () => withX64(() => {
      const [p, t] = jvp((a: Value) => lax.argmax(a, 0, "int32"), [f64([1, 3, 2], [3])], [f64([1, 1, 1], [3])]) as [Array, unknown];
      assert.deepEqual(p.toNumbers(), [1]);
      assert.ok(t instanceof Float0Array);
    }));
  });

  describe("batching equals a loop over the batch", () => {
    const r = rng(9);
    const x = arrayOf(uniform(60, r), [3, 4, 5], "float32");
    const b = arrayOf(uniform(60, r).map((v) => (v > 0 ? 1 : 0)), [3, 4, 5], "bool");
    for (const axis of [0, 1, 2]) {
      it(`every reduction with the batch on axis ${axis}`, () => {
        checkBatch((a) => lax.reduceMax(a, [1]), [x], [axis]);
        checkBatch((a) => lax.reduceMin(a, [0, 1]), [x], [axis]);
        checkBatch((a) => lax.reduceProd(a, [0]), [x], [axis]);
        checkBatch((a) => lax.argmax(a, 1, "int32"), [x], [axis]);
        checkBatch((a) => lax.argmin(a, 0, "int32"), [x], [axis]);
        checkBatch((a) => lax.reduceAnd(a, [1]), [b], [axis]);
        checkBatch((a) => lax.reduceOr(a, [0]), [b], [axis]);
        checkBatch((a) => lax.reduceXor(a, [0, 1]), [b], [axis]);
      });
    }
  });
});
