/**
 * @file Shardings: `NamedSharding(mesh, spec)` — the blocks of an array spread over a mesh, one
 * block per device (replicated along the mesh axes the spec does not use) — and
 * `SingleDeviceSharding(device)`. Also the block arithmetic: which [start, stop) ranges each
 * device holds, and the shape of a block.
 */

import type { Device } from "../backend/device.js";
import type { ArraySpec } from "../ir/rules.js";
import { ValueError } from "../lax/errors.js";
import { type Mesh, pyStr, pyTuple } from "./mesh.js";
import { PartitionSpec } from "./partition_spec.js";

/** A block's extent: [start, stop) per dimension. */
export type Ranges = [number, number][];

export abstract class Sharding {
  /** The devices holding a piece of the array, in mesh order. */
  abstract get deviceList(): readonly Device[];
  abstract isFullyReplicated(): boolean;
  abstract toString(): string;
  get numDevices(): number {
    return this.deviceList.length;
  }
}

/** The memory kind JAX reports for arrays on CPU devices. */
export const CPU_MEMORY_KIND = "unpinned_host";

export class NamedSharding extends Sharding {
  readonly memoryKind: string | null;
  constructor(readonly mesh: Mesh, readonly spec: PartitionSpec = new PartitionSpec(), opts: { memoryKind?: string | null } = {}) {
    super();
    this.memoryKind = opts.memoryKind ?? null;
    checkSpec(mesh, spec);
  }
  get deviceList(): readonly Device[] {
    return this.mesh.devices;
  }
  /** The per-dimension axis lists for an array of rank `ndim`. */
  dims(ndim: number): ArraySpec {
    return this.spec.dims(ndim);
  }
  isFullyReplicated(): boolean {
    return this.spec.axes().every((a) => this.mesh.axisSize(a) === 1);
  }
  /** This sharding as arrays carry it (with the device's memory kind, as JAX's device_put sets it). */
  canonical(): NamedSharding {
    return this.memoryKind ? this : new NamedSharding(this.mesh, this.spec, { memoryKind: CPU_MEMORY_KIND });
  }
  equals(o: Sharding): boolean {
    return o instanceof NamedSharding && this.mesh.equals(o.mesh) && this.spec.equals(o.spec);
  }
  /**
   * Raises JAX's errors when this sharding cannot hold an array of `shape`: a spec longer than
   * the rank, or a dimension its mesh axes do not divide (`what` names the value, as JAX does:
   * "device_put args", "pjit arguments").
   */
  checkShape(shape: readonly number[], what = "device_put args"): void {
    if (shape.length < this.spec.length) {
      const extra = shape.length === 0 ? " For scalars the PartitionSpec should be P()" : "";
      throw new ValueError(
        `One of ${what} is incompatible with its sharding annotation ${this.canonical().toString()}: Sharding ${this.canonical().toString()} is only valid for values of rank at least ${this.spec.length}, but was applied to a value of rank ${shape.length}.${extra}`,
      );
    }
    this.dims(shape.length).forEach((axes, i) => {
      const n = splits(this.mesh, axes);
      if (shape[i] % n !== 0) {
        throw new ValueError(
          `One of ${what} was given the sharding of ${this.canonical().toString()}, which implies that the global size of its dimension ${i} should be divisible by ${n}, but it is equal to ${shape[i]} (full shape: ${pyTuple(shape.map(String))})`,
        );
      }
    });
  }
  /** JAX's repr: `NamedSharding(mesh=Mesh('x': 4, ...), spec=PartitionSpec('x',), memory_kind=unpinned_host)`. */
  toString(): string {
    return `NamedSharding(mesh=${this.mesh.toString()}, spec=${this.spec.toString()}${this.memoryKind ? `, memory_kind=${this.memoryKind}` : ""})`;
  }
}

export class SingleDeviceSharding extends Sharding {
  readonly memoryKind: string | null;
  constructor(readonly device: Device, opts: { memoryKind?: string | null } = {}) {
    super();
    this.memoryKind = opts.memoryKind ?? null;
  }
  get deviceList(): readonly Device[] {
    return [this.device];
  }
  isFullyReplicated(): boolean {
    return true;
  }
  toString(): string {
    return `SingleDeviceSharding(device=${this.device.toString()}${this.memoryKind ? `, memory_kind=${this.memoryKind}` : ""})`;
  }
}

/** JAX's checks of a spec against a mesh: known axis names, each used at most once. */
function checkSpec(mesh: Mesh, spec: PartitionSpec): void {
  const seen = new Map<string, number>();
  for (const a of spec.axes()) seen.set(a, (seen.get(a) ?? 0) + 1);
  const dup = [...seen].filter(([, c]) => c > 1).map(([a]) => a);
  if (dup.length) {
    const e = new Error(
      `A single NamedSharding spec specification can map every mesh axis to at most one positional dimension, but ${spec.toString()} has duplicate entries for ${dup.map((a) => `\`${a}\``).join(", ")}`,
    );
    e.name = "DuplicateSpecError";
    throw e;
  }
  for (const a of spec.axes()) {
    if (!mesh.axisNames.includes(a)) {
      throw new ValueError(`Resource axis: ${a} of ${spec.toString()} is not found in mesh: ${pyTuple(mesh.axisNames.map(pyStr))}.`);
    }
  }
}

// ---- blocks --------------------------------------------------------------------------------------

/** How many blocks the mesh axes `axes` split a dimension into. */
export const splits = (mesh: { axisSize(name: string): number }, axes: readonly string[]): number => axes.reduce((n, a) => n * mesh.axisSize(a), 1);

/** The shape of each device's block of an array of `shape` laid out as `dims`. */
export function blockShape(mesh: { axisSize(name: string): number }, shape: readonly number[], dims: ArraySpec): number[] {
  return shape.map((s, i) => s / splits(mesh, dims[i] ?? []));
}

/** The extent of the block held by the device at mesh position `k`. */
export function blockRanges(mesh: Mesh, shape: readonly number[], dims: ArraySpec, k: number): Ranges {
  const c = mesh.coords(k);
  return shape.map((s, i): [number, number] => {
    const axes = dims[i] ?? [];
    let b = 0;
    for (const a of axes) b = b * mesh.axisSize(a) + c[mesh.axisNames.indexOf(a)];
    const size = s / splits(mesh, axes);
    return [b * size, (b + 1) * size];
  });
}

/** The extent of every device's block, in mesh order. */
export const allBlocks = (mesh: Mesh, shape: readonly number[], dims: ArraySpec): Ranges[] => mesh.devices.map((_, k) => blockRanges(mesh, shape, dims, k));
