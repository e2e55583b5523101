/**
 * @file Helpers for `host` lowerings (sort, scatter, cumulative ops, linalg): reading a host
 * array as JS numbers, writing numbers back in a dtype's storage, rounding to a dtype after each
 * step (so float32 and int32 arithmetic behaves as on the device), and strided iteration.
 */

import { type DType, ITEMSIZE, isFloat } from "../ir/dtype.js";
import { prod, stridesOf, type Shape } from "../ir/shape.js";
import type { HostArray, HostData } from "../ir/rules.js";
import { H } from "../codegen/jsmath.js";

const CTOR: Record<DType, new (n: number) => HostData> = {
  bool: Uint8Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array,
  int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array,
  float16: Uint16Array, bfloat16: Uint16Array, float32: Float32Array, float64: Float64Array,
};

/** The elements as float64 numbers (float16 decoded, booleans 0/1, 64-bit ints rounded to doubles). */
export function readHost(h: HostArray): Float64Array {
  const n = prod(h.shape);
  const out = new Float64Array(n);
  const d = h.data;
  if (h.dtype === "float16") for (let i = 0; i < n; i++) out[i] = H.f16ToF32(d[i] as number);
  else if (h.dtype === "bfloat16") for (let i = 0; i < n; i++) out[i] = H.load_bfloat16(d[i] as number);
  else for (let i = 0; i < n; i++) out[i] = Number(d[i]);
  return out;
}

/**
 * Numbers as a host lowering's output of `dtype` (rounded/wrapped as the dtype stores them).
 * 16-bit floats are returned as float32 values, which is how the runtime takes them in
 * (`Array.fromHost` encodes them); every other dtype in its own typed array.
 */
export function writeHost(vals: ArrayLike<number>, dtype: DType): HostData {
  const n = vals.length;
  if (dtype === "float16" || dtype === "bfloat16") {
    const r = rounder(dtype);
    return Float32Array.from({ length: n }, (_, i) => r(vals[i]));
  }
  const out = new CTOR[dtype](n);
  if (dtype === "bool") for (let i = 0; i < n; i++) out[i] = vals[i] ? 1 : 0;
  else if (dtype === "int64" || dtype === "uint64") {
    const o = out as BigInt64Array | BigUint64Array;
    for (let i = 0; i < n; i++) o[i] = BigInt(Number.isFinite(vals[i]) ? Math.trunc(vals[i]) : 0);
  } else for (let i = 0; i < n; i++) out[i] = vals[i];
  return out;
}

/** An empty typed array of a dtype (for copying raw elements, bit-exact). */
export const allocHost = (dtype: DType, n: number): HostData => new CTOR[dtype](n);

/** Raw elements (as `allocHost` holds them) as a host lowering's output: 16-bit floats decoded, as `writeHost` gives them. */
export function rawOut(data: HostData, dtype: DType): HostData {
  if (dtype === "float16") return Float32Array.from(data as Uint16Array, (b) => H.f16ToF32(b));
  if (dtype === "bfloat16") return Float32Array.from(data as Uint16Array, (b) => H.load_bfloat16(b));
  return data;
}

/** Rounds a JS number to what `dtype` can hold, as device arithmetic would after each operation. */
export function rounder(dtype: DType): (x: number) => number {
  switch (dtype) {
    case "float32": return Math.fround;
    case "float16": return H.round_float16;
    case "bfloat16": return H.round_bfloat16;
    case "float64": return (x) => x;
    case "int32": return (x) => x | 0;
    case "uint32": return (x) => x >>> 0;
    case "int16": return (x) => (x << 16) >> 16;
    case "uint16": return (x) => x & 65535;
    case "int8": return (x) => (x << 24) >> 24;
    case "uint8": return (x) => x & 255;
    case "bool": return (x) => (x ? 1 : 0);
    case "int64": return H.wrap_int64;
    case "uint64": return H.wrap_uint64;
  }
}

/** Product of two values of `dtype` (integer products wrap exactly, as in C). */
export function multiplier(dtype: DType): (a: number, b: number) => number {
  const r = rounder(dtype);
  if (isFloat(dtype) || ITEMSIZE[dtype] > 4) return (a, b) => r(a * b);
  if (dtype === "bool") return (a, b) => a & b;
  return (a, b) => r(Math.imul(a, b));
}

/** NaN-propagating max/min (XLA's semantics for floating point). */
export const nanMax = (a: number, b: number): number => (a !== a || b !== b ? NaN : a > b ? a : b);
export const nanMin = (a: number, b: number): number => (a !== a || b !== b ? NaN : a < b ? a : b);

/**
 * Visits every 1-D line of `shape` along `axis`: `fn(base, stride, n)` gets the flat position of
 * the line's first element, the flat stride between its elements, and its length.
 */
export function forEachLine(shape: Shape, axis: number, fn: (base: number, stride: number, n: number) => void): void {
  const st = stridesOf(shape);
  const n = shape[axis];
  const inner = st[axis];
  const outer = prod(shape.slice(0, axis));
  if (n === 0) return;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) fn(o * n * inner + i, inner, n);
}
