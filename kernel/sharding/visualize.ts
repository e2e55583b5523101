/**
 * @file `jax.debug.visualize_array_sharding`: which device holds which block of a 1-D or 2-D
 * array, as JAX's rich table drawn in plain text (box characters, one cell per block labelled
 * `CPU 0`, replicated blocks `CPU 0,1`, cells sized as JAX sizes them), and as data for the
 * notebook renderer (`application/vnd.jaxnb.sharding+json`).
 */

import { Array as KArray } from "../backend/array.js";
import type { Device } from "../backend/device.js";
import { ValueError } from "../lax/errors.js";
import { ShardedArray } from "./array.js";
import { type Ranges, allBlocks } from "./named_sharding.js";

/** The MIME bundle's data: `{shape, mesh, spec, devices, tiles}` (see DESIGN.md). */
export interface ShardingData {
  readonly shape: number[];
  readonly mesh: { readonly axis_names: string[]; readonly shape: number[] };
  readonly spec: (string | string[] | null)[];
  readonly devices: string[];
  readonly tiles: { readonly device: number | number[]; readonly index: [number, number][] }[];
}

const label = (d: Device): string => `${d.platform.toUpperCase()} ${d.id}`;

/** Blocks in device order, each with the positions (in `devices`) of the devices holding it. */
function layout(x: KArray): { devices: Device[]; blocks: { ranges: Ranges; holders: number[] }[] } {
  if (!(x instanceof ShardedArray)) return { devices: [x.device], blocks: [{ ranges: x.shape.map((s): [number, number] => [0, s]), holders: [0] }] };
  const mesh = x.sharding.mesh;
  const blocks: { ranges: Ranges; holders: number[] }[] = [];
  const byKey = new Map<string, number[]>();
  allBlocks(mesh, x.shape, x.dims).forEach((r, k) => {
    const key = r.join(";");
    let h = byKey.get(key);
    if (!h) {
      byKey.set(key, (h = []));
      blocks.push({ ranges: r, holders: h });
    }
    h.push(k);
  });
  return { devices: [...mesh.devices], blocks };
}

/** The data the notebook renderer draws. */
export function shardingData(x: KArray): ShardingData {
  const { devices, blocks } = layout(x);
  const sharded = x instanceof ShardedArray ? x : null;
  return {
    shape: [...x.shape],
    mesh: sharded ? { axis_names: [...sharded.sharding.mesh.axisNames], shape: [...sharded.sharding.mesh.shape] } : { axis_names: [], shape: [] },
    spec: sharded ? sharded.sharding.spec.entries.map((e) => (typeof e === "string" ? e : Array.isArray(e) ? [...(e as string[])] : null)) : [],
    devices: devices.map(label),
    tiles: blocks.map((b) => ({ device: b.holders.length === 1 ? b.holders[0] : [...b.holders], index: b.ranges.map(([a, c]): [number, number] => [a, c]) })),
  };
}

/**
 * The text JAX's visualize_sharding prints without colours: a rich table with square box lines,
 * one cell per block, cell sizes from the blocks' extents (1-D arrays: one row).
 */
export function shardingText(x: KArray, opts: { scale?: number; minWidth?: number; maxWidth?: number } = {}): string {
  const shape = x.shape;
  if (shape.length < 1 || shape.length > 2) throw new ValueError("`visualize_sharding` only works for shapes with 1 and 2 dimensions.");
  const scale = opts.scale ?? 1, minWidth = opts.minWidth ?? 9, maxWidth = opts.maxWidth ?? 80;
  const { devices, blocks } = layout(x);
  const baseHeight = Math.trunc(10 * scale);
  const baseWidth = Math.trunc(baseHeight * ((shape.length === 2 ? shape[1] : 1) / shape[0]));
  const cells = new Map<string, { row: number; col: number; ids: number[]; w: number; h: number | null }>();
  for (const b of blocks) {
    // JAX's chunk index: start / extent along each dimension (0 for a whole dimension).
    const idx = b.ranges.map(([a, c], i) => (c - a === shape[i] ? 0 : Math.floor(a / (c - a))));
    const [row, col] = shape.length === 2 ? idx : [0, idx[0]];
    const w = (b.ranges[shape.length - 1][1] - b.ranges[shape.length - 1][0]) / shape[shape.length - 1];
    const h = shape.length === 2 ? (b.ranges[0][1] - b.ranges[0][0]) / shape[0] : null;
    const key = `${row},${col}`;
    const ids = b.holders.map((k) => devices[k].id);
    const got = cells.get(key);
    if (got) got.ids.push(...ids);
    else cells.set(key, { row, col, ids, w, h });
  }
  const rows = Math.max(...[...cells.values()].map((c) => c.row)) + 1;
  const cols = Math.max(...[...cells.values()].map((c) => c.col)) + 1;
  const kind = devices[0].platform.toUpperCase();
  // Each cell: its text, left/right padding and top/bottom padding, as JAX computes them.
  const grid = Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => {
      const cell = cells.get(`${r},${c}`)!;
      const entry = `${kind} ${[...cell.ids].sort((a, b) => a - b).join(",")}`;
      const width = Math.min(Math.max(Math.trunc(cell.w * baseWidth * 2.5), minWidth), maxWidth);
      const height = cell.h === null ? 1 : Math.trunc(cell.h * baseHeight);
      const [left, lrem] = divmod(width - entry.length - 2, 2);
      const [top, trem] = divmod(height - 2, 2);
      return { entry, left: Math.max(left, 0), right: Math.max(left + lrem, 0), top: Math.max(top, 0), bottom: Math.max(top + trem, 0) };
    }),
  );
  const widths = Array.from({ length: cols }, (_, c) => Math.max(...grid.map((row) => row[c].left + row[c].entry.length + row[c].right)));
  const rule = (l: string, m: string, r: string): string => l + widths.map((w) => "─".repeat(w)).join(m) + r;
  const lines = [rule("┌", "┬", "┐")];
  grid.forEach((row, r) => {
    const height = Math.max(...row.map((c) => c.top + 1 + c.bottom));
    for (let line = 0; line < height; line++) {
      const parts = row.map((c, j) => {
        if (line !== c.top) return " ".repeat(widths[j]);
        const inner = widths[j] - c.left - c.right;
        const [pl] = divmod(inner - c.entry.length, 2);
        return " ".repeat(c.left + pl) + c.entry + " ".repeat(widths[j] - c.left - pl - c.entry.length);
      });
      lines.push(`│${parts.join("│")}│`);
    }
    if (r < rows - 1) lines.push(rule("├", "┼", "┤"));
  });
  lines.push(rule("└", "┴", "┘"));
  return lines.join("\n");
}

/** Python's divmod for integers (floor division). */
const divmod = (a: number, b: number): [number, number] => {
  const q = Math.floor(a / b);
  return [q, a - q * b];
};
