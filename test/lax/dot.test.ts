/** @file dot_general: NumPy (einsum) references, JAX's dtype rule and errors, jaxpr printing, derivatives, batching. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as lax from "../../kernel/lax/index.js";
import { makeJaxpr, printJaxpr } from "../../kernel/index.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import type { DType } from "../../kernel/ir/dtype.js";
import type { Value } from "../../kernel/ir/core.js";
import { type OpFn, arrayOf, checkBatch, checkGrads, checkTranspose, f64, rng, runFixtureCases, uniform, withX64 } from "./helpers.js";

type Dn = lax.DotDimensionNumbers;
const ops: Record<string, OpFn> = {
  dot_general: ([l, r], p) => lax.dotGeneral(l, r, p.dimension_numbers as Dn, { preferredElementType: p.preferred_element_type as DType | null }),
};
const MM: Dn = [[[1], [0]], [[], []]];
const BMM: Dn = [[[2], [1]], [[0], [0]]];
const sa = (dtype: DType, ...shape: number[]) => new ShapedArray(shape, dtype);

describe("lax dot_general", () => {
  // Float32 sums of several products: allow for a different summation order than einsum's.
  runFixtureCases("dot", ops, { dot_general: { rtol: 1e-5, atol: 1e-5 } });

  describe("errors and dtypes, as JAX's", () => {
    const z = (dtype: DType, ...shape: number[]) => arrayOf(new Array(shape.reduce((a, b) => a * b, 1)).fill(1), shape, dtype);
    const cases: [string, () => unknown, RegExp][] = [
      ["contracting sizes differ", () => lax.dotGeneral(z("float32", 2, 3), z("float32", 4, 2), MM), /dot_general requires contracting dimensions to have the same shape, got \(3,\) and \(4,\)/],
      ["batch sizes differ", () => lax.dotGeneral(z("float32", 2, 3, 4), z("float32", 3, 4, 5), BMM), /dot_general requires lhs batch dimensions and rhs batch dimensions to have the same shape, got \(2,\) and \(3,\)/],
      ["dimension out of range", () => lax.dotGeneral(z("float32", 2, 3), z("float32", 3, 2), [[[2], [0]], [[], []]]), /dot_general requires lhs dimension numbers to be nonnegative and less than the number of axes of the lhs value/],
      ["batch and contracting overlap", () => lax.dotGeneral(z("float32", 2, 2), z("float32", 2, 2), [[[0], [0]], [[0], [0]]]), /dot_general requires lhs batch dimensions to be disjoint from contracting dimensions/],
      ["unequal batch counts", () => lax.dotGeneral(z("float32", 2, 2), z("float32", 2, 2), [[[1], [1]], [[0], []]]), /dot_general requires equal numbers of lhs_batch and rhs_batch dimensions/],
      ["narrowing preferred type", () => lax.dotGeneral(z("int32", 2, 2), z("int32", 2, 2), MM, { preferredElementType: "int8" }), /`preferred_element_type` must not be narrower than the original type, got preferred_element_type of int8 for result type of int32/],
      ["lax.dot of rank 3", () => lax.dot(z("float32", 2, 2, 2), z("float32", 2, 2)), /dimension_numbers must be specified when not performing simple un-batched matrix-matrix, matrix-vector, or vector-vector products/],
    ];
    for (const [what, fn, re] of cases) it(what, () => assert.throws(fn, re));
    it("result dtypes: mixed operands take the float type; preferred_element_type upcasts", () => {
      const out = (l: ShapedArray, r: ShapedArray, pref: DType | null = null) =>
        makeJaxpr((a: Value, b: Value) => lax.dotGeneral(a, b, MM, { preferredElementType: pref }))(l, r).outAvals[0].dtype;
      assert.equal(out(sa("int32", 2, 2), sa("float32", 2, 2)), "float32");
      assert.equal(out(sa("float16", 2, 2), sa("float32", 2, 2)), "float32");
      assert.equal(out(sa("bfloat16", 2, 2), sa("float16", 2, 2)), "bfloat16");
      assert.equal(out(sa("int8", 2, 2), sa("int8", 2, 2), "int32"), "int32");
      assert.equal(out(sa("float32", 2, 2), sa("float32", 2, 2), "float16"), "float16");
    });
  });

  it("prints as JAX prints it (dimension numbers as lists, None params omitted)", () => {
    const j = makeJaxpr((a: Value, b: Value) => lax.dotGeneral(a, b, BMM, { preferredElementType: "float32" }))(sa("float32", 2, 3, 4), sa("float32", 2, 4, 5));
    const text = printJaxpr(j);
    assert.match(text, /c:f32\[2,3,5\] = dot_general\[\n {6}dimension_numbers=\(\(\[2\], \[1\]\), \(\[0\], \[0\]\)\)\n {6}preferred_element_type=float32\n {4}\] a b/);
    assert.throws(() => makeJaxpr((a: Value, b: Value) => lax.dot(a, b))(sa("float32", 2, 3, 4), sa("float32", 4)), /dimension_numbers must be specified/);
    const k = makeJaxpr((a: Value, b: Value) => lax.dot(a, b))(sa("float32", 2, 3), sa("float32", 3));
    assert.equal(printJaxpr(k), [
      "{ lambda ; a:f32[2,3] b:f32[3]. let",
      "    c:f32[2] = dot_general[dimension_numbers=(([1], [0]), ([], []))] a b",
      "  in (c,) }",
    ].join("\n"));
  });

  describe("derivatives (float64)", () => {
    const r = rng(12);
    const cases: [string, number[], number[], Dn][] = [
      ["matmul", [3, 4], [4, 2], MM],
      ["batched", [2, 3, 4], [2, 4, 5], BMM],
      ["batch dims not leading, permuted contraction", [3, 2, 4, 5], [5, 4, 2], [[[2, 3], [1, 0]], [[1], [2]]]],
      ["outer", [3], [2], [[[], []], [[], []]]],
    ];
    for (const [name, ls, rs, dn] of cases) {
      it(`${name}: JVP vs finite differences, VJP and both transposes`, () => withX64(() => {
        const l = f64(uniform(ls.reduce((a, b) => a * b, 1), r), ls), rr = f64(uniform(rs.reduce((a, b) => a * b, 1), r), rs);
        checkGrads((a, b) => lax.dotGeneral(a, b, dn), [l, rr]);
        checkTranspose((a) => lax.dotGeneral(a, rr, dn), [ls]);
        checkTranspose((b) => lax.dotGeneral(l, b, dn), [rs]);
      }));
    }
  });

  describe("batching equals a loop over the batch", () => {
    const r = rng(13);
    const A = (...s: number[]) => arrayOf(uniform(s.reduce((a, b) => a * b, 1), r), s, "float32");
    it("lhs, rhs or both batched, at various positions", () => {
      checkBatch((a, b) => lax.dotGeneral(a, b, MM), [A(5, 3, 4), A(5, 4, 2)], [0, 0]);
      checkBatch((a, b) => lax.dotGeneral(a, b, MM), [A(3, 5, 4), A(4, 2)], [1, null]);
      checkBatch((a, b) => lax.dotGeneral(a, b, MM), [A(3, 4), A(4, 2, 5)], [null, 2]);
      checkBatch((a, b) => lax.dotGeneral(a, b, BMM), [A(2, 3, 6, 4), A(2, 6, 4, 5)], [2, 1]);
      checkBatch((a, b) => lax.dotGeneral(a, b, [[[0], [0]], [[], []]]), [A(4, 3), A(3, 4)], [1, 0]);
    });
  });
});
