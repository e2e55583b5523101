/**
 * @file Rule helpers that make most primitive stanzas a few lines (after JAX's `ad.defjvp`,
 * `ad.deflinear`, `batching.defbroadcasting`): JVP from per-argument derivatives, symbolic-zero
 * arithmetic, elementwise batching, and elementwise abstract evaluation with dtype checks.
 */

import { type Params, type Value, TypedScalar, bind, bind1, getAval } from "../ir/core.js";
import { type DType, isFloat, isInt, isBool, isUnsignedInt, isSignedInt } from "../ir/dtype.js";
import { ShapedArray, shapeEq, shapeStr } from "../ir/shape.js";
import { type BatchRule, type BDim, type JvpRule, type MaybeZero, Zero } from "../ir/rules.js";

// ---- symbolic zeros ---------------------------------------------------------------------------

export const isZero = (t: MaybeZero): t is Zero => t instanceof Zero;

/**
 * Zeros of an aval, materialized as a broadcast scalar (cheap under jit), the scalar a literal
 * in jaxprs as JAX's zeros_like_aval prints it (`broadcast_in_dim[...] 0.0:f32[]`).
 */
export function zerosLikeAval(aval: ShapedArray): Value {
  return bind1("broadcast_in_dim", [new TypedScalar(0, aval.dtype, false)], { shape: aval.shape, broadcast_dimensions: [], sharding: null });
}

/** A 0-d constant of a dtype, via convert_element_type of a weak scalar. */
export function Array0(v: number | boolean, dtype: DType): Value {
  return bind1("convert_element_type", [v], { new_dtype: dtype, weak_type: false, sharding: null });
}

export const instantiate = (t: MaybeZero): Value => (t instanceof Zero ? zerosLikeAval(t.aval) : t);

export function addTangents(a: MaybeZero, b: MaybeZero): MaybeZero {
  if (a instanceof Zero) return b;
  if (b instanceof Zero) return a;
  return bind1("add_any", [a, b]);
}

/** The aval of a tangent for a primal aval: ints and bools get float0-style symbolic zeros. */
export function tangentAval(aval: ShapedArray): ShapedArray {
  return aval.update({ weakType: false });
}

// ---- JVP helpers ------------------------------------------------------------------------------

type ArgJvp = ((g: Value, ...primals: Value[]) => Value) | null;
type ArgJvp2 = ((g: Value, ans: Value, ...primals: Value[]) => Value) | null;

/** JVP from one derivative function per argument (null: not differentiable in that argument). */
export function defjvp(prim: string, ...fns: ArgJvp[]): JvpRule {
  return (primals, tangents, params) => {
    const out = bind1(prim, primals, params);
    let t: MaybeZero = new Zero(tangentAval(getAval(out)));
    tangents.forEach((g, i) => {
      const f = fns[i];
      if (f && !(g instanceof Zero)) t = addTangents(t, f(g, ...primals));
    });
    return [[out], [t]];
  };
}

/** Like defjvp, with the primal output available to the derivative functions. */
export function defjvp2(prim: string, ...fns: ArgJvp2[]): JvpRule {
  return (primals, tangents, params) => {
    const out = bind1(prim, primals, params);
    let t: MaybeZero = new Zero(tangentAval(getAval(out)));
    tangents.forEach((g, i) => {
      const f = fns[i];
      if (f && !(g instanceof Zero)) t = addTangents(t, f(g, out, ...primals));
    });
    return [[out], [t]];
  };
}

/** JVP of a primitive linear in all its arguments: apply it to the tangents. */
export function linearJvp(prim: string): JvpRule {
  return (primals, tangents, params) => {
    const outs = bind(prim, primals, params);
    if (tangents.every((t) => t instanceof Zero)) return [outs, outs.map((o) => new Zero(tangentAval(getAval(o))))];
    return [outs, bind(prim, tangents.map(instantiate), params)];
  };
}

// ---- batching helpers -------------------------------------------------------------------------

/** Moves the batch dim of `x` to the front (broadcasting unbatched non-scalars to the batch size). */
export function bdimAtFront(x: Value, d: BDim, size: number): Value {
  const aval = getAval(x);
  if (d === null) {
    return bind1("broadcast_in_dim", [x], {
      shape: [size, ...aval.shape],
      broadcast_dimensions: aval.shape.map((_, i) => i + 1),
      sharding: null,
    });
  }
  return moveaxis(x, d, 0);
}

export function moveaxis(x: Value, src: number, dst: number): Value {
  if (src === dst) return x;
  const nd = getAval(x).ndim;
  const perm = [...Array(nd).keys()].filter((i) => i !== src);
  perm.splice(dst, 0, src);
  return bind1("transpose", [x], { permutation: perm });
}

/**
 * Batching for elementwise primitives: when every batched operand has its batch dim in the same
 * place and unbatched operands are scalars, nothing moves; otherwise batch dims go to the front.
 */
export function elementwiseBatch(prim: string): BatchRule {
  return (args, dims, params, size) => {
    const batched = args.map((a, i) => [a, dims[i]] as const).filter(([, d]) => d !== null);
    const first = batched[0];
    const sameRank = (a: Value) => getAval(a).ndim === getAval(first[0]).ndim;
    const simple = batched.every(([a, d]) => d === first[1] && sameRank(a)) &&
      args.every((a, i) => dims[i] !== null || getAval(a).ndim === 0);
    if (simple) {
      const outs = bind(prim, args, params);
      return [outs, outs.map(() => first[1])];
    }
    const moved = args.map((a, i) => (dims[i] === null && getAval(a).ndim === 0 ? a : bdimAtFront(a, dims[i], size)));
    // A batch of scalars next to non-scalar operands spreads over their shape.
    const shape = moved.map((a) => getAval(a).shape).reduce((s, t) => (t.length > s.length ? t : s));
    const full = moved.map((a, i) => (dims[i] !== null && getAval(a).ndim < shape.length
      ? bind1("broadcast_in_dim", [a], { shape, broadcast_dimensions: [0], sharding: null })
      : a));
    const outs = bind(prim, full, params);
    return [outs, outs.map(() => 0)];
  };
}

// ---- abstract evaluation -------------------------------------------------------------------------

export type DTypeClass = "float" | "int" | "sint" | "uint" | "bool" | "num" | "intbool" | "any";

export function dtypeIn(d: DType, c: DTypeClass): boolean {
  switch (c) {
    case "float": return isFloat(d);
    case "int": return isInt(d);
    case "sint": return isSignedInt(d);
    case "uint": return isUnsignedInt(d);
    case "bool": return isBool(d);
    case "num": return !isBool(d);
    case "intbool": return isInt(d) || isBool(d);
    case "any": return true;
  }
}

const CLASS_TEXT: Record<DTypeClass, string> = {
  float: "floating-point", int: "integer", sint: "signed integer", uint: "unsigned integer", bool: "boolean",
  num: "numeric", intbool: "integer or boolean", any: "any",
};

/**
 * Output aval of an n-ary elementwise primitive: operands must have equal shapes (rank-0 operands
 * broadcast) and equal dtypes; the result is weak only if every operand is weak.
 */
export function elementwiseAval(prim: string, avals: ShapedArray[], allowed: DTypeClass, outDtype?: DType): ShapedArray {
  const dtype = avals[0].dtype;
  for (const a of avals) {
    if (a.dtype !== dtype) {
      throw new TypeError(`${prim} requires arguments to have the same dtypes, got ${avals.map((x) => x.dtype).join(", ")}.`);
    }
  }
  if (!dtypeIn(dtype, allowed)) {
    throw new TypeError(`${prim} does not accept dtype ${dtype}. Accepted dtypes are subtypes of ${CLASS_TEXT[allowed]}.`);
  }
  const full = avals.filter((a) => a.ndim > 0);
  for (const a of full) {
    if (!shapeEq(a.shape, full[0].shape)) {
      throw new TypeError(`${prim} got incompatible shapes for broadcasting: ${avals.map((x) => shapeStr(x.shape)).join(", ")}.`);
    }
  }
  const shape = full.length ? full[0].shape : [];
  return new ShapedArray(shape, outDtype ?? dtype, avals.every((a) => a.weakType));
}

export const noParams: Params = {};
