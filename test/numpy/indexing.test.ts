/**
 * @file Indexing (`x.get(idx)`) and functional updates (`x.at(idx).set/add/…`) against NumPy's
 * `x[idx]` and in-place updates (test/fixtures/gen_numpy_index.py), plus JAX's own rules: clamped
 * out-of-bounds gathers, dropped out-of-bounds scatters, and errors.
 */

import assert from "node:assert/strict";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";
import * as jnp from "../../kernel/numpy/index.js";
import { type IndexEntry, IndexError, NonConcreteBooleanIndexError, slice } from "../../kernel/numpy/indexing.js";
import { makeJaxpr, evalJaxpr } from "../../kernel/ir/jaxpr.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import type { JaxValue } from "../../kernel/ir/core.js";
import { Array } from "../../kernel/backend/array.js";

type Entry = number | null | "..." | { slice: [number | null, number | null, number | null] } | { array: FixtureArray };
interface Get { name: string; x: FixtureArray; index: Entry[]; out: FixtureArray }
interface Update extends Get { op: "set" | "add" | "multiply" | "min" | "max"; value: FixtureArray }

const decodeIndex = (idx: Entry[]): IndexEntry[] =>
  idx.map((e) => (e !== null && typeof e === "object" && "array" in e ? fromFixture(e.array) : (e as IndexEntry)));

const values = (x: JaxValue): number[] => (x as Array).toNumbers();

describe("indexing vs NumPy", () => {
  const { gets, updates } = loadFixture<{ gets: Get[]; updates: Update[] }>("numpy_index");
  for (const c of gets) {
    it(`x[${c.name}]`, () => assertClose(fromFixture(c.x).get(decodeIndex(c.index)), c.out, { msg: c.name }));
  }
  for (const c of updates) {
    it(`x.at[${c.name}].${c.op}`, () => {
      const got = fromFixture(c.x).at(decodeIndex(c.index))[c.op](fromFixture(c.value));
      assertClose(got, c.out, { msg: c.name });
    });
  }
});

describe("JAX's indexing rules", () => {
  let v: JaxValue;
  // Made when the tests run: the default device is settled by then.
  before(() => (v = jnp.arange(10)));
  it("clamps out-of-bounds integer and array indices when reading (jnp.arange(10)[11] is 9)", () => {
    assert.equal((v.get(11) as Array).item(), 9);
    assert.equal((v.get(-11) as Array).item(), 0);
    assert.deepEqual(values(v.get([jnp.asarray([12, -1, 3])])), [9, 9, 3]);
  });
  it("drops out-of-bounds updates", () => {
    assert.deepEqual(values(v.at(15).set(100)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(values(v.at([jnp.asarray([1, 20])]).add(5)), [0, 6, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
  it("drops updates at traced out-of-bounds indices", () => {
    const cj = makeJaxpr((x: JaxValue, i: JaxValue) => x.at(i).set(5))(new ShapedArray([3], "int32"), new ShapedArray([], "int32"));
    const run = (i: number): number[] => values(evalJaxpr(cj.jaxpr, cj.consts, [jnp.arange(3), jnp.asarray(i, { dtype: "int32" })])[0] as JaxValue);
    assert.deepEqual(run(7), [0, 1, 2]);
    assert.deepEqual(run(-1), [0, 1, 5]);
    assert.deepEqual(run(1), [0, 5, 2]);
  });
  it("clamps out-of-bounds updates with mode='clip'", () => {
    assert.deepEqual(values(v.at(15).set(100, { mode: "clip" })), [0, 1, 2, 3, 4, 5, 6, 7, 8, 100]);
  });
  it("fills out-of-bounds reads with mode='fill'", () => {
    const f = jnp.arange(3, { dtype: "float32" }).at([jnp.asarray([0, 5])]).get({ mode: "fill" });
    const got = values(f);
    assert.equal(got[0], 0);
    assert.ok(Number.isNaN(got[1]));
    assert.deepEqual(values(jnp.arange(3).at([jnp.asarray([0, 5])]).get({ mode: "fill", fill_value: -7 })), [0, -7]);
  });
  it("take fills out-of-bounds indices by default, as JAX's take does", () => {
    assert.deepEqual(values(jnp.take(jnp.arange(4), [1, 9], { fill_value: -1 })), [1, -1]);
  });
  it("returns arrays that keep the dtype and weak type of x", () => {
    const w = jnp.asarray(2.5);
    assert.equal(w.weakType, true);
    const y = jnp.full([3], 1.5).get(0);
    assert.equal(y.dtype, "float32");
    assert.equal(String(jnp.zeros([2, 2], { dtype: "int32" }).at(0).set(7.9)), "Array([[7, 7],\n       [0, 0]], dtype=int32)");
  });
  it("stages a static slice as lax.slice and an integer as slice + squeeze", () => {
    const cj = makeJaxpr((x: JaxValue) => x.get([1, slice(null, null, 2)]))(new ShapedArray([3, 4], "float32"));
    assert.equal(printJaxpr(cj),
      "{ lambda ; a:f32[3,4]. let\n    b:f32[1,2] = slice[limit_indices=(2, 3) start_indices=(1, 0) strides=(1, 2)] a\n    c:f32[2] = squeeze[dimensions=(0,)] b\n  in (c,) }");
  });
  it("indexes tracers with a traced integer through dynamic_slice", () => {
    const cj = makeJaxpr((x: JaxValue, i: JaxValue) => x.get(i))(new ShapedArray([5], "float32"), new ShapedArray([], "int32"));
    const prims = cj.jaxpr.eqns.map((e) => e.primitive);
    assert.ok(prims.includes("dynamic_slice"), prims.join(","));
    assert.deepEqual([...cj.outAvals[0].shape], []);
  });
});

describe("indexing errors", () => {
  let x: JaxValue;
  before(() => (x = jnp.reshape(jnp.arange(6), [2, 3])));
  it("too many indices is an IndexError", () => {
    assert.throws(() => x.get([0, 0, 0]), (e: Error) => e instanceof IndexError && /Too many indices: 2-dimensional array indexed with 3 regular indices/.test(e.message));
  });
  it("a float index is a TypeError", () => {
    assert.throws(() => x.get(1.5), (e: Error) => e instanceof TypeError && /Indexer must have integer or boolean type/.test(e.message));
    assert.throws(() => x.get([jnp.asarray([0.5])]), /Indexer must have integer or boolean type, got indexer with type float32/);
  });
  it("two ellipses are an IndexError", () => {
    assert.throws(() => x.get(["...", "..."]), /an index can only have a single ellipsis/);
  });
  it("a boolean mask of the wrong shape is an IndexError", () => {
    assert.throws(() => x.get([jnp.asarray([true, false, true])]), /boolean index did not match indexed array along axis 0; size of axis is 2 but size of corresponding boolean axis is 3/);
  });
  it("index arrays that do not broadcast are an IndexError", () => {
    assert.throws(() => x.get([jnp.asarray([0, 1]), jnp.asarray([0, 1, 2])]), /shape mismatch: indexing arrays could not be broadcast together with shapes \(2,\) \(3,\)/);
  });
  it("a traced boolean mask is JAX's NonConcreteBooleanIndexError", () => {
    assert.throws(
      () => makeJaxpr((a: JaxValue) => a.get(a.gt(0)))(new ShapedArray([3], "float32")),
      (e: Error) => e instanceof NonConcreteBooleanIndexError && /Array boolean indices must be concrete; got ShapedArray\(bool\[3\]\)/.test(e.message),
    );
  });
  it("a zero slice step is a ValueError", () => {
    assert.throws(() => x.get([slice(null, null, 0)]), (e: Error) => e.name === "ValueError" && /slice step cannot be zero/.test(e.message));
  });
});
