/**
 * @file The JavaScript renderer's op tables: the JS code of each kernel op per dtype, casts,
 * bitcasts, constants, loads and stores. Values are JS numbers rounded to their dtype after every
 * op (Math.fround for float32, `|0` for int32, 0/1 for bools); 64-bit integers are BigInts
 * wrapped with BigInt.asIntN/asUintN, so they stay exact.
 */

import { type DType, isFloat, isUnsignedInt, isInt, isBool, ITEMSIZE } from "../ir/dtype.js";
import type { BinaryOp, Exp, UnaryOp } from "./exp.js";
import { H } from "./jsmath.js";

type Code = string;

const is64 = (d: DType): boolean => d === "int64" || d === "uint64";

/** Rounds a JS expression to the storage semantics of `dtype`. */
export function roundTo(dtype: DType, e: Code): Code {
  switch (dtype) {
    case "float32": return `Math.fround(${e})`;
    case "float16": case "bfloat16": return `H.round_${dtype}(${e})`;
    case "float64": return e;
    case "int32": return `((${e})|0)`;
    case "uint32": return `((${e})>>>0)`;
    case "int8": return `((${e})<<24>>24)`;
    case "uint8": return `((${e})&255)`;
    case "int16": return `((${e})<<16>>16)`;
    case "uint16": return `((${e})&65535)`;
    case "bool": return `((${e})?1:0)`;
    case "int64": return `BigInt.asIntN(64,${e})`;
    case "uint64": return `BigInt.asUintN(64,${e})`;
  }
}

// ---- unary ---------------------------------------------------------------------------------------

/** Float unary ops: the JS for each (computed in float64), before rounding to the dtype. */
const FLOAT_UNARY: Partial<Record<UnaryOp, (a: Code) => Code>> = {
  neg: (a) => `(-${a})`,
  abs: (a) => `Math.abs(${a})`,
  sign: (a) => `H.sign(${a})`,
  floor: (a) => `Math.floor(${a})`,
  ceil: (a) => `Math.ceil(${a})`,
  round: (a) => `H.roundEven(${a})`,
  trunc: (a) => `Math.trunc(${a})`,
  exp: (a) => `Math.exp(${a})`,
  exp2: (a) => `Math.pow(2,${a})`,
  log: (a) => `Math.log(${a})`,
  log1p: (a) => `Math.log1p(${a})`,
  expm1: (a) => `Math.expm1(${a})`,
  sqrt: (a) => `Math.sqrt(${a})`,
  rsqrt: (a) => `(1/Math.sqrt(${a}))`,
  cbrt: (a) => `Math.cbrt(${a})`,
  sin: (a) => `Math.sin(${a})`,
  cos: (a) => `Math.cos(${a})`,
  tan: (a) => `Math.tan(${a})`,
  asin: (a) => `Math.asin(${a})`,
  acos: (a) => `Math.acos(${a})`,
  atan: (a) => `Math.atan(${a})`,
  sinh: (a) => `Math.sinh(${a})`,
  cosh: (a) => `Math.cosh(${a})`,
  tanh: (a) => `Math.tanh(${a})`,
  asinh: (a) => `Math.asinh(${a})`,
  acosh: (a) => `Math.acosh(${a})`,
  atanh: (a) => `Math.atanh(${a})`,
  erf: (a) => `H.erf(${a})`,
  erfc: (a) => `H.erfc(${a})`,
  erfinv: (a) => `H.erfinv(${a})`,
  lgamma: (a) => `H.lgamma(${a})`,
  digamma: (a) => `H.digamma(${a})`,
  logistic: (a) => `H.logistic(${a})`,
  recip: (a) => `(1/${a})`,
};

const INT_UNARY: Partial<Record<UnaryOp, (a: Code) => Code>> = {
  neg: (a) => `(-${a})`,
  abs: (a) => `Math.abs(${a})`,
  sign: (a) => `Math.sign(${a})`,
  not: (a) => `(~${a})`,
};

const INT64_UNARY: Partial<Record<UnaryOp, (a: Code) => Code>> = {
  neg: (a) => `(-${a})`,
  abs: (a) => `(${a}<0n?-${a}:${a})`,
  sign: (a) => `(${a}>0n?1n:${a}<0n?-1n:0n)`,
  not: (a) => `(~${a})`,
};

export function renderUnary(op: UnaryOp, dtype: DType, src: Exp, a: Code): Code {
  if (op === "cast") return castTo(src.dtype, dtype, a);
  if (op === "bitcast") return bitcastTo(src.dtype, dtype, a);
  if (op === "isfinite") return `(Number.isFinite(${a})?1:0)`;
  if (op === "isnan") return `(Number.isNaN(${a})?1:0)`;
  if (isBool(dtype)) {
    if (op === "not") return `(1-${a})`;
    throw new Error(`unary ${op} on bool`);
  }
  // XLA computes erf_inv of float32 and narrower types with a float32 polynomial.
  if (op === "erfinv" && dtype !== "float64") return roundTo(dtype, `H.erfinv_f32(${a})`);
  const table = isFloat(dtype) ? FLOAT_UNARY : is64(dtype) ? INT64_UNARY : INT_UNARY;
  const f = table[op];
  if (!f) throw new Error(`unary ${op} is not defined for ${dtype}`);
  return roundTo(dtype, f(a));
}

/** Conversions as XLA does them: float to int truncates and saturates (NaN gives 0). */
function castTo(from: DType, to: DType, a: Code): Code {
  if (from === to) return a;
  if (isBool(to)) return is64(from) ? `(${a}!==0n?1:0)` : `(${a}!==0?1:0)`;
  if (is64(from)) {
    if (isFloat(to)) return roundTo(to, `Number(${a})`);
    if (is64(to)) return roundTo(to, a);
    return roundTo(to, `Number(BigInt.asUintN(32,${a}))`);
  }
  if (isFloat(to)) return roundTo(to, a);
  if (isFloat(from)) return `H.f2i_${to}(${a})`;
  if (is64(to)) return roundTo(to, `BigInt(${a})`);
  return roundTo(to, a);
}

/** The same bits seen as another dtype of the same width. */
function bitcastTo(from: DType, to: DType, a: Code): Code {
  if (from === to) return a;
  if (ITEMSIZE[from] !== ITEMSIZE[to]) throw new Error(`bitcast between ${from} and ${to} of different widths`);
  if (isInt(from) && isInt(to)) return roundTo(to, a);
  if (isFloat(from)) return roundTo(to, `H.bits_${from}(${a})`);
  return `H.from_bits_${to}(${a})`;
}

// ---- binary --------------------------------------------------------------------------------------

const FLOAT_BINARY: Partial<Record<BinaryOp, (a: Code, b: Code) => Code>> = {
  add: (a, b) => `(${a}+${b})`,
  sub: (a, b) => `(${a}-${b})`,
  mul: (a, b) => `(${a}*${b})`,
  div: (a, b) => `(${a}/${b})`,
  rem: (a, b) => `(${a}%${b})`,
  pow: (a, b) => `H.pow(${a},${b})`,
  max: (a, b) => `H.max(${a},${b})`,
  min: (a, b) => `H.min(${a},${b})`,
  atan2: (a, b) => `Math.atan2(${a},${b})`,
};

const INT_BINARY: Partial<Record<BinaryOp, (a: Code, b: Code) => Code>> = {
  add: (a, b) => `(${a}+${b})`,
  sub: (a, b) => `(${a}-${b})`,
  mul: (a, b) => `Math.imul(${a},${b})`,
  div: (a, b) => `H.idiv(${a},${b})`,
  rem: (a, b) => `H.irem(${a},${b})`,
  max: (a, b) => `Math.max(${a},${b})`,
  min: (a, b) => `Math.min(${a},${b})`,
  and: (a, b) => `(${a}&${b})`,
  or: (a, b) => `(${a}|${b})`,
  xor: (a, b) => `(${a}^${b})`,
  shl: (a, b) => `H.shl(${a},${b})`,
  shr: (a, b) => `H.shr(${a},${b})`,
};

const UINT_BINARY: Partial<Record<BinaryOp, (a: Code, b: Code) => Code>> = {
  div: (a, b) => `H.udiv(${a},${b})`,
  rem: (a, b) => `H.urem(${a},${b})`,
  shr: (a, b) => `H.ushr(${a},${b})`,
};

const INT64_BINARY: Partial<Record<BinaryOp, (a: Code, b: Code) => Code>> = {
  add: (a, b) => `(${a}+${b})`,
  sub: (a, b) => `(${a}-${b})`,
  mul: (a, b) => `(${a}*${b})`,
  div: (a, b) => `H.div64(${a},${b})`,
  rem: (a, b) => `H.rem64(${a},${b})`,
  max: (a, b) => `(${a}>${b}?${a}:${b})`,
  min: (a, b) => `(${a}<${b}?${a}:${b})`,
  and: (a, b) => `(${a}&${b})`,
  or: (a, b) => `(${a}|${b})`,
  xor: (a, b) => `(${a}^${b})`,
  shl: (a, b) => `H.shl64(${a},${b})`,
  shr: (a, b) => `H.shr64(${a},${b})`,
};

const CMP: Partial<Record<BinaryOp, string>> = { eq: "===", ne: "!==", lt: "<", le: "<=", gt: ">", ge: ">=" };

export function renderBinary(op: BinaryOp, dtype: DType, x: Exp, a: Code, b: Code): Code {
  const cmp = CMP[op];
  if (cmp) return `(${a}${cmp}${b}?1:0)`;
  if (isBool(dtype)) {
    if (op === "and" || op === "min" || op === "mul") return `(${a}&${b})`;
    if (op === "or" || op === "max" || op === "add") return `(${a}|${b})`;
    if (op === "xor" || op === "ne") return `(${a}^${b})`;
    throw new Error(`binary ${op} on bool`);
  }
  if (isFloat(dtype)) {
    // nextafter steps in the dtype's own bits.
    if (op === "nextafter") return `H.nextafter_${dtype}(${a},${b})`;
    const f = FLOAT_BINARY[op];
    if (!f) throw new Error(`binary ${op} is not defined for ${dtype}`);
    return roundTo(dtype, f(a, b));
  }
  const f = (is64(dtype) ? INT64_BINARY[op] : isUnsignedInt(dtype) ? UINT_BINARY[op] ?? INT_BINARY[op] : INT_BINARY[op]);
  if (!f || !isInt(x.dtype)) throw new Error(`binary ${op} is not defined for ${dtype}`);
  // 64-bit division wraps INT64_MIN / -1 back to INT64_MIN through asIntN; unsigned 64-bit
  // operands are non-negative BigInts, so >> is a logical shift for them.
  if (dtype === "uint64" && op === "div") return roundTo(dtype, `H.udiv64(${a},${b})`);
  return roundTo(dtype, f(a, b));
}

// ---- reductions ------------------------------------------------------------------------------------

export const REDUCE_INIT: Record<string, (d: DType) => string> = {
  sum: (d) => (is64(d) ? "0n" : "0"),
  prod: (d) => (is64(d) ? "1n" : "1"),
  max: (d) => (isFloat(d) ? "-Infinity" : is64(d) ? `${d === "int64" ? -(2n ** 63n) : 0n}n` : `H.minOf_${d}`),
  min: (d) => (isFloat(d) ? "Infinity" : is64(d) ? `${d === "int64" ? 2n ** 63n - 1n : 2n ** 64n - 1n}n` : `H.maxOf_${d}`),
  and: () => "1",
  or: () => "0",
};

export function reduceStep(op: string, d: DType, acc: Code, x: Code): Code {
  switch (op) {
    case "sum": return isBool(d) ? `(${acc}|${x})` : roundTo(d, `${acc}+${x}`);
    case "prod": return isBool(d) ? `(${acc}&${x})` : isInt(d) && !is64(d) ? roundTo(d, `Math.imul(${acc},${x})`) : roundTo(d, `${acc}*${x}`);
    case "max": return isFloat(d) ? `H.max(${acc},${x})` : is64(d) ? `(${acc}>${x}?${acc}:${x})` : `Math.max(${acc},${x})`;
    case "min": return isFloat(d) ? `H.min(${acc},${x})` : is64(d) ? `(${acc}<${x}?${acc}:${x})` : `Math.min(${acc},${x})`;
    case "and": return `(${acc}&${x})`;
    case "or": return `(${acc}|${x})`;
    default: throw new Error(`reduce ${op}`);
  }
}

// ---- constants, loads and stores ------------------------------------------------------------------

export function constCode(v: number, dtype: DType): Code {
  const s = constText(v, dtype);
  // Negative literals are parenthesized so that `a - c` never renders as `a--c`.
  return s.startsWith("-") ? `(${s})` : s;
}

function constText(v: number, dtype: DType): Code {
  if (is64(dtype)) return `${BigInt(v)}n`;
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (Object.is(v, -0)) return "-0";
  if (dtype === "float32") return String(Math.fround(v));
  // A constant holds a value of its dtype, as an XLA literal does.
  if (dtype === "float16") return String(H.round_float16(v));
  if (dtype === "bfloat16") return String(H.round_bfloat16(v));
  return String(v);
}

export function loadCode(input: number, dtype: DType, i: Code): Code {
  switch (dtype) {
    case "float16": case "bfloat16": return `H.load_${dtype}(in${input}[${i}])`;
    default: return `in${input}[${i}]`;
  }
}

export function storeCode(out: number, dtype: DType, v: Code, g: Code = "g"): string {
  switch (dtype) {
    case "float16": case "bfloat16": return `out${out}[${g}] = H.store_${dtype}(${v});`;
    default: return `out${out}[${g}] = ${v};`;
  }
}
