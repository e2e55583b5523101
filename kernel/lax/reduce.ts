/**
 * @file Reductions besides reduce_sum (which lives with the structural primitives): reduce_max,
 * reduce_min, reduce_prod, reduce_and, reduce_or, reduce_xor, and argmax/argmin. All but
 * reduce_xor lower to `reduce` expressions over a loop index; argmax is two nested reductions
 * (the extremum, then the first index holding it, NaN counting as the extremum, as in JAX).
 */

import { type Value, TypedScalar, bind1, definePrimitive, getAval } from "../ir/core.js";
import { type DType, isBool, isFloat, isInt, canonicalize } from "../ir/dtype.js";
import { ShapedArray, prod, shapeStr } from "../ir/shape.js";
import { type BatchRule, type JvpRule, type PrimitiveRules, Zero } from "../ir/rules.js";
import { type Exp, type ReduceOp, type View, index, unravel, reduce, ridx, view, binary, unary, where, cast, i32 } from "../codegen/exp.js";
import { tangentAval } from "./helpers.js";
import { broadcastInDim, convertElementType, reduceSum, reshape, squeeze, transpose } from "./structural.js";
import { pad, slice } from "./slicing.js";
import { readHost, writeHost } from "./host.js";
import { ValueError } from "./errors.js";
import { shardArgReduce, shardReduce } from "./shard.js";

// ---- shared rules ---------------------------------------------------------------------------

function reducedAval(x: ShapedArray, axes: number[], dtype: DType = x.dtype, weak = x.weakType): ShapedArray {
  if (new Set(axes).size !== axes.length) throw new ValueError(`duplicate value in 'axes' of reduction: ${shapeStr(axes)}`);
  if (!axes.every((a) => a >= 0 && a < x.ndim)) throw new ValueError(`reduction axes ${shapeStr(axes)} contains out-of-bounds indices for ${x.toString()}.`);
  return new ShapedArray(x.shape.filter((_, i) => !axes.includes(i)), dtype, weak);
}

/** JAX's batching.defreducer: the reduced axes shift past the batch dim, which stays (shifted) in the output. */
function reducerBatch(prim: string): BatchRule {
  return ([x], [d], p) => {
    const bd = d as number;
    const axes = p.axes as number[];
    const newAxes = axes.map((a) => (a >= bd ? a + 1 : a));
    return [[bind1(prim, [x], { ...p, axes: newAxes })], [bd - axes.filter((a) => a < bd).length]];
  };
}

/** The view of a reduction with `op` over `axes`, each output element reducing its slice of `x`. */
function reduceView(op: ReduceOp, x: View, axes: number[], out: ShapedArray, body: (e: Exp) => Exp = (e) => e): View {
  const rshape = axes.map((a) => x.shape[a]);
  return view(out.shape, out.dtype, (idx) => {
    const r = ridx(prod(rshape));
    const ri = unravel(r, rshape);
    let k = 0;
    const dims = x.shape.map((_, i) => (axes.includes(i) ? ri.dims[axes.indexOf(i)] : idx.dims[k++]));
    return reduce(op, r, body(x.at(index(dims))));
  });
}

function defineReducer(name: string, dtypes: (d: DType) => boolean, op: ReduceOp, jvp: PrimitiveRules["jvp"], what: string): void {
  definePrimitive(name, {
    abstractEval: ([x], p) => {
      if (!dtypes(x.dtype)) throw new TypeError(`${name} does not accept dtype ${x.dtype}. Accepted dtypes are subtypes of ${what}.`);
      return [reducedAval(x, p.axes as number[])];
    },
    jvp,
    transpose: null,
    batch: reducerBatch(name),
    shard: shardReduce(op),
    lower: { kind: "fusible", rule: ([x], p, [out]) => [reduceView(op, x, p.axes as number[], out)] },
  });
}

const sortedAxes = (axes: readonly number[]): number[] => [...axes].sort((a, b) => a - b);

// ---- reduce_max / reduce_min ----------------------------------------------------------------------

/** `lax.reduce_max`. */
export const reduceMax = (x: Value, axes: readonly number[]): Value => bind1("reduce_max", [x], { axes: sortedAxes(axes), out_sharding: null });
/** `lax.reduce_min`. */
export const reduceMin = (x: Value, axes: readonly number[]): Value => bind1("reduce_min", [x], { axes: sortedAxes(axes), out_sharding: null });

/**
 * JAX's _reduce_chooser_jvp_rule: the tangent is the mean of the tangents at the positions that
 * attain the extremum, d max(x) = Σ_{x_i = max} dx_i / #{x_i = max}.
 */
const chooserJvp = (prim: string): JvpRule => ([x], [g], p) => {
  const ans = bind1(prim, [x], p);
  if (g instanceof Zero) return [[ans], [new Zero(tangentAval(getAval(ans)))]];
  const axes = p.axes as number[];
  const xs = getAval(x).shape;
  const kept = xs.map((_, i) => i).filter((i) => !axes.includes(i));
  const loc = convertElementType(bind1("eq", [x, broadcastInDim(ans, xs, kept)]), getAval(g).dtype);
  return [[ans], [bind1("div", [reduceSum(bind1("mul", [g, loc]), axes), reduceSum(loc, axes)])]];
};

const anyDtype = () => true;
defineReducer("reduce_max", anyDtype, "max", chooserJvp("reduce_max"), "any");
defineReducer("reduce_min", anyDtype, "min", chooserJvp("reduce_min"), "any");

// ---- reduce_prod -----------------------------------------------------------------------------

/** `lax.reduce_prod`. */
export const reduceProd = (x: Value, axes: readonly number[]): Value => bind1("reduce_prod", [x], { axes: sortedAxes(axes) });

/**
 * JAX's _reduce_prod_jvp_rule: the product as a balanced tree of pairwise products, differentiated
 * pair by pair, d(a·b) = da·b + a·db (no division, so zeros in x are handled exactly).
 */
const prodJvp: JvpRule = ([x], [t], p) => {
  if (t instanceof Zero) {
    const out = bind1("reduce_prod", [x], p);
    return [[out], [new Zero(tangentAval(getAval(out)))]];
  }
  const axes = p.axes as number[];
  const shape = getAval(x).shape;
  const rest = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const n = prod(axes.map((a) => shape[a]));
  const restShape = rest.map((i) => shape[i]);
  const flat = (v: Value) => reshape(transpose(v, [...axes, ...rest]), [n, ...restShape]);
  let xs = flat(x), ts = flat(t);
  let m = n;
  const dtype = getAval(x).dtype;
  while (m > 1) {
    const m1 = Math.ceil(m / 2);
    const half = (v: Value, lo: number, hi: number) => slice(v, [lo, ...restShape.map(() => 0)], [hi, ...restShape], null);
    const a = half(xs, 0, m1), da = half(ts, 0, m1);
    let b = half(xs, m1, m), db = half(ts, m1, m);
    if (m - m1 !== m1) {
      const cfg = [[0, 1, 0], ...restShape.map(() => [0, 0, 0])] as [number, number, number][];
      b = pad(b, new TypedScalar(1, dtype, false), cfg);
      db = pad(db, new TypedScalar(0, getAval(db).dtype, false), cfg);
    }
    xs = bind1("mul", [a, b]);
    ts = bind1("add_any", [bind1("mul", [da, b]), bind1("mul", [a, db])]);
    m = m1;
  }
  if (m === 0) {
    const one = broadcastInDim(new TypedScalar(1, dtype, false), restShape, []);
    return [[one], [new Zero(tangentAval(getAval(one)))]];
  }
  return [[squeeze(xs, [0])], [squeeze(ts, [0])]];
};

defineReducer("reduce_prod", (d) => !isBool(d), "prod", prodJvp, "number");

// ---- reduce_and / reduce_or / reduce_xor ------------------------------------------------------------

/** `lax.reduce_and`. */
export const reduceAnd = (x: Value, axes: readonly number[]): Value => bind1("reduce_and", [x], { axes: sortedAxes(axes) });
/** `lax.reduce_or`. */
export const reduceOr = (x: Value, axes: readonly number[]): Value => bind1("reduce_or", [x], { axes: sortedAxes(axes) });
/** `lax.reduce_xor`. */
export const reduceXor = (x: Value, axes: readonly number[]): Value => bind1("reduce_xor", [x], { axes: sortedAxes(axes) });

function logicalAval(x: ShapedArray, axes: number[]): ShapedArray {
  if (!isBool(x.dtype) && !isInt(x.dtype)) throw new TypeError(`logical reduction requires operand dtype bool or int, got ${x.dtype}.`);
  return reducedAval(x, axes, x.dtype, false);
}

for (const [name, op] of [["reduce_and", "and"], ["reduce_or", "or"]] as const) {
  definePrimitive(name, {
    abstractEval: ([x], p) => [logicalAval(x, p.axes as number[])],
    jvp: "nondiff",
    transpose: null,
    batch: reducerBatch(name),
    shard: shardReduce(op),
    lower: {
      kind: "fusible",
      rule: ([x], p, [out]) => {
        const axes = p.axes as number[];
        // Integer and-reduction as ~or(~x): the `and` reduction's identity is only right for booleans.
        if (op === "and" && isInt(x.dtype)) {
          const r = reduceView("or", x, axes, out, (e) => unary("not", e));
          return [view(r.shape, r.dtype, (idx) => unary("not", r.at(idx)))];
        }
        return [reduceView(op, x, axes, out)];
      },
    },
  });
}

// The kernel IR has no xor reduction: a host loop (reduce_xor is rare).
definePrimitive("reduce_xor", {
  abstractEval: ([x], p) => [logicalAval(x, p.axes as number[])],
  jvp: "nondiff",
  transpose: null,
  batch: reducerBatch("reduce_xor"),
  shard: shardArgReduce,
  lower: {
    kind: "host",
    run: ([x], p, [out]) => {
      const axes = p.axes as number[];
      const v = readHost(x);
      const acc = new Float64Array(out.size);
      const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const outStrides = kept.map((k) => prod(kept.slice(kept.indexOf(k) + 1).map((j) => x.shape[j])));
      const xStrides = x.shape.map((_, i) => prod(x.shape.slice(i + 1)));
      for (let f = 0; f < v.length; f++) {
        let o = 0;
        kept.forEach((k, j) => (o += (Math.floor(f / xStrides[k]) % x.shape[k]) * outStrides[j]));
        acc[o] = Number(BigInt.asIntN(64, BigInt(acc[o]) ^ BigInt(v[f])));
      }
      return [{ data: writeHost(acc, x.dtype), shape: out.shape, dtype: x.dtype }];
    },
  },
});

// ---- argmax / argmin -----------------------------------------------------------------------------

/** `lax.argmax`: the first index of the maximum along `axis` (the first NaN, if any). */
export const argmax = (x: Value, axis: number, indexDtype: DType): Value => bind1("argmax", [x], { axes: [axis], index_dtype: canonicalize(indexDtype) });
/** `lax.argmin`: the first index of the minimum along `axis` (the first NaN, if any). */
export const argmin = (x: Value, axis: number, indexDtype: DType): Value => bind1("argmin", [x], { axes: [axis], index_dtype: canonicalize(indexDtype) });

for (const [name, op] of [["argmax", "max"], ["argmin", "min"]] as const) {
  definePrimitive(name, {
    abstractEval: ([x], p) => {
      const [axis] = p.axes as number[];
      const dt = p.index_dtype as DType;
      if (!(axis >= 0 && axis < x.ndim)) throw new ValueError(`Invalid axis ${axis} for operand shape ${shapeStr(x.shape)}`);
      if (x.shape[axis] < 1) throw new ValueError(`argmin and argmax require non-empty reduced dimension. operand.shape=${shapeStr(x.shape)} axis=${axis}`);
      if (!isInt(dt)) throw new TypeError(`index_dtype must be an integer type, but got ${dt}`);
      return [new ShapedArray(x.shape.filter((_, i) => i !== axis), dt)];
    },
    jvp: "nondiff",
    transpose: null,
    batch: reducerBatch(name),
    shard: shardArgReduce,
    lower: {
      kind: "fusible",
      rule: ([x], p, [out]) => {
        const [axis] = p.axes as number[];
        const n = x.shape[axis];
        const nan = isFloat(x.dtype);
        return [view(out.shape, out.dtype, (idx) => {
          const at = (r: Exp) => x.at(index([...idx.dims.slice(0, axis), r, ...idx.dims.slice(axis)]));
          const r1 = ridx(n);
          const best = reduce(op, r1, at(r1));
          const r2 = ridx(n);
          const v = at(r2);
          let hit = binary("eq", v, best);
          // NaN is the extremum (max and min propagate it): the first NaN wins.
          if (nan) hit = binary("or", hit, binary("and", unary("isnan", best), unary("isnan", v)));
          return cast(reduce("min", r2, where(hit, r2, i32(n))), out.dtype);
        })];
      },
    },
  });
}
