/**
 * @file Moving blocks of row-major host data: cut a device's block out of a whole array, or put
 * a block back in its place. Runs along the last dimension are copied with one `set` each.
 */

import { TYPED_ARRAY } from "../backend/backend.js";
import type { DType } from "../ir/dtype.js";
import type { HostData } from "../ir/rules.js";
import { stridesOf } from "../ir/shape.js";
import type { Ranges } from "./named_sharding.js";

type Typed = HostData & { subarray(a: number, b: number): HostData; set(src: ArrayLike<number | bigint>, offset?: number): void };

/** Copies `region` (a shape) from `src` at `srcAt` into `dst` at `dstAt` (both row-major). */
function copyRegion(src: HostData, srcShape: readonly number[], srcAt: readonly number[], dst: HostData, dstShape: readonly number[], dstAt: readonly number[], region: readonly number[]): void {
  const n = region.length;
  if (region.some((r) => r === 0)) return;
  if (n === 0) {
    (dst as Typed).set((src as Typed).subarray(0, 1), 0);
    return;
  }
  const ss = stridesOf(srcShape), ds = stridesOf(dstShape);
  const run = region[n - 1];
  const go = (d: number, so: number, dof: number): void => {
    if (d === n - 1) {
      const a = so + srcAt[d], b = dof + dstAt[d];
      (dst as Typed).set((src as Typed).subarray(a, a + run), b);
      return;
    }
    for (let i = 0; i < region[d]; i++) go(d + 1, so + (srcAt[d] + i) * ss[d], dof + (dstAt[d] + i) * ds[d]);
  };
  go(0, 0, 0);
}

/** The block `ranges` of `src` (shape `shape`) as a new typed array. */
export function extractBlock(src: HostData, shape: readonly number[], ranges: Ranges, dtype: DType): HostData {
  const region = ranges.map(([a, b]) => b - a);
  const out = new TYPED_ARRAY[dtype](new ArrayBuffer(region.reduce((x, y) => x * y, 1) * (src as Typed).BYTES_PER_ELEMENT));
  copyRegion(src, shape, ranges.map(([a]) => a), out, region, region.map(() => 0), region);
  return out;
}

/** Writes `block` into `dst` (shape `shape`) at `ranges`. */
export function insertBlock(dst: HostData, shape: readonly number[], ranges: Ranges, block: HostData): void {
  const region = ranges.map(([a, b]) => b - a);
  copyRegion(block, region, region.map(() => 0), dst, shape, ranges.map(([a]) => a), region);
}

/** The part of `block` (whose extent is `outer`) that lies in `inner` (a sub-extent of it). */
export function subBlock(block: HostData, outer: Ranges, inner: Ranges, dtype: DType): HostData {
  const shape = outer.map(([a, b]) => b - a);
  return extractBlock(block, shape, inner.map(([a, b], i): [number, number] => [a - outer[i][0], b - outer[i][0]]), dtype);
}
