/** @file cumsum, cumprod, cummax, cummin, cumlogsumexp: NumPy references, errors, jaxprs, derivatives, batching, linear cost. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as lax from "../../kernel/lax/index.js";
import { makeJaxpr, printJaxpr } from "../../kernel/index.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import type { Value } from "../../kernel/ir/core.js";
import type { Array } from "../../kernel/backend/array.js";
import { grad } from "../../kernel/ad/index.js";
import { type OpFn, arrayOf, checkBatch, checkGrads, checkTranspose, f64, rng, runFixtureCases, uniform, withX64 } from "./helpers.js";

const FNS = { cumsum: lax.cumsum, cumprod: lax.cumprod, cummax: lax.cummax, cummin: lax.cummin, cumlogsumexp: lax.cumlogsumexp };
const ops: Record<string, OpFn> = Object.fromEntries(Object.entries(FNS).map(([k, fn]) => [k, (([x], p) => fn(x, p.axis as number, p.reverse as boolean)) as OpFn]));

describe("lax cumulative reductions", () => {
  // float32 running sums and products: allow a few ulps per step against NumPy's own rounding.
  runFixtureCases("cumulative", ops, { cumsum: { rtol: 1e-5, atol: 1e-5 }, cumprod: { rtol: 1e-5, atol: 1e-6 }, cumlogsumexp: { rtol: 1e-5, atol: 1e-5 } });

  describe("errors, as JAX raises them", () => {
    const cases: [string, () => unknown, RegExp][] = [
      ["axis out of range", () => lax.cumsum(arrayOf([1, 2], [2], "float32"), 1), /axis 1 is out of bounds for array of shape \(2,\)/],
      ["negative axis", () => lax.cummax(arrayOf([1, 2], [2], "float32"), -1), /XLA operations do not allow negative axes/],
      ["bool operand", () => lax.cumsum(arrayOf([1, 0], [2], "bool"), 0), /cumsum does not accept dtype bool. Accepted dtypes are subtypes of number/],
      ["cumlogsumexp of ints", () => lax.cumlogsumexp(arrayOf([1, 0], [2], "int32"), 0), /cumlogsumexp does not accept dtype int32/],
    ];
    for (const [what, fn, re] of cases) it(what, () => assert.throws(fn, re));
  });

  it("jaxprs print as JAX prints them", () => {
    const j = makeJaxpr((x: Value) => lax.cumsum(lax.cummax(x, 1), 0, true))(new ShapedArray([2, 3], "float32"));
    assert.equal(printJaxpr(j), [
      "{ lambda ; a:f32[2,3]. let",
      "    b:f32[2,3] = cummax[axis=1 reverse=False] a",
      "    c:f32[2,3] = cumsum[axis=0 reverse=True] b",
      "  in (c,) }",
    ].join("\n"));
  });

  it("is linear in the length (one pass over 10⁶ elements)", () => {
    const n = 1_000_000;
    const t0 = Date.now();
    const y = lax.cumsum(arrayOf(new globalThis.Array(n).fill(1), [n], "int32"), 0) as Array;
    assert.equal(y.toNumbers()[n - 1], n);
    assert.ok(Date.now() - t0 < 5000, "a quadratic cumsum would not finish");
  });

  describe("derivatives (float64)", () => {
    const r = rng(14);
    for (const reverse of [false, true]) {
      it(`every op along either axis${reverse ? ", reversed" : ""} (odd and even lengths)`, () => withX64(() => {
        const x = f64(uniform(35, r), [5, 7]);
        for (const axis of [0, 1]) {
          checkGrads((a) => lax.cumsum(a, axis, reverse), [x]);
          checkGrads((a) => lax.cumprod(a, axis, reverse), [x]);
          checkGrads((a) => lax.cummax(a, axis, reverse), [x]);
          checkGrads((a) => lax.cummin(a, axis, reverse), [x]);
          checkGrads((a) => lax.cumlogsumexp(a, axis, reverse), [x]);
        }
      }));
    }
    it("cumprod through zeros, exactly (no division)", () => withX64(() => {
      const g = grad((a: Value) => lax.reduceSum(lax.cumprod(a, 0), [0]))(f64([2, 0, 3], [3])) as Array;
      // d/dx of x0 + x0·x1 + x0·x1·x2 at (2, 0, 3): (1 + x1 + x1·x2, x0 + x0·x2, x0·x1) = (1, 8, 0)
      assert.deepEqual(g.toNumbers(), [1, 8, 0]);
    }));
    it("cumsum's transpose is the reversed cumsum", () => withX64(() => {
      checkTranspose((a) => lax.cumsum(a, 1), [[3, 4]]);
      checkTranspose((a) => lax.cumsum(a, 0, true), [[5]]);
    }));
  });

  describe("batching equals a loop over the batch", () => {
    const r = rng(15);
    const x = arrayOf(uniform(60, r), [3, 4, 5], "float32");
    for (const axis of [0, 1, 2]) {
      it(`every op with the batch on axis ${axis}`, () => {
        for (const fn of Object.values(FNS)) {
          checkBatch((a) => fn(a, 0), [x], [axis]);
          checkBatch((a) => fn(a, 1, true), [x], [axis]);
        }
      });
    }
  });
});
