/**
 * @file What the elementwise stanzas share (after lax.py's `unop`/`naryop`): JAX's dtype and
 * broadcasting shape rules with its error messages, views that broadcast size-1 and rank-0
 * operands, JAX's broadcasting and vectorized batchers, and unbroadcasting of cotangents.
 */

import { type Params, type Value, bind, bind1, definePrimitive, getAval, TypedScalar } from "../ir/core.js";
import { type DType, isFloat, isInt, isBool, isSignedInt, isUnsignedInt } from "../ir/dtype.js";
import { ShapedArray, type Shape, shapeEq } from "../ir/shape.js";
import { type BatchRule, type JvpRule, type Lowering, type MaybeZero, type TransposeRule, Zero } from "../ir/rules.js";
import { type Exp, type View, i32, index, view } from "../codegen/exp.js";
import { bdimAtFront } from "./helpers.js";
import { broadcastInDim, reduceSum, reshape } from "./structural.js";
import { NotImplementedError } from "./errors.js";
import { shardElementwise } from "./shard.js";

// ---- dtype rules ---------------------------------------------------------------------------------

/** NumPy's abstract scalar classes, by the names JAX's error messages use. */
export type Kind = "floating" | "integer" | "signedinteger" | "unsignedinteger" | "bool";

export const FLOAT: readonly Kind[] = ["floating"];
export const INT: readonly Kind[] = ["integer"];
export const NUM: readonly Kind[] = ["integer", "floating"];
export const ANY: readonly Kind[] = ["integer", "floating", "bool"];
export const INT_OR_BOOL: readonly Kind[] = ["integer", "bool"];

function isKind(d: DType, k: Kind): boolean {
  switch (k) {
    case "floating": return isFloat(d);
    case "integer": return isInt(d);
    case "signedinteger": return isSignedInt(d);
    case "unsignedinteger": return isUnsignedInt(d);
    case "bool": return isBool(d);
  }
}

export const accepts = (d: DType, kinds: readonly Kind[]): boolean => kinds.some((k) => isKind(d, k));

/** The jnp function that promotes where the lax one does not (lax.py's table, for error tips). */
const JNP_EQUIVALENT: Record<string, string> = {
  add: "add", sub: "subtract", mul: "multiply", div: "divide", max: "maximum", min: "minimum", pow: "float_power",
  atan2: "arctan2", nextafter: "nextafter", eq: "equal", ne: "not_equal", select: "where",
  shift_left: "left_shift", shift_right_logical: "right_shift", shift_right_arithmetic: "right_shift",
};

/** lax's check that operands of an n-ary op share one dtype (jnp promotes; lax does not). */
export function checkSameDtypes(name: string, avals: readonly ShapedArray[]): void {
  if (avals.some((a) => a.dtype !== avals[0].dtype)) {
    const eq = JNP_EQUIVALENT[name];
    const tip = eq ? ` (Tip: jnp.${eq} is a similar function that does automatic type promotion on inputs).` : "";
    throw new TypeError(`lax.${name} requires arguments to have the same dtypes, got ${avals.map((a) => a.dtype).join(", ")}.${tip}`);
  }
}

/** JAX's unop dtype rule. */
export function checkUnaryDtype(name: string, aval: ShapedArray, kinds: readonly Kind[]): void {
  if (!accepts(aval.dtype, kinds)) {
    throw new TypeError(`${name} does not accept dtype ${aval.dtype}. Accepted dtypes are subtypes of ${kinds.join(", ")}.`);
  }
}

/** JAX's naryop dtype rule: each operand's dtype against its position's kinds, then equal dtypes. */
export function checkNaryDtypes(name: string, avals: readonly ShapedArray[], kinds: readonly (readonly Kind[])[], requireSame = true): void {
  avals.forEach((a, i) => {
    if (!accepts(a.dtype, kinds[i])) {
      throw new TypeError(`${name} does not accept dtype ${a.dtype} at position ${i}. Accepted dtypes at position ${i} are subtypes of ${kinds[i].join(", ")}.`);
    }
  });
  if (requireSame) checkSameDtypes(name, avals);
}

const pyShape = (s: Shape): string => (s.length === 1 ? `(${s[0]},)` : `(${s.join(", ")})`);

/**
 * JAX's broadcasting shape rule for n-ary ops: rank-0 operands broadcast; the others must have
 * one rank, and each dimension must agree or be 1.
 */
export function broadcastingShape(name: string, avals: readonly ShapedArray[]): number[] {
  const shapes = avals.map((a) => a.shape).filter((s) => s.length > 0);
  if (shapes.length === 0) return [];
  const ranks = [...new Set(shapes.map((s) => s.length))];
  if (ranks.length !== 1) throw new TypeError(`${name}: arrays must have the same number of dimensions, got {${ranks.join(", ")}}`);
  return shapes[0].map((_, i) => {
    const non1 = shapes.map((s) => s[i]).filter((d) => d !== 1);
    if (non1.some((d) => d !== non1[0])) {
      throw new TypeError(`${name} got incompatible shapes for broadcasting: ${shapes.map(pyShape).join(", ")}.`);
    }
    return non1.length ? non1[0] : 1;
  });
}

/** The output aval of an n-ary elementwise op: broadcast shape, weak only if every operand is. */
export function naryAval(name: string, avals: readonly ShapedArray[], kinds: readonly (readonly Kind[])[], outDtype?: DType): ShapedArray {
  checkNaryDtypes(name, avals, kinds);
  return new ShapedArray(broadcastingShape(name, avals), outDtype ?? avals[0].dtype, avals.every((a) => a.weakType));
}

// ---- views -----------------------------------------------------------------------------------------

/** `v` seen at a broadcast `shape`: rank-0 views repeat, size-1 dimensions read index 0. */
export function broadcastView(v: View, shape: Shape): View {
  if (shapeEq(v.shape, shape)) return v;
  if (v.shape.length === 0) return view(shape, v.dtype, () => v.at(index([])));
  return view(shape, v.dtype, (idx) => v.at(index(v.shape.map((d, i) => (d === 1 && shape[i] !== 1 ? i32(0) : idx.dims[i])))));
}

/** Elementwise map of `f` over broadcast views. */
export function mapBroadcast(ins: readonly View[], shape: Shape, dtype: DType, f: (...xs: Exp[]) => Exp): View {
  const bs = ins.map((v) => broadcastView(v, shape));
  return view(shape, dtype, (idx) => f(...bs.map((v) => v.at(idx))));
}

/** A fusible lowering that computes one output element from the operand elements. */
export function elementwiseLowering(f: (xs: Exp[], params: Params, out: ShapedArray) => Exp): Lowering {
  return {
    kind: "fusible",
    rule: (ins, params, [out]) => [mapBroadcast(ins, out.shape, out.dtype, (...xs) => f(xs, params, out))],
  };
}

// ---- constants and broadcasting of values ---------------------------------------------------------

/** A constant with the dtype of `x` (lax's `_const`): a strongly typed scalar, a literal in jaxprs. */
export const constLike = (x: Value, v: number): Value => new TypedScalar(v, getAval(x).dtype, false);

/** `x` broadcast to `shape` (lax's `_maybe_broadcast`): only when the shapes differ. */
export function maybeBroadcast(x: Value, shape: Shape): Value {
  const s = getAval(x).shape;
  if (shapeEq(s, shape)) return x;
  if (s.length === 0) return broadcastInDim(x, shape, []);
  const dims = s.map((_, i) => i).filter((i) => s[i] === shape[i]);
  return broadcastInDim(reshape(x, dims.map((i) => s[i])), shape, dims);
}

/** A cotangent summed back to the shape of an operand that was broadcast (lax's `_unbroadcast`). */
export function unbroadcast(ct: MaybeZero, aval: ShapedArray): MaybeZero {
  if (ct instanceof Zero) return new Zero(aval.strongType());
  const s = getAval(ct).shape;
  if (shapeEq(s, aval.shape)) return ct;
  if (aval.ndim === 0) return reduceSum(ct, s.map((_, i) => i));
  const dims = s.map((_, i) => i).filter((i) => s[i] !== aval.shape[i]);
  return reshape(dims.length ? reduceSum(ct, dims) : ct, aval.shape);
}

// ---- batching ------------------------------------------------------------------------------------

/** Batching of unary elementwise primitives (JAX's defvectorized): the batch dim stays put. */
export function vectorizedBatch(prim: string): BatchRule {
  return ([x], [d], params) => [[bind1(prim, [x], params)], [d]];
}

/**
 * JAX's broadcast_batcher: if every batched operand has the same shape and batch dim (the rest
 * are rank 0), bind as is; otherwise move batch dims to the front, give unbatched operands a
 * size-1 axis there and let the primitive's own size-1 broadcasting do the rest.
 */
export function broadcastingBatch(prim: string): BatchRule {
  return (args, dims, params) => {
    const first = dims.findIndex((d) => d !== null);
    const shape = getAval(args[first]).shape;
    const dim = dims[first];
    const agree = args.every((x, i) => getAval(x).ndim === 0 || (shapeEq(getAval(x).shape, shape) && dims[i] === dim));
    if (agree) {
      const outs = bind(prim, args, params);
      return [outs, outs.map(() => dim)];
    }
    const moved = args.map((x, i) => (getAval(x).ndim ? bdimAtFront(x, dims[i], 1) : x));
    const nd = Math.max(...moved.map((x) => getAval(x).ndim));
    const expanded = moved.map((x, i) => {
      const a = getAval(x);
      if (dims[i] === null || a.ndim === nd) return x;
      // A batched scalar: its batch axis at the front, size-1 axes after it.
      return reshape(x, [...a.shape, ...Array<number>(nd - a.ndim).fill(1)]);
    });
    const outs = bind(prim, expanded, params);
    return [outs, outs.map(() => 0)];
  };
}

// ---- the definers --------------------------------------------------------------------------------

export interface UnopSpec {
  readonly kinds: readonly Kind[];
  readonly jvp: JvpRule | "nondiff";
  readonly transpose?: TransposeRule;
  /** The output dtype when it is not the operand's (is_finite gives bool). */
  readonly outDtype?: DType;
  /** One output element from the operand element. */
  readonly lower: (x: Exp, params: Params, out: ShapedArray) => Exp;
}

/** Registers a unary elementwise primitive (lax.py's `standard_unop`). */
export function unop(name: string, spec: UnopSpec): void {
  definePrimitive(name, {
    abstractEval: ([x]) => {
      checkUnaryDtype(name, x, spec.kinds);
      return [new ShapedArray(x.shape, spec.outDtype ?? x.dtype, x.weakType)];
    },
    jvp: spec.jvp,
    transpose: spec.transpose ?? null,
    batch: vectorizedBatch(name),
    shard: shardElementwise,
    lower: elementwiseLowering(([x], p, out) => spec.lower(x, p, out)),
  });
}

export interface NaryopSpec {
  /** Accepted kinds per operand position. */
  readonly kinds: readonly (readonly Kind[])[];
  readonly jvp: JvpRule | "nondiff";
  readonly transpose?: TransposeRule;
  readonly outDtype?: DType;
  readonly lower: (xs: Exp[], params: Params, out: ShapedArray) => Exp;
}

/** Registers an n-ary broadcasting elementwise primitive (lax.py's `standard_naryop`). */
export function naryop(name: string, spec: NaryopSpec): void {
  definePrimitive(name, {
    abstractEval: (avals) => [naryAval(name, avals, spec.kinds, spec.outDtype)],
    jvp: spec.jvp,
    transpose: spec.transpose ?? null,
    batch: broadcastingBatch(name),
    shard: shardElementwise,
    lower: elementwiseLowering(spec.lower),
  });
}

/** The rule of a primitive JAX gives no derivative: zero tangents pass, others raise as in JAX. */
export function noJvp(name: string): JvpRule {
  return (primals, tangents, params) => {
    if (tangents.some((t) => !(t instanceof Zero))) throw new NotImplementedError(`Differentiation rule for '${name}' not implemented`);
    const out = bind1(name, primals, params);
    return [[out], [new Zero(getAval(out).strongType())]];
  };
}

/** An array of `x`'s shape and dtype filled with `v` (lax's `full_like`): a literal when rank 0. */
export function fullLike(x: Value, v: number): Value {
  const a = getAval(x);
  const c = new TypedScalar(v, a.dtype, false);
  return a.ndim === 0 ? c : broadcastInDim(c, a.shape, []);
}
