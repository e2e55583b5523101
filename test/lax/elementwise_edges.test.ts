/**
 * @file Values XLA defines that NumPy does not (so they are not in the fixtures): integer division
 * and remainder by zero and INT_MIN / -1, shifts by the bit width or more, the poles of digamma
 * and lgamma, C's pow special cases, 64-bit integer wrapping; plus the dtype/shape errors of the
 * elementwise primitives (JAX's kinds and messages), weak types, and their jaxpr text.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import type { Value } from "../../kernel/ir/core.js";
import { config } from "../../kernel/ir/dtype.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import { makeJaxpr } from "../../kernel/ir/jaxpr.js";
import { printJaxpr } from "../../kernel/ir/print.js";
import { Array } from "../../kernel/backend/array.js";
import type { DType } from "../../kernel/ir/dtype.js";
import * as lax from "../../kernel/lax/index.js";
import { jvp } from "../../kernel/ad/index.js";
import { deviceSupports, testDevices } from "../util.js";

const nums = (x: Value): number[] => (x as Array).toNumbers();

function x64<T>(f: () => T): T {
  const prev = config.enableX64;
  config.enableX64 = true;
  try {
    return f();
  } finally {
    config.enableX64 = prev;
  }
}

for (const device of testDevices()) {
  const A = (data: number[], dtype: DType, shape: number[] = [data.length]) => Array.fromHost(data, shape, dtype, { device });

  describe(`XLA-defined values on ${device.toString()}`, () => {
    it("integer division by zero is -1 (all bits set), remainder by zero is the dividend", () => {
      assert.deepEqual(nums(lax.div(A([7, -7, 0], "int32"), A([0, 0, 0], "int32"))), [-1, -1, -1]);
      assert.deepEqual(nums(lax.rem(A([7, -7, 0], "int32"), A([0, 0, 0], "int32"))), [7, -7, 0]);
      assert.deepEqual(nums(lax.div(A([7, 200], "uint8"), A([0, 0], "uint8"))), [255, 255]);
      assert.deepEqual(nums(lax.div(A([7], "uint32"), A([0], "uint32"))), [4294967295]);
      assert.deepEqual(nums(lax.rem(A([7, 200], "uint8"), A([0, 0], "uint8"))), [7, 200]);
      assert.deepEqual(nums(lax.div(A([5], "int8"), A([0], "int8"))), [-1]);
    });

    it("INT_MIN / -1 is INT_MIN and INT_MIN % -1 is 0", () => {
      assert.deepEqual(nums(lax.div(A([-2147483648], "int32"), A([-1], "int32"))), [-2147483648]);
      assert.deepEqual(nums(lax.rem(A([-2147483648], "int32"), A([-1], "int32"))), [0]);
      assert.deepEqual(nums(lax.div(A([-128], "int8"), A([-1], "int8"))), [-128]);
      assert.deepEqual(nums(lax.div(A([-32768], "int16"), A([-1], "int16"))), [-32768]);
    });

    it("shifts by the bit width or more: 0, or the sign fill for arithmetic right shifts", () => {
      const x = A([-5, 5, -1], "int32");
      const big = A([32, 40, -1], "int32");
      assert.deepEqual(nums(lax.shiftLeft(x, big)), [0, 0, 0]);
      assert.deepEqual(nums(lax.shiftRightArithmetic(x, big)), [-1, 0, -1]);
      assert.deepEqual(nums(lax.shiftRightLogical(x, big)), [0, 0, 0]);
      const u = A([0x80, 0xff], "uint8");
      assert.deepEqual(nums(lax.shiftRightLogical(u, A([8, 200], "uint8"))), [0, 0]);
      assert.deepEqual(nums(lax.shiftRightArithmetic(u, A([8, 9], "uint8"))), [0xff, 0xff]);
      assert.deepEqual(nums(lax.shiftLeft(A([1, 1], "int8"), A([7, 8], "int8"))), [-128, 0]);
    });

    it("digamma is NaN at its poles and at -inf; lgamma is +inf at its poles and at ±inf", () => {
      assert.deepEqual(nums(lax.digamma(A([0, -0, -1, -7, -Infinity, Infinity], "float32"))).map(String), ["NaN", "NaN", "NaN", "NaN", "NaN", "Infinity"]);
      assert.deepEqual(nums(lax.lgamma(A([0, -1, -7, -Infinity, Infinity], "float32"))), [Infinity, Infinity, Infinity, Infinity, Infinity]);
    });

    it("pow follows C: 1^y = 1 and x^0 = 1 even for NaN, (-1)^±inf = 1", () => {
      assert.deepEqual(nums(lax.pow(A([1, NaN, -1, -1], "float32"), A([NaN, 0, Infinity, -Infinity], "float32"))), [1, 1, 1, 1]);
    });

    it("round: lax's default rounds half away from zero, TO_NEAREST_EVEN to even", () => {
      const x = A([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999997], "float32");
      assert.deepEqual(nums(lax.round(x)), [-3, -2, -1, 1, 2, 3, 0]);
      assert.deepEqual(nums(lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN)), [-2, -2, -0, 0, 2, 2, 0]);
      assert.ok(Object.is(nums(lax.round(A([-0.25], "float32")))[0], -0), "round keeps the sign of zero");
    });

    it("sign keeps -0 and NaN; max/min propagate NaN from either side", () => {
      const s = nums(lax.sign(A([-0, 0, NaN, -3], "float32")));
      assert.ok(Object.is(s[0], -0) && Object.is(s[1], 0) && Number.isNaN(s[2]) && s[3] === -1);
      assert.deepEqual(nums(lax.max(A([NaN, 1], "float32"), A([1, NaN], "float32"))).map(String), ["NaN", "NaN"]);
      assert.deepEqual(nums(lax.min(A([NaN, 1], "float32"), A([1, NaN], "float32"))).map(String), ["NaN", "NaN"]);
    });

    it("float32 results are rounded to float32 after every operation", () => {
      const r = nums(lax.add(A([16777216], "float32"), A([1], "float32")));
      assert.deepEqual(r, [16777216]);
      assert.deepEqual(nums(lax.div(A([1], "float32"), A([3], "float32"))), [Math.fround(1 / 3)]);
    });

    it("float16 stores half precision, computes in float32 or better", () => {
      assert.deepEqual(nums(lax.add(A([2048], "float16"), A([1], "float16"))), [2048]);
      assert.deepEqual(nums(lax.mul(A([300], "float16"), A([300], "float16"))), [Infinity]);
      assert.deepEqual(nums(lax.nextafter(A([1, 0], "float16"), A([2, 1], "float16"))), [1 + 2 ** -10, 2 ** -24]);
    });

    // WGSL has no 64-bit integers: a case for devices that have them.
    if (deviceSupports(device, "int64")) it("64-bit integers (x64) wrap exactly", () => {
      x64(() => {
        const big = Array.fromHost(BigInt64Array.from([2n ** 63n - 1n, -(2n ** 63n), 3n ** 39n]), [3], "int64", { device });
        const one = Array.fromHost(BigInt64Array.from([1n, -1n, 3n]), [3], "int64", { device });
        assert.deepEqual([...(lax.add(big, one) as Array).data()], [-(2n ** 63n), 2n ** 63n - 1n, 3n ** 39n + 3n]);
        assert.deepEqual([...(lax.mul(big, one) as Array).data()], [2n ** 63n - 1n, -(2n ** 63n), BigInt.asIntN(64, 3n ** 40n)]);
        assert.deepEqual([...(lax.div(big, one) as Array).data()], [2n ** 63n - 1n, -(2n ** 63n), 3n ** 38n]);
        const u = Array.fromHost(BigUint64Array.from([2n ** 64n - 1n, 2n ** 63n]), [2], "uint64", { device });
        assert.deepEqual([...(lax.shiftRightLogical(u, Array.fromHost(BigUint64Array.from([60n, 64n]), [2], "uint64", { device })) as Array).data()], [15n, 0n]);
        assert.deepEqual([...(lax.populationCount(u) as Array).data()], [64n, 1n]);
      });
    });
  });
}

// ---- errors ----------------------------------------------------------------------------------------

describe("elementwise errors (JAX's kinds and messages)", () => {
  const f32 = (shape: number[]) => Array.fromHost(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, "float32");
  const i32 = (shape: number[]) => Array.fromHost(new Int32Array(shape.reduce((a, b) => a * b, 1)), shape, "int32");
  const u32 = (shape: number[]) => Array.fromHost(new Uint32Array(shape.reduce((a, b) => a * b, 1)), shape, "uint32");
  const TABLE: [string, () => unknown, string, string | RegExp][] = [
    ["a float op on integers", () => lax.exp(i32([2])), "TypeError", "exp does not accept dtype int32. Accepted dtypes are subtypes of floating."],
    ["abs of unsigned", () => lax.abs(u32([2])), "TypeError", "abs does not accept dtype uint32. Accepted dtypes are subtypes of signedinteger, floating."],
    ["neg of bool", () => lax.neg(Array.fromHost([1], [1], "bool")), "TypeError", "neg does not accept dtype bool. Accepted dtypes are subtypes of integer, floating."],
    ["mixed dtypes", () => lax.add(f32([2]), i32([2])), "TypeError", "lax.add requires arguments to have the same dtypes, got float32, int32. (Tip: jnp.add is a similar function that does automatic type promotion on inputs)."],
    ["a bitwise op on floats", () => lax.bitwiseAnd(f32([2]), f32([2])), "TypeError", "and does not accept dtype float32 at position 0. Accepted dtypes at position 0 are subtypes of integer, bool."],
    ["shifting floats", () => lax.shiftLeft(f32([2]), f32([2])), "TypeError", "shift_left does not accept dtype float32 at position 0. Accepted dtypes at position 0 are subtypes of integer."],
    ["incompatible shapes", () => lax.mul(f32([2, 3]), f32([3, 2])), "TypeError", "mul got incompatible shapes for broadcasting: (2, 3), (3, 2)."],
    ["different ranks", () => lax.add(f32([2, 3]), f32([3])), "TypeError", "add: arrays must have the same number of dimensions, got {2, 1}"],
    ["pow with an integer base", () => lax.pow(i32([2]), i32([2])), "TypeError", "pow does not accept dtype int32 at position 0. Accepted dtypes at position 0 are subtypes of floating."],
    ["pow with mismatched floats", () => x64(() => lax.pow(f32([2]), Array.fromHost([1, 2], [2], "float64"))), "TypeError", /^the first argument to pow must have an inexact dtype.*but got float32 and float64 respectively\.$/],
    ["integer_pow of ints to a negative power", () => lax.integerPow(i32([2]), -1), "TypeError", "Integers cannot be raised to negative powers, got integer_pow(i32[2], -1)"],
    ["select_n with mismatched case shapes", () => lax.selectN(true, f32([2]), f32([3])), "TypeError", "select cases must have the same shapes, got [(2,), (3,)]."],
    ["select_n with a bad `which` shape", () => lax.selectN(Array.fromHost([1, 0, 1], [3], "bool"), f32([2]), f32([2])), "TypeError", "select `which` must be scalar or have the same shape as cases, got `which` shape (3,) but case shape (2,)."],
    ["select_n with a float `which`", () => lax.selectN(f32([2]), f32([2]), f32([2])), "TypeError", "select `which` must be boolean or integer type, got float32."],
    ["select_n with a bool `which` and 3 cases", () => lax.selectN(true, f32([2]), f32([2]), f32([2])), "TypeError", "select with boolean `which` cannot have > 2 cases."],
    ["select_n without cases", () => lax.selectN(true), "ValueError", "select_n() must have at least one case"],
    ["select with mixed case dtypes", () => lax.select(true, f32([2]), i32([2])), "TypeError", /^lax\.select requires arguments to have the same dtypes, got int32, float32\./],
    ["clamp with a bad bound shape", () => lax.clamp(f32([3]), f32([2]), 1), "TypeError", "clamp requires min.shape == operand.shape or min.shape == (), got min.shape=(3,), operand.shape=(2,)."],
    ["bitcast of bool", () => lax.bitcastConvertType(Array.fromHost([1], [1], "bool"), "uint8"), "TypeError", /^lax\.bitcast_convert_type does not support bool or complex values/],
    ["bitcast to a wider type with the wrong last dim", () => lax.bitcastConvertType(Array.fromHost([1, 2, 3], [3], "uint8"), "uint32"), "ValueError", "Attempting to convert array of shape (3,) from uint8 of size 8 bits to uint32 of size 32, bits but 3 * 8 != 32"],
    ["a bad rounding method", () => lax.round(f32([1]), 2 as 0), "TypeError", "round: rounding_method must be 0 (AWAY_FROM_ZERO) or 1 (TO_NEAREST_EVEN), got 2"],
  ];
  for (const [name, f, kind, msg] of TABLE) {
    it(name, () => assert.throws(f, (e: Error) => {
      assert.equal(e.name, kind);
      if (typeof msg === "string") assert.equal(e.message, msg);
      else assert.match(e.message, msg);
      return true;
    }));
  }
});

// ---- types and jaxprs ----------------------------------------------------------------------------------

describe("elementwise result types and jaxprs", () => {
  const f32 = new ShapedArray([3], "float32");
  const i32 = new ShapedArray([3], "int32");
  const jaxprOf = (f: (...xs: Value[]) => Value | Value[], ...avals: ShapedArray[]) => printJaxpr(makeJaxpr(f as (...a: never[]) => unknown)(...avals));

  it("Python-like scalars take the other operand's dtype and stay weak in the literal", () => {
    assert.equal(jaxprOf((x) => lax.mul(lax.exp(x), 2), f32), "{ lambda ; a:f32[3]. let b:f32[3] = exp a; c:f32[3] = mul b 2.0:f32[] in (c,) }");
    assert.equal(jaxprOf((x) => lax.shiftRightLogical(x, 3), i32), "{ lambda ; a:i32[3]. let b:i32[3] = shift_right_logical a 3:i32[] in (b,) }");
  });
  it("params as JAX prints them", () => {
    assert.equal(jaxprOf((x) => lax.round(x, 1), f32), "{ lambda ; a:f32[3]. let b:f32[3] = round[rounding_method=1] a in (b,) }");
    assert.equal(jaxprOf((x) => lax.integerPow(x, 3), f32), "{ lambda ; a:f32[3]. let b:f32[3] = integer_pow[y=3] a in (b,) }");
    // Longer than 80 columns: one equation per line, as JAX's pretty-printer breaks it.
    assert.equal(jaxprOf((x) => lax.bitcastConvertType(x, "uint32"), f32), "{ lambda ; a:f32[3]. let\n    b:u32[3] = bitcast_convert_type[new_dtype=uint32] a\n  in (b,) }");
  });
  it("comparisons give bool; select is select_n with the cases swapped; clamp", () => {
    assert.equal(
      jaxprOf((x, y) => lax.select(lax.lt(x, y), x, y), f32, f32),
      "{ lambda ; a:f32[3] b:f32[3]. let\n    c:bool[3] = lt a b\n    d:f32[3] = select_n c b a\n  in (d,) }",
    );
    assert.equal(jaxprOf((x) => lax.clamp(0, x, 1), f32), "{ lambda ; a:f32[3]. let b:f32[3] = clamp 0.0:f32[] a 1.0:f32[] in (b,) }");
  });
  it("stop_gradient, is_finite, population_count", () => {
    assert.equal(jaxprOf((x) => lax.isFinite(lax.stopGradient(x)), f32), "{ lambda ; a:f32[3]. let\n    b:f32[3] = stop_gradient a\n    c:bool[3] = is_finite b\n  in (c,) }");
    assert.equal(jaxprOf((x) => lax.populationCount(x), i32), "{ lambda ; a:i32[3]. let b:i32[3] = population_count a in (b,) }");
  });
  it("JVP rules stage JAX's equations (jvp of sin: sin, cos, mul; of log: div)", () => {
    const s = new ShapedArray([], "float32");
    const jvpSin = (x: Value, t: Value) => jvp(lax.sin as (...a: never[]) => unknown, [x], [t]) as Value[];
    assert.equal(jaxprOf(jvpSin, s, s), "{ lambda ; a:f32[] b:f32[]. let\n    c:f32[] = sin a\n    d:f32[] = cos a\n    e:f32[] = mul b d\n  in (c, e) }");
    const jvpLog = (x: Value, t: Value) => jvp(lax.log as (...a: never[]) => unknown, [x], [t]) as Value[];
    assert.equal(jaxprOf(jvpLog, s, s), "{ lambda ; a:f32[] b:f32[]. let c:f32[] = log a; d:f32[] = div b a in (c, d) }");
  });
  it("results are weak only when every operand is", () => {
    const w = Array.scalar(2, "float32", true);
    const s = Array.scalar(2, "float32", false);
    assert.equal((lax.add(w, w) as Array).weakType, true);
    assert.equal((lax.add(w, s) as Array).weakType, false);
    assert.equal((lax.lt(w, w) as Array).dtype, "bool");
    assert.equal((lax.bitcastConvertType(w, "int32") as Array).weakType, false);
  });
  it("stopGradient maps over pytrees", () => {
    const x = Array.fromHost([1, 2], [2], "float32");
    const out = lax.stopGradient({ a: x, b: [x] }) as { a: Array; b: Array[] };
    assert.deepEqual(out.a.toNumbers(), [1, 2]);
    assert.deepEqual(out.b[0].toNumbers(), [1, 2]);
  });
});
