/**
 * @file `PartitionSpec` (`P`): for each array dimension, the mesh axes that split it — a name, a
 * tuple of names (major to minor), or null (not split). Trailing dimensions it does not mention
 * are not split. Normalized, a spec is an `ArraySpec`: one list of axis names per dimension.
 */

import type { ArraySpec } from "../ir/rules.js";
import { pyStr, pyTuple } from "./mesh.js";

/** JAX's P.UNCONSTRAINED: the partitioner may choose (treated as "not split" when placing data). */
export const UNCONSTRAINED = Symbol("UNCONSTRAINED");

export type SpecEntry = string | readonly string[] | null | typeof UNCONSTRAINED;

export class PartitionSpec {
  readonly entries: readonly SpecEntry[];
  constructor(...entries: SpecEntry[]) {
    for (const e of entries) {
      const ok = e === null || e === UNCONSTRAINED || typeof e === "string" || (Array.isArray(e) && e.every((n) => typeof n === "string"));
      if (!ok) throw new TypeError(`PartitionSpec entries must be axis names, tuples of axis names or None; got ${String(e)}`);
    }
    // A one-name tuple is that name; an empty tuple is None (JAX's canonicalization).
    this.entries = entries.map((e) => (Array.isArray(e) ? (e.length === 0 ? null : e.length === 1 ? (e[0] as string) : [...(e as string[])]) : e));
  }
  get length(): number {
    return this.entries.length;
  }
  /** The per-dimension axis lists for an array of rank `ndim` (unconstrained and missing: not split). */
  dims(ndim: number): ArraySpec {
    const out: string[][] = [];
    for (let i = 0; i < ndim; i++) {
      const e = this.entries[i];
      out.push(e === undefined || e === null || e === UNCONSTRAINED ? [] : typeof e === "string" ? [e] : [...e]);
    }
    return out;
  }
  /** Every axis name the spec uses, in order. */
  axes(): string[] {
    return this.entries.flatMap((e) => (e === null || e === UNCONSTRAINED ? [] : typeof e === "string" ? [e] : [...e]));
  }
  equals(o: PartitionSpec): boolean {
    return specText(this.entries) === specText(o.entries);
  }
  /** JAX's repr: `PartitionSpec('x', None)`, `PartitionSpec(('x', 'y'),)`. */
  toString(): string {
    return `PartitionSpec${specText(this.entries)}`;
  }
  /** The spec of an ArraySpec, trailing unsplit dimensions dropped (JAX's canonical form). */
  static fromDims(dims: ArraySpec): PartitionSpec {
    const entries: SpecEntry[] = dims.map((d) => (d.length === 0 ? null : d.length === 1 ? d[0] : [...d]));
    while (entries.length && entries[entries.length - 1] === null) entries.pop();
    return new PartitionSpec(...entries);
  }
}

/** `P(...)`, JAX's short name. */
export const P = (...entries: SpecEntry[]): PartitionSpec => new PartitionSpec(...entries);

const entryText = (e: SpecEntry): string => (e === null ? "None" : e === UNCONSTRAINED ? "UNCONSTRAINED" : typeof e === "string" ? pyStr(e) : pyTuple(e.map(pyStr)));
const specText = (entries: readonly SpecEntry[]): string => (entries.length === 0 ? "()" : pyTuple(entries.map(entryText)));

/** `8@x` / `8@(x,y)` per dimension, as JAX's sharded types print (`f32[8@x,4]`). */
export function shapeWithSpec(shape: readonly number[], dims: ArraySpec): string {
  return shape.map((s, i) => (dims[i]?.length ? `${s}@${dims[i].length === 1 ? dims[i][0] : `(${dims[i].join(",")})`}` : `${s}`)).join(",");
}
