/**
 * @file Static and dynamic slicing: slice (with strides), pad (low/high/interior, negative
 * padding), concatenate, dynamic_slice and dynamic_update_slice (start indices clamped as XLA
 * clamps them). Their transposes pair up: slice↔pad, concatenate→slices,
 * dynamic_slice↔dynamic_update_slice. Batching of the dynamic ones with batched indices goes
 * through gather/scatter, as in JAX.
 */

import { type Value, ConcreteArray, bind1, definePrimitive, getAval, TypedScalar, typedScalars } from "../ir/core.js";
import { canonicalize, defaultInt, isInt } from "../ir/dtype.js";
import { ShapedArray, type Shape, shapeStr, shapeEq } from "../ir/shape.js";
import { UndefinedPrimal, Zero } from "../ir/rules.js";
import { type Exp, type View, index, i32, view, binary, where, cast } from "../codegen/exp.js";
import { bdimAtFront, instantiate, linearJvp, moveaxis, tangentAval, zerosLikeAval } from "./helpers.js";
import { broadcastInDim, expandDims, reduceSum, squeeze } from "./structural.js";
import { GatherDimensionNumbers, GatherScatterMode, gatherBatch } from "./gather.js";
import { ScatterDimensionNumbers, scatterBatch } from "./scatter.js";
import { ValueError } from "./errors.js";
import { shardConcatenate, shardDynamicSlice, shardDynamicUpdateSlice, shardPad, shardSlice } from "./shard.js";

// ---- index arithmetic shared by the lowerings ----------------------------------------------------

/** `e` clamped to [lo, hi] (int32 index arithmetic). */
export const clampIdx = (e: Exp, lo: number, hi: number): Exp => binary("max", binary("min", e, i32(hi)), i32(lo));

/** The value of a rank-0 integer view as an int32 index. */
export const scalarIdx = (v: View): Exp => cast(v.at(index([])), "int32");

const isUndef = (x: unknown): x is UndefinedPrimal => x instanceof UndefinedPrimal;

// ---- slice ---------------------------------------------------------------------------------------

/** `lax.slice`: elements start ≤ i < limit, every `strides`-th. */
export function slice(x: Value, startIndices: readonly number[], limitIndices: readonly number[], strides: readonly number[] | null = null): Value {
  return bind1("slice", [x], { limit_indices: [...limitIndices], start_indices: [...startIndices], strides: strides ? [...strides] : null });
}

/** `lax.slice_in_dim`: a slice along one axis (negative start/limit count from the end). */
export function sliceInDim(x: Value, start: number | null, limit: number | null, stride = 1, axis = 0): Value {
  const shape = getAval(x).shape;
  const n = shape[axis];
  const norm = (i: number | null, dflt: number) => (i === null ? dflt : i < 0 ? i + n : i);
  const starts = shape.map(() => 0);
  const limits = [...shape];
  const strides = shape.map(() => 1);
  starts[axis] = norm(start, 0);
  limits[axis] = norm(limit, n);
  strides[axis] = stride;
  return slice(x, starts, limits, strides);
}

function sliceShape(x: ShapedArray, start: number[], limit: number[], strides: number[] | null): number[] {
  if (start.length !== x.ndim) {
    throw new TypeError(`slice start_indices must have length equal to the number of dimensions of the operand, got indices ${shapeStr(start)} for operand shape ${shapeStr(x.shape)}.`);
  }
  if (limit.length !== start.length) {
    throw new TypeError(`slice limit_indices must have the same length as start_indices, got start_indices ${shapeStr(start)} and limit_indices ${shapeStr(limit)}.`);
  }
  if (limit.some((l, i) => l > x.shape[i])) {
    throw new TypeError(`slice limit_indices must be less than or equal to operand shape, got limit_indices ${shapeStr(limit)} for operand shape ${shapeStr(x.shape)}.`);
  }
  if (start.some((s) => s < 0)) throw new TypeError(`slice start_indices must be greater than or equal to zero, got start_indices of ${shapeStr(start)}.`);
  if (limit.some((l, i) => l < start[i])) {
    throw new TypeError(`slice limit_indices must be greater than or equal to start_indices, got start_indices ${shapeStr(start)} and limit_indices ${shapeStr(limit)}.`);
  }
  const diff = limit.map((l, i) => l - start[i]);
  if (strides === null) return diff;
  if (strides.length !== x.ndim) {
    throw new TypeError(`slice strides must have length equal to the number of dimensions of the operand, got strides ${shapeStr(strides)} for operand shape ${shapeStr(x.shape)}.`);
  }
  if (strides.some((s) => s <= 0)) throw new TypeError(`slice strides must be positive, got ${shapeStr(strides)}`);
  return diff.map((d, i) => (d === 0 ? 0 : Math.floor((d - 1) / strides[i]) + 1));
}

definePrimitive("slice", {
  abstractEval: ([x], p) => [new ShapedArray(sliceShape(x, p.start_indices as number[], p.limit_indices as number[], p.strides as number[] | null), x.dtype, x.weakType)],
  jvp: linearJvp("slice"),
  // The cotangent is padded back with zeros: low = start, high = what follows the last element
  // taken, interior = stride - 1.
  transpose: ([ct], [x], p) => {
    const aval = (x as UndefinedPrimal).aval;
    if (ct instanceof Zero) return [new Zero(aval)];
    const start = p.start_indices as number[];
    const strides = (p.strides as number[] | null) ?? start.map(() => 1);
    const ctShape = getAval(ct).shape;
    const config = start.map((s, i): [number, number, number] => {
      const realLimit = s + (ctShape[i] === 0 ? 0 : 1 + (ctShape[i] - 1) * strides[i]);
      return [s, aval.shape[i] - realLimit, strides[i] - 1];
    });
    return [pad(ct, 0, config)];
  },
  batch: ([x], [d], p) => {
    const bd = d as number;
    const ins = <T>(xs: T[], v: T) => [...xs.slice(0, bd), v, ...xs.slice(bd)];
    const strides = p.strides as number[] | null;
    return [[slice(x, ins(p.start_indices as number[], 0), ins(p.limit_indices as number[], getAval(x).shape[bd]), strides ? ins(strides, 1) : null)], [bd]];
  },
  shard: shardSlice,
  lower: {
    kind: "fusible",
    rule: ([x], p, [out]) => {
      const start = p.start_indices as number[];
      const strides = p.strides as number[] | null;
      return [view(out.shape, out.dtype, (idx) =>
        x.at(index(idx.dims.map((e, i) => binary("add", binary("mul", e, i32(strides ? strides[i] : 1)), i32(start[i]))))))];
    },
  },
});

// ---- pad -----------------------------------------------------------------------------------------

export type PaddingConfig = readonly (readonly [number, number, number])[];

/** `lax.pad`: low, high (either may be negative) and interior padding with `paddingValue`. */
export function pad(x: Value, paddingValue: Value, paddingConfig: PaddingConfig): Value {
  const [a, v] = typedScalars([x, paddingValue]);
  return bind1("pad", [a, v], { padding_config: paddingConfig.map((c) => [...c]) });
}

function padShape(x: ShapedArray, v: ShapedArray, config: number[][]): number[] {
  if (x.dtype !== v.dtype) throw new TypeError(`pad operand and padding_value must be same dtype: got ${x.dtype} and ${v.dtype}.`);
  if (v.ndim !== 0) throw new TypeError(`padding_value must be a scalar, got shape ${shapeStr(v.shape)}`);
  const cfg = `(${config.map((c) => `(${c.join(", ")})`).join(", ")}${config.length === 1 ? "," : ""})`;
  if (config.length !== x.ndim) {
    throw new ValueError(`length of padding_config must equal the number of axes of operand, got padding_config ${cfg} for operand shape ${shapeStr(x.shape)}`);
  }
  if (config.some(([, , i]) => i < 0)) throw new ValueError(`interior padding in padding_config must be nonnegative, got padding_config ${cfg}`);
  const out = config.map(([lo, hi, int], i) => lo + hi + (x.shape[i] === 0 ? 0 : (x.shape[i] - 1) * (int + 1) + 1));
  if (out.some((d) => d < 0)) {
    throw new ValueError(`Dimension size after padding is not at least 0, got result shape ${shapeStr(out)}, for padding_config ${cfg} and operand shape ${shapeStr(x.shape)}`);
  }
  return out;
}

definePrimitive("pad", {
  abstractEval: ([x, v], p) => [new ShapedArray(padShape(x, v, p.padding_config as number[][]), x.dtype, x.weakType && v.weakType)],
  jvp: linearJvp("pad"),
  // Operand: undo the low/high padding (negated), then take every (interior+1)-th element.
  // Padding value: every output element that did not come from the operand.
  transpose: ([ct], [x, v], p) => {
    if (ct instanceof Zero) return [isUndef(x) ? new Zero(x.aval) : null, isUndef(v) ? new Zero(v.aval) : null];
    const config = p.padding_config as number[][];
    const ctShape = getAval(ct).shape;
    const unpadded = pad(ct, 0, config.map(([lo, hi]) => [-lo, -hi, 0]));
    const us = getAval(unpadded).shape;
    const tOperand = slice(unpadded, us.map(() => 0), us, config.map(([, , i]) => i + 1));
    const total = (t: Value) => reduceSum(t, ctShape.map((_, i) => i));
    const tPad = isUndef(v) ? bind1("sub", [total(ct), total(tOperand)]) : null;
    return [isUndef(x) ? tOperand : null, tPad];
  },
  batch: ([x, v], [dx, dv], p, size) => {
    const config = [...(p.padding_config as [number, number, number][])];
    const xb = dx === null ? bdimAtFront(x, null, size) : x;
    const bd = dx ?? 0;
    config.splice(bd, 0, [0, 0, 0]);
    if (dv === null) return [[pad(xb, v, config)], [bd]];
    // A batched padding value: pad with zeros, then select the padding positions per batch.
    const xa = getAval(xb);
    const padded = pad(xb, 0, config);
    const mask = pad(broadcastInDim(true, xa.shape, []), false, config);
    const vb = broadcastInDim(moveaxis(v, dv, 0), getAval(padded).shape, [bd]);
    return [[bind1("select_n", [mask, vb, padded])], [bd]];
  },
  shard: shardPad,
  lower: {
    kind: "fusible",
    rule: ([x, v], p, [out]) => {
      const config = p.padding_config as number[][];
      return [view(out.shape, out.dtype, (idx) => {
        let inside: Exp | null = null;
        const dims = idx.dims.map((e, i) => {
          const [lo, , int] = config[i];
          const n = x.shape[i];
          const src = binary("sub", e, i32(lo));
          const q = binary("div", src, i32(int + 1));
          const conds = [binary("ge", src, i32(0)), binary("lt", q, i32(n))];
          if (int > 0) conds.push(binary("eq", binary("rem", src, i32(int + 1)), i32(0)));
          for (const c of conds) inside = inside ? binary("and", inside, c) : c;
          return clampIdx(q, 0, Math.max(n - 1, 0));
        });
        const pv = v.at(index([]));
        if (x.shape.some((d) => d === 0)) return pv;
        return inside ? where(inside, x.at(index(dims)), pv) : x.at(index(dims));
      })];
    },
  },
});

// ---- concatenate -----------------------------------------------------------------------------------

/** `lax.concatenate`: joins arrays along `dimension`. */
export function concatenate(operands: readonly Value[], dimension: number): Value {
  if (operands.length === 0) throw new ValueError("concatenate requires a non-empty sequences of arrays");
  if (operands.length === 1 && operands[0] instanceof ConcreteArray) return operands[0];
  return bind1("concatenate", typedScalars(operands), { dimension });
}

definePrimitive("concatenate", {
  abstractEval: (xs, p) => {
    const dim = p.dimension as number;
    const shapes = xs.map((x) => shapeStr(x.shape)).join(", ");
    if (!xs.length) throw new TypeError("concatenate expects at least one operand, got 0.");
    if (new Set(xs.map((x) => x.ndim)).size !== 1) throw new TypeError(`Cannot concatenate arrays with different numbers of dimensions: got ${shapes}.`);
    if (dim < 0 || dim >= xs[0].ndim) throw new TypeError(`concatenate dimension out of bounds: dimension ${dim} for shapes ${shapes}.`);
    const rest = (s: Shape) => s.filter((_, i) => i !== dim);
    if (!xs.every((x) => shapeEq(rest(x.shape), rest(xs[0].shape)))) {
      throw new TypeError(`Cannot concatenate arrays with shapes that differ in dimensions other than the one being concatenated: concatenating along dimension ${dim} for shapes ${shapes}.`);
    }
    if (!xs.every((x) => x.dtype === xs[0].dtype)) {
      throw new TypeError(`concatenate requires arguments to have the same dtypes, got ${xs.map((x) => x.dtype).join(", ")}.`);
    }
    const shape = [...xs[0].shape];
    shape[dim] = xs.reduce((a, x) => a + x.shape[dim], 0);
    return [new ShapedArray(shape, xs[0].dtype, xs.every((x) => x.weakType))];
  },
  jvp: (primals, tangents, p) => {
    const out = bind1("concatenate", primals, p);
    if (tangents.every((t) => t instanceof Zero)) return [[out], [new Zero(tangentAval(getAval(out)))]];
    return [[out], [bind1("concatenate", tangents.map(instantiate), p)]];
  },
  // Each linear operand receives its slice of the cotangent.
  transpose: ([ct], xs, p) => {
    const dim = p.dimension as number;
    let offset = 0;
    return xs.map((x) => {
      const aval = isUndef(x) ? x.aval : getAval(x);
      const start = offset;
      offset += aval.shape[dim];
      if (!isUndef(x)) return null;
      if (ct instanceof Zero) return new Zero(aval);
      return sliceInDim(ct, start, start + aval.shape[dim], 1, dim);
    });
  },
  batch: (xs, dims, p, size) => [[concatenate(xs.map((x, i) => bdimAtFront(x, dims[i], size)), (p.dimension as number) + 1)], [0]],
  shard: shardConcatenate,
  lower: {
    kind: "fusible",
    rule: (xs, p, [out]) => {
      const dim = p.dimension as number;
      return [view(out.shape, out.dtype, (idx) => {
        // Nested selects from the last operand back: operand k covers [offset_k, offset_k + n_k).
        const offsets: number[] = [];
        let acc = 0;
        for (const x of xs) {
          offsets.push(acc);
          acc += x.shape[dim];
        }
        let e: Exp | null = null;
        for (let k = xs.length - 1; k >= 0; k--) {
          const n = xs[k].shape[dim];
          if (n === 0) continue;
          const local = clampIdx(binary("sub", idx.dims[dim], i32(offsets[k])), 0, n - 1);
          const here = xs[k].at(index(idx.dims.map((d, i) => (i === dim ? local : d))));
          e = e === null ? here : where(binary("lt", idx.dims[dim], i32(offsets[k] + n)), here, e);
        }
        return e ?? i32(0);
      })];
    },
  },
});

// ---- dynamic_slice ---------------------------------------------------------------------------------

/**
 * Start indices as lax takes them (JAX's _dynamic_slice_indices): static ones (JS numbers, typed
 * scalar constants) are wrapped here when negative; a traced index `i` becomes
 * `select(i < 0, i + n, i)`. `allowNegative` turns the wrapping off per dimension.
 */
function dynamicSliceIndices(operandShape: Shape, startIndices: readonly Value[], allowNegative: boolean | readonly boolean[] = true): Value[] {
  if (startIndices.length !== operandShape.length) {
    throw new ValueError(`Length of slice indices must match number of operand dimensions (${startIndices.length} vs ${shapeStr(operandShape)})`);
  }
  return startIndices.map((i, k) => {
    const n = operandShape[k];
    const wrap = typeof allowNegative === "boolean" ? allowNegative : allowNegative[k];
    if (typeof i === "boolean") throw new TypeError("index arguments to dynamic_slice must be integers, got a boolean");
    if (typeof i === "number" || i instanceof TypedScalar) {
      const v = Number(typeof i === "number" ? i : i.value);
      if (!Number.isInteger(v)) throw new TypeError(`index arguments to dynamic_slice must be integers, got ${v}`);
      if (v < 0 && !wrap) throw new ValueError(`Index ${v} is out of bounds for dimension ${n} if allow_negative_indices=False`);
      return new TypedScalar(v < 0 ? v + n : v, typeof i === "number" ? canonicalize(defaultInt()) : i.dtype, false);
    }
    const aval = getAval(i);
    if (!wrap || !isInt(aval.dtype) || aval.dtype.startsWith("uint")) return i;
    const negative = bind1("lt", [i, new TypedScalar(0, aval.dtype, false)]);
    return bind1("select_n", [negative, i, bind1("add", [i, new TypedScalar(n, aval.dtype, false)])]);
  });
}

function checkIndexDtypes(prim: string, idx: ShapedArray[]): void {
  if (idx.some((i) => i.dtype !== idx[0].dtype || !isInt(i.dtype))) {
    throw new TypeError(`index arguments to ${prim} must be integers of the same type, got ${idx.map((i) => i.dtype).join(", ")}`);
  }
  if (idx.some((i) => i.ndim !== 0)) {
    throw new TypeError(`start_indices arguments to ${prim} must be scalars, got indices ${idx.map((i) => i.strShort()).join(", ")}`);
  }
}

/** `lax.dynamic_slice`: a slice of static size at runtime start indices (clamped into range). */
export function dynamicSlice(x: Value, startIndices: readonly Value[], sliceSizes: readonly number[], allowNegativeIndices: boolean | readonly boolean[] = true): Value {
  return bind1("dynamic_slice", [x, ...dynamicSliceIndices(getAval(x).shape, startIndices, allowNegativeIndices)], { slice_sizes: [...sliceSizes] });
}

/** A zero start index of the same type as `like` (lax._const(start_index, 0)). */
const zeroIndexLike = (like: Value): Value => (typeof like === "number" ? 0 : new TypedScalar(0, getAval(like).dtype, false));

/** `lax.dynamic_slice_in_dim`: a dynamic slice along one axis (whole along the others). */
export function dynamicSliceInDim(x: Value, startIndex: Value, sliceSize: number, axis = 0, allowNegativeIndices = true): Value {
  const shape = getAval(x).shape;
  const starts = shape.map((_, k) => (k === axis ? startIndex : zeroIndexLike(startIndex)));
  const sizes = shape.map((d, k) => (k === axis ? sliceSize : d));
  return dynamicSlice(x, starts, sizes, shape.map((_, k) => k === axis && allowNegativeIndices));
}

/** `lax.dynamic_index_in_dim`: element `index` along `axis` (kept as a size-1 axis when keepdims). */
export function dynamicIndexInDim(x: Value, index: Value, axis = 0, keepdims = true): Value {
  const r = dynamicSliceInDim(x, index, 1, axis);
  return keepdims ? r : squeeze(r, [axis]);
}

/** `lax.index_in_dim`: static element `index` along `axis` (IndexError when out of bounds). */
export function indexInDim(x: Value, index: number, axis = 0, keepdims = true): Value {
  const n = getAval(x).shape[axis];
  const i = index < 0 ? index + n : index;
  if (!(i >= 0 && i < n)) {
    const e = new Error(`index ${index} is out of bounds for axis ${axis} with size ${n}`);
    e.name = "IndexError";
    throw e;
  }
  const r = sliceInDim(x, i, i + 1, 1, axis);
  return keepdims ? r : squeeze(r, [axis]);
}

/** The start of a window of `size` in a dimension of `n`, clamped as XLA does: 0 ≤ start ≤ n - size. */
const clampedStart = (v: View, n: number, size: number): Exp => clampIdx(scalarIdx(v), 0, Math.max(n - size, 0));

definePrimitive("dynamic_slice", {
  abstractEval: ([x, ...idx], p) => {
    const sizes = p.slice_sizes as number[];
    if (sizes.length !== x.ndim) {
      throw new TypeError(`dynamic_slice slice_sizes must have the same length as the operand rank, got slice_sizes ${shapeStr(sizes)} for operand shape ${shapeStr(x.shape)}.`);
    }
    if (sizes.some((s, i) => s > x.shape[i])) {
      throw new TypeError(`slice slice_sizes must be less than or equal to operand shape, got slice_sizes ${shapeStr(sizes)} for operand shape ${shapeStr(x.shape)}.`);
    }
    if (sizes.some((s) => s < 0)) throw new TypeError(`slice slice_sizes must be greater than or equal to zero, got slice_sizes of ${shapeStr(sizes)}.`);
    if (idx.length !== x.ndim) throw new TypeError(`dynamic_slice needs one start index per operand dimension, got ${idx.length} for operand shape ${shapeStr(x.shape)}.`);
    checkIndexDtypes("dynamic_slice", idx);
    return [new ShapedArray(sizes, x.dtype, x.weakType)];
  },
  jvp: ([x, ...idx], [t], p) => {
    const out = bind1("dynamic_slice", [x, ...idx], p);
    return [[out], [t instanceof Zero ? new Zero(tangentAval(getAval(out))) : bind1("dynamic_slice", [t, ...idx], p)]];
  },
  // The cotangent lands in a zero array at the same (clamped) place.
  transpose: ([ct], [x, ...idx]) => {
    const aval = (x as UndefinedPrimal).aval;
    if (ct instanceof Zero) return [new Zero(aval), ...idx.map(() => null)];
    const zeros = zerosLikeAval(aval.update({ dtype: getAval(ct).dtype, weakType: false }));
    return [bind1("dynamic_update_slice", [zeros, ct, ...(idx as Value[])]), ...idx.map(() => null)];
  },
  // A dynamic slice is a gather whose indices are the stacked start indices (JAX's rule).
  batch: ([x, ...idx], [dx, ...didx], p, size) => {
    const nd = getAval(x).ndim - (dx === null ? 0 : 1);
    const dims = [...Array(nd).keys()];
    const dnums = new GatherDimensionNumbers({ offsetDims: dims, collapsedSliceDims: [], startIndexMap: dims });
    const [indices, di] = stackIndices(idx, didx, size);
    return gatherBatch([x, indices], [dx, di], {
      dimension_numbers: dnums, fill_value: null, indices_are_sorted: true, mode: GatherScatterMode.CLIP,
      slice_sizes: p.slice_sizes, unique_indices: true,
    }, size);
  },
  shard: shardDynamicSlice,
  lower: {
    kind: "fusible",
    rule: ([x, ...idx], p, [out]) => {
      const sizes = p.slice_sizes as number[];
      return [view(out.shape, out.dtype, (o) => x.at(index(o.dims.map((e, i) => binary("add", e, clampedStart(idx[i], x.shape[i], sizes[i]))))))];
    },
  },
});

/** Scalar start indices (some batched) stacked into one index array: [n] or [size, n] (JAX's _batch_dynamic_slice_indices). */
function stackIndices(idx: Value[], dims: (number | null)[], size: number): [Value, number | null] {
  if (idx.length === 0) return [bind1("iota", [], { dimension: 0, dtype: "int32", shape: [0], sharding: null }), null];
  if (dims.every((d) => d === null)) return [concatenate(idx.map((i) => broadcastInDim(i, [1], [])), 0), null];
  return [concatenate(idx.map((i, k) => broadcastInDim(i, [size, 1], dims[k] === null ? [] : [0])), 1), 0];
}

// ---- dynamic_update_slice ----------------------------------------------------------------------------

/** `lax.dynamic_update_slice`: `update` written into `x` at runtime start indices (clamped into range). */
export function dynamicUpdateSlice(x: Value, update: Value, startIndices: readonly Value[], allowNegativeIndices: boolean | readonly boolean[] = true): Value {
  return bind1("dynamic_update_slice", [x, update, ...dynamicSliceIndices(getAval(x).shape, startIndices, allowNegativeIndices)]);
}

/** `lax.dynamic_update_slice_in_dim`: `update` written at a runtime start along one axis. */
export function dynamicUpdateSliceInDim(x: Value, update: Value, startIndex: Value, axis: number, allowNegativeIndices = true): Value {
  const nd = getAval(x).ndim;
  const starts = [...Array(nd).keys()].map((k) => (k === axis ? startIndex : zeroIndexLike(startIndex)));
  return dynamicUpdateSlice(x, update, starts, starts.map((_, k) => k === axis && allowNegativeIndices));
}

/** `lax.dynamic_update_index_in_dim`: `update` written as element `index` along `axis`. */
export function dynamicUpdateIndexInDim(x: Value, update: Value, index: Value, axis: number): Value {
  const u = getAval(update).ndim === getAval(x).ndim ? update : expandDims(update, [axis]);
  return dynamicUpdateSliceInDim(x, u, index, axis);
}

definePrimitive("dynamic_update_slice", {
  abstractEval: ([x, u, ...idx]) => {
    if (x.ndim !== u.ndim) throw new TypeError(`dynamic_update_slice update must have the same rank as operand, got update shape ${shapeStr(u.shape)} for operand shape ${shapeStr(x.shape)}.`);
    if (idx.length !== x.ndim) throw new TypeError(`dynamic_update_slice start_indices must have length equal to the rank of operand, got indices (${idx.map((i) => i.strShort()).join(", ")}) for operand shape ${shapeStr(x.shape)}.`);
    if (u.shape.some((d, i) => d > x.shape[i])) throw new TypeError(`dynamic_update_slice update shape must be smaller than operand shape, got update shape ${shapeStr(u.shape)} for operand shape ${shapeStr(x.shape)}.`);
    if (x.dtype !== u.dtype) throw new TypeError(`dynamic_update_slice requires arguments to have the same dtypes, got ${x.dtype}, ${u.dtype}.`);
    checkIndexDtypes("dynamic_update_slice", idx);
    return [new ShapedArray(x.shape, x.dtype, x.weakType)];
  },
  jvp: ([x, u, ...idx], [tx, tu]) => {
    const out = bind1("dynamic_update_slice", [x, u, ...idx]);
    if (tx instanceof Zero && tu instanceof Zero) return [[out], [new Zero(tangentAval(getAval(out)))]];
    return [[out], [bind1("dynamic_update_slice", [instantiate(tx), instantiate(tu), ...idx])]];
  },
  // Operand: the cotangent with the updated window zeroed. Update: the window of the cotangent.
  transpose: ([ct], [x, u, ...idx]) => {
    const uAval = isUndef(u) ? u.aval : getAval(u);
    const rest = idx.map(() => null);
    if (ct instanceof Zero) return [isUndef(x) ? new Zero(x.aval) : null, isUndef(u) ? new Zero(u.aval) : null, ...rest];
    const ix = idx as Value[];
    const tx = isUndef(x) ? bind1("dynamic_update_slice", [ct, zerosLikeAval(uAval.update({ dtype: getAval(ct).dtype, weakType: false })), ...ix]) : null;
    const tu = isUndef(u) ? bind1("dynamic_slice", [ct, ...ix], { slice_sizes: [...uAval.shape] }) : null;
    return [tx, tu, ...rest];
  },
  // A dynamic update slice is a scatter whose indices are the stacked start indices (JAX's rule).
  batch: ([x, u, ...idx], [dx, du, ...didx], _p, size) => {
    const nd = getAval(u).ndim - (du === null ? 0 : 1);
    const dims = [...Array(nd).keys()];
    const dnums = new ScatterDimensionNumbers({ updateWindowDims: dims, insertedWindowDims: [], scatterDimsToOperandDims: dims });
    const [indices, di] = stackIndices(idx, didx, size);
    return scatterBatch("scatter", [x, indices, u], [dx, di, du], {
      dimension_numbers: dnums, indices_are_sorted: true, mode: GatherScatterMode.CLIP, unique_indices: true,
      update_consts: [], update_jaxpr: null,
    }, size);
  },
  shard: shardDynamicUpdateSlice,
  lower: {
    kind: "fusible",
    rule: ([x, u, ...idx], _p, [out]) => [view(out.shape, out.dtype, (o) => {
      if (u.shape.some((d) => d === 0)) return x.at(o);
      let inside: Exp | null = null;
      const local = o.dims.map((e, i) => {
        const rel = binary("sub", e, clampedStart(idx[i], x.shape[i], u.shape[i]));
        const c = binary("and", binary("ge", rel, i32(0)), binary("lt", rel, i32(u.shape[i])));
        inside = inside ? binary("and", inside, c) : c;
        return clampIdx(rel, 0, u.shape[i] - 1);
      });
      return inside ? where(inside, u.at(index(local)), x.at(o)) : u.at(index(local));
    })],
  },
});
