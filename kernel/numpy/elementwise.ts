/**
 * @file jnp's elementwise functions (NumPy's ufuncs) over lax, with NumPy broadcasting and JAX's
 * dtype promotion (jax/_src/numpy/ufuncs.py): float functions promote ints to the default float,
 * arithmetic keeps weak scalars weak, bool arithmetic becomes logic, integer division floors.
 */

import { type Value, JaxValue, getAval } from "../ir/core.js";
import { type DType, isBool, isFloat, isInt, isUnsignedInt } from "../ir/dtype.js";
import {
  type ArrayLike, J, convert, promoteArgs, promoteArgsInexact, promoteArgsNumeric, promoteShapes, toValue, typedScalar,
  kindOf, promoteDtypes, promoteDtypesNumeric, optNum,
} from "./coerce.js";
import { NotImplementedError } from "../lax/errors.js";
import * as P from "./prims.js";

type Unary = (x: ArrayLike) => JaxValue;
type Binary = (x: ArrayLike, y: ArrayLike) => JaxValue;

/** A constant of x's dtype (weakly typed, so it never changes x's type). */
const lit = (x: Value, v: number | boolean): Value => typedScalar(v, getAval(x).dtype, true);
/** An array of x's shape and dtype filled with `v` (lax.full_like). */
const fullLike = (x: Value, v: number | boolean): Value => P.broadcastInDim(lit(x, v), getAval(x).shape, []);
const dtypeOf = (x: Value): DType => getAval(x).dtype;

/** A float function: ints and bools promote to the default float (promote_args_inexact). */
const inexact1 = (name: string, f: (x: Value) => Value): Unary => (x) => J(f(promoteArgsInexact(name, x)[0]));
const inexact2 = (name: string, f: (x: Value, y: Value) => Value): Binary => (x, y) => {
  const [a, b] = promoteArgsInexact(name, x, y);
  return J(f(a, b));
};
const numeric2 = (name: string, f: (x: Value, y: Value) => Value): Binary => (x, y) => {
  const [a, b] = promoteArgsNumeric(name, x, y);
  return J(f(a, b));
};
const any2 = (name: string, f: (x: Value, y: Value) => Value): Binary => (x, y) => {
  const [a, b] = promoteArgs(name, x, y);
  return J(f(a, b));
};
/** Integer and boolean operands only (bitwise ops), as JAX's _one_to_one_binop with require_int. */
const intbool2 = (name: string, f: (x: Value, y: Value) => Value): Binary => (x, y) => {
  const [a, b] = promoteArgs(name, x, y);
  const d = dtypeOf(a);
  if (!(isInt(d) || isBool(d))) throw new TypeError(`${name} does not accept dtype ${d}. Accepted dtypes are integer or boolean.`);
  return J(f(a, b));
};

// ---- float functions ---------------------------------------------------------------------------

export const exp = inexact1("exp", P.exp);
export const exp2 = inexact1("exp2", P.exp2);
export const expm1 = inexact1("expm1", P.expm1);
export const log = inexact1("log", P.log);
export const log1p = inexact1("log1p", P.log1p);
export const log2 = inexact1("log2", (x) => P.div(P.log(x), P.log(lit(x, 2))));
export const log10 = inexact1("log10", (x) => P.div(P.log(x), P.log(lit(x, 10))));
export const sqrt = inexact1("sqrt", P.sqrt);
export const cbrt = inexact1("cbrt", P.cbrt);
export const sin = inexact1("sin", P.sin);
export const cos = inexact1("cos", P.cos);
export const tan = inexact1("tan", P.tan);
export const arcsin = inexact1("arcsin", P.asin);
export const arccos = inexact1("arccos", P.acos);
export const arctan = inexact1("arctan", P.atan);
export const sinh = inexact1("sinh", P.sinh);
export const cosh = inexact1("cosh", P.cosh);
export const tanh = inexact1("tanh", P.tanh);
export const arcsinh = inexact1("arcsinh", P.asinh);
export const arccosh = inexact1("arccosh", P.acosh);
export const arctanh = inexact1("arctanh", P.atanh);
export const asin = arcsin, acos = arccos, atan = arctan, asinh = arcsinh, acosh = arccosh, atanh = arctanh;
export const arctan2 = inexact2("arctan2", P.atan2);
export const atan2 = arctan2;
export const deg2rad = inexact1("deg2rad", (x) => P.mul(x, lit(x, Math.PI / 180)));
export const rad2deg = inexact1("rad2deg", (x) => P.mul(x, lit(x, 180 / Math.PI)));
export const radians = deg2rad, degrees = rad2deg;
export const fabs = inexact1("fabs", P.abs);
export const nextafter = inexact2("nextafter", P.nextafter);
export const trueDivide = inexact2("true_divide", P.div);
export const divide = trueDivide;

// sinc(x) = sin(πx)/(πx), and 1 at 0 (where a safe denominator keeps the unselected branch finite).
export const sinc = inexact1("sinc", (x) => {
  const isZero = P.eq(x, lit(x, 0));
  const pix = P.mul(x, lit(x, Math.PI));
  const safe = P.select(isZero, fullLike(x, 1), pix);
  return P.select(isZero, fullLike(x, 1), P.div(P.sin(safe), safe));
});

// hypot(x, y) = |x|·sqrt(1 + (|y|/|x|)²) with |x| ≥ |y|: no overflow for large inputs; inf wins over NaN.
export const hypot = inexact2("hypot", (x, y) => {
  const ax = P.abs(x), ay = P.abs(y);
  const inf = P.or(P.eq(ax, lit(ax, Infinity)), P.eq(ay, lit(ay, Infinity)));
  const hi = P.max(ax, ay), lo = P.min(ax, ay);
  const hiZero = P.eq(hi, lit(hi, 0));
  const safeHi = P.select(hiZero, fullLike(hi, 1), hi);
  const r = P.div(lo, safeHi);
  const h = P.select(hiZero, hi, P.mul(hi, P.sqrt(P.add(lit(r, 1), P.mul(r, r)))));
  return P.select(inf, fullLike(h, Infinity), h);
});

// logaddexp(x, y) = max(x, y) + log1p(exp(-|x - y|)); when x - y is NaN (inf - inf, or a NaN), x + y.
export const logaddexp = inexact2("logaddexp", (x, y) => {
  const amax = P.max(x, y);
  const delta = P.sub(x, y);
  return P.select(P.ne(delta, delta), P.add(x, y), P.add(amax, P.log1p(P.exp(P.neg(P.abs(delta))))));
});

// logaddexp2(x, y) = max(x, y) + log1p(2^-|x - y|)/ln 2.
export const logaddexp2 = inexact2("logaddexp2", (x, y) => {
  const amax = P.max(x, y);
  const delta = P.sub(x, y);
  const tail = P.div(P.log1p(P.exp2(P.neg(P.abs(delta)))), lit(delta, Math.LN2));
  return P.select(P.ne(delta, delta), P.add(x, y), P.add(amax, tail));
});

export const heaviside = inexact2("heaviside", (x, h0) => {
  return P.select(P.lt(x, lit(x, 0)), fullLike(x, 0), P.select(P.gt(x, lit(x, 0)), fullLike(x, 1), h0));
});

// ---- arithmetic ----------------------------------------------------------------------------------

/** add on bools is logical or; multiply on bools is logical and (JAX's _maybe_bool_binop). */
export const add = any2("add", (x, y) => (isBool(dtypeOf(x)) ? P.or(x, y) : P.add(x, y)));
export const multiply = any2("multiply", (x, y) => (isBool(dtypeOf(x)) ? P.and(x, y) : P.mul(x, y)));
export const subtract = numeric2("subtract", P.sub);
export const maximum = any2("maximum", P.max);
export const minimum = any2("minimum", P.min);

/** fmax/fmin ignore NaNs (the other operand wins). */
export const fmax = any2("fmax", (x, y) => fNanIgnoring(x, y, P.max));
export const fmin = any2("fmin", (x, y) => fNanIgnoring(x, y, P.min));
function fNanIgnoring(x: Value, y: Value, f: (a: Value, b: Value) => Value): Value {
  if (!isFloat(dtypeOf(x))) return f(x, y);
  return P.select(P.ne(x, x), y, P.select(P.ne(y, y), x, f(x, y)));
}

export const negative: Unary = (x) => {
  const v = toValue(x);
  if (isBool(kindOf(v).dtype)) throw new TypeError("negative does not accept dtype bool.");
  return J(P.neg(v));
};
export const positive: Unary = (x) => J(toValue(x));

export const absolute: Unary = (x) => {
  const v = toValue(x);
  const d = kindOf(v).dtype;
  return J(isBool(d) || isUnsignedInt(d) ? v : P.abs(v));
};
export const abs = absolute;

export const sign: Unary = (x) => {
  const v = toValue(x);
  if (isBool(kindOf(v).dtype)) throw new TypeError("sign does not accept dtype bool.");
  return J(P.sign(v));
};

/** square(x) = x·x, as lax.square (integer_pow 2 in older JAX). */
export const square: Unary = (x) => {
  const [v] = promoteDtypesNumeric("square", x);
  return J(P.integerPow(v, 2));
};
export const reciprocal: Unary = (x) => J(P.integerPow(promoteArgsInexact("reciprocal", x)[0], -1));

/** floor_divide: floor(x / y); for ints, the truncating quotient adjusted toward -inf. */
export const floorDivide: Binary = (x, y) => {
  const [a, b] = promoteArgsNumeric("floor_divide", x, y);
  const d = dtypeOf(a);
  if (isUnsignedInt(d)) return J(P.div(a, b));
  if (isInt(d)) {
    const q = P.div(a, b);
    const adjust = P.and(P.ne(P.sign(a), P.sign(b)), P.ne(P.rem(a, b), lit(a, 0)));
    return J(P.select(adjust, P.sub(q, lit(q, 1)), q));
  }
  return J(floatDivmod(a, b)[0]);
};

/** remainder (mod): the result takes the sign of the divisor, as Python's %. */
export const remainder: Binary = (x, y) => {
  const [a, b] = promoteArgsNumeric("remainder", x, y);
  if (isUnsignedInt(dtypeOf(a))) return J(P.rem(a, b));
  const r = P.rem(a, b);
  const fix = P.and(P.ne(P.lt(r, lit(r, 0)), P.lt(b, lit(b, 0))), P.ne(r, lit(r, 0)));
  return J(P.select(fix, P.add(r, b), r));
};
export const mod = remainder;
export const fmod = numeric2("fmod", P.rem);

/** Float floor division and modulo as Python computes them (a zero divisor gives x / 0). */
function floatDivmod(x: Value, y: Value): [Value, Value] {
  let m = P.rem(x, y);
  let q = P.div(P.select(P.eq(y, lit(y, 0)), x, P.sub(x, m)), y);
  const fix = P.and(P.ne(m, lit(m, 0)), P.ne(P.lt(y, lit(y, 0)), P.lt(m, lit(m, 0))));
  m = P.select(fix, P.add(m, y), m);
  q = P.select(fix, P.sub(q, lit(q, 1)), q);
  return [P.round(q, 1), m];
}

export function divmod(x: ArrayLike, y: ArrayLike): [JaxValue, JaxValue] {
  const [a, b] = promoteArgsNumeric("divmod", x, y);
  if (isFloat(dtypeOf(a))) {
    const [q, m] = floatDivmod(a, b);
    return [J(q), J(m)];
  }
  return [floorDivide(a, b), remainder(a, b)];
}

/**
 * power(x, y): an integer JS exponent uses integer_pow (exact repeated multiplication, as JAX
 * does for Python ints); integer arrays use binary exponentiation; otherwise lax.pow.
 */
export const power: Binary = (x, y) => {
  if (typeof y === "number" && Number.isInteger(y)) {
    const [v] = promoteDtypesNumeric("power", x);
    return J(P.integerPow(v, y));
  }
  const [a, b] = promoteArgsNumeric("power", x, y);
  return J(isInt(dtypeOf(a)) ? intPower(a, b) : P.pow(a, b));
};

/** x^y for integer arrays by squaring over the exponent's low 6 bits (larger powers overflow anyway). */
function intPower(x: Value, y: Value): Value {
  const zero = lit(y, 0), one = lit(y, 1);
  let acc = P.select(P.and(P.eq(x, lit(x, 0)), P.ne(y, zero)), fullLike(x, 0), fullLike(x, 1));
  let base = x, e = y;
  for (let bit = 0; bit < 6; bit++) {
    acc = P.select(P.ne(P.and(e, one), zero), P.mul(acc, base), acc);
    base = P.mul(base, base);
    e = P.shiftRightLogical(e, one);
  }
  return acc;
}
export const pow = power;

/** float_power: computed in the widest float (float64 with x64, else float32). */
export const floatPower: Binary = (x, y) => {
  const [a, b] = promoteArgsInexact("float_power", x, y);
  return J(P.pow(a, b));
};

// ---- rounding ----------------------------------------------------------------------------------

const intPassThrough = (name: string, f: (x: Value) => Value): Unary => (x) => {
  const v = toValue(x);
  const d = kindOf(v).dtype;
  if (isInt(d) || isBool(d)) return J(v);
  return J(f(promoteArgsInexact(name, v)[0]));
};
export const floor = intPassThrough("floor", P.floor);
export const ceil = intPassThrough("ceil", P.ceil);
export const trunc = intPassThrough("trunc", (x) => P.select(P.lt(x, lit(x, 0)), P.ceil(x), P.floor(x)));
export const fix = trunc;
/** rint rounds half to even; ints become the default float, as in NumPy. */
export const rint: Unary = (x) => {
  const [v] = promoteArgsInexact("rint", x);
  return J(P.round(v, 1));
};

/** round(x, decimals): half to even; for decimals ≠ 0, scaled by 10^decimals as JAX does. */
export function round(x: ArrayLike, opts: { decimals?: number } = {}): JaxValue {
  const decimals = Number(optNum(opts.decimals ?? 0));
  if (!Number.isInteger(decimals)) throw new TypeError(`decimals must be an integer, got ${decimals}`);
  const v = toValue(x);
  const d = kindOf(v).dtype;
  if (isInt(d) || isBool(d)) {
    if (decimals < 0) throw new NotImplementedError("integer np.round not implemented for decimals < 0");
    return J(v);
  }
  if (decimals === 0) return J(P.round(v, 1));
  const f = lit(v, 10 ** decimals);
  return J(P.div(P.round(P.mul(v, f), 1), f));
}
export const around = round;

// ---- comparisons and logic --------------------------------------------------------------------------

export const equal = any2("equal", P.eq);
export const notEqual = any2("not_equal", P.ne);
export const less = any2("less", P.lt);
export const lessEqual = any2("less_equal", P.le);
export const greater = any2("greater", P.gt);
export const greaterEqual = any2("greater_equal", P.ge);

/** Truth values as bool: bools as they are, numbers compared with 0. */
const truth = (x: ArrayLike): Value => {
  const v = toValue(x);
  const k = kindOf(v);
  if (isBool(k.dtype)) return convert(v, "bool", false);
  const t = convert(v, k.dtype, k.weak);
  return P.ne(t, lit(t, 0));
};
const logical = (name: string, f: (a: Value, b: Value) => Value): Binary => (x, y) => {
  const [a, b] = promoteShapes(name, truth(x), truth(y));
  return J(f(a, b));
};
export const logicalAnd = logical("logical_and", P.and);
export const logicalOr = logical("logical_or", P.or);
export const logicalXor = logical("logical_xor", P.xor);
export const logicalNot: Unary = (x) => J(P.not(truth(x)));

export const bitwiseAnd = intbool2("bitwise_and", P.and);
export const bitwiseOr = intbool2("bitwise_or", P.or);
export const bitwiseXor = intbool2("bitwise_xor", P.xor);
export const bitwiseNot: Unary = (x) => {
  const v = toValue(x);
  const d = kindOf(v).dtype;
  if (!(isInt(d) || isBool(d))) throw new TypeError(`bitwise_not does not accept dtype ${d}. Accepted dtypes are integer or boolean.`);
  return J(P.not(v));
};
export const invert = bitwiseNot;
export const leftShift = intbool2("left_shift", P.shiftLeft);
export const rightShift = intbool2("right_shift", (x, y) => (isUnsignedInt(dtypeOf(x)) ? P.shiftRightLogical(x, y) : P.shiftRightArithmetic(x, y)));

// ---- float classification ---------------------------------------------------------------------------

/** A boolean array of x's shape, all `v` (for ints, which are never NaN or infinite). */
const allBool = (x: Value, v: boolean): JaxValue => J(P.broadcastInDim(typedScalar(v, "bool", false), getAval(x).shape, []));

export const isnan: Unary = (x) => {
  const v = toValue(x);
  return isFloat(kindOf(v).dtype) ? J(P.ne(v, v)) : allBool(v, false);
};
export const isinf: Unary = (x) => {
  const v = toValue(x);
  return isFloat(kindOf(v).dtype) ? J(P.eq(P.abs(v), lit(v, Infinity))) : allBool(v, false);
};
export const isposinf: Unary = (x) => {
  const v = toValue(x);
  return isFloat(kindOf(v).dtype) ? J(P.eq(v, lit(v, Infinity))) : allBool(v, false);
};
export const isneginf: Unary = (x) => {
  const v = toValue(x);
  return isFloat(kindOf(v).dtype) ? J(P.eq(v, lit(v, -Infinity))) : allBool(v, false);
};
export const isfinite: Unary = (x) => {
  const v = toValue(x);
  return isFloat(kindOf(v).dtype) ? J(P.isFinite(v)) : allBool(v, true);
};

/** signbit: the sign bit of floats (so -0.0 and -nan count), x < 0 for ints. */
export const signbit: Unary = (x) => {
  const v = toValue(x);
  const d = kindOf(v).dtype;
  if (isBool(d)) return allBool(v, false);
  if (isInt(d)) return J(P.lt(v, lit(v, 0)));
  const bitsType: DType = d === "float64" ? "int64" : d === "float32" ? "int32" : "int16";
  const bits = P.bitcastConvertType(v, bitsType);
  return J(P.lt(bits, typedScalar(0, bitsType, true)));
};

export const copysign = inexact2("copysign", (x, y) => {
  const ax = P.abs(x);
  return P.select(signbit(y), P.neg(ax), ax);
});

/** nan_to_num: NaN → nan, ±inf → the dtype's finite extremes (or the given values). */
export function nanToNum(x: ArrayLike, opts: { nan?: number; posinf?: number | null; neginf?: number | null } = {}): JaxValue {
  const v = toValue(x);
  const d = kindOf(v).dtype;
  if (!isFloat(d)) return J(v);
  const big = d === "float64" ? Number.MAX_VALUE : d === "float16" ? 65504 : d === "bfloat16" ? 3.3895313892515355e38 : 3.4028234663852886e38;
  let out = P.select(P.ne(v, v), fullLike(v, opts.nan ?? 0), v);
  out = P.select(P.eq(out, lit(v, Infinity)), fullLike(v, opts.posinf ?? big), out);
  return J(P.select(P.eq(out, lit(v, -Infinity)), fullLike(v, opts.neginf ?? -big), out));
}

// ---- selection ----------------------------------------------------------------------------------------

/**
 * where(condition, x, y): x where the condition holds, else y, all broadcast together
 * (lax.select_n(cond, y, x) after promoting x and y). The one-argument form is nonzero's.
 */
export function where(condition: ArrayLike, x: ArrayLike, y: ArrayLike): JaxValue {
  const c = truth(condition);
  const [a, b] = promoteDtypes(x, y);
  const [cc, aa, bb] = promoteShapes("where", c, a, b);
  const shape = getAval(cc).ndim ? getAval(cc).shape : getAval(aa).ndim ? getAval(aa).shape : getAval(bb).shape;
  const full = (v: Value): Value => (getAval(v).ndim === 0 && shape.length ? P.broadcastInDim(v, shape, []) : v);
  return J(P.select(full(cc), full(aa), full(bb)));
}

/** clip(x, min, max): maximum with min, then minimum with max (either may be null). */
export function clip(x: ArrayLike, opts: { min?: ArrayLike | null; max?: ArrayLike | null; a_min?: ArrayLike | null; a_max?: ArrayLike | null } = {}): JaxValue {
  const lo = opts.min ?? opts.a_min ?? null;
  const hi = opts.max ?? opts.a_max ?? null;
  let out: JaxValue = J(toValue(x));
  if (lo !== null) out = maximum(lo, out);
  if (hi !== null) out = minimum(hi, out);
  return out;
}

/** Real-valued arrays: real is the array, imag is zeros, conj is the identity. */
export const real: Unary = (x) => J(toValue(x));
export const imag: Unary = (x) => {
  const v = toValue(x);
  return J(fullLike(convert(v, kindOf(v).dtype, kindOf(v).weak), 0));
};
export const conj: Unary = (x) => J(toValue(x));
export const conjugate = conj;
