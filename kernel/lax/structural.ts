/**
 * @file Shape and type primitives: broadcast_in_dim, transpose, convert_element_type, and the
 * cotangent helper for rank-0 operands that elementwise ops broadcast.
 */

import { type Value, bind1, definePrimitive, getAval } from "../ir/core.js";
import { type DType, isFloat, canonicalize } from "../ir/dtype.js";
import { ShapedArray, type Shape, shapeStr } from "../ir/shape.js";
import { type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { type Exp, type Index, index, i32, view, cast, mapViews, ravel, unravel, reduce, ridx } from "../codegen/exp.js";
import { bdimAtFront, elementwiseBatch, linearJvp, tangentAval } from "./helpers.js";

// ---- broadcast_in_dim ------------------------------------------------------------------------

export function broadcastInDim(x: Value, shape: Shape, broadcastDimensions: readonly number[]): Value {
  return bind1("broadcast_in_dim", [x], { shape: [...shape], broadcast_dimensions: [...broadcastDimensions], sharding: null });
}

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
  lower: {
    kind: "fusible",
    rule: ([x], p, [out]) => {
      const bd = p.broadcast_dimensions as number[];
      return [view(out.shape, out.dtype, (idx: Index) => x.at(index(bd.map((d, i) => (x.shape[i] === 1 ? i32(0) : idx.dims[d])))))];
    },
  },
});

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
  lower: {
    kind: "fusible",
    rule: ([x], _p, [out]) => [view(out.shape, out.dtype, (idx) => x.at(reindex(idx, out.shape, x.shape)))],
  },
});

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
  lower: { kind: "fusible", rule: ([x], _p, [out]) => [mapViews([x], out.shape, out.dtype, (a) => cast(a, out.dtype))] },
});

// ---- reduce_sum ----------------------------------------------------------------------------------

export function reduceSum(x: Value, axes: readonly number[]): Value {
  return bind1("reduce_sum", [x], { axes: [...axes].sort((a, b) => a - b), out_sharding: null });
}

definePrimitive("reduce_sum", {
  abstractEval: ([x], p) => {
    const axes = p.axes as number[];
    for (const a of axes) if (a < 0 || a >= x.ndim) throw new TypeError(`reduce_sum axes ${shapeStr(axes)} out of range for operand of shape ${shapeStr(x.shape)}`);
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
