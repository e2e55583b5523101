/**
 * @file The kernel IR: scalar expressions (tinygrad-style), and `View`s — arrays described as a
 * function from an output index to a scalar expression. Primitives lower to views; fusing a
 * jaxpr is composing its views; a kernel is one or more views rendered over an output range.
 */

import { type DType, isFloat, isInt, isUnsignedInt } from "../ir/dtype.js";
import { type Shape, prod, stridesOf } from "../ir/shape.js";

export const UNARY_OPS = [
  "neg", "not", "abs", "sign", "floor", "ceil", "round", "trunc", "exp", "exp2", "log", "log1p", "expm1",
  "sqrt", "rsqrt", "cbrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
  "acosh", "atanh", "erf", "erfc", "erfinv", "lgamma", "digamma", "isfinite", "isnan", "logistic", "recip",
  "cast", "bitcast",
] as const;
export const BINARY_OPS = [
  "add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "nextafter", "and", "or", "xor",
  "shl", "shr", "eq", "ne", "lt", "le", "gt", "ge",
] as const;
export const REDUCE_OPS = ["sum", "prod", "max", "min", "and", "or"] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type ReduceOp = (typeof REDUCE_OPS)[number];

/**
 * A scalar expression node. `dtype` is the type of the value (for `cast`/`bitcast`, the target).
 * - const: `value`; gidx: the flat output index (int32); ridx: a reduction loop variable `id`;
 * - load: element `args[0]` (int32) of kernel input `input`;
 * - unary/binary/where: elementwise ops; comparisons give bool;
 * - reduce: `op` over `ridx id` in [0, size) of `args[0]`.
 * Division `div` on integers truncates toward zero (C/XLA semantics); `rem` takes the dividend's sign.
 */
export type Exp =
  | { readonly kind: "const"; readonly dtype: DType; readonly value: number }
  | { readonly kind: "gidx"; readonly dtype: DType }
  | { readonly kind: "ridx"; readonly dtype: DType; readonly id: number; readonly size: number }
  | { readonly kind: "load"; readonly dtype: DType; readonly input: number; readonly args: readonly [Exp] }
  | { readonly kind: "unary"; readonly dtype: DType; readonly op: UnaryOp; readonly args: readonly [Exp] }
  | { readonly kind: "binary"; readonly dtype: DType; readonly op: BinaryOp; readonly args: readonly [Exp, Exp] }
  | { readonly kind: "where"; readonly dtype: DType; readonly args: readonly [Exp, Exp, Exp] }
  | { readonly kind: "reduce"; readonly dtype: DType; readonly op: ReduceOp; readonly ridx: Exp; readonly args: readonly [Exp] };

const CMP = new Set<BinaryOp>(["eq", "ne", "lt", "le", "gt", "ge"]);

// ---- builders, with the algebraic simplifications that matter for index arithmetic ----------

export const constant = (value: number, dtype: DType): Exp => ({ kind: "const", dtype, value });
export const i32 = (v: number): Exp => constant(v, "int32");
export const gidx = (): Exp => ({ kind: "gidx", dtype: "int32" });

let ridxCounter = 0;
export const ridx = (size: number): Exp => ({ kind: "ridx", dtype: "int32", id: ridxCounter++, size });

export const load = (input: number, dtype: DType, index: Exp): Exp => ({ kind: "load", dtype, input, args: [index] });

export const isConst = (e: Exp, v?: number): e is Extract<Exp, { kind: "const" }> =>
  e.kind === "const" && (v === undefined || e.value === v);

export function unary(op: UnaryOp, a: Exp, dtype: DType = a.dtype): Exp {
  if (op === "cast" && a.dtype === dtype) return a;
  return { kind: "unary", op, dtype: op === "isfinite" || op === "isnan" ? "bool" : dtype, args: [a] };
}

export function binary(op: BinaryOp, a: Exp, b: Exp): Exp {
  const dtype: DType = CMP.has(op) ? "bool" : a.dtype;
  if (a.dtype === "int32" && b.dtype === "int32") {
    // Index arithmetic: fold constants and identities so that views compose cheaply.
    if (isConst(a) && isConst(b)) {
      const x = a.value, y = b.value;
      switch (op) {
        case "add": return i32((x + y) | 0);
        case "sub": return i32((x - y) | 0);
        case "mul": return i32(Math.imul(x, y));
        case "div": if (y !== 0) return i32(Math.trunc(x / y)); break;
        case "rem": if (y !== 0) return i32(x % y); break;
        case "min": return i32(Math.min(x, y));
        case "max": return i32(Math.max(x, y));
      }
    }
    if (op === "add" && isConst(b, 0)) return a;
    if (op === "add" && isConst(a, 0)) return b;
    if (op === "sub" && isConst(b, 0)) return a;
    if (op === "mul" && (isConst(b, 1))) return a;
    if (op === "mul" && (isConst(a, 1))) return b;
    if (op === "mul" && (isConst(a, 0) || isConst(b, 0))) return i32(0);
    if (op === "div" && isConst(b, 1)) return a;
    if (op === "rem" && isConst(b, 1)) return i32(0);
  }
  return { kind: "binary", op, dtype, args: [a, b] };
}

export const where = (c: Exp, a: Exp, b: Exp): Exp => (isConst(c) ? (c.value ? a : b) : { kind: "where", dtype: a.dtype, args: [c, a, b] });

export const reduce = (op: ReduceOp, r: Exp, body: Exp): Exp => ({ kind: "reduce", op, dtype: body.dtype, ridx: r, args: [body] });

export const cast = (a: Exp, dtype: DType): Exp => unary("cast", a, dtype);
export const add = (a: Exp, b: Exp): Exp => binary("add", a, b);
export const mul = (a: Exp, b: Exp): Exp => binary("mul", a, b);

// ---- indices --------------------------------------------------------------------------------

/**
 * A multi-dimensional index into an array: one int32 expression per dimension, plus (when it is
 * known) the flat row-major position it came from, so that reshapes and same-shape loads need
 * no division.
 */
export interface Index {
  readonly dims: readonly Exp[];
  readonly flat?: { readonly exp: Exp; readonly shape: Shape };
}

/** The multi-index of flat position `flat` in `shape`. */
export function unravel(flat: Exp, shape: Shape): Index {
  const st = stridesOf(shape);
  const dims = shape.map((d, i) => {
    if (d === 1) return i32(0);
    const q = binary("div", flat, i32(st[i]));
    return i === 0 ? q : binary("rem", q, i32(d));
  });
  return { dims, flat: { exp: flat, shape } };
}

/** The flat row-major position of `idx` in an array of `shape`. */
export function ravel(idx: Index, shape: Shape): Exp {
  if (idx.flat && prod(idx.flat.shape) === prod(shape)) return idx.flat.exp;
  const st = stridesOf(shape);
  let e = i32(0);
  idx.dims.forEach((d, i) => {
    if (shape[i] !== 1) e = add(e, mul(d, i32(st[i])));
  });
  return e;
}

export const index = (dims: readonly Exp[]): Index => ({ dims });

// ---- views ----------------------------------------------------------------------------------

/** An array inside a kernel: its shape and dtype, and how to compute the element at an index. */
export interface View {
  readonly shape: Shape;
  readonly dtype: DType;
  at(idx: Index): Exp;
}

export const view = (shape: Shape, dtype: DType, at: (idx: Index) => Exp): View => ({ shape, dtype, at });

/** A kernel input buffer seen as a row-major array. */
export const inputView = (input: number, shape: Shape, dtype: DType): View =>
  view(shape, dtype, (idx) => load(input, dtype, ravel(idx, shape)));

/** Elementwise map over views of equal shape (rank-0 views broadcast, as lax allows). */
export function mapViews(ins: readonly View[], shape: Shape, dtype: DType, f: (...xs: Exp[]) => Exp): View {
  return view(shape, dtype, (idx) => f(...ins.map((v) => v.at(v.shape.length === 0 && shape.length > 0 ? index([]) : idx))));
}

/**
 * A kernel: outputs of equal size computed from the inputs, one thread per output element.
 * `shape` is the output index space (the outputs' common shape; `size` is its product): renderers
 * may loop over it as a nest so that the div/rem of `unravel(gidx)` become loop variables.
 */
export interface Kernel {
  readonly name: string;
  readonly inputs: readonly { readonly dtype: DType; readonly size: number }[];
  readonly outputs: readonly { readonly dtype: DType; readonly exp: Exp }[];
  readonly size: number;
  readonly shape: Shape;
}

/** Builds the kernel that materializes `views` (all of the same size) over inputs. */
export function kernelOf(name: string, inputs: Kernel["inputs"], views: readonly View[]): Kernel {
  const size = views.length ? prod(views[0].shape) : 0;
  for (const v of views) if (prod(v.shape) !== size) throw new Error("kernel outputs must have equal sizes");
  const shape = views.length ? views[0].shape : [0];
  const outputs = views.map((v) => ({ dtype: v.dtype, exp: v.at(unravel(gidx(), v.shape)) }));
  return { name, inputs, outputs, size, shape };
}

/**
 * Structural keys of expressions (equal keys: equal values at every index), short because each
 * node's key is built from its children's interned ids. One instance per kernel or fusion pass.
 */
export class ExpKeys {
  private readonly memo = new Map<Exp, string>();
  private readonly intern = new Map<string, string>();
  key(e: Exp): string {
    let k = this.memo.get(e);
    if (k !== undefined) return k;
    let s: string;
    switch (e.kind) {
      case "const": s = `c${e.dtype}:${Object.is(e.value, -0) ? "-0" : e.value}`; break;
      case "gidx": s = "g"; break;
      case "ridx": s = `r${e.id}:${e.size}`; break;
      case "load": s = `L${e.input}:${e.dtype}(${this.key(e.args[0])})`; break;
      case "unary": s = `${e.op}:${e.dtype}(${this.key(e.args[0])})`; break;
      case "binary": s = `${e.op}:${e.dtype}(${this.key(e.args[0])},${this.key(e.args[1])})`; break;
      case "where": s = `w(${e.args.map((a) => this.key(a)).join(",")})`; break;
      case "reduce": s = `R${e.op}:${e.dtype}:${this.key(e.ridx)}(${this.key(e.args[0])})`; break;
    }
    k = this.intern.get(s);
    if (k === undefined) {
      k = `#${this.intern.size}`;
      this.intern.set(s, k);
    }
    this.memo.set(e, k);
    return k;
  }
  /** The key of an index (its dims). */
  indexKey(idx: Index): string {
    return idx.dims.map((d) => this.key(d)).join(",");
  }
}

/** A view whose `at` returns the same expression object for structurally equal indices (so
 * that a value read twice at one index, reductions included, is one node for CSE). */
export function memoView(v: View, keys: ExpKeys): View {
  const cache = new Map<string, Exp>();
  return view(v.shape, v.dtype, (idx) => {
    const k = keys.indexKey(idx);
    let e = cache.get(k);
    if (!e) {
      e = v.at(idx);
      cache.set(k, e);
    }
    return e;
  });
}

/** Visits every node of an expression DAG once, parents before children. */
export function walkExp(roots: readonly Exp[], visit: (e: Exp) => void): void {
  const seen = new Set<Exp>();
  const stack = [...roots];
  while (stack.length) {
    const e = stack.pop()!;
    if (seen.has(e)) continue;
    seen.add(e);
    visit(e);
    if (e.kind === "reduce") stack.push(e.ridx);
    if ("args" in e) stack.push(...e.args);
  }
}

/** Rebuilds an expression DAG bottom-up, replacing nodes where `f` returns a new node. */
export function mapExp(e: Exp, f: (e: Exp) => Exp | undefined, memo = new Map<Exp, Exp>()): Exp {
  const got = memo.get(e);
  if (got) return got;
  let out = f(e);
  if (!out) {
    switch (e.kind) {
      case "const": case "gidx": case "ridx": out = e; break;
      case "load": {
        const a = mapExp(e.args[0], f, memo);
        out = a === e.args[0] ? e : { ...e, args: [a] };
        break;
      }
      case "unary": {
        const a = mapExp(e.args[0], f, memo);
        out = a === e.args[0] ? e : { ...e, args: [a] };
        break;
      }
      case "binary": {
        const a = mapExp(e.args[0], f, memo), b = mapExp(e.args[1], f, memo);
        out = a === e.args[0] && b === e.args[1] ? e : { ...e, args: [a, b] };
        break;
      }
      case "where": {
        const [c, a, b] = e.args.map((x) => mapExp(x, f, memo));
        out = c === e.args[0] && a === e.args[1] && b === e.args[2] ? e : { ...e, args: [c, a, b] };
        break;
      }
      case "reduce": {
        const a = mapExp(e.args[0], f, memo);
        out = a === e.args[0] ? e : { ...e, args: [a] };
        break;
      }
    }
  }
  memo.set(e, out);
  return out;
}

export const expIsFloat = (e: Exp): boolean => isFloat(e.dtype);
export const expIsInt = (e: Exp): boolean => isInt(e.dtype);
export const expIsUnsigned = (e: Exp): boolean => isUnsignedInt(e.dtype);
