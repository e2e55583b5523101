/**
 * @file What jnp functions accept and how operands meet: conversion of JS values (numbers,
 * booleans, nested lists, typed arrays) to arrays, dtype arguments, and JAX's promotion of
 * operands (dtypes by the weak-type lattice, then NumPy broadcasting), as
 * `jax/_src/numpy/util.py`'s promote_dtypes / promote_shapes do.
 */

import { type Value, JaxValue, TypedScalar, getAval, bind1 } from "../ir/core.js";
import { concreteOrError } from "../ir/errors.js";
import {
  type DType, type TypedKind, canonicalize, defaultFloat, defaultInt, iinfo, isBool, isFloat, isInt,
  parseDType, resultType,
} from "../ir/dtype.js";
import { type Shape, broadcastShapes, shapeEq, shapeStr } from "../ir/shape.js";
import type { HostData } from "../ir/rules.js";
import { Array } from "../backend/array.js";
import { H } from "../codegen/jsmath.js";
import { ValueError } from "../lax/errors.js";

/** A nested JS list (Python's list of lists), whose leaves are scalars or arrays. */
export type NestedList = readonly (number | boolean | JaxValue | NestedList)[];
/** Everything jnp functions take as an array argument. */
export type ArrayLike = Value | NestedList | HostData;
/** dtype arguments: NumPy's names as strings ("float32", "int32", "bool", "float", "int"). */
export type DTypeLike = DType | string;

/** Python's OverflowError (a JS number too large for the dtype it must take). */
export class OverflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OverflowError";
  }
}

export const dtypeArg = (d: DTypeLike): DType => canonicalize(parseDType(d));

const isTypedArray = (x: unknown): x is HostData => ArrayBuffer.isView(x) && !(x instanceof DataView);

/** The dtype of a typed array given as data (Float64Array is NumPy's default float64). */
function typedArrayDtype(x: HostData): DType {
  if (x instanceof Float32Array) return "float32";
  if (x instanceof Float64Array) return "float64";
  if (x instanceof Int32Array) return "int32";
  if (x instanceof Uint32Array) return "uint32";
  if (x instanceof Int16Array) return "int16";
  if (x instanceof Uint16Array) return "uint16";
  if (x instanceof Int8Array) return "int8";
  if (x instanceof Uint8Array) return "uint8";
  if (x instanceof BigInt64Array) return "int64";
  return "uint64";
}

/** The kind of a JS scalar: booleans are strong bool; numbers are weak (int if integral). */
export function scalarKind(x: number | boolean): TypedKind {
  if (typeof x === "boolean") return { dtype: "bool", weak: false };
  return { dtype: Number.isInteger(x) ? defaultInt() : defaultFloat(), weak: true };
}

/** The (dtype, weak) of anything jnp accepts, without materializing it. */
export function kindOf(x: ArrayLike): TypedKind {
  if (x instanceof JaxValue) return { dtype: x.dtype, weak: x.weakType };
  if (typeof x === "number" || typeof x === "boolean") return scalarKind(x);
  if (isTypedArray(x)) return { dtype: canonicalize(typedArrayDtype(x)), weak: false };
  return scanList(x as NestedList).kind;
}

interface ListScan {
  shape: number[];
  /** The scalar leaves, row-major (when the list holds no arrays). */
  values: number[];
  /** Whether arrays or tracers appear as leaves (then the rows are stacked). */
  hasArrays: boolean;
  /** The list's dtype: the join of its leaves' kinds, made strong (a list is never weak). */
  kind: TypedKind;
}

/** One pass over a nested list: shape (ragged lists are NumPy's ValueError), values and dtype. */
function scanList(x: NestedList): ListScan {
  const shape: number[] = [];
  const values: number[] = [];
  let hasInt = false, hasFloat = false, hasBool = false, hasArrays = false;
  const others = new Map<string, TypedKind>();
  const ragged = (): never => {
    throw new ValueError("setting an array element with a sequence. The requested array has an inhomogeneous shape.");
  };
  let leafDepth = -1;
  const walk = (v: NestedList, depth: number): void => {
    if (shape.length === depth) shape.push(v.length);
    else if (shape[depth] !== v.length) ragged();
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      if (Array_isArray(e)) {
        if (leafDepth !== -1 && leafDepth <= depth) ragged();
        walk(e, depth + 1);
        continue;
      }
      if (leafDepth === -1) leafDepth = depth;
      else if (leafDepth !== depth || shape.length > depth + 1) ragged();
      if (typeof e === "number") {
        if (Number.isInteger(e)) hasInt = true;
        else hasFloat = true;
        values.push(e);
      } else if (typeof e === "boolean") {
        hasBool = true;
        values.push(e ? 1 : 0);
      } else if (e instanceof JaxValue) {
        if (!(e instanceof TypedScalar)) hasArrays = true;
        others.set(`${e.dtype}${e.weakType}`, { dtype: e.dtype, weak: e.weakType });
        values.push(e instanceof TypedScalar ? Number(e.value) : NaN);
      } else {
        throw new TypeError(`Value ${String(e)} of type ${typeof e} is not a valid JAX array type`);
      }
    }
  };
  walk(x, 0);
  const kinds: TypedKind[] = [...others.values()];
  if (hasBool) kinds.push({ dtype: "bool", weak: false });
  if (hasInt) kinds.push({ dtype: defaultInt(), weak: true });
  if (hasFloat) kinds.push({ dtype: defaultFloat(), weak: true });
  const kind = kinds.length ? { dtype: resultType(...kinds).dtype, weak: false } : { dtype: defaultFloat(), weak: false };
  return { shape, values, hasArrays, kind };
}

const Array_isArray = (x: unknown): x is NestedList => globalThis.Array.isArray(x);

/** The shape of a nested list that may hold arrays (their shapes continue the list's). */
function listShape(x: NestedList | number | boolean | JaxValue): number[] {
  if (x instanceof JaxValue) return [...x.shape];
  if (!Array_isArray(x)) return [];
  if (x.length === 0) return [0];
  const inner = listShape(x[0]);
  for (const e of x.slice(1)) {
    if (!shapeEq(listShape(e), inner)) {
      throw new ValueError("setting an array element with a sequence. The requested array has an inhomogeneous shape.");
    }
  }
  return [x.length, ...inner];
}

/** A host value stored as `dtype` stores it (so literals print as the value they hold). */
export function roundScalar(v: number | boolean, dtype: DType): number | boolean {
  if (isBool(dtype)) return typeof v === "boolean" ? v : v !== 0;
  const n = Number(v);
  if (dtype === "float32") return Math.fround(n);
  if (dtype === "float16") return H.round_float16(n);
  if (dtype === "bfloat16") return H.round_bfloat16(n);
  if (isFloat(dtype)) return n;
  return Math.trunc(n);
}

/** A numeric option given as a JS number or as a typed scalar (a Python float from the front end). */
export function optNum<T>(v: T | TypedScalar): T | number {
  return v instanceof TypedScalar ? Number(v.value) : v;
}

/** A JS scalar as a 0-d value of `dtype` (a literal in jaxprs); Python's overflow check for ints. */
export function typedScalar(value: number | boolean | TypedScalar, dtype: DType, weak: boolean): TypedScalar {
  const v = optNum(value);
  if (isInt(dtype) && typeof v === "number" && Number.isFinite(v)) {
    const { min, max } = iinfo(dtype);
    if (Number.isInteger(v) && (v < min || v > max)) throw new OverflowError(`Python int ${v} too large to convert to ${dtype}`);
  }
  const r = roundScalar(v, dtype);
  return new TypedScalar(typeof r === "boolean" ? Number(r) : r, dtype, weak);
}

/**
 * `jnp.asarray`: arrays and tracers pass through (converted if `dtype` is given); JS scalars
 * become weakly typed 0-d arrays; nested lists and typed arrays become (strong) arrays.
 */
export function asarray(x: ArrayLike, opts: { dtype?: DTypeLike | null } = {}): JaxValue {
  const want = opts.dtype == null ? null : dtypeArg(opts.dtype);
  if (x instanceof JaxValue) {
    // A Python float arrives as a weak TypedScalar: a requested dtype makes it strong, as JAX's
    // `jnp.asarray(1.0, dtype=jnp.float32)` and so `jnp.float32(1.0)` are.
    if (x instanceof TypedScalar) return want === null ? toArrayValue(x) : toArrayValue(typedScalar(x, want, false));
    return want === null ? x : (convert(x, want, false) as JaxValue);
  }
  if (typeof x === "number" || typeof x === "boolean") {
    const k = scalarKind(x);
    const dtype = want ?? k.dtype;
    return Array.scalar(roundScalar(x, dtype), dtype, want === null && k.weak);
  }
  if (isTypedArray(x)) {
    const dtype = want ?? canonicalize(typedArrayDtype(x));
    return Array.fromHost(globalThis.Array.from(x as globalThis.ArrayLike<number | bigint>, Number), [x.length], dtype);
  }
  if (!Array_isArray(x)) throw new TypeError(`Value ${String(x)} of type ${typeof x} is not a valid JAX array type`);
  const scan = scanList(x);
  const dtype = want ?? scan.kind.dtype;
  // Arrays and tracers inside the list are stacked; scalars (typed ones included) are plain data.
  if (scan.hasArrays) return stackList(x, dtype);
  return Array.fromHost(scan.values, scan.shape, dtype);
}

/** A list holding arrays or tracers: each row converted, then stacked (JAX's jnp.array does this). */
function stackList(x: NestedList, dtype: DType): JaxValue {
  const rows = x.map((e) => {
    const a = e instanceof JaxValue ? e : asarray(e as ArrayLike, { dtype });
    const c = convert(a, dtype, false) as JaxValue;
    return bind1("broadcast_in_dim", [c], { shape: [1, ...c.shape], broadcast_dimensions: c.shape.map((_, i) => i + 1), sharding: null }) as JaxValue;
  });
  if (rows.length === 1) return rows[0];
  return bind1("concatenate", rows, { dimension: 0 }) as JaxValue;
}

/** A TypedScalar (a literal) as a concrete 0-d array. */
function toArrayValue(x: TypedScalar): JaxValue {
  return Array.scalar(x.value, x.dtype, x.weakType);
}

/** Any jnp argument as a `Value` for bind: JS scalars stay scalars (weak), lists become arrays. */
export function toValue(x: ArrayLike): Value {
  if (x instanceof JaxValue || typeof x === "number" || typeof x === "boolean") return x;
  return asarray(x);
}

/** lax's convert_element_type, skipped when nothing changes (JAX's `_convert_element_type`). */
export function convert(x: Value, dtype: DType, weak: boolean): Value {
  if (typeof x === "number" || typeof x === "boolean") return typedScalar(x, dtype, weak);
  if (x instanceof TypedScalar) return typedScalar(x.value, dtype, weak);
  const a = getAval(x);
  if (a.dtype === dtype && a.weakType === weak) return x;
  return bind1("convert_element_type", [x], { new_dtype: dtype, weak_type: weak, sharding: null });
}

/** JAX's result type of jnp operands (`jnp.result_type`). */
export const resultKind = (...xs: ArrayLike[]): TypedKind => resultType(...xs.map(kindOf));

/** Converts every operand to the result dtype (JAX's promote_dtypes). */
export function promoteDtypes(...xs: ArrayLike[]): Value[] {
  const vals = xs.map(toValue);
  if (vals.length === 0) return [];
  const r = resultType(...vals.map(kindOf));
  return vals.map((v) => convert(v, r.dtype, r.weak));
}

/** Like promoteDtypes, then ints and bools go to the default float (promote_dtypes_inexact). */
export function promoteDtypesInexact(...xs: ArrayLike[]): Value[] {
  const vals = xs.map(toValue);
  const r = resultType(...vals.map(kindOf));
  const dtype = isFloat(r.dtype) ? r.dtype : defaultFloat();
  return vals.map((v) => convert(v, dtype, r.weak));
}

/** Like promoteDtypes; bool results are a TypeError naming the function (promote_dtypes_numeric). */
export function promoteDtypesNumeric(name: string, ...xs: ArrayLike[]): Value[] {
  const vals = promoteDtypes(...xs);
  if (vals.length && isBool(getAval(vals[0]).dtype)) {
    throw new TypeError(`${name} does not accept dtype bool.`);
  }
  return vals;
}

/** `jnp.broadcast_to` on a Value (no dtype change); the error is NumPy's. */
export function broadcastTo(x: Value, shape: Shape): Value {
  const a = getAval(x);
  if (shapeEq(a.shape, shape)) return x;
  const nd = shape.length;
  const lead = nd - a.ndim;
  if (lead < 0 || a.shape.some((d, i) => d !== 1 && d !== shape[lead + i])) {
    throw new ValueError(`Incompatible shapes for broadcasting: ${shapeStr(a.shape)} and requested shape ${shapeStr(shape)}`);
  }
  return bind1("broadcast_in_dim", [x], {
    shape: [...shape],
    broadcast_dimensions: a.shape.map((_, i) => lead + i),
    sharding: null,
  });
}

/**
 * NumPy broadcasting of operands to one shape (JAX's promote_shapes). lax's elementwise
 * primitives here need equal shapes (rank-0 operands broadcast), so non-scalar operands of
 * another shape get a broadcast_in_dim to the result shape.
 */
export function promoteShapes(name: string, ...xs: Value[]): Value[] {
  const shapes = xs.map((x) => getAval(x).shape);
  let out: number[];
  try {
    out = broadcastShapes(...shapes);
  } catch {
    throw new ValueError(`Incompatible shapes for broadcasting: shapes=[${shapes.map(shapeStr).join(", ")}]`);
  }
  return xs.map((x, i) => (shapes[i].length === 0 || shapeEq(shapes[i], out) ? x : broadcastTo(x, out)));
}

/** promote_args: dtypes then shapes. */
export const promoteArgs = (name: string, ...xs: ArrayLike[]): Value[] => promoteShapes(name, ...promoteDtypes(...xs));
export const promoteArgsInexact = (name: string, ...xs: ArrayLike[]): Value[] => promoteShapes(name, ...promoteDtypesInexact(...xs));
export const promoteArgsNumeric = (name: string, ...xs: ArrayLike[]): Value[] => promoteShapes(name, ...promoteDtypesNumeric(name, ...xs));

/** A JaxValue result (bind gives Values; eager results are Arrays, traced ones tracers). */
export const J = (v: Value): JaxValue => (v instanceof JaxValue ? (v instanceof TypedScalar ? toArrayValue(v) : v) : asarray(v));

/** The shape of any jnp argument (without materializing lists). */
export function shapeOf(x: ArrayLike): number[] {
  if (x instanceof JaxValue) return [...x.shape];
  if (typeof x === "number" || typeof x === "boolean") return [];
  if (isTypedArray(x)) return [x.length];
  const scan = scanList(x as NestedList);
  return scan.hasArrays ? listShape(x as NestedList) : scan.shape;
}


/** A concrete JS number from a value that must be static (sizes, counts). */
export function concreteInt(x: unknown, what: string): number {
  let v: unknown = x;
  if (x instanceof JaxValue) {
    // A tracer may know its value (JVP tracers of concrete primals); others are JAX's error.
    const c = concreteOrError(x, `${what} must be a concrete integer.`);
    v = typeof c === "object" ? c.item() : c;
  }
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`${what} must be an integer, got ${String(v)}`);
  return v;
}

// ---- axes ------------------------------------------------------------------------------------------

/** An axis argument in range, negatives counted from the end (JAX's canonicalize_axis errors). */
export function canonicalizeAxis(axis: number, ndim: number): number {
  if (typeof axis !== "number" || !Number.isInteger(axis)) throw new TypeError(`axis must be an integer, got ${String(axis)}`);
  if (axis < -ndim || axis >= ndim) throw new ValueError(`axis ${axis} is out of bounds for array of dimension ${ndim}`);
  return axis < 0 ? axis + ndim : axis;
}

/** A reduction's axes: null means all; repeated axes are a ValueError as in NumPy. */
export function reductionAxes(axis: number | readonly number[] | null | undefined, ndim: number): number[] {
  if (axis === null || axis === undefined) return [...globalThis.Array(ndim).keys()];
  const list = typeof axis === "number" ? [axis] : [...axis];
  const out = list.map((a) => canonicalizeAxis(a, ndim));
  if (new Set(out).size !== out.length) throw new ValueError("repeated axis");
  return out.sort((a, b) => a - b);
}
