/** @file sort: NumPy references (NaNs last, stable, several keys), errors, jaxprs, derivatives, batching. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as lax from "../../kernel/lax/index.js";
import { makeJaxpr, printJaxpr } from "../../kernel/index.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import type { Value } from "../../kernel/ir/core.js";
import type { Array } from "../../kernel/backend/array.js";
import { grad } from "../../kernel/ad/index.js";
import { type OpFn, arrayOf, checkBatch, checkGrads, f64, rng, runFixtureCases, uniform, withX64 } from "./helpers.js";

const ops: Record<string, OpFn> = {
  sort: (xs, p) => lax.sortMulti(xs, p.dimension as number, true, p.num_keys as number),
};

describe("lax sort", () => {
  runFixtureCases("sort", ops);

  describe("errors, as JAX raises them", () => {
    const x = () => arrayOf([3, 1, 2], [3], "float32");
    const cases: [string, () => unknown, RegExp][] = [
      ["no operands", () => lax.sortMulti([]), /Sort requires at least one operand/],
      ["num_keys too large", () => lax.sortMulti([x()], 0, true, 2), /num_keys=2 must be between 1 and len\(operand\)=1/],
      ["shapes differ", () => lax.sortMulti([x(), arrayOf([1, 2], [2], "float32")]), /Arguments to sort must have equal shapes, got: \(3,\) \(2,\)/],
      ["dimension out of range", () => lax.sort(x(), 1), /axis 1 is out of bounds for array of dimension 1/],
    ];
    for (const [what, fn, re] of cases) it(what, () => assert.throws(fn, re));
  });

  it("jaxprs print as JAX prints them", () => {
    const j = makeJaxpr((k: Value, v: Value) => lax.sortKeyVal(k, v, 0))(new ShapedArray([4], "float32"), new ShapedArray([4], "int32"));
    assert.equal(printJaxpr(j), [
      "{ lambda ; a:f32[4] b:i32[4]. let",
      "    c:f32[4] d:i32[4] = sort[dimension=0 is_stable=True num_keys=1] a b",
      "  in (c, d) }",
    ].join("\n"));
  });

  describe("derivatives (float64): tangents follow the sort permutation", () => {
    const r = rng(16);
    it("along either dimension, with the values carried along", () => withX64(() => {
      const x = f64(uniform(20, r), [4, 5]);
      checkGrads((a) => lax.sort(a, 0), [x]);
      checkGrads((a) => lax.sort(a, 1), [x]);
      checkGrads((a, b) => lax.sortKeyVal(a, b, 1), [x, f64(uniform(20, r), [4, 5])]);
    }));
    it("the gradient of the largest element picks it out", () => withX64(() => {
      const g = grad((a: Value) => lax.reduceSum(lax.sliceInDim(lax.sort(a, 0), 3, 4, 1, 0), [0]))(f64([0.5, 3, -1, 2], [4])) as Array;
      assert.deepEqual(g.toNumbers(), [0, 1, 0, 0]);
    }));
  });

  describe("batching equals a loop over the batch", () => {
    const r = rng(17);
    const x = arrayOf(uniform(60, r), [3, 4, 5], "float32");
    const v = arrayOf(uniform(60, r), [3, 4, 5], "float32");
    for (const axis of [0, 1, 2]) {
      it(`sort and sort_key_val with the batch on axis ${axis}`, () => {
        checkBatch((a) => lax.sort(a, 0), [x], [axis]);
        checkBatch((a) => lax.sort(a, 1), [x], [axis]);
        checkBatch((a, b) => lax.sortKeyVal(a, b, 1), [x, v], [axis, axis]);
      });
    }
    it("an unbatched operand is broadcast to the batched one", () => {
      checkBatch((a, b) => lax.sortKeyVal(a, b, 0), [x, arrayOf(uniform(20, r), [4, 5], "float32")], [0, null]);
    });
  });
});
