/**
 * @file The AD and batching rules of the elementwise primitives: every JVP against central finite
 * differences in float64 (first and second order), JAX's special derivative values (sqrt at 0,
 * pow at 0, ties of max/min, abs at 0), transposes of the linear primitives by the dot-product
 * test <ct, J t> = <Jᵀ ct, t>, and the batching rules of select_n and clamp with scalar operands.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value, getAval, rulesOf } from "../../kernel/ir/core.js";
import { config } from "../../kernel/ir/dtype.js";
import { type JvpRule, UndefinedPrimal, Zero } from "../../kernel/ir/rules.js";
import { Array } from "../../kernel/backend/array.js";
import { Float0Array, jvp, vjp } from "../../kernel/ad/index.js";
import * as lax from "../../kernel/lax/index.js";

type Fn = (...xs: Value[]) => Value;

const f64 = (data: number[], shape: number[] = [data.length]): Array => Array.fromHost(data, shape, "float64");
const nums = (x: unknown): number[] => (x as Array).toNumbers();

function x64<T>(f: () => T): T {
  const prev = config.enableX64;
  config.enableX64 = true;
  try {
    return f();
  } finally {
    config.enableX64 = prev;
  }
}

function assertNear(got: number[], want: number[], rtol: number, atol: number, msg: string): void {
  assert.equal(got.length, want.length, `${msg}: length`);
  got.forEach((g, i) => {
    const w = want[i];
    assert.ok(Math.abs(g - w) <= atol + rtol * Math.abs(w), `${msg}: element ${i}: got ${g}, want ${w}`);
  });
}

/** Central difference of f along tangent t of argument `k`. */
function finiteDiff(f: Fn, args: Array[], k: number, t: number[], h = 1e-6): number[] {
  const shift = (s: number) => args.map((a, i) => (i === k ? f64(nums(a).map((v, j) => v + s * h * t[j]), [...a.shape]) : a));
  const up = nums(f(...shift(1)));
  const dn = nums(f(...shift(-1)));
  return up.map((u, i) => (u - dn[i]) / (2 * h));
}

/** The JVP of f along argument k, the other arguments held constant. */
function jvpAlong(f: Fn, args: Array[], k: number, t: number[]): number[] {
  const g = (a: Value): Value => f(...args.map((b, i) => (i === k ? a : b)));
  const [, tout] = jvp(g as (...a: never[]) => unknown, [args[k]], [f64(t, [...args[k].shape])]) as [Value, Value];
  return nums(tout);
}

interface JvpCase {
  readonly name: string;
  readonly f: Fn;
  readonly args: number[][];
  /** Arguments that are not differentiated (integer exponents, polygamma's order). */
  readonly fixed?: number[];
}

const U = (name: string, f: Fn, xs: number[]): JvpCase => ({ name, f, args: [xs] });
const GENERAL = [-1.7, -0.6, 0.3, 0.9, 2.2];
const POS = [0.2, 0.7, 1.3, 2.9, 7.5];
const UNIT = [-0.8, -0.3, 0.1, 0.45, 0.9];

const CASES: JvpCase[] = [
  U("neg", lax.neg, GENERAL),
  U("exp", lax.exp, GENERAL),
  U("exp2", lax.exp2, GENERAL),
  U("log", lax.log, POS),
  U("log1p", lax.log1p, [-0.7, -0.2, 0.3, 2.0, 10]),
  U("expm1", lax.expm1, GENERAL),
  U("sqrt", lax.sqrt, POS),
  U("rsqrt", lax.rsqrt, POS),
  U("cbrt", lax.cbrt, [-2.5, -0.4, 0.3, 1.1, 8]),
  U("logistic", lax.logistic, [-6, -0.6, 0.3, 0.9, 5]),
  U("sin", lax.sin, GENERAL),
  U("cos", lax.cos, GENERAL),
  U("tan", lax.tan, [-1.2, -0.6, 0.3, 0.9, 1.3]),
  U("asin", lax.asin, UNIT),
  U("acos", lax.acos, UNIT),
  U("atan", lax.atan, GENERAL),
  U("sinh", lax.sinh, GENERAL),
  U("cosh", lax.cosh, GENERAL),
  U("tanh", lax.tanh, GENERAL),
  U("asinh", lax.asinh, GENERAL),
  U("acosh", lax.acosh, [1.1, 1.5, 2.2, 4, 10]),
  U("atanh", lax.atanh, UNIT),
  U("erf", lax.erf, GENERAL),
  U("erfc", lax.erfc, GENERAL),
  U("erf_inv", lax.erfInv, UNIT),
  U("lgamma", lax.lgamma, [-2.5, -0.3, 0.4, 1.7, 6.2]),
  U("digamma", lax.digamma, [-2.5, -0.3, 0.4, 1.7, 6.2]),
  U("abs", lax.abs, [-1.7, -0.6, 0.3, 0.9, 2.2]),
  U("square", lax.square, GENERAL),
  U("reciprocal", lax.reciprocal, [-1.7, -0.6, 0.3, 0.9, 2.2]),
  U("integer_pow y=3", (x) => lax.integerPow(x, 3), GENERAL),
  U("integer_pow y=-2", (x) => lax.integerPow(x, -2), [-1.7, -0.6, 0.3, 0.9, 2.2]),
  U("integer_pow y=5", (x) => lax.integerPow(x, 5), GENERAL),
  { name: "add", f: lax.add, args: [GENERAL, POS] },
  { name: "sub", f: lax.sub, args: [GENERAL, POS] },
  { name: "mul", f: lax.mul, args: [GENERAL, POS] },
  { name: "div", f: lax.div, args: [GENERAL, POS] },
  { name: "rem", f: lax.rem, args: [[5.3, -4.1, 2.2, 0.7, -9.5], [2.1, 1.5, -0.9, 0.4, 2.2]] },
  { name: "pow", f: lax.pow, args: [POS, GENERAL] },
  { name: "max", f: lax.max, args: [GENERAL, [0, 0, 0, 2, 2]] },
  { name: "min", f: lax.min, args: [GENERAL, [0, 0, 0, 2, 2]] },
  { name: "atan2", f: lax.atan2, args: [GENERAL, [0.5, -1.2, 2, -0.3, 1]] },
  { name: "polygamma", f: lax.polygamma, args: [[0, 1, 1, 2, 3], [1.5, 0.7, 3.2, 2.5, 4.1]], fixed: [0] },
  { name: "clamp", f: lax.clamp, args: [[-1, -1, -1, 0.5, 0.5], GENERAL, [1, 1, 1, 3, 3]] },
  { name: "select_n", f: (w, a, b) => lax.selectN(lax.gt(w, 0), a, b), args: [GENERAL, POS, UNIT], fixed: [0] },
  { name: "logistic of a broadcast sum", f: (x, y) => lax.logistic(lax.add(x, y)), args: [GENERAL, [0.3]] },
];

describe("elementwise JVP rules against central differences (float64)", () => {
  for (const c of CASES) {
    it(c.name, () => {
      x64(() => {
        const args = c.args.map((a) => f64(a));
        args.forEach((a, k) => {
          if (c.fixed?.includes(k)) return;
          const t = nums(a).map((_, j) => 0.5 + 0.25 * j);
          assertNear(jvpAlong(c.f, args, k, t), finiteDiff(c.f, args, k, t), 1e-6, 1e-8, `${c.name} d/darg${k}`);
        });
      });
    });
  }
});

describe("second derivatives (the JVP rules of the JVP rules)", () => {
  for (const c of CASES.filter((k) => k.args.length === 1 && !["abs", "neg"].includes(k.name))) {
    it(c.name, () => {
      x64(() => {
        const args = c.args.map((a) => f64(a));
        const ones = nums(args[0]).map(() => 1);
        const d1: Fn = (x) => (jvp(c.f as (...a: never[]) => unknown, [x], [f64(ones)]) as Value[])[1];
        assertNear(jvpAlong(d1, args, 0, ones), finiteDiff(d1, args, 0, ones, 1e-5), 1e-5, 1e-7, `${c.name}''`);
      });
    });
  }
});

describe("JAX's derivative values at special points", () => {
  const d = (f: Fn, xs: number[], k = 0, others: number[][] = []): number[] =>
    x64(() => {
      const args = k === 0 ? [f64(xs), ...others.map((o) => f64(o))] : [...others.map((o) => f64(o)), f64(xs)];
      return jvpAlong(f, args, k, xs.map(() => 1));
    });

  it("sqrt'(0) is inf", () => assert.deepEqual(d(lax.sqrt, [0, 4]), [Infinity, 0.25]));
  it("abs'(0) is 1 (the x >= 0 branch)", () => assert.deepEqual(d(lax.abs, [0, -0, -2]), [1, 1, -1]));
  it("max/min split a tie evenly", () => {
    assert.deepEqual(d(lax.max, [1, 1, 2], 0, [[1, 0, 3]]), [0.5, 1, 0]);
    assert.deepEqual(d(lax.min, [1, 1, 2], 0, [[1, 0, 3]]), [0.5, 0, 1]);
  });
  it("pow: d/dx x^y with an integer y = 0 is 0, also at x = 0; x^2.0 at 0 is 0", () => {
    x64(() => {
      const x = f64([0, 2, 0]);
      const yi = Array.fromHost([0, 0, 2], [3], "int64");
      const [, t] = jvp(((a: Value) => lax.pow(a, yi)) as (...a: never[]) => unknown, [x], [f64([1, 1, 1])]) as Value[];
      assert.deepEqual(nums(t), [0, 0, 0]);
      assert.deepEqual(d((a) => lax.pow(a, 2), [0, 3]), [0, 6]);
    });
  });
  it("pow: d/dy x^y at x = 0 is 0 (log(0) replaced by log(1))", () => assert.deepEqual(d(lax.pow, [2, 0.5], 1, [[0, 0]]), [0, 0]));
  it("integer_pow with y = 0 and y = 1", () => {
    assert.deepEqual(d((x) => lax.integerPow(x, 0), [3, 0]), [0, 0]);
    assert.deepEqual(d((x) => lax.integerPow(x, 1), [3, 0]), [1, 1]);
  });
  it("piecewise-constant and comparison primitives have zero tangents", () => {
    for (const f of [lax.floor, lax.ceil, lax.sign, (x: Value) => lax.round(x, 1)]) assert.deepEqual(d(f, [0.3, -1.7]), [0, 0]);
    // A boolean output's tangent is float0: JAX's zero-sized tangent type.
    const [, t] = x64(() => jvp(((x: Value) => lax.lt(x, 1)) as (...a: never[]) => unknown, [f64([0.3, 2])], [f64([1, 1])]) as unknown[]);
    assert.ok(t instanceof Float0Array, `got ${String(t)}`);
  });
  it("stop_gradient blocks the tangent", () => assert.deepEqual(d((x) => lax.mul(x, lax.stopGradient(x)), [3, -2]), [3, -2]));
  it("nextafter has no derivative, as in JAX", () => {
    assert.throws(() => d((x) => lax.nextafter(x, 1), [0.5]), { name: "NotImplementedError", message: "Differentiation rule for 'nextafter' not implemented" });
  });
  it("polygamma has no derivative in its order", () => {
    assert.throws(() => d((m) => lax.polygamma(m, 2), [1]), { name: "ValueError", message: "polygamma gradient with respect to m is not supported" });
  });
  it("the jvp rules keep zero tangents symbolic", () => {
    x64(() => {
      const x = f64([1, 2]);
      for (const prim of ["exp", "mul", "select_n", "pow"]) {
        const rule = rulesOf(prim).jvp as JvpRule;
        const args = prim === "select_n" ? [Array.fromHost([1, 0], [2], "bool"), x, x] : prim === "exp" ? [x] : [x, x];
        const [, [t]] = rule(args, args.map((a) => new Zero(getAval(a))), {});
        assert.ok(t instanceof Zero, prim);
      }
    });
  });
});

// ---- transposes -------------------------------------------------------------------------------------

const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);

/** <ct, J t> = <Jᵀ ct, t> for a function linear in its argument. */
function dotTest(name: string, f: Fn, x: Array, ct: Array): void {
  const t = f64(nums(x).map((_, i) => 0.3 + 0.1 * i), [...x.shape]);
  const [, jt] = jvp(f as (...a: never[]) => unknown, [x], [t]) as Value[];
  const [, pullback] = vjp(f as (...a: never[]) => unknown, [x]) as [Value, (c: unknown) => Value[]];
  const [jct] = pullback(ct);
  assert.deepEqual([...getAval(jct).shape], [...x.shape], `${name}: cotangent shape`);
  const lhs = dot(nums(ct), nums(jt));
  const rhs = dot(nums(jct), nums(t));
  assert.ok(Math.abs(lhs - rhs) <= 1e-12 * (1 + Math.abs(lhs)), `${name}: <ct, J t> = ${lhs} but <Jᵀ ct, t> = ${rhs}`);
}

describe("transposes of the linear primitives (dot-product test through vjp)", () => {
  const c3 = () => f64([1.5, -2, 0.5]);
  const w = () => Array.fromHost([0, 2, 1], [3], "int32");
  const TABLE: [string, Fn, () => Array, () => Array][] = [
    ["neg", lax.neg, c3, c3],
    ["add (x left)", (x) => lax.add(x, c3()), c3, c3],
    ["sub (x right)", (x) => lax.sub(c3(), x), c3, c3],
    ["mul (x left)", (x) => lax.mul(x, c3()), c3, c3],
    ["mul (x right)", (x) => lax.mul(c3(), x), c3, c3],
    ["div (x numerator)", (x) => lax.div(x, c3()), c3, c3],
    ["add_any", (x) => lax.addAny(x, x), c3, c3],
    ["select_n (x in case 0)", (x) => lax.selectN(w(), x, c3(), c3()), c3, c3],
    ["select_n (x in case 2)", (x) => lax.selectN(w(), c3(), c3(), x), c3, c3],
    ["select (bool which)", (x) => lax.select(lax.gt(c3(), 0), x, c3()), c3, c3],
    ["add of a rank-0 x to a vector (unbroadcast sums)", (x) => lax.add(x, c3()), () => f64([2], []), c3],
    ["mul of a size-1 x against (2, 3)", (x) => lax.mul(x, f64([1, 2, 3, 4, 5, 6], [2, 3])), () => f64([2, -1], [2, 1]), () => f64([1, -1, 2, 0.5, 3, -2], [2, 3])],
    ["sub of a (1, 3) x from (2, 3)", (x) => lax.sub(f64([1, 2, 3, 4, 5, 6], [2, 3]), x), () => f64([2, -1, 3], [1, 3]), () => f64([1, -1, 2, 0.5, 3, -2], [2, 3])],
    ["div of a rank-0 x by a vector", (x) => lax.div(x, c3()), () => f64([2], []), c3],
  ];
  for (const [name, f, x, ct] of TABLE) it(name, () => x64(() => dotTest(name, f, x(), ct())));

  it("transpose rules give null for the known operands and Zero for zero cotangents", () => {
    x64(() => {
      const x = f64([1, 2]);
      const cts = rulesOf("mul").transpose!([new Zero(getAval(x))], [new UndefinedPrimal(getAval(x)), x], {});
      assert.ok(cts[0] instanceof Zero);
      assert.equal(cts[1], null);
      const sel = rulesOf("select_n").transpose!([x], [Array.fromHost([1, 0], [2], "bool"), new UndefinedPrimal(getAval(x)), x], {});
      assert.equal(sel[0], null);
      assert.deepEqual(nums(sel[1]), [0, 2]);
      assert.equal(sel[2], null);
    });
  });
});

// ---- batching ---------------------------------------------------------------------------------------

describe("batching rules with scalar and unbatched operands", () => {
  const loop = (f: (b: number) => Value, n: number): number[] => [...globalThis.Array(n).keys()].flatMap((b) => nums(f(b)));
  const row = (m: Array, b: number): Array => f64(nums(m).slice(b * 3, b * 3 + 3), [3]);

  it("select_n: a batched scalar `which` spreads over unbatched cases", () => {
    const which = Array.fromHost([0, 1], [2], "int32");
    const c0 = f64([1, 2, 3]), c1 = f64([4, 5, 6]);
    const [[out], [d]] = rulesOf("select_n").batch([which, c0, c1], [0, null, null], {}, 2);
    assert.equal(d, 0);
    assert.deepEqual(nums(out), [1, 2, 3, 4, 5, 6]);
  });
  it("select_n: an unbatched scalar `which` with cases batched on different axes", () => {
    const c0 = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    const c1 = f64([10, 40, 20, 50, 30, 60], [3, 2]);
    const [[out], [d]] = rulesOf("select_n").batch([true, c0, c1], [null, 0, 1], {}, 2);
    const got = d === 0 ? nums(out) : nums(lax.transpose(out, [1, 0]));
    assert.deepEqual(got, [10, 20, 30, 40, 50, 60]);
  });
  it("clamp: scalar bounds with a batched operand stay unbatched", () => {
    const x = f64([-2, 0.5, 2, 3, -1, 0], [2, 3]);
    const [[out], [d]] = rulesOf("clamp").batch([-1, x, 1], [null, 0, null], {}, 2);
    assert.equal(d, 0);
    assert.deepEqual(nums(out), loop((b) => lax.clamp(-1, row(x, b), 1), 2));
  });
  it("clamp: batched vector bounds with an unbatched operand", () => {
    const lo = f64([0, 0, 0, -5, -5, -5], [2, 3]);
    const hi = f64([1, 1, 1, 5, 5, 5], [2, 3]);
    const x = f64([-2, 0.5, 7]);
    const [[out], [d]] = rulesOf("clamp").batch([lo, x, hi], [0, null, 0], {}, 2);
    assert.equal(d, 0);
    assert.deepEqual(nums(out), loop((b) => lax.clamp(row(lo, b), x, row(hi, b)), 2));
  });
  it("binary ops: mismatched batch dims move to the front; unbatched operands broadcast", () => {
    const x = f64([1, 2, 3, 4, 5, 6], [3, 2]);
    const y = f64([10, 20, 30]);
    const [[out], [d]] = rulesOf("add").batch([x, y], [1, null], {}, 2);
    assert.equal(d, 0);
    assert.deepEqual([...getAval(out).shape], [2, 3]);
    assert.deepEqual(nums(out), [11, 23, 35, 12, 24, 36]);
  });
  it("bitcast_convert_type keeps the batch dim off the axis a width change removes", () => {
    x64(() => {
      const u = Array.fromHost([0, 0x3ff00000, 0, 0x40000000], [2, 2], "uint32");
      const [[out], [d]] = rulesOf("bitcast_convert_type").batch([lax.transpose(u, [1, 0])], [1], { new_dtype: "float64" }, 2);
      assert.equal(d, 0);
      assert.deepEqual(nums(out), [1, 2]);
    });
  });
});
