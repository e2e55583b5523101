/**
 * @file The Array methods on arrays and tracers, jnp's jaxprs (JAX's text), static-size set
 * functions under tracing, and the errors bad input gets (kinds and messages as JAX's).
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as jnp from "../../kernel/numpy/index.js";
import { makeJaxpr, evalJaxpr } from "../../kernel/ir/jaxpr.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import { type JaxValue, TypedScalar } from "../../kernel/ir/core.js";
import { Array } from "../../kernel/backend/array.js";
import { ConcretizationTypeError } from "../../kernel/ir/errors.js";

const nums = (x: unknown): number[] => (x as Array).toNumbers();
const f32 = (shape: number[]): ShapedArray => new ShapedArray(shape, "float32");

describe("Array methods", () => {
  let x: JaxValue;
  // Made when the tests run: the default device is settled by then.
  before(() => (x = jnp.reshape(jnp.arange(6, { dtype: "float32" }), [2, 3])));
  it("arithmetic, comparisons and reductions chain on arrays", () => {
    assert.deepEqual(nums(x.add(1).mul(2).sub(x).div(2)), [1, 1.5, 2, 2.5, 3, 3.5]);
    assert.deepEqual(nums(x.gt(2)), [0, 0, 0, 1, 1, 1]);
    assert.deepEqual(nums(x.sum({ axis: 1 })), [3, 12]);
    assert.deepEqual(nums(x.mean()), [2.5]);
    assert.deepEqual(nums(x.max({ axis: 0 })), [3, 4, 5]);
    assert.deepEqual(nums(x.argmax({ axis: 1 })), [2, 2]);
    assert.deepEqual(nums(x.pow(2).get([1, 2])), [25]);
    assert.deepEqual(nums(x.floordiv(2).mod(2)), [0, 0, 1, 1, 0, 0]);
    assert.deepEqual(nums(x.neg().abs()), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(nums(x.matmul(jnp.ones([3]))), [3, 12]);
  });
  it("shape methods: T, reshape, astype, ravel, squeeze, transpose", () => {
    assert.deepEqual([...x.T.shape], [3, 2]);
    assert.deepEqual(nums(x.T), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual([...x.reshape([3, -1]).shape], [3, 2]);
    assert.equal(x.astype("int32").dtype, "int32");
    assert.deepEqual([...x.ravel().shape], [6]);
    assert.deepEqual([...x.reshape([1, 6]).squeeze().shape], [6]);
    assert.deepEqual([...x.transpose([1, 0]).shape], [3, 2]);
  });
  it("work on tracers too, and stage JAX's primitives", () => {
    const cj = makeJaxpr((a: JaxValue) => jnp.sin(a).mul(2.5))(f32([3]));
    assert.equal(printJaxpr(cj), "{ lambda ; a:f32[3]. let b:f32[3] = sin a; c:f32[3] = mul b 2.5:f32[] in (c,) }");
    const cs = makeJaxpr((a: JaxValue) => a.sum())(f32([3]));
    assert.equal(printJaxpr(cs), "{ lambda ; a:f32[3]. let\n    b:f32[] = reduce_sum[axes=(0,) out_sharding=None] a\n  in (b,) }");
  });
  it("mean of ints divides in float32 after converting", () => {
    const cj = makeJaxpr((a: JaxValue) => jnp.mean(a))(new ShapedArray([4], "int32"));
    assert.deepEqual(cj.jaxpr.eqns.map((e) => e.primitive), ["convert_element_type", "reduce_sum", "div"]);
    assert.equal(cj.outAvals[0].dtype, "float32");
  });
  it("x.at(idx) updates functionally (x is unchanged)", () => {
    const y = x.at([0, 1]).set(-1);
    assert.deepEqual(nums(y), [0, -1, 2, 3, 4, 5]);
    assert.deepEqual(nums(x), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(nums(x.at([1]).multiply(10)), [0, 1, 2, 30, 40, 50]);
    assert.deepEqual(nums(x.at([0]).divide(2)), [0, 0.5, 1, 3, 4, 5]);
    assert.deepEqual(nums(x.at([1, 0]).power(2)), [0, 1, 2, 9, 4, 5]);
    assert.deepEqual(nums(x.at([1, 0]).get()), [3]);
  });
});

describe("static output sizes under tracing", () => {
  it("nonzero with size= traces and evaluates", () => {
    const cj = makeJaxpr((a: JaxValue) => jnp.nonzero(a, { size: 4, fill_value: -1 }))(f32([5]));
    assert.deepEqual([...cj.outAvals[0].shape], [4]);
    const [idx] = evalJaxpr(cj.jaxpr, cj.consts, [jnp.asarray([0, 2, 0, 3, 1], { dtype: "float32" })]);
    assert.deepEqual(nums(idx), [1, 3, 4, -1]);
  });
  it("unique with size= pads with the fill value", () => {
    const u = jnp.unique([3, 1, 3], { size: 4, fill_value: 0 }) as JaxValue;
    assert.deepEqual(nums(u), [1, 3, 0, 0]);
    const d = jnp.unique([3, 1, 3], { size: 3 }) as JaxValue;
    assert.deepEqual(nums(d), [1, 3, 1]);
  });
  it("nonzero of a traced array without size= is a ConcretizationTypeError", () => {
    assert.throws(() => makeJaxpr((a: JaxValue) => jnp.nonzero(a))(f32([5])), (e: Error) => e instanceof ConcretizationTypeError);
  });
});

describe("errors for bad input", () => {
  let x: JaxValue;
  before(() => (x = jnp.ones([2, 3])));
  it("shapes that do not broadcast", () => {
    assert.throws(() => jnp.add(jnp.ones([3]), jnp.ones([4])), (e: Error) => e.name === "ValueError" && e.message === "Incompatible shapes for broadcasting: shapes=[(3,), (4,)]");
  });
  it("axis out of range", () => {
    assert.throws(() => jnp.sum(x, { axis: 2 }), (e: Error) => e.name === "ValueError" && e.message === "axis 2 is out of bounds for array of dimension 2");
    assert.throws(() => jnp.sum(x, { axis: [0, 0] }), /repeated axis/);
    assert.throws(() => jnp.concatenate([x, x], { axis: -3 }), /axis -3 is out of bounds for array of dimension 2/);
  });
  it("reshape to a different size", () => {
    assert.throws(() => jnp.reshape(x, [4]), (e: Error) => e instanceof TypeError && e.message === "cannot reshape array of shape (2, 3) (size 6) into shape (4,) (size 4)");
  });
  it("wrong dtypes", () => {
    assert.throws(() => jnp.bitwiseAnd(x, x), (e: Error) => e instanceof TypeError && /bitwise_and does not accept dtype float32/.test(e.message));
    assert.throws(() => jnp.zeros([2], { dtype: "complex64" }), (e: Error) => e instanceof TypeError && /Unsupported dtype/.test(e.message));
    assert.throws(() => jnp.subtract([true], [false]), /subtract does not accept dtype bool/);
  });
  it("mismatched shapes in products and joins", () => {
    assert.throws(() => jnp.matmul(x, x), /dot_general requires contracting dimensions to have the same shape, got \(3,\) and \(2,\)/);
    assert.throws(() => jnp.concatenate([x, jnp.ones([2, 2])]), /Cannot concatenate arrays with shapes that differ in dimensions other than the one being concatenated/);
    assert.throws(() => jnp.stack([x, jnp.ones([3])]), /All input arrays must have the same shape/);
    assert.throws(() => jnp.split(jnp.ones([5]), 2), /array split does not result in an equal division/);
  });
  it("max with a where mask needs initial", () => {
    assert.throws(() => jnp.max(x, { where: [true, false, true] }), /reduction operation max does not have an identity, so to use a where mask one has to specify 'initial'/);
    assert.deepEqual(nums(jnp.max(x, { where: [true, false, true], initial: -5, axis: 1 })), [1, 1]);
  });
  it("empty reductions without an identity", () => {
    assert.throws(() => jnp.max(jnp.zeros([0])), /zero-size array to reduction operation max which has no identity/);
    assert.throws(() => jnp.argmax(jnp.zeros([0])), /attempt to get argmax of an empty sequence/);
  });
  it("ragged nested lists", () => {
    assert.throws(() => jnp.asarray([[1, 2], [3]]), /inhomogeneous shape/);
  });
  it("negative dimensions", () => {
    assert.throws(() => jnp.zeros([2, -1]), /negative dimensions are not allowed/);
  });
});

describe("nested lists and typed arrays as input", () => {
  it("infer dtype and shape like jnp.array", () => {
    const a = jnp.asarray([[1, 2], [3, 4.5]]);
    assert.deepEqual([a.dtype, [...a.shape]], ["float32", [2, 2]]);
    assert.deepEqual(nums(a), [1, 2, 3, 4.5]);
    assert.equal(jnp.asarray([[true], [false]]).dtype, "bool");
    assert.equal(jnp.asarray([true, 2]).dtype, "int32");
    assert.deepEqual([...jnp.asarray([]).shape], [0]);
    assert.equal(jnp.asarray(new Float64Array([1, 2])).dtype, "float32");
    assert.equal(jnp.asarray(new Uint8Array([1, 2])).dtype, "uint8");
  });
  it("stack arrays inside lists", () => {
    const x = jnp.asarray([jnp.ones([2]), jnp.zeros([2])]);
    assert.deepEqual([...x.shape], [2, 2]);
    assert.deepEqual(nums(x), [1, 1, 0, 0]);
  });
  it("ragged lists at any depth are a ValueError", () => {
    assert.throws(() => jnp.asarray([[1], 2]), /inhomogeneous shape/);
    assert.throws(() => jnp.asarray([[[1, 2]], [[3]]]), /inhomogeneous shape/);
  });
  it("a million-element list converts in one pass", () => {
    const big = globalThis.Array.from({ length: 1_000_000 }, (_, i) => i % 7);
    const x = jnp.asarray(big);
    assert.deepEqual([x.dtype, x.size], ["int32", 1_000_000]);
    assert.match(String(x), /^Array\(\[0, 1, 2, \.\.\., 5, 6, 0\], dtype=int32\)$/);
  });
});

describe("shape queries", () => {
  it("ndim, shape, size and broadcast_shapes answer with JS numbers", () => {
    const x = jnp.zeros([2, 3]);
    assert.equal(jnp.ndim(x), 2);
    assert.deepEqual(jnp.shape(x), [2, 3]);
    assert.equal(jnp.size(x), 6);
    assert.equal(jnp.ndim(3), 0);
    assert.deepEqual(jnp.broadcastShapes([[2, 1], [3], []]), [2, 3]);
    assert.throws(() => jnp.broadcastShapes([[2], [3]]), /Incompatible shapes for broadcasting/);
  });
});

describe("numeric options given as typed scalars (Python floats from the front end)", () => {
  const f = (v: number): TypedScalar => new TypedScalar(v, "float32", true);
  it("are read as numbers", () => {
    assert.deepEqual(nums(jnp.round(jnp.asarray([1.26], { dtype: "float32" }), { decimals: f(1) as never })), [Math.fround(1.3)]);
    assert.deepEqual(nums(jnp.linalg.norm(jnp.asarray([3, -4], { dtype: "float32" }), { ord: f(Infinity) as never })), [4]);
    assert.deepEqual(nums(jnp.sum(jnp.asarray([1, 2], { dtype: "float32" }), { initial: f(0.5) as never })), [3.5]);
    assert.deepEqual(nums(jnp.isclose(jnp.asarray([1], { dtype: "float32" }), jnp.asarray([1.05], { dtype: "float32" }), { rtol: f(0.1) as never })), [1]);
  });
});
