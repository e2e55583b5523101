/** @file lax.map and lax.associative_scan: values against NumPy, batch sizes, pytrees, axes, derivatives. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { Array, checkGrads, config, lax, makeJaxpr, ShapedArray } from "../../kernel/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { type FixtureArray, assertClose, fromFixture, loadFixture } from "../util.js";

interface Fixture {
  map: { xs: FixtureArray; ys: FixtureArray };
  associative_scan: { x: FixtureArray; cumsum: FixtureArray; cummax_rev: FixtureArray; mats: FixtureArray; matprods: FixtureArray };
}
const fx = loadFixture<Fixture>("control");

const arr = (data: number[], shape: number[] = [data.length], dtype: "float32" | "int32" | "float64" = "float32") => Array.fromHost(data, shape, dtype);
const nums = (x: unknown) => (x as Array).toNumbers();
const check = (f: (...a: Value[]) => unknown, args: Value[], order: number) => checkGrads(f as (...a: unknown[]) => unknown, args, order);

function withX64(fn: () => void): void {
  const prev = config.enableX64;
  config.enableX64 = true;
  try {
    fn();
  } finally {
    config.enableX64 = prev;
  }
}

/** sum(sin(x)) * x, for one row. */
const rowFn = (x: Value) => lax.mul(lax.reduceSum(lax.sin(x), [0]), x);

describe("lax.map", () => {
  it("applies f to each row, as NumPy's loop does", () => {
    assertClose(lax.map(rowFn, fromFixture(fx.map.xs)), fx.map.ys, { rtol: 1e-6, atol: 1e-6 });
  });

  it("gives the same values for every batch size (batches vmapped, the remainder too)", () => {
    for (const batchSize of [1, 2, 3, 5, 7, 0]) {
      assertClose(lax.map(rowFn, fromFixture(fx.map.xs), { batchSize }), fx.map.ys, { rtol: 1e-6, atol: 1e-6, msg: `batchSize=${batchSize}` });
    }
  });

  it("maps over pytrees", () => {
    const out = lax.map((t: { a: Value; b: Value }) => [lax.add(t.a, t.b), lax.reduceSum(t.b, [0])], { a: arr([1, 2, 3]), b: arr([1, 2, 3, 4, 5, 6], [3, 2]) }) as Value[];
    assert.deepEqual([nums(out[0]), nums(out[1])], [[2, 3, 5, 6, 8, 9], [3, 7, 11]]);
  });

  it("is a scan without carry", () => {
    const j = makeJaxpr((xs: Value) => lax.map(rowFn, xs))(new ShapedArray([5, 3], "float32"));
    assert.deepEqual(j.jaxpr.eqns.map((e) => [e.primitive, e.params.num_carry, e.params.length]), [["scan", 0, 5]]);
  });

  it("is differentiable, also with batches (float64)", () => withX64(() => {
    const xs = arr([0.1, 0.5, -0.3, 0.8, 1.2, -0.7], [3, 2], "float64");
    check((x: Value) => lax.map(rowFn, x), [xs], 2);
    check((x: Value) => lax.map(rowFn, x, { batchSize: 2 }), [xs], 1);
  }));
});

describe("lax.associative_scan", () => {
  const a = fx.associative_scan;

  it("computes prefix sums and (reversed) running maxima as NumPy does", () => {
    assertClose(lax.associativeScan(lax.add, fromFixture(a.x)), a.cumsum, { rtol: 1e-6, atol: 1e-6 });
    assertClose(lax.associativeScan(lax.max, fromFixture(a.x), { reverse: true }), a.cummax_rev);
  });

  it("keeps the order of a non-commutative operation: running matrix products", () => {
    const matmul = (x: Value, y: Value) => lax.dotGeneral(x, y, [[[2], [1]], [[0], [0]]]);
    assertClose(lax.associativeScan(matmul, fromFixture(a.mats)), a.matprods, { rtol: 1e-5, atol: 1e-6 });
  });

  it("handles every length, odd and even, and any axis", () => {
    for (const n of [1, 2, 3, 4, 7, 8, 9]) {
      const x = arr([...globalThis.Array(n).keys()].map((k) => k + 1), [n], "int32");
      const want = [...globalThis.Array(n).keys()].map((k) => ((k + 1) * (k + 2)) / 2);
      assert.deepEqual(nums(lax.associativeScan(lax.add, x)), want, `n=${n}`);
    }
    const m = arr([1, 2, 3, 4, 5, 6], [2, 3], "int32");
    assert.deepEqual(nums(lax.associativeScan(lax.add, m, { axis: 1 })), [1, 3, 6, 4, 9, 15]);
    assert.deepEqual(nums(lax.associativeScan(lax.add, m, { axis: -2 })), [1, 2, 3, 5, 7, 9]);
  });

  it("scans pytrees: a linear recurrence h = a·h + b as pairs", () => {
    // (a1, b1) then (a2, b2) compose to (a1·a2, a2·b1 + b2).
    const combine = ([a1, b1]: Value[], [a2, b2]: Value[]) => [lax.mul(a1, a2), lax.add(lax.mul(a2, b1), b2)];
    const [, hs] = lax.associativeScan(combine, [arr([0.5, 2, 1, 0.5]), arr([1, 1, 2, 3])]) as Value[];
    const want: number[] = [];
    let h = 0;
    [[0.5, 1], [2, 1], [1, 2], [0.5, 3]].forEach(([ak, bk]) => want.push((h = ak * h + bk)));
    assert.deepEqual(nums(hs), want);
  });

  it("is differentiable (float64)", () => withX64(() => {
    check((x: Value) => lax.associativeScan(lax.mul, x), [arr([0.5, -1.5, 2, 0.7, 1.1], [5], "float64")], 2);
  }));

  it("rejects leaves of different lengths", () => {
    assert.throws(() => lax.associativeScan(lax.add as never, [arr([1, 2]), arr([1, 2, 3])]), (e: Error) => {
      assert.equal(e.name, "ValueError");
      assert.equal(e.message, "Array inputs to associative_scan must have the same first dimension. (saw: [(2,), (3,)])");
      return true;
    });
  });
});
