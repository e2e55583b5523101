/**
 * @file Collectives over named mesh axes, for shard_map bodies: `psum`, `pmean`, `pmax`,
 * `pmin`, `allGather`, `psumScatter`, `ppermute`, `axisIndex` (JAX's lax.psum … lax.axis_index), one stanza
 * each. They only run inside SPMD programs (the partitioner turns them into communication
 * steps); the axis environment says which names are bound while a shard_map body is traced.
 */

import { type Params, type Value, Tracer, bind, bind1, definePrimitive, getAval } from "../ir/core.js";
import { type DType, isBool } from "../ir/dtype.js";
import { ShapedArray } from "../ir/shape.js";
import { UndefinedPrimal, Zero } from "../ir/rules.js";
import { linearJvp, tangentAval } from "../lax/helpers.js";
import { NotImplementedError, ValueError } from "../lax/errors.js";
import * as lax from "../lax/index.js";
import { currentBatchAxis, defineAxisPrimitive, lookupAxis } from "../batching/trace.js";
import { type Split, gatherBatch, gatherMixed, permuteBatch, permuteMixed, reduceBatch, scatterBatch, scatterMixed } from "./collectives_vmap.js";

// ---- the axis environment ------------------------------------------------------------------------

const axisEnv: Map<string, number>[] = [];

/** Runs `fn` with mesh axes bound to their sizes (while a shard_map body is traced). */
export function withAxes<R>(axes: ReadonlyMap<string, number>, fn: () => R): R {
  axisEnv.push(new Map(axes));
  try {
    return fn();
  } finally {
    axisEnv.pop();
  }
}

/** Python's NameError, which JAX raises for an unbound axis name. */
export class NameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NameError";
  }
}

/** The size of a bound axis: a mesh axis of a shard_map, or a vmapped axis (JAX's error for an unbound one). */
export function axisSize(name: string): number {
  for (let i = axisEnv.length - 1; i >= 0; i--) {
    const s = axisEnv[i].get(name);
    if (s !== undefined) return s;
  }
  const vmapped = lookupAxis(name);
  if (vmapped) return vmapped.size;
  throw new NameError(`unbound axis name: ${name}`);
}

export type AxisName = string | readonly string[];
const names = (a: AxisName): string[] => (typeof a === "string" ? [a] : [...a]);

/** The mesh axes a collective's params name. */
export function collectiveAxes(p: Params): string[] {
  const a = (p.axes ?? p.axis_name) as AxisName;
  return names(a);
}

export const COLLECTIVES = new Set(["psum", "pmax", "pmin", "all_gather", "reduce_scatter", "ppermute", "axis_index"]);
for (const prim of COLLECTIVES) defineAxisPrimitive(prim, collectiveAxes);

const product = (axes: readonly string[]): number => axes.reduce((n, a) => n * axisSize(a), 1);

/**
 * In a batching rule: the vmapped axis being batched when the collective names it (then the rule
 * computes over the batch dimension, kernel/sharding/collectives_vmap.ts), with the other axes it
 * names (mesh axes, outer vmaps), which a collective bound below handles, and where the vmapped
 * axis sits among them; null otherwise.
 */
function vmapped(p: Params): (Split & { name: string }) | null {
  const name = currentBatchAxis()?.name;
  const axes = collectiveAxes(p);
  if (name == null || !axes.includes(name)) return null;
  const pos = axes.indexOf(name);
  return { name, rest: axes.filter((a) => a !== name), before: product(axes.slice(0, pos)), after: product(axes.slice(pos + 1)) };
}

const outsideShardMap = (prim: string) => (_args: Value[], p: Params): Value[] => {
  throw new NameError(`unbound axis name: ${collectiveAxes(p)[0]} (${prim} runs only inside shard_map)`);
};

// ---- psum, pmax, pmin ----------------------------------------------------------------------------

// psum is linear: d psum(x) = psum(dx), and its transpose sums the cotangents the same way.
definePrimitive("psum", {
  abstractEval: (avals) => avals,
  jvp: linearJvp("psum"),
  transpose: (cts, args, p) => {
    const live = cts.map((c, i) => (args[i] instanceof UndefinedPrimal && !(c instanceof Zero) ? (c as Value) : null));
    const summed = bind("psum", live.filter((c): c is Value => c !== null), p);
    let k = 0;
    return args.map((a, i) => (a instanceof UndefinedPrimal ? (live[i] === null ? new Zero((a as UndefinedPrimal).aval) : summed[k++]) : null));
  },
  batch: (args, dims, p, size) => {
    const v = vmapped(p);
    if (!v) return [bind("psum", args, p), dims];
    const summed = reduceBatch("sum", args, dims, size);
    return [v.rest.length ? bind("psum", summed, { ...p, axes: v.rest }) : summed, args.map(() => null)];
  },
  lower: { kind: "impl", impl: outsideShardMap("psum") },
});

for (const name of ["pmax", "pmin"]) {
  definePrimitive(name, {
    abstractEval: (avals) => avals,
    jvp: (primals, tangents, p) => {
      if (tangents.some((t) => !(t instanceof Zero))) throw new NotImplementedError(`Differentiation rule for '${name}' not implemented`);
      const outs = bind(name, primals, p);
      return [outs, outs.map((o) => new Zero(tangentAval(getAval(o))))];
    },
    transpose: null,
    batch: (args, dims, p, size) => {
      const v = vmapped(p);
      if (!v) return [bind(name, args, p), dims];
      const reduced = reduceBatch(name === "pmax" ? "max" : "min", args, dims, size);
      return [v.rest.length ? bind(name, reduced, { ...p, axes: v.rest }) : reduced, args.map(() => null)];
    },
    lower: { kind: "impl", impl: outsideShardMap(name) },
  });
}

function checkBound(axis: AxisName): string[] {
  const ns = names(axis);
  ns.forEach(axisSize);
  return ns;
}

/** Booleans are summed as int32, as in JAX. */
const summable = (x: Value): Value => (isBool(getAval(x).dtype) ? lax.convertElementType(x, "int32" as DType) : x);

/** `lax.psum(x, axis_name)`: the sum of `x` over the devices along the named mesh axes. */
export function psum(x: Value, axisName: AxisName): Value {
  const axes = checkBound(axisName);
  if (!axes.length) return x;
  const v = summable(x);
  // A constant is the same on every device: its sum is the axis size times it.
  if (!(v instanceof Tracer)) return lax.mul(v, axes.reduce((n, a) => n * axisSize(a), 1));
  return bind1("psum", [v], { axes, axis_index_groups: null });
}

/** `lax.pmean`: psum divided by the number of devices along the axes. */
export function pmean(x: Value, axisName: AxisName): Value {
  const n = checkBound(axisName).reduce((s, a) => s * axisSize(a), 1);
  return lax.div(psum(x, axisName), n);
}

export function pmax(x: Value, axisName: AxisName): Value {
  const axes = checkBound(axisName);
  return bind1("pmax", [x], { axes, axis_index_groups: null });
}

export function pmin(x: Value, axisName: AxisName): Value {
  const axes = checkBound(axisName);
  return bind1("pmin", [x], { axes, axis_index_groups: null });
}

// ---- all_gather -----------------------------------------------------------------------------------

const gatheredShape = (shape: readonly number[], dim: number, size: number, tiled: boolean): number[] =>
  tiled ? shape.map((s, i) => (i === dim ? s * size : s)) : [...shape.slice(0, dim), size, ...shape.slice(dim)];

definePrimitive("all_gather", {
  abstractEval: ([x], p) => [new ShapedArray(gatheredShape(x.shape, p.all_gather_dimension as number, p.axis_size as number, p.tiled as boolean), x.dtype, x.weakType)],
  // Linear: d all_gather(x) = all_gather(dx); its transpose sums the cotangents and gives each
  // device its own part (psum_scatter).
  jvp: linearJvp("all_gather"),
  transpose: ([ct], [x], p) => [
    ct instanceof Zero
      ? new Zero((x as UndefinedPrimal).aval)
      : bind1("reduce_scatter", [ct], { scatter_dimension: p.all_gather_dimension, axis_name: p.axis_name, axis_index_groups: null, axis_size: p.axis_size, tiled: p.tiled }),
  ],
  // A batched operand: its batch dim moves to the front, the gathered dimension shifts by one.
  batch: ([x], [d], p, size) => {
    const v = vmapped(p);
    if (v) {
      const [dim, tiled] = [p.all_gather_dimension as number, p.tiled as boolean];
      return [[v.rest.length ? gatherMixed(x, d, size, v, dim, tiled) : gatherBatch(x, d, size, dim, tiled)], [null]];
    }
    const moved = d === null || d === 0 ? x : lax.transpose(x, [d, ...Array.from({ length: getAval(x).ndim }, (_, i) => i).filter((i) => i !== d)]);
    return [[bind1("all_gather", [moved], { ...p, all_gather_dimension: (p.all_gather_dimension as number) + (d === null ? 0 : 1) })], [d === null ? null : 0]];
  },
  lower: { kind: "impl", impl: outsideShardMap("all_gather") },
});

/**
 * `lax.all_gather(x, axis_name, axis=0, tiled=False)`: every device gets the blocks of all
 * devices along the axes, stacked along a new dimension `axis` (concatenated when `tiled`).
 */
export function allGather(x: Value, axisName: AxisName, opts: { axis?: number; tiled?: boolean } = {}): Value {
  const axes = checkBound(axisName);
  const size = axes.reduce((n, a) => n * axisSize(a), 1);
  const tiled = opts.tiled ?? false;
  const nd = getAval(x).ndim + (tiled ? 0 : 1);
  let dim = opts.axis ?? 0;
  if (dim < -nd || dim >= nd) throw new RangeError(`axis ${dim} is out of bounds for array of dimension ${nd}`);
  if (dim < 0) dim += nd;
  return bind1("all_gather", [x], { all_gather_dimension: dim, axis_name: axes, axis_index_groups: null, axis_size: size, tiled });
}

// ---- psum_scatter ------------------------------------------------------------------------------------

/** The block shape a device keeps from a psum_scatter of `shape`. */
function scatteredShape(shape: readonly number[], dim: number, size: number, tiled: boolean): number[] {
  if (tiled) {
    if (shape[dim] % size) throw new ValueError(`psum_scatter: the scattered dimension ${dim} (size ${shape[dim]}) must be divisible by the axis size ${size}`);
    return shape.map((s, i) => (i === dim ? s / size : s));
  }
  if (shape[dim] !== size) throw new ValueError(`psum_scatter: the scattered dimension ${dim} (size ${shape[dim]}) must equal the axis size ${size} (or use tiled=True)`);
  return shape.filter((_, i) => i !== dim);
}

definePrimitive("reduce_scatter", {
  abstractEval: ([x], p) => [new ShapedArray(scatteredShape(x.shape, p.scatter_dimension as number, p.axis_size as number, p.tiled as boolean), x.dtype, x.weakType)],
  // Linear; its transpose gathers the cotangents back (all_gather).
  jvp: linearJvp("reduce_scatter"),
  transpose: ([ct], [x], p) => [
    ct instanceof Zero
      ? new Zero((x as UndefinedPrimal).aval)
      : bind1("all_gather", [ct], { all_gather_dimension: p.scatter_dimension, axis_name: p.axis_name, axis_index_groups: null, axis_size: p.axis_size, tiled: p.tiled }),
  ],
  batch: ([x], [d], p, size) => {
    const v = vmapped(p);
    if (v) {
      const [dim, tiled] = [p.scatter_dimension as number, p.tiled as boolean];
      const [y, yd] = v.rest.length ? scatterMixed(x, d, size, v, dim, tiled) : scatterBatch(x, d, size, dim, tiled);
      return [[y], [yd]];
    }
    const moved = d === null || d === 0 ? x : lax.transpose(x, [d, ...Array.from({ length: getAval(x).ndim }, (_, i) => i).filter((i) => i !== d)]);
    return [[bind1("reduce_scatter", [moved], { ...p, scatter_dimension: (p.scatter_dimension as number) + (d === null ? 0 : 1) })], [d === null ? null : 0]];
  },
  lower: { kind: "impl", impl: outsideShardMap("reduce_scatter") },
});

/**
 * `lax.psum_scatter(x, axis_name, scatter_dimension=0, tiled=False)`: the psum over the devices
 * along the axes, of which each keeps only its own part along `scatter_dimension` (its index
 * there, or its block of it when `tiled`).
 */
export function psumScatter(x: Value, axisName: AxisName, opts: { scatter_dimension?: number; tiled?: boolean } = {}): Value {
  const axes = checkBound(axisName);
  const size = axes.reduce((n, a) => n * axisSize(a), 1);
  const nd = getAval(x).ndim;
  let dim = opts.scatter_dimension ?? 0;
  if (dim < -nd || dim >= nd) throw new RangeError(`axis ${dim} is out of bounds for array of dimension ${nd}`);
  if (dim < 0) dim += nd;
  return bind1("reduce_scatter", [summable(x)], { scatter_dimension: dim, axis_name: axes, axis_index_groups: null, axis_size: size, tiled: opts.tiled ?? false });
}

// ---- ppermute --------------------------------------------------------------------------------------

definePrimitive("ppermute", {
  abstractEval: ([x]) => [x],
  // Linear; its transpose sends cotangents back along the inverted permutation.
  jvp: linearJvp("ppermute"),
  transpose: ([ct], _args, p) => {
    if (ct instanceof Zero) return [ct];
    const inverse = (p.perm as [number, number][]).map(([s, d]) => [d, s]);
    return [bind1("ppermute", [ct], { ...p, perm: inverse })];
  },
  batch: ([x], [d], p, size) => {
    const v = vmapped(p);
    if (v) {
      const perm = p.perm as [number, number][];
      return [[v.rest.length ? permuteMixed(x, d, size, v, perm) : permuteBatch(x, d, size, perm)], [0]];
    }
    return [[bind1("ppermute", [x], p)], [d]];
  },
  lower: { kind: "impl", impl: outsideShardMap("ppermute") },
});

/** `lax.ppermute(x, axis_name, perm)`: device `src` sends its block to device `dst` for each (src, dst) pair. */
export function ppermute(x: Value, axisName: AxisName, perm: readonly (readonly [number, number])[]): Value {
  const axes = checkBound(axisName);
  const n = axes.reduce((s, a) => s * axisSize(a), 1);
  const srcs = new Set<number>(), dsts = new Set<number>();
  for (const [s, d] of perm) {
    if (!(s >= 0 && s < n && d >= 0 && d < n)) throw new ValueError(`ppermute perm indices must be in [0, ${n}), got (${s}, ${d})`);
    if (srcs.has(s) || dsts.has(d)) throw new ValueError(`ppermute sources and destinations must be unique, got ${JSON.stringify(perm)}.`);
    srcs.add(s);
    dsts.add(d);
  }
  return bind1("ppermute", [x], { axis_name: axes, perm: perm.map(([s, d]) => [s, d]) });
}

// ---- axis_index --------------------------------------------------------------------------------------

definePrimitive("axis_index", {
  abstractEval: () => [new ShapedArray([], "int32", false)],
  jvp: "nondiff",
  transpose: null,
  // Along the vmapped axis the index is 0, 1, …, size-1 (batched at 0). A tuple of names (bound
  // directly; lax.axis_index splits one) is linearised as axisIndex does, the vmapped one by iota.
  batch: (_args, _dims, p, size) => {
    const v = vmapped(p);
    if (!v) return [[bind1("axis_index", [], p)], [null]];
    if (typeof p.axis_name === "string") return [[lax.iota("int32", size)], [0]];
    const one = (n: string): Value => (n === v.name ? lax.iota("int32", size) : lax.broadcastInDim(bind1("axis_index", [], { axis_name: n }), [size], []));
    return [[linearIndex(collectiveAxes(p), one)], [0]];
  },
  lower: { kind: "impl", impl: outsideShardMap("axis_index") },
});

/** The row-major index over `axes` (the last varies fastest) from each axis's own index, as lax.axis_index computes it. */
function linearIndex(axes: readonly string[], indexOf: (name: string) => Value): Value {
  let index: Value = 0, inner = 1;
  for (const name of [...axes].reverse()) {
    index = lax.add(index, lax.mul(indexOf(name), inner));
    inner *= axisSize(name);
  }
  return index;
}

/**
 * `lax.axis_index(axis_name)`: this device's position along the named axes (int32). Several
 * names give the row-major index over them, built from one axis_index per name as JAX does.
 */
export function axisIndex(axisName: AxisName): Value {
  const axes = checkBound(axisName);
  const one = (name: string): Value => bind1("axis_index", [], { axis_name: name });
  return typeof axisName === "string" ? one(axisName) : linearIndex(axes, one);
}
