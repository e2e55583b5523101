/**
 * @file Shape and type primitives: broadcast_in_dim, reshape, transpose, convert_element_type,
 * reduce_sum, iota, squeeze (and lax.expand_dims over broadcast_in_dim), rev, and the cotangent
 * helper for rank-0 operands that elementwise ops broadcast.
 */

import { type Value, bind1, definePrimitive, getAval } from "../ir/core.js";
import { type DType, isFloat, isInt, canonicalize } from "../ir/dtype.js";
import { ShapedArray, type Shape, shapeStr, canonicalAxis } from "../ir/shape.js";
import { type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { type Exp, type Index, index, i32, view, cast, mapViews, ravel, unravel, reduce, ridx, binary } from "../codegen/exp.js";
import { bdimAtFront, elementwiseBatch, linearJvp, tangentAval } from "./helpers.js";
import { ValueError } from "./errors.js";
import { ppEqnDefault, registerPpEqnRule } from "../ir/print.js";
import { shardAlong, shardBroadcastInDim, shardElementwise, shardNullary, shardReduce, shardReshape, shardSqueeze, shardTranspose } from "./shard.js";

// ---- broadcast_in_dim ------------------------------------------------------------------------

export function broadcastInDim(x: Value, shape: Shape, broadcastDimensions: readonly number[]): Value {
  return bind1("broadcast_in_dim", [x], { shape: [...shape], broadcast_dimensions: [...broadcastDimensions], sharding: null });
}

// Printed as JAX prints it: the shape and sharding are implied by the binder's type, and empty
// broadcast_dimensions are not shown.
registerPpEqnRule("broadcast_in_dim", (eqn, ctx) => {
  const { shape: _s, sharding: _sh, ...rest } = eqn.params;
  const params: Record<string, unknown> = { ...rest };
  if ((params.broadcast_dimensions as number[]).length === 0) delete params.broadcast_dimensions;
  return ppEqnDefault(eqn, ctx, params);
});

definePrimitive("broadcast_in_dim", {
  abstractEval: ([x], p) => {
    const shape = p.shape as number[];
    const bd = p.broadcast_dimensions as number[];
    if (bd.length !== x.ndim) {
      throw new TypeError(`broadcast_in_dim broadcast_dimensions must have length equal to operand ndim; got broadcast_dimensions ${shapeStr(bd)} for operand ndim ${x.ndim}.`);
    }
    bd.forEach((d, i) => {
      if (d < 0 || d >= shape.length || (x.shape[i] !== 1 && x.shape[i] !== shape[d]) || (i > 0 && d <= bd[i - 1])) {
        throw new TypeError(`broadcast_in_dim operand dimension sizes must either be 1, or be equal to their corresponding dimensions in the target broadcast shape; got operand of shape ${shapeStr(x.shape)}, target broadcast shape ${shapeStr(shape)}, broadcast_dimensions ${shapeStr(bd)}`);
      }
    });
    return [new ShapedArray(shape, x.dtype, x.weakType)];
  },
  jvp: linearJvp("broadcast_in_dim"),
  // The cotangent sums over the broadcast dimensions.
  transpose: ([ct], [x], p) => {
    const aval = (x as UndefinedPrimal).aval;
    if (ct instanceof Zero) return [new Zero(aval)];
    const shape = p.shape as number[];
    const bd = p.broadcast_dimensions as number[];
    const summed = shape.map((_, i) => i).filter((i) => !bd.includes(i) || aval.shape[bd.indexOf(i)] !== shape[i]);
    const r = summed.length ? reduceSum(ct, summed) : ct;
    return [reshape(r, aval.shape)];
  },
  batch: ([x], [d], p, size) => {
    const xf = bdimAtFront(x, d, size);
    const bd = p.broadcast_dimensions as number[];
    return [[broadcastInDim(xf, [size, ...(p.shape as number[])], [0, ...bd.map((b) => b + 1)])], [0]];
  },
  shard: shardBroadcastInDim,
  lower: {
    kind: "fusible",
    rule: ([x], p, [out]) => {
      const bd = p.broadcast_dimensions as number[];
      return [view(out.shape, out.dtype, (idx: Index) => x.at(index(bd.map((d, i) => (x.shape[i] === 1 ? i32(0) : idx.dims[d])))))];
    },
  },
});

/** `lax.broadcast`: new leading dimensions of the given sizes. */
export function broadcast(x: Value, sizes: readonly number[]): Value {
  const shape = getAval(x).shape;
  if (!sizes.length) return x;
  return broadcastInDim(x, [...sizes, ...shape], shape.map((_, i) => i + sizes.length));
}

// ---- reshape -------------------------------------------------------------------------------

export function reshape(x: Value, shape: Shape): Value {
  const a = getAval(x);
  if (a.ndim === shape.length && a.shape.every((d, i) => d === shape[i])) return x;
  return bind1("reshape", [x], { new_sizes: [...shape], dimensions: null, sharding: null });
}

definePrimitive("reshape", {
  abstractEval: ([x], p) => {
    const shape = p.new_sizes as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== x.size) throw new TypeError(`reshape total size must be unchanged, got new_sizes ${shapeStr(shape)} for shape ${shapeStr(x.shape)}.`);
    return [new ShapedArray(shape, x.dtype, x.weakType)];
  },
  jvp: linearJvp("reshape"),
  transpose: ([ct], [x]) => [ct instanceof Zero ? new Zero((x as UndefinedPrimal).aval) : reshape(ct, (x as UndefinedPrimal).aval.shape)],
  batch: ([x], [d], p, size) => [[reshape(bdimAtFront(x, d, size), [size, ...(p.new_sizes as number[])])], [0]],
  shard: shardReshape,
  lower: {
    kind: "fusible",
    rule: ([x], _p, [out]) => [view(out.shape, out.dtype, (idx) => x.at(reindex(idx, out.shape, x.shape)))],
  },
});

/** `lax.collapse`: dimensions [start, stop) merged into one. */
export function collapse(x: Value, start: number, stop: number | null = null): Value {
  const shape = getAval(x).shape;
  const nd = shape.length;
  const norm = (i: number) => Math.min(Math.max(i < 0 ? i + nd : i, 0), nd);
  const lo = norm(start), hi = stop === null ? nd : norm(stop);
  if (hi < lo) throw new ValueError(`Invalid dimension range passed to collapse: ${shapeStr(shape)}[${start}:${stop}]`);
  return reshape(x, [...shape.slice(0, lo), shape.slice(lo, hi).reduce((a, b) => a * b, 1), ...shape.slice(hi)]);
}

/** The index into `to` of the element at `idx` of `from`, with equal row-major order. */
function reindex(idx: Index, from: Shape, to: Shape): Index {
  return unravel(ravel(idx, from), to);
}

// ---- transpose -----------------------------------------------------------------------------

export function transpose(x: Value, permutation: readonly number[]): Value {
  return bind1("transpose", [x], { permutation: [...permutation] });
}

definePrimitive("transpose", {
  abstractEval: ([x], p) => {
    const perm = p.permutation as number[];
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x.ndim || sorted.some((v, i) => v !== i)) {
      throw new TypeError(`transpose permutation isn't a permutation of operand dimensions, got permutation ${shapeStr(perm)} for operand shape ${shapeStr(x.shape)}.`);
    }
    return [new ShapedArray(perm.map((i) => x.shape[i]), x.dtype, x.weakType)];
  },
  jvp: linearJvp("transpose"),
  transpose: ([ct], [x], p) => {
    const perm = p.permutation as number[];
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [ct instanceof Zero ? new Zero((x as UndefinedPrimal).aval) : transpose(ct, inv)];
  },
  batch: ([x], [d], p, size) => [[transpose(bdimAtFront(x, d, size), [0, ...(p.permutation as number[]).map((i) => i + 1)])], [0]],
  shard: shardTranspose,
  lower: {
    kind: "fusible",
    rule: ([x], p, [out]) => {
      const perm = p.permutation as number[];
      return [view(out.shape, out.dtype, (idx) => {
        const dims: Exp[] = new Array(perm.length);
        perm.forEach((src, i) => (dims[src] = idx.dims[i]));
        return x.at(index(dims));
      })];
    },
  },
});

// ---- convert_element_type ----------------------------------------------------------------------

export function convertElementType(x: Value, dtype: DType, weakType = false): Value {
  return bind1("convert_element_type", [x], { new_dtype: canonicalize(dtype), weak_type: weakType, sharding: null });
}

// The sharding is implied by the binder's type (JAX's _convert_elt_type_pp_rule).
registerPpEqnRule("convert_element_type", (eqn, ctx) => {
  const { sharding: _sh, ...params } = eqn.params;
  return ppEqnDefault(eqn, ctx, params);
});

definePrimitive("convert_element_type", {
  abstractEval: ([x], p) => [new ShapedArray(x.shape, p.new_dtype as DType, p.weak_type as boolean)],
  // Linear between float types; the tangent of an integer or boolean result is zero.
  jvp: ([x], [t], p) => {
    const out = bind1("convert_element_type", [x], p);
    const outAval = getAval(out);
    if (t instanceof Zero || !isFloat(outAval.dtype) || !isFloat(getAval(x).dtype)) return [[out], [new Zero(tangentAval(outAval))]];
    return [[out], [bind1("convert_element_type", [t], { ...p, weak_type: false })]];
  },
  transpose: ([ct], [x]) => {
    const aval = (x as UndefinedPrimal).aval;
    return [ct instanceof Zero ? new Zero(aval) : convertElementType(ct, aval.dtype)];
  },
  batch: elementwiseBatch("convert_element_type"),
  shard: shardElementwise,
  lower: { kind: "fusible", rule: ([x], _p, [out]) => [mapViews([x], out.shape, out.dtype, (a) => cast(a, out.dtype))] },
});

// ---- reduce_sum ----------------------------------------------------------------------------------

export function reduceSum(x: Value, axes: readonly number[]): Value {
  return bind1("reduce_sum", [x], { axes: [...axes].sort((a, b) => a - b), out_sharding: null });
}

definePrimitive("reduce_sum", {
  abstractEval: ([x], p) => {
    const axes = p.axes as number[];
    if (new Set(axes).size !== axes.length) throw new ValueError(`duplicate value in 'axes' of reduction: ${shapeStr(axes)}`);
    if (!axes.every((a) => a >= 0 && a < x.ndim)) throw new ValueError(`reduction axes ${shapeStr(axes)} contains out-of-bounds indices for ${x.toString()}.`);
    return [new ShapedArray(x.shape.filter((_, i) => !axes.includes(i)), x.dtype, x.weakType)];
  },
  jvp: linearJvp("reduce_sum"),
  // The cotangent broadcasts back over the reduced axes.
  transpose: ([ct], [x], p) => {
    const aval = (x as UndefinedPrimal).aval;
    if (ct instanceof Zero) return [new Zero(aval)];
    const axes = p.axes as number[];
    const kept = aval.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    return [broadcastInDim(ct, aval.shape, kept)];
  },
  batch: ([x], [d], p) => {
    const axes = p.axes as number[];
    const dd = d as number;
    const newAxes = axes.map((a) => (a >= dd ? a + 1 : a));
    const outD = dd - axes.filter((a) => a < dd).length;
    return [[reduceSum(x, newAxes)], [outD]];
  },
  shard: shardReduce("sum"),
  lower: {
    kind: "fusible",
    rule: ([x], p, [out]) => {
      const axes = p.axes as number[];
      const rshape = axes.map((a) => x.shape[a]);
      const n = rshape.reduce((a, b) => a * b, 1);
      return [view(out.shape, out.dtype, (idx) => {
        const r = ridx(n);
        const ri = unravel(r, rshape);
        const dims: Exp[] = [];
        let k = 0;
        x.shape.forEach((_, i) => dims.push(axes.includes(i) ? ri.dims[axes.indexOf(i)] : idx.dims[k++]));
        return reduce("sum", r, x.at(index(dims)));
      })];
    },
  },
});

/** Sums a cotangent down to the shape of an operand that an elementwise op broadcast from rank 0. */
export function unbroadcastCt(ct: MaybeZero, aval: ShapedArray): MaybeZero {
  if (ct instanceof Zero) return new Zero(aval);
  const ca = getAval(ct);
  if (ca.ndim === aval.ndim) return ct;
  return reduceSum(ct, ca.shape.map((_, i) => i));
}

// ---- iota ------------------------------------------------------------------------------------

/** `lax.broadcasted_iota`: an array of `shape` counting 0, 1, … along `dimension`. */
export function broadcastedIota(dtype: DType, shape: Shape, dimension: number): Value {
  return bind1("iota", [], { dimension: canonicalAxis(dimension, shape.length), dtype: canonicalize(dtype), shape: [...shape], sharding: null });
}

/** `lax.iota`: 0, 1, …, size-1. */
export const iota = (dtype: DType, size: number): Value => broadcastedIota(dtype, [size], 0);

definePrimitive("iota", {
  abstractEval: (_avals, p) => {
    const shape = p.shape as number[];
    const dim = p.dimension as number;
    const dtype = p.dtype as DType;
    if (!(isInt(dtype) || isFloat(dtype))) throw new TypeError(`iota does not accept dtype ${dtype}. Accepted dtypes are subtypes of integer or floating.`);
    if (dim < 0 || dim >= shape.length) throw new TypeError(`iota dimension must be between 0 and len(shape), got dimension=${dim} for shape ${shapeStr(shape)}.`);
    return [new ShapedArray(shape, dtype)];
  },
  jvp: "nondiff",
  transpose: null,
  batch: () => {
    throw new Error("iota has no operands to batch");
  },
  shard: shardNullary,
  lower: {
    kind: "fusible",
    rule: (_ins, p, [out]) => [view(out.shape, out.dtype, (idx) => cast(idx.dims[p.dimension as number], out.dtype))],
  },
});

// ---- squeeze and expand_dims --------------------------------------------------------------------

/** `lax.squeeze`: removes size-1 dimensions. */
export function squeeze(x: Value, dimensions: readonly number[]): Value {
  const nd = getAval(x).ndim;
  const dims = [...new Set(dimensions.map((d) => canonicalAxis(d, nd)))].sort((a, b) => a - b);
  if (dims.length !== dimensions.length) throw new ValueError(`dimensions are not unique: ${shapeStr(dimensions)}`);
  if (!dims.length) return x;
  return bind1("squeeze", [x], { dimensions: dims });
}

definePrimitive("squeeze", {
  abstractEval: ([x], p) => {
    const dims = p.dimensions as number[];
    if (new Set(dims).size !== dims.length) throw new ValueError(`dimensions are not unique: ${shapeStr(dims)}`);
    if (!dims.every((d) => d >= 0 && d < x.ndim)) throw new ValueError(`dimensions outside range [0, ndim): ${shapeStr(dims)}`);
    if (dims.some((d) => x.shape[d] !== 1)) {
      throw new ValueError(`cannot select an axis to squeeze out which has size not equal to one, got shape=${shapeStr(x.shape)} and dimensions=${shapeStr(dims)}`);
    }
    return [new ShapedArray(x.shape.filter((_, i) => !dims.includes(i)), x.dtype, x.weakType)];
  },
  jvp: linearJvp("squeeze"),
  transpose: ([ct], [x], p) => [ct instanceof Zero ? new Zero((x as UndefinedPrimal).aval) : expandDims(ct, p.dimensions as number[])],
  batch: ([x], [d], p, size) => [[squeeze(bdimAtFront(x, d, size), (p.dimensions as number[]).map((i) => i + 1))], [0]],
  shard: shardSqueeze,
  lower: {
    kind: "fusible",
    rule: ([x], p, [out]) => {
      const dims = p.dimensions as number[];
      return [view(out.shape, out.dtype, (idx) => {
        let k = 0;
        return x.at(index(x.shape.map((_, i) => (dims.includes(i) ? i32(0) : idx.dims[k++]))));
      })];
    },
  },
});

/** `lax.expand_dims`: inserts size-1 dimensions; like JAX, a broadcast_in_dim (no primitive of its own). */
export function expandDims(x: Value, dimensions: readonly number[]): Value {
  if (new Set(dimensions).size !== dimensions.length) throw new ValueError(`repeated axis in lax.expand_dims: ${shapeStr(dimensions)}`);
  const shape = [...getAval(x).shape];
  const ndOut = shape.length + dimensions.length;
  const dims = dimensions.map((d) => canonicalAxis(d, ndOut));
  if (new Set(dims).size !== dims.length) throw new ValueError(`repeated axis in lax.expand_dims: ${shapeStr(dims)}`);
  for (const d of [...dims].sort((a, b) => a - b)) shape.splice(d, 0, 1);
  return broadcastInDim(x, shape, shape.map((_, i) => i).filter((i) => !dims.includes(i)));
}

// ---- rev -------------------------------------------------------------------------------------

/** `lax.rev`: reverses the order of elements along `dimensions`. */
export function rev(x: Value, dimensions: readonly number[]): Value {
  return bind1("rev", [x], { dimensions: [...dimensions] });
}

definePrimitive("rev", {
  abstractEval: ([x], p) => {
    const dims = p.dimensions as number[];
    if (new Set(dims).size !== dims.length) throw new TypeError(`rev dimensions must be unique, got ${shapeStr(dims)}.`);
    if (dims.some((d) => d < 0 || d >= x.ndim)) throw new TypeError(`rev dimensions must all be less than operand ndim, got dimensions ${shapeStr(dims)} for operand ndim ${x.ndim}.`);
    return [x];
  },
  jvp: linearJvp("rev"),
  // Reversal is its own transpose.
  transpose: ([ct], [x], p) => [ct instanceof Zero ? new Zero((x as UndefinedPrimal).aval) : rev(ct, p.dimensions as number[])],
  batch: ([x], [d], p) => [[rev(x, (p.dimensions as number[]).map((i) => (i >= (d as number) ? i + 1 : i)))], [d]],
  shard: shardAlong((p) => p.dimensions as number[]),
  lower: {
    kind: "fusible",
    rule: ([x], p, [out]) => {
      const dims = p.dimensions as number[];
      return [view(out.shape, out.dtype, (idx) =>
        x.at(index(idx.dims.map((e, i) => (dims.includes(i) ? binary("sub", i32(x.shape[i] - 1), e) : e)))))];
    },
  },
});
