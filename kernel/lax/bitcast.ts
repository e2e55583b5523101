/**
 * @file Identity-like primitives: bitcast_convert_type (reinterpreting bits, splitting or joining
 * a trailing axis when widths differ) and stop_gradient (identity with zero tangents).
 */

import { type Value, bind1, definePrimitive, getAval } from "../ir/core.js";
import { type DType, ITEMSIZE, canonicalize, isBool, parseDType } from "../ir/dtype.js";
import { ShapedArray } from "../ir/shape.js";
import { type Exp, binary, cast, constant, i32, index, unary, view } from "../codegen/exp.js";
import { treeMap } from "../ir/pytree.js";
import { moveaxis } from "./helpers.js";
import { vectorizedBatch } from "./nary.js";
import { ValueError } from "./errors.js";
import { shardElementwise } from "./shard.js";

const UINT_OF_BYTES: Record<number, DType> = { 1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64" };

/** The bits of `e` as the unsigned integer of its width. */
const bitsOf = (e: Exp): Exp => (UINT_OF_BYTES[ITEMSIZE[e.dtype]] === e.dtype ? e : unary("bitcast", e, UINT_OF_BYTES[ITEMSIZE[e.dtype]]));
/** Unsigned bits `e` reinterpreted as `to` (of the same width). */
const fromBits = (e: Exp, to: DType): Exp => (e.dtype === to ? e : unary("bitcast", e, to));

definePrimitive("bitcast_convert_type", {
  abstractEval: ([x], p) => {
    const to = p.new_dtype as DType;
    if ((isBool(x.dtype) || isBool(to)) && x.dtype !== to) {
      throw new TypeError(
        "lax.bitcast_convert_type does not support bool or complex values unless the operand and destination types match. " +
          `Got operand dtype=${x.dtype}, new_dtype=${to}. Consider using the arr.view() method instead.`,
      );
    }
    const from = ITEMSIZE[x.dtype] * 8;
    const bits = ITEMSIZE[to] * 8;
    if (from === bits) return [new ShapedArray(x.shape, to)];
    if (from > bits) return [new ShapedArray([...x.shape, from / bits], to)];
    const last = x.ndim ? x.shape[x.ndim - 1] : 1;
    if (last * from !== bits) {
      throw new ValueError(
        `Attempting to convert array of shape (${x.shape.join(", ")}${x.ndim === 1 ? "," : ""}) from ${x.dtype} of size ${from} bits ` +
          `to ${to} of size ${bits}, bits but ${last} * ${from} != ${bits}`,
      );
    }
    return [new ShapedArray(x.shape.slice(0, -1), to)];
  },
  // Reinterpreted bits carry no derivative.
  jvp: "nondiff",
  transpose: null,
  // Elementwise except for the trailing axis a width change adds or removes: keep the batch dim off it.
  batch: ([x], [d], p) => {
    const a = getAval(x);
    const changes = ITEMSIZE[a.dtype] !== ITEMSIZE[p.new_dtype as DType];
    if (changes && d === a.ndim - 1) return [[bind1("bitcast_convert_type", [moveaxis(x, d, 0)], p)], [0]];
    return vectorizedBatch("bitcast_convert_type")([x], [d], p, 0);
  },
  lower: {
    kind: "fusible",
    rule: ([x], p, [out]) => {
      const to = p.new_dtype as DType;
      const from = ITEMSIZE[x.dtype];
      const size = ITEMSIZE[to];
      if (from === size) return [view(out.shape, to, (idx) => fromBits(bitsOf(x.at(idx)), to))];
      const uFrom = UINT_OF_BYTES[from];
      const uTo = UINT_OF_BYTES[size];
      if (from > size) {
        // Little-endian: element k of the new trailing axis holds bits [k·w, (k+1)·w).
        return [view(out.shape, to, (idx) => {
          const k = idx.dims[idx.dims.length - 1];
          const shift = cast(binary("mul", k, i32(size * 8)), uFrom);
          return fromBits(cast(binary("shr", bitsOf(x.at(index(idx.dims.slice(0, -1)))), shift), uTo), to);
        })];
      }
      return [view(out.shape, to, (idx) => {
        let acc: Exp | null = null;
        for (let k = 0; k < size / from; k++) {
          const part = cast(bitsOf(x.at(index([...idx.dims, i32(k)]))), uTo);
          const shifted = k === 0 ? part : binary("shl", part, constant(k * from * 8, uTo));
          acc = acc ? binary("or", acc, shifted) : shifted;
        }
        return fromBits(acc!, to);
      })];
    },
  },
});

/** lax.bitcast_convert_type: the same bits seen as another dtype. */
export function bitcastConvertType(x: Value, newDtype: DType | string): Value {
  return bind1("bitcast_convert_type", [x], { new_dtype: canonicalize(parseDType(newDtype)) });
}

// ---- stop_gradient ---------------------------------------------------------------------------------

definePrimitive("stop_gradient", {
  abstractEval: ([x]) => [x],
  // Its output is a constant to every transformation that differentiates.
  jvp: "nondiff",
  transpose: null,
  batch: vectorizedBatch("stop_gradient"),
  shard: shardElementwise,
  lower: { kind: "fusible", rule: ([x]) => [x] },
});

/** lax.stop_gradient: the identity on every leaf of a pytree, with zero derivative. */
export function stopGradient<T>(x: T): T {
  return treeMap((leaf) => bind1("stop_gradient", [leaf as Value]), x) as T;
}
