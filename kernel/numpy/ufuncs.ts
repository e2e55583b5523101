/**
 * @file More of NumPy's ufuncs, after jax/_src/numpy/ufuncs.py: `gcd`/`lcm` (Euclid in a
 * while_loop), the float decompositions `frexp`/`ldexp`/`modf`/`spacing` (exact, through the
 * bits), `bitwise_count` and the modified Bessel function `i0`.
 */

import { type Value, JaxValue, getAval } from "../ir/core.js";
import { type DType, isBool, isFloat, isInt, isUnsignedInt } from "../ir/dtype.js";
import { whileLoop, populationCount } from "../lax/index.js";
import { ValueError } from "../lax/errors.js";
import { type ArrayLike, J, asarray, convert, promoteArgsInexact, promoteArgsNumeric, typedScalar } from "./coerce.js";
import * as P from "./prims.js";
import * as np from "./index.js";

const lit = (x: Value, v: number | boolean): Value => typedScalar(v, getAval(x).dtype, true);
const dtypeOf = (x: Value): DType => getAval(x).dtype;

/** Integer operands only, promoted together (JAX's message for gcd/lcm). */
function intArgs(name: string, x1: ArrayLike, x2: ArrayLike): [Value, Value] {
  const [a, b] = promoteArgsNumeric(name, x1, x2);
  if (!isInt(dtypeOf(a))) throw new ValueError(`Arguments to jax.numpy.${name} must be integers.`);
  return [a, b];
}

/** gcd of |a| and |b| by Euclid's algorithm, every element stepping until its remainder is 0. */
function euclid(a: Value, b: Value): Value {
  const shape = getAval(a).shape;
  const zero = P.broadcastInDim(lit(a, 0), shape, []), one = P.broadcastInDim(lit(a, 1), shape, []);
  const [g] = whileLoop(
    ([, y]: Value[]) => P.reduceOr(J(P.ne(y, zero)).reshape([-1]), [0]),
    ([x, y]: Value[]) => {
      const done = P.eq(y, zero);
      return [P.select(done, x, y), P.select(done, zero, P.rem(x, P.select(done, one, y)))];
    },
    [P.max(a, b), P.min(a, b)].map((v) => J(v) as Value),
  );
  return g;
}

/** `jnp.gcd(x1, x2)`: the greatest common divisor of |x1| and |x2| (0 when both are 0). */
export function gcd(x1: ArrayLike, x2: ArrayLike): JaxValue {
  const [a, b] = intArgs("gcd", x1, x2);
  const abs = (v: Value): Value => (isUnsignedInt(dtypeOf(v)) ? v : P.abs(v));
  return J(euclid(abs(a), abs(b)));
}

/** `jnp.lcm(x1, x2)`: |x1·x2| / gcd (0 when either is 0). */
export function lcm(x1: ArrayLike, x2: ArrayLike): JaxValue {
  const [a, b] = intArgs("lcm", x1, x2);
  const d = gcd(a, b);
  const zero = P.eq(d, lit(d, 0));
  const q = P.div(b, P.select(zero, P.broadcastInDim(lit(d, 1), d.shape, []), d));
  const m = P.mul(a, q);
  return J(P.select(zero, P.broadcastInDim(lit(d, 0), d.shape, []), isUnsignedInt(d.dtype) ? m : P.abs(m)));
}

/** Bit layout of a float dtype: its same-width integer, mantissa bits and exponent bias. */
function floatBits(d: DType): { int: DType; mant: number; bias: number; expMask: number } {
  if (d === "float64") return { int: "int64", mant: 52, bias: 1023, expMask: 0x7ff };
  if (d === "float16") return { int: "int16", mant: 10, bias: 15, expMask: 0x1f };
  if (d === "float32") return { int: "int32", mant: 23, bias: 127, expMask: 0xff };
  throw new TypeError(`frexp/ldexp do not support dtype ${d}`);
}

/** 2^k exactly, for integer k in the normal exponent range of `d` (built from the exponent bits). */
function pow2(k: Value, d: DType): Value {
  const { int, mant, bias } = floatBits(d);
  const e = P.add(convert(k, int, false), typedScalar(bias, int, true));
  return P.bitcastConvertType(P.shiftLeft(e, typedScalar(mant, int, true)), d);
}

/**
 * `jnp.frexp(x)`: (mantissa, exponent) with x = m·2^e and 0.5 ≤ |m| < 1; zeros, infinities and
 * NaNs come back as they are with exponent 0. Subnormals are scaled into the normal range first.
 */
export function frexp(x: ArrayLike): [JaxValue, JaxValue] {
  const [a] = promoteArgsInexact("frexp", x);
  const d = dtypeOf(a);
  const { int, mant, bias, expMask } = floatBits(d);
  const shape = getAval(a).shape;
  const tiny = P.lt(P.abs(a), typedScalar(d === "float64" ? 2.2250738585072014e-308 : d === "float16" ? 6.103515625e-5 : 1.1754943508222875e-38, d, true));
  const scaled = P.select(tiny, P.mul(a, P.broadcastInDim(pow2(typedScalar(mant, "int32", true), d), shape, [])), a);
  const bits = P.bitcastConvertType(scaled, int);
  const lit2 = (v: number): Value => typedScalar(v, int, true);
  const rawExp = P.and(P.shiftRightArithmetic(bits, lit2(mant)), lit2(expMask));
  let e = P.sub(rawExp, lit2(bias - 1));
  e = P.select(tiny, P.sub(e, lit2(mant)), e);
  // Keep sign and mantissa bits, set the exponent field to bias-1 (a value in [0.5, 1)).
  const keep = P.and(bits, P.not(P.shiftLeft(P.broadcastInDim(lit2(expMask), shape, []), lit2(mant))));
  const m = P.bitcastConvertType(P.or(keep, P.shiftLeft(P.broadcastInDim(lit2(bias - 1), shape, []), lit2(mant))), d);
  const special = P.or(P.or(P.eq(a, typedScalar(0, d, true)), P.ne(a, a)), P.eq(P.abs(a), typedScalar(Infinity, d, true)));
  return [J(P.select(special, a, m)), J(convert(P.select(special, P.broadcastInDim(lit2(0), shape, []), e), "int32", false))];
}

/**
 * `jnp.ldexp(x1, x2)`: x1·2^x2 for integer x2, exactly: x1 is split by frexp and the power of two
 * applied in three exact factors, so neither a tiny x1 nor a large x2 overflows on the way.
 */
export function ldexp(x1: ArrayLike, x2: ArrayLike): JaxValue {
  const e2 = asarray(x2);
  const d1 = asarray(x1).dtype;
  if (isFloat(e2.dtype) || isBool(e2.dtype)) throw new ValueError(`ldexp not supported for input types (dtype('${d1}'), dtype('${e2.dtype}'))`);
  const [m, e1] = frexp(x1);
  const d = m.dtype;
  const { bias } = floatBits(d);
  // Beyond ±3·bias the result is 0 or ±inf whatever the mantissa: clamp to keep the parts in range.
  const lim = 3 * (bias - 1);
  const e = np.clip(np.add(e1, e2.astype("int32")), { min: -lim, max: lim });
  const p1 = np.floorDivide(e, 3);
  const p2 = np.floorDivide(np.subtract(e, p1), 2);
  const p3 = np.subtract(np.subtract(e, p1), p2);
  let r: Value = np.broadcastTo(m, e.shape);
  for (const p of [p1, p2, p3]) r = P.mul(r, pow2(p, d));
  return J(r);
}

/** `jnp.modf(x)`: (fractional part, integral part), both with x's sign (JAX's: x - trunc(x), trunc(x)). */
export function modf(x: ArrayLike): [JaxValue, JaxValue] {
  const [a] = promoteArgsInexact("modf", x);
  const whole = np.trunc(J(a));
  return [J(P.sub(a, whole)), whole];
}

/** `jnp.spacing(x)`: the distance from x to the next representable value away from zero (negative for x < 0). */
export function spacing(x: ArrayLike): JaxValue {
  const [a] = promoteArgsInexact("spacing", x);
  const away = P.select(P.lt(a, lit(a, 0)), P.broadcastInDim(lit(a, -Infinity), getAval(a).shape, []), P.broadcastInDim(lit(a, Infinity), getAval(a).shape, []));
  return J(P.sub(P.nextafter(a, away), a));
}

/** `jnp.bitwise_count(x)`: the number of 1 bits in |x| (uint8, as NumPy). */
export function bitwiseCount(x: ArrayLike): JaxValue {
  const a = asarray(x);
  if (!(isInt(a.dtype) || isBool(a.dtype))) throw new TypeError(`bitwise_count does not accept dtype ${a.dtype}. Accepted dtypes are integer or boolean.`);
  const v: Value = isBool(a.dtype) ? convert(a, "uint8", false) : isUnsignedInt(a.dtype) ? a : P.abs(a);
  return J(convert(populationCount(v), "uint8", false));
}

/**
 * `jnp.i0(x)`: the modified Bessel function of the first kind, order 0. Below the cutoff its
 * power series Σ (x²/4)^k / (k!)², nested so no term underflows; above it the asymptotic
 * e^|x|/√(2π|x|)·Σ ((2k-1)!!)² / (k!·(8|x|)^k). Both are polynomials in ops with derivatives, so
 * i0′ = i1 comes out of autodiff.
 */
export function i0(x: ArrayLike): JaxValue {
  const [a0] = promoteArgsInexact("i0", x);
  const d = dtypeOf(a0);
  const wide = d === "float64";
  const cut = wide ? 30 : 15;
  const a = P.abs(a0);
  const c = (v: number): Value => lit(a, v);
  // Small |x|: 1 + t/1²·(1 + t/2²·(1 + …)), t = x²/4 (evaluated with |x| clamped below the cutoff).
  const xs = P.min(a, c(cut));
  const t = P.mul(P.mul(xs, xs), c(0.25));
  let series: Value = c(1);
  for (let k = wide ? 90 : 40; k >= 1; k--) series = P.add(c(1), P.mul(series, P.mul(t, c(1 / (k * k)))));
  // Large |x|: the asymptotic series in 1/(8|x|), with |x| clamped above the cutoff.
  const xl = P.max(a, c(cut));
  const u = P.div(c(1), P.mul(xl, c(8)));
  let tail: Value = c(1);
  for (let k = wide ? 18 : 9; k >= 1; k--) tail = P.add(c(1), P.mul(tail, P.mul(u, c(((2 * k - 1) * (2 * k - 1)) / k))));
  const asym = P.mul(P.div(P.exp(xl), P.sqrt(P.mul(xl, c(2 * Math.PI)))), tail);
  return J(P.select(P.lt(a, c(cut)), series, asym));
}
