/**
 * @file Unary elementwise primitives, one stanza each (after lax.py): dtype rule, JVP with the
 * derivative as a comment, transpose for the linear ones, and the lowering to kernel expressions.
 * Batching is JAX's defvectorized for all of them (in `unop`).
 */

import { type Value, bind1, definePrimitive, getAval } from "../ir/core.js";
import { type DType, isFloat } from "../ir/dtype.js";
import { ShapedArray } from "../ir/shape.js";
import { type UnaryOp, type Exp, binary, cast, constant, unary, where } from "../codegen/exp.js";
import { Zero } from "../ir/rules.js";
import { defjvp, defjvp2, linearJvp } from "./helpers.js";
import { FLOAT, INT, INT_OR_BOOL, NUM, type Kind, constLike, unop, vectorizedBatch, elementwiseLowering, checkUnaryDtype } from "./nary.js";
import { add, div, mul, sub, polygamma } from "./binary.js";
import { ge, select } from "./select.js";
import { shardElementwise } from "./shard.js";

const op = (o: UnaryOp) => (x: Exp): Exp => unary(o, x);
const c = (x: Exp, v: number): Exp => constant(v, x.dtype);

/** Defines a unary primitive lowering to one kernel op and returns its lax function. */
function simple(name: string, o: UnaryOp, kinds: readonly Kind[], jvp: Parameters<typeof unop>[1]["jvp"]) {
  unop(name, { kinds, jvp, lower: op(o) });
  return (x: Value): Value => bind1(name, [x]);
}

// ---- linear and piecewise-constant -----------------------------------------------------------------

// d(-x) = -dx; the transpose negates the cotangent.
unop("neg", { kinds: NUM, jvp: linearJvp("neg"), transpose: ([ct]) => [ct instanceof Zero ? ct : neg(ct)], lower: op("neg") });
export const neg = (x: Value): Value => bind1("neg", [x]);

// sign, floor, ceil, round and is_finite are piecewise constant: zero tangents.
export const sign = simple("sign", "sign", NUM, "nondiff");
export const floor = simple("floor", "floor", FLOAT, "nondiff");
export const ceil = simple("ceil", "ceil", FLOAT, "nondiff");

/** lax.RoundingMethod: halfway values go away from zero (0, lax.round's default) or to even (1, jnp.round's). */
export const RoundingMethod = { AWAY_FROM_ZERO: 0, TO_NEAREST_EVEN: 1 } as const;

unop("round", {
  kinds: FLOAT,
  jvp: "nondiff",
  lower: (x, p) => {
    if (p.rounding_method === RoundingMethod.TO_NEAREST_EVEN) return unary("round", x);
    // Away from zero: trunc(x) plus sign(x) when the dropped fraction is at least one half
    // (x - trunc(x) is exact, so this is correctly rounded; -0, ±inf and NaN pass through).
    const t = unary("trunc", x);
    return where(binary("ge", unary("abs", binary("sub", x, t)), c(x, 0.5)), binary("add", t, unary("sign", x)), t);
  },
});
export function round(x: Value, roundingMethod: 0 | 1 = RoundingMethod.AWAY_FROM_ZERO): Value {
  if (roundingMethod !== 0 && roundingMethod !== 1) throw new TypeError(`round: rounding_method must be 0 (AWAY_FROM_ZERO) or 1 (TO_NEAREST_EVEN), got ${String(roundingMethod)}`);
  return bind1("round", [x], { rounding_method: roundingMethod });
}

unop("is_finite", { kinds: FLOAT, outDtype: "bool", jvp: "nondiff", lower: op("isfinite") });
export const isFinite = (x: Value): Value => bind1("is_finite", [x]);

// ---- exponentials and logarithms -------------------------------------------------------------------

// d exp(x) = exp(x) dx
export const exp = simple("exp", "exp", FLOAT, defjvp2("exp", (g, ans) => mul(g, ans)));
// d 2^x = log(2) 2^x dx
export const exp2 = simple("exp2", "exp2", FLOAT, defjvp2("exp2", (g, ans, x) => mul(log(constLike(x, 2)), mul(g, ans))));
// d log(x) = dx / x
export const log = simple("log", "log", FLOAT, defjvp("log", (g, x) => div(g, x)));
// d log(1 + x) = dx / (1 + x)
export const log1p = simple("log1p", "log1p", FLOAT, defjvp("log1p", (g, x) => div(g, add(x, constLike(x, 1)))));
// d (exp(x) - 1) = (ans + 1) dx
export const expm1 = simple("expm1", "expm1", FLOAT, defjvp2("expm1", (g, ans) => mul(g, add(ans, constLike(ans, 1)))));
// d sqrt(x) = 0.5 / sqrt(x) dx   (inf at 0, as in JAX)
export const sqrt = simple("sqrt", "sqrt", FLOAT, defjvp2("sqrt", (g, ans, x) => mul(g, div(constLike(x, 0.5), ans))));
// d x^(-1/2) = -0.5 x^(-1/2) / x dx
export const rsqrt = simple("rsqrt", "rsqrt", FLOAT, defjvp2("rsqrt", (g, ans, x) => mul(g, mul(constLike(x, -0.5), div(ans, x)))));
// d x^(1/3) = (1/3) ans^(-2) dx
export const cbrt = simple("cbrt", "cbrt", FLOAT, defjvp2("cbrt", (g, ans, x) => mul(g, mul(constLike(x, 1 / 3), integerPow(ans, -2)))));
// d logistic(x) = ans (1 - ans) dx
export const logistic = simple("logistic", "logistic", FLOAT, defjvp2("logistic", (g, ans) => mul(g, mul(ans, sub(constLike(ans, 1), ans)))));

// ---- trigonometric and hyperbolic ----------------------------------------------------------------

// d sin(x) = cos(x) dx
export const sin = simple("sin", "sin", FLOAT, defjvp("sin", (g, x) => mul(g, cos(x))));
// d cos(x) = -sin(x) dx
export const cos = simple("cos", "cos", FLOAT, defjvp("cos", (g, x) => neg(mul(g, sin(x)))));
// d tan(x) = (1 + tan²(x)) dx
export const tan = simple("tan", "tan", FLOAT, defjvp2("tan", (g, ans, x) => mul(g, add(constLike(x, 1), square(ans)))));
// d asin(x) = dx / sqrt(1 - x²)
export const asin = simple("asin", "asin", FLOAT, defjvp("asin", (g, x) => mul(g, rsqrt(sub(constLike(x, 1), square(x))))));
// d acos(x) = -dx / sqrt(1 - x²)
export const acos = simple("acos", "acos", FLOAT, defjvp("acos", (g, x) => mul(g, neg(rsqrt(sub(constLike(x, 1), square(x)))))));
// d atan(x) = dx / (1 + x²)
export const atan = simple("atan", "atan", FLOAT, defjvp("atan", (g, x) => div(g, add(constLike(x, 1), square(x)))));
// d sinh(x) = cosh(x) dx
export const sinh = simple("sinh", "sinh", FLOAT, defjvp("sinh", (g, x) => mul(g, cosh(x))));
// d cosh(x) = sinh(x) dx
export const cosh = simple("cosh", "cosh", FLOAT, defjvp("cosh", (g, x) => mul(g, sinh(x))));
// d tanh(x) = (1 - tanh²(x)) dx, as (g + g·ans)(1 - ans)
export const tanh = simple("tanh", "tanh", FLOAT, defjvp2("tanh", (g, ans, x) => mul(add(g, mul(g, ans)), sub(constLike(x, 1), ans))));
// d asinh(x) = dx / sqrt(x² + 1)
export const asinh = simple("asinh", "asinh", FLOAT, defjvp("asinh", (g, x) => mul(g, rsqrt(add(square(x), constLike(x, 1))))));
// d acosh(x) = dx / sqrt(x² - 1)
export const acosh = simple("acosh", "acosh", FLOAT, defjvp("acosh", (g, x) => mul(g, rsqrt(sub(square(x), constLike(x, 1))))));
// d atanh(x) = dx / ((1 + x)(1 - x))
export const atanh = simple("atanh", "atanh", FLOAT, defjvp("atanh", (g, x) => mul(reciprocal(add(constLike(x, 1), x)), div(g, sub(constLike(x, 1), x)))));

// ---- special functions -----------------------------------------------------------------------------

// d erf(x) = 2/sqrt(pi) exp(-x²) dx
export const erf = simple("erf", "erf", FLOAT, defjvp("erf", (g, x) => mul(constLike(x, 2 / Math.sqrt(Math.PI)), mul(g, exp(neg(square(x)))))));
// d erfc(x) = -2/sqrt(pi) exp(-x²) dx
export const erfc = simple("erfc", "erfc", FLOAT, defjvp("erfc", (g, x) => mul(constLike(x, -2 / Math.sqrt(Math.PI)), mul(g, exp(neg(square(x)))))));
// d erf⁻¹(x) = sqrt(pi)/2 exp(ans²) dx
export const erfInv = simple("erf_inv", "erfinv", FLOAT, defjvp2("erf_inv", (g, ans, x) => mul(constLike(x, Math.sqrt(Math.PI) / 2), mul(g, exp(square(ans))))));
// d lgamma(x) = digamma(x) dx
export const lgamma = simple("lgamma", "lgamma", FLOAT, defjvp("lgamma", (g, x) => mul(g, digamma(x))));
// d digamma(x) = polygamma(1, x) dx
export const digamma = simple("digamma", "digamma", FLOAT, defjvp("digamma", (g, x) => mul(g, polygamma(constLike(x, 1), x))));

// ---- abs, bitwise not, population count --------------------------------------------------------------

// d|x| = sign-selected dx: dx where x >= 0, -dx elsewhere
export const abs = simple("abs", "abs", ["signedinteger", "floating"], defjvp2("abs", (g, _ans, x) => select(ge(x, constLike(x, 0)), g, neg(g))));

export const bitwiseNot = simple("not", "not", INT_OR_BOOL, "nondiff");

const UNSIGNED: Partial<Record<DType, DType>> = { int8: "uint8", int16: "uint16", int32: "uint32", int64: "uint64" };
const unsignedOf = (d: DType): DType => UNSIGNED[d] ?? d;

/** Set bits of a uint32 expression (the SWAR bit count). */
function popcount32(x: Exp): Exp {
  const u = (v: number) => constant(v, "uint32");
  const and = (a: Exp, b: Exp) => binary("and", a, b);
  const shr = (a: Exp, n: number) => binary("shr", a, u(n));
  let v = binary("sub", x, and(shr(x, 1), u(0x55555555)));
  v = binary("add", and(v, u(0x33333333)), and(shr(v, 2), u(0x33333333)));
  v = and(binary("add", v, shr(v, 4)), u(0x0f0f0f0f));
  return shr(binary("mul", v, u(0x01010101)), 24);
}

unop("population_count", {
  kinds: INT,
  jvp: "nondiff",
  lower: (x, _p, out) => {
    // Count the operand's own bits: reinterpret as unsigned of the same width, then widen.
    const ux = unsignedOf(x.dtype) === x.dtype ? x : unary("bitcast", x, unsignedOf(x.dtype));
    const n = ux.dtype === "uint64"
      ? binary("add", popcount32(cast(ux, "uint32")), popcount32(cast(binary("shr", ux, constant(32, "uint64")), "uint32")))
      : popcount32(cast(ux, "uint32"));
    return cast(n, out.dtype);
  },
});
export const populationCount = (x: Value): Value => bind1("population_count", [x]);

// ---- integer_pow ---------------------------------------------------------------------------------

definePrimitive("integer_pow", {
  abstractEval: ([x], p) => {
    checkUnaryDtype("integer_pow", x, NUM);
    const y = p.y as number;
    if (y < 0 && !isFloat(x.dtype)) throw new TypeError(`Integers cannot be raised to negative powers, got integer_pow(${x.strShort()}, ${y})`);
    return [new ShapedArray(x.shape, x.dtype, x.weakType)];
  },
  // d x^y = y x^(y-1) dx
  jvp: ([x], [g], p) => {
    const y = p.y as number;
    const out = integerPow(x, y);
    if (g instanceof Zero) return [[out], [new Zero(getAval(out).strongType())]];
    if (y === 0) return [[out], [new Zero(getAval(out).strongType())]];
    if (y === 1) return [[out], [g]];
    const jac = y === 2 ? mul(constLike(x, y), x) : mul(constLike(x, y), integerPow(x, y - 1));
    return [[out], [mul(g, jac)]];
  },
  transpose: null,
  batch: vectorizedBatch("integer_pow"),
  // Repeated squaring with one rounding per multiply, as XLA computes it; x^0 is 1 even for NaN.
  shard: shardElementwise,
  lower: elementwiseLowering(([x], p) => {
    let y = p.y as number;
    if (y === 0) return constant(1, x.dtype);
    const recip = y < 0;
    if (recip) y = -y;
    let acc: Exp | null = null;
    let base = x;
    while (y > 0) {
      if (y & 1) acc = acc ? binary("mul", acc, base) : base;
      y >>= 1;
      if (y > 0) base = binary("mul", base, base);
    }
    return recip ? binary("div", constant(1, x.dtype), acc!) : acc!;
  }),
});

export function integerPow(x: Value, y: number): Value {
  if (!Number.isInteger(y)) throw new TypeError(`integer_pow requires an integer exponent, got ${y}`);
  return bind1("integer_pow", [x], { y });
}

/** lax.reciprocal: integer_pow(x, -1). */
export const reciprocal = (x: Value): Value => integerPow(x, -1);

// d x² = 2x dx
unop("square", { kinds: NUM, jvp: defjvp2("square", (g, _ans, x) => mul(g, mul(constLike(x, 2), x))), lower: (x) => binary("mul", x, x) });
export const square = (x: Value): Value => bind1("square", [x]);
