/**
 * @file Communication between the devices of a mesh, done by the host (the devices share memory,
 * so "sending" is reading one device's block and writing another's): all-reduce, all-gather,
 * reduce-scatter, ppermute and axis_index over groups of devices that differ only on some mesh axes.
 */

import { Array as KArray } from "../backend/array.js";
import { TYPED_ARRAY } from "../backend/backend.js";
import { type DType, ITEMSIZE } from "../ir/dtype.js";
import type { HostData, ShardReduce } from "../ir/rules.js";
import { H } from "../codegen/jsmath.js";
import { extractBlock, insertBlock } from "./blocks.js";
import type { Mesh } from "./mesh.js";

/** The groups of mesh positions that differ only on `axes` (each in the axes' row-major order). */
export function groupsOf(mesh: Mesh, axes: readonly string[]): number[][] {
  const seen = new Set<number>();
  const out: number[][] = [];
  for (let k = 0; k < mesh.size; k++) {
    if (seen.has(k)) continue;
    const g = mesh.group(k, axes);
    g.forEach((j) => seen.add(j));
    out.push(g);
  }
  return out;
}

type Combine = (a: number, b: number) => number;
const COMBINE: Record<ShardReduce["op"], Combine> = {
  sum: (a, b) => a + b,
  prod: (a, b) => a * b,
  max: (a, b) => (a > b || Number.isNaN(a) ? a : b),
  min: (a, b) => (a < b || Number.isNaN(a) ? a : b),
  and: (a, b) => (a && b ? 1 : 0),
  or: (a, b) => (a || b ? 1 : 0),
};

/** Combines equal-length blocks elementwise, in order, rounding as `dtype` stores values. */
function combine(op: ShardReduce["op"], dtype: DType, blocks: readonly HostData[]): HostData {
  const out = blocks[0].slice() as HostData;
  const n = out.length;
  if (dtype === "int64" || dtype === "uint64") {
    const o = out as BigInt64Array;
    for (const b of blocks.slice(1)) {
      const x = b as BigInt64Array;
      for (let i = 0; i < n; i++) {
        const p = o[i], q = x[i];
        o[i] = op === "sum" ? p + q : op === "prod" ? p * q : op === "max" ? (p > q ? p : q) : op === "min" ? (p < q ? p : q) : op === "and" ? p & q : p | q;
      }
    }
    return out;
  }
  const f = COMBINE[op];
  const half = dtype === "float16" ? [H.load_float16, H.store_float16] : dtype === "bfloat16" ? [H.load_bfloat16, H.store_bfloat16] : null;
  const o = out as Float64Array;
  for (const b of blocks.slice(1)) {
    const x = b as Float64Array;
    if (half) for (let i = 0; i < n; i++) o[i] = half[1](f(half[0](o[i]), half[0](x[i])));
    else if (dtype === "int32" || dtype === "uint32" || dtype === "int16" || dtype === "uint16" || dtype === "int8" || dtype === "uint8") {
      // Integer products wrap as the machine's do (Math.imul for 32 bits).
      for (let i = 0; i < n; i++) o[i] = op === "prod" ? Math.imul(o[i], x[i]) : f(o[i], x[i]);
    } else for (let i = 0; i < n; i++) o[i] = f(o[i], x[i]);
  }
  return out;
}

/** All-reduce: every device of each group gets the group's combined blocks. */
export function allReduce(mesh: Mesh, blocks: readonly KArray[], axes: readonly string[], op: ShardReduce["op"]): KArray[] {
  const out = new Array<KArray>(mesh.size);
  const a = blocks[0].aval;
  for (const g of groupsOf(mesh, axes)) {
    const data = combine(op, a.dtype, g.map((k) => blocks[k].data()));
    for (const k of g) out[k] = KArray.fromHost(data, a.shape, a.dtype, { device: mesh.devices[k], weak: a.weakType });
  }
  return out;
}

/**
 * All-gather: every device of each group gets the group's blocks stacked along a new axis `axis`
 * (or concatenated along `axis` when `tiled`), in group order.
 */
export function allGather(mesh: Mesh, blocks: readonly KArray[], axes: readonly string[], axis: number, tiled: boolean): KArray[] {
  const out = new Array<KArray>(mesh.size);
  const a = blocks[0].aval;
  for (const g of groupsOf(mesh, axes)) {
    const n = g.length;
    const shape = tiled ? a.shape.map((s, i) => (i === axis ? s * n : s)) : [...a.shape.slice(0, axis), n, ...a.shape.slice(axis)];
    const data = new TYPED_ARRAY[a.dtype](new ArrayBuffer(shape.reduce((x, y) => x * y, 1) * ITEMSIZE[a.dtype]));
    g.forEach((k, j) => {
      const ranges = shape.map((s, i): [number, number] => (i === axis ? (tiled ? [j * a.shape[axis], (j + 1) * a.shape[axis]] : [j, j + 1]) : [0, s]));
      insertBlock(data, shape, ranges, blocks[k].data());
    });
    for (const k of g) out[k] = KArray.fromHost(data, shape, a.dtype, { device: mesh.devices[k], weak: a.weakType });
  }
  return out;
}

/**
 * Reduce-scatter (psum_scatter): each group's blocks are summed, and member j keeps part j of the
 * sum along `dim` (its j-th slice, dropping `dim`; or its j-th block of `dim` when `tiled`).
 */
export function reduceScatter(mesh: Mesh, blocks: readonly KArray[], axes: readonly string[], dim: number, tiled: boolean): KArray[] {
  const out = new Array<KArray>(mesh.size);
  const a = blocks[0].aval;
  for (const g of groupsOf(mesh, axes)) {
    const sum = combine("sum", a.dtype, g.map((k) => blocks[k].data()));
    const part = tiled ? a.shape[dim] / g.length : 1;
    const shape = tiled ? a.shape.map((s, i) => (i === dim ? part : s)) : a.shape.filter((_, i) => i !== dim);
    g.forEach((k, j) => {
      const ranges = a.shape.map((s, i): [number, number] => (i === dim ? [j * part, (j + 1) * part] : [0, s]));
      out[k] = KArray.fromHost(extractBlock(sum, a.shape, ranges, a.dtype), shape, a.dtype, { device: mesh.devices[k], weak: a.weakType });
    });
  }
  return out;
}

/** ppermute: within each group, the block of member `src` goes to member `dst`; members receiving nothing get zeros. */
export function ppermute(mesh: Mesh, blocks: readonly KArray[], axes: readonly string[], perm: readonly (readonly [number, number])[]): KArray[] {
  const out = new Array<KArray>(mesh.size);
  const a = blocks[0].aval;
  for (const g of groupsOf(mesh, axes)) {
    const got = new Map<number, number>(perm.map(([s, d]) => [d, s]));
    g.forEach((k, j) => {
      const s = got.get(j);
      const data = s === undefined ? new TYPED_ARRAY[a.dtype](new ArrayBuffer(a.size * ITEMSIZE[a.dtype])) : blocks[g[s]].data();
      out[k] = KArray.fromHost(data, a.shape, a.dtype, { device: mesh.devices[k], weak: a.weakType });
    });
  }
  return out;
}

/** axis_index: each device's position within its group along `axes` (an int32 scalar). */
export function axisIndex(mesh: Mesh, axes: readonly string[]): KArray[] {
  const out = new Array<KArray>(mesh.size);
  for (const g of groupsOf(mesh, axes)) g.forEach((k, j) => (out[k] = KArray.scalar(j, "int32", false, mesh.devices[k])));
  return out;
}
