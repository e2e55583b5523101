/**
 * @file Placing data on a mesh: any value as one block per device in a given layout
 * (`blocksOf`), changing the layout of blocks (`relayout`: a local slice per device when the new
 * blocks lie inside the old ones, else through the host), and the whole array from its blocks
 * (`wholeOf`). The functions return arrays their caller owns.
 */

import { Array as KArray } from "../backend/array.js";
import { type Device } from "../backend/device.js";
import { devicePut } from "../backend/transfer.js";
import { toArray } from "../backend/eager.js";
import { type Value, bind1 } from "../ir/core.js";
import type { ArraySpec, HostData } from "../ir/rules.js";
import { ShapedArray } from "../ir/shape.js";
import { extractBlock, insertBlock, subBlock } from "./blocks.js";
import type { Mesh } from "./mesh.js";
import { type Ranges, allBlocks, blockShape } from "./named_sharding.js";
import { ShardedArray } from "./array.js";
import { TYPED_ARRAY } from "../backend/backend.js";
import { ITEMSIZE } from "../ir/dtype.js";

export const dimsKey = (dims: ArraySpec): string => dims.map((d) => d.join("+")).join(",");
export const isReplicated = (dims: ArraySpec): boolean => dims.every((d) => d.length === 0);

/** A new reference to the same buffer (so that each owner can dispose its own). */
export const share = (a: KArray): KArray => a.withAval(a.aval);

/** The block shape of an array of `aval` laid out as `dims`, as an aval. */
export const blockAval = (mesh: Mesh, aval: ShapedArray, dims: ArraySpec): ShapedArray =>
  new ShapedArray(blockShape(mesh, aval.shape, dims), aval.dtype, aval.weakType);

/** An array on `device`: shared when it is there already, else copied. */
function onDevice(a: KArray, device: Device): KArray {
  return a.device === device ? share(a) : (devicePut(a, device) as KArray);
}

/** Blocks of host data (the whole array) for every device of the mesh. */
export function blocksFromHost(data: HostData, aval: ShapedArray, mesh: Mesh, dims: ArraySpec): KArray[] {
  const local = blockAval(mesh, aval, dims);
  const cut = new Map<string, HostData>();
  return allBlocks(mesh, aval.shape, dims).map((r, k) => {
    const key = r.join(";");
    let block = cut.get(key);
    if (!block) cut.set(key, (block = extractBlock(data, aval.shape, r, aval.dtype)));
    return KArray.fromHost(block, local.shape, local.dtype, { device: mesh.devices[k], weak: local.weakType });
  });
}

/**
 * `x` as one block per mesh device in layout `dims`. Sharded arrays on this mesh change layout
 * as `relayout` does; other arrays are split on the host (a replicated layout copies them whole).
 */
export function blocksOf(x: Value, mesh: Mesh, dims: ArraySpec): KArray[] {
  if (x instanceof ShardedArray) {
    if (x.sharding.mesh.equals(mesh)) return relayout(mesh, x.aval, x.shards, x.dims, dims);
    return blocksFromHost(x.data(), x.aval, mesh, dims);
  }
  const a = x instanceof KArray ? x : toArray(x, mesh.devices[0]);
  if (isReplicated(dims)) return mesh.devices.map((d) => onDevice(a, d));
  return blocksFromHost(a.data(), a.aval, mesh, dims);
}

/** Whether every block of layout `to` lies inside the same device's block of layout `from`. */
function refines(from: ArraySpec, to: ArraySpec): boolean {
  return from.every((f, i) => f.length <= to[i].length && f.every((a, j) => to[i][j] === a));
}

/**
 * Blocks (one per mesh device, in layout `from`) in layout `to`. When the new blocks lie inside
 * the old ones, each device slices its own block (a kernel, no copy across devices); otherwise
 * the blocks go through the host.
 */
export function relayout(mesh: Mesh, aval: ShapedArray, shards: readonly KArray[], from: ArraySpec, to: ArraySpec): KArray[] {
  if (dimsKey(from) === dimsKey(to)) return shards.map(share);
  const src = allBlocks(mesh, aval.shape, from);
  const dst = allBlocks(mesh, aval.shape, to);
  if (refines(from, to)) {
    return shards.map((s, k) => {
      const start = dst[k].map(([a], i) => a - src[k][i][0]);
      const limit = dst[k].map(([, b], i) => b - src[k][i][0]);
      return bind1("slice", [s], { limit_indices: limit, start_indices: start, strides: null }) as KArray;
    });
  }
  // Through the host: each new block is cut from an old block containing it, or assembled.
  const local = blockAval(mesh, aval, to);
  const read = new Map<number, HostData>();
  const dataOf = (k: number): HostData => {
    let d = read.get(k);
    if (!d) read.set(k, (d = shards[k].data()));
    return d;
  };
  return dst.map((r, k) => {
    const holder = src.findIndex((s) => inside(r, s));
    const block = holder >= 0 ? subBlock(dataOf(holder), src[holder], r, aval.dtype) : assemble(r, aval, src, dataOf);
    return KArray.fromHost(block, local.shape, local.dtype, { device: mesh.devices[k], weak: local.weakType });
  });
}

const inside = (r: Ranges, s: Ranges): boolean => r.every(([a, b], i) => a >= s[i][0] && b <= s[i][1]);

/** The region `r` of the array, put together from the old blocks overlapping it. */
function assemble(r: Ranges, aval: ShapedArray, src: Ranges[], dataOf: (k: number) => HostData): HostData {
  const shape = r.map(([a, b]) => b - a);
  const out = new TYPED_ARRAY[aval.dtype](new ArrayBuffer(shape.reduce((x, y) => x * y, 1) * ITEMSIZE[aval.dtype]));
  const done = new Set<string>();
  src.forEach((s, k) => {
    const lo = s.map(([a], i) => Math.max(a, r[i][0]));
    const hi = s.map(([, b], i) => Math.min(b, r[i][1]));
    if (lo.some((l, i) => l >= hi[i]) && shape.length) return;
    const key = s.join(";");
    if (done.has(key)) return;
    done.add(key);
    const part = subBlock(dataOf(k), s, lo.map((l, i): [number, number] => [l, hi[i]]), aval.dtype);
    insertBlock(out, shape, lo.map((l, i): [number, number] => [l - r[i][0], hi[i] - r[i][0]]), part);
  });
  return out;
}

/** The whole array on `device` from blocks in layout `dims` (a shared block when replicated). */
export function wholeOf(mesh: Mesh, aval: ShapedArray, shards: readonly KArray[], dims: ArraySpec, device: Device): KArray {
  if (isReplicated(dims)) {
    const k = mesh.devices.indexOf(device);
    return k >= 0 ? share(shards[k]) : (devicePut(shards[0], device) as KArray);
  }
  const out = new TYPED_ARRAY[aval.dtype](new ArrayBuffer(aval.size * ITEMSIZE[aval.dtype]));
  const seen = new Set<string>();
  allBlocks(mesh, aval.shape, dims).forEach((r, k) => {
    const key = r.join(";");
    if (seen.has(key)) return;
    seen.add(key);
    insertBlock(out, aval.shape, r, shards[k].data());
  });
  return KArray.fromHost(out, aval.shape, aval.dtype, { device, weak: aval.weakType });
}
