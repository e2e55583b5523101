/**
 * @file `ShardedArray`: a global array stored as one block per device of a mesh (JAX's Array
 * with a NamedSharding). It is an `Array` to the rest of the runtime — printing, conversions,
 * the Python front end's reference counting — but has no single buffer: primitives applied to it
 * run per device (kernel/sharding/eager.ts), and reading it assembles its blocks.
 */

import { Array as KArray, RcBuffer } from "../backend/array.js";
import { TYPED_ARRAY } from "../backend/backend.js";
import type { Device } from "../backend/device.js";
import { ITEMSIZE } from "../ir/dtype.js";
import type { ArraySpec, HostData } from "../ir/rules.js";
import { ShapedArray } from "../ir/shape.js";
import { insertBlock } from "./blocks.js";
import { type NamedSharding, type Ranges, allBlocks, blockShape } from "./named_sharding.js";
import { shapeWithSpec } from "./partition_spec.js";

/** One device's piece of an array (JAX's Shard): its device, its extent, its data. */
export interface Shard {
  readonly device: Device;
  readonly index: Ranges;
  readonly data: KArray;
}

export class ShardedArray extends KArray {
  /** The layout: per dimension, the mesh axes splitting it. */
  readonly dims: ArraySpec;
  /** Each device's block, in mesh order (replicated blocks are held by every device). */
  readonly shards: readonly KArray[];

  /** Takes ownership of `shards` (one per mesh device, each of the block's shape). */
  constructor(aval: ShapedArray, readonly sharding: NamedSharding, shards: readonly KArray[]) {
    // The base class wants a buffer of its own: an empty one (each shard holds a real one).
    const d0 = shards[0].device;
    super(aval, new RcBuffer(d0, d0.backend.alloc(0)));
    this.dims = sharding.dims(aval.ndim);
    if (shards.length !== sharding.mesh.size) throw new Error(`ShardedArray: ${shards.length} shards for a mesh of ${sharding.mesh.size} devices`);
    const local = blockShape(sharding.mesh, aval.shape, this.dims);
    shards.forEach((s, k) => {
      if (s.device !== sharding.mesh.devices[k] || s.shape.join(",") !== local.join(",")) {
        throw new Error(`ShardedArray: shard ${k} is ${s.aval.strShort()} on ${s.device.toString()}, expected ${local.join(",")} on ${sharding.mesh.devices[k].toString()}`);
      }
    });
    this.shards = shards;
    // Laid out on a mesh explicitly, as JAX's sharded arrays are.
    this.committed = true;
  }

  /** The device of the first block (the Python front end reports the sharding instead, as JAX). */
  override get device(): Device {
    return this.shards[0].device;
  }
  override devices(): Device[] {
    return [...this.sharding.mesh.devices];
  }
  override get buffer(): never {
    throw new Error("A sharded array has no single buffer: its blocks live on several devices");
  }
  /** `x.addressable_shards`. */
  get addressableShards(): Shard[] {
    const blocks = allBlocks(this.sharding.mesh, this.aval.shape, this.dims);
    return this.shards.map((data, k) => ({ device: data.device, index: blocks[k], data }));
  }
  isFullyReplicated(): boolean {
    return this.sharding.isFullyReplicated();
  }
  /** The type as JAX prints sharded types: `f32[8@x,4]` (axes of Explicit mesh axes only, as JAX). */
  typeString(): string {
    const m = this.sharding.mesh;
    const explicit = this.dims.map((axes) => axes.filter((a) => m.axisTypes[m.axisNames.indexOf(a)] === "Explicit"));
    return `${this.aval.strShort().replace(/\[.*\]$/, "")}[${shapeWithSpec(this.aval.shape, explicit)}]`;
  }

  override withAval(aval: ShapedArray): ShardedArray {
    if (aval.shape.join(",") !== this.aval.shape.join(",") || ITEMSIZE[aval.dtype] !== ITEMSIZE[this.aval.dtype]) throw new Error("withAval: a sharded array keeps its shape");
    const local = new ShapedArray(this.shards[0].shape, aval.dtype, aval.weakType);
    return new ShardedArray(aval, this.sharding, this.shards.map((s) => s.withAval(local)));
  }
  override dispose(): void {
    if (this.isDeleted) return;
    for (const s of this.shards) s.dispose();
    super.dispose();
  }
  override blockUntilReady(): this {
    for (const s of this.shards) s.blockUntilReady();
    return this;
  }
  /** The whole array, assembled from one copy of each block. */
  override data(): HostData {
    const { shape, dtype, size } = this.aval;
    const out = new TYPED_ARRAY[dtype](new ArrayBuffer(size * ITEMSIZE[dtype]));
    const seen = new Set<string>();
    allBlocks(this.sharding.mesh, shape, this.dims).forEach((r, k) => {
      const key = r.join(";");
      if (seen.has(key)) return;
      seen.add(key);
      insertBlock(out, shape, r, this.shards[k].data());
    });
    return out;
  }
}
