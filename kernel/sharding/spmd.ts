/**
 * @file SPMD programs: what a sharded computation becomes. Values live in slots, each slot one
 * block per mesh device; steps are per-device computations (runs of equations on blocks, fused
 * and compiled per device as jit does), communication (all-reduce, all-gather, reduce-scatter, ppermute,
 * axis_index, relayouts) and, for primitives without a sharding rule, computations on one device
 * over gathered inputs. Running a program dispatches each per-device step to every device
 * thread first and then runs device 0 on the calling thread, so the devices work in parallel.
 */

import { Array as KArray } from "../backend/array.js";
import type { Device } from "../backend/device.js";
import { type Params, type Value, TypedScalar, bind } from "../ir/core.js";
import { ClosedJaxpr, Jaxpr, JaxprEqn, Lit, Var } from "../ir/jaxpr.js";
import type { ArraySpec, ShardReduce } from "../ir/rules.js";
import type { ShapedArray } from "../ir/shape.js";
import { compiledProgram } from "../jit/primitive.js";
import { allGather, allReduce, axisIndex, ppermute, reduceScatter } from "./exchange.js";
import type { Mesh } from "./mesh.js";
import { blocksOf, relayout, share, wholeOf } from "./placement.js";

/** A value of the program: each device's block, and (outside shard_map bodies) the array they make up. */
export interface Slot {
  readonly local: ShapedArray;
  readonly global: { readonly aval: ShapedArray; readonly dims: ArraySpec } | null;
}

/** An input of a step: a slot, or a scalar literal. */
export type Src = number | Lit;

export type SpmdStep =
  /** One equation on each device's blocks (merged into segments when the program is built). */
  | { readonly kind: "local"; readonly prim: string; readonly params: Params; readonly ins: readonly Src[]; readonly outs: readonly number[] }
  /** A run of local equations, compiled per device. */
  | { readonly kind: "segment"; readonly jaxpr: ClosedJaxpr; readonly ins: readonly number[]; readonly outs: readonly number[] }
  | { readonly kind: "allreduce"; readonly src: number; readonly out: number; readonly axes: readonly string[]; readonly op: ShardReduce["op"] }
  | { readonly kind: "allgather"; readonly src: number; readonly out: number; readonly axes: readonly string[]; readonly axis: number; readonly tiled: boolean }
  | { readonly kind: "reducescatter"; readonly src: number; readonly out: number; readonly axes: readonly string[]; readonly dim: number; readonly tiled: boolean }
  | { readonly kind: "ppermute"; readonly src: number; readonly out: number; readonly axes: readonly string[]; readonly perm: readonly (readonly [number, number])[] }
  | { readonly kind: "axisIndex"; readonly out: number; readonly axes: readonly string[] }
  /** The same array in another layout. */
  | { readonly kind: "relayout"; readonly src: number; readonly out: number }
  /** The same blocks under another name (a shard_map output seen as a global array). */
  | { readonly kind: "alias"; readonly src: number; readonly out: number }
  /** A primitive without a sharding rule: whole inputs on the mesh's first device, results re-split. */
  | { readonly kind: "gathered"; readonly prim: string; readonly params: Params; readonly ins: readonly Src[]; readonly outs: readonly number[] };

/** Collects slots and steps; `build` merges runs of local equations into compiled segments. */
export class SpmdBuilder {
  readonly slots: Slot[] = [];
  readonly steps: SpmdStep[] = [];
  constructor(readonly mesh: Mesh) {}
  slot(local: ShapedArray, global: Slot["global"]): number {
    this.slots.push({ local, global });
    return this.slots.length - 1;
  }
  add(step: SpmdStep): void {
    this.steps.push(step);
  }
  build(inputs: readonly number[], outs: readonly Src[]): SpmdProgram {
    return new SpmdProgram(this.mesh, this.slots, segments(this.steps, this.slots, outs), inputs, outs);
  }
}

const readsOf = (s: SpmdStep): number[] => {
  switch (s.kind) {
    case "local": case "gathered": case "segment": return (s.ins as readonly Src[]).filter((x): x is number => typeof x === "number");
    case "axisIndex": return [];
    default: return [s.src];
  }
};
const writesOf = (s: SpmdStep): readonly number[] => ("outs" in s ? s.outs : [s.out]);

/** Replaces each maximal run of local steps by one segment: a jaxpr over blocks. */
function segments(steps: readonly SpmdStep[], slots: readonly Slot[], outs: readonly Src[]): SpmdStep[] {
  const lastRead = new Map<number, number>();
  steps.forEach((s, i) => readsOf(s).forEach((x) => lastRead.set(x, i)));
  for (const o of outs) if (typeof o === "number") lastRead.set(o, Infinity);
  const result: SpmdStep[] = [];
  let i = 0;
  while (i < steps.length) {
    if (steps[i].kind !== "local") {
      result.push(steps[i++]);
      continue;
    }
    let j = i;
    while (j < steps.length && steps[j].kind === "local") j++;
    const run = steps.slice(i, j) as Extract<SpmdStep, { kind: "local" }>[];
    const vars = new Map<number, Var>();
    const ins: number[] = [];
    const varOf = (x: number, input: boolean): Var => {
      let v = vars.get(x);
      if (!v) {
        vars.set(x, (v = new Var(slots[x].local)));
        if (input) ins.push(x);
      }
      return v;
    };
    const eqns = run.map((s) => {
      const inputs = s.ins.map((x) => (typeof x === "number" ? varOf(x, true) : x));
      return new JaxprEqn(s.prim, inputs, s.params, s.outs.map((o) => varOf(o, false)));
    });
    const produced = run.flatMap((s) => s.outs);
    const segOuts = produced.filter((x) => (lastRead.get(x) ?? -1) >= j);
    const jaxpr = new ClosedJaxpr(new Jaxpr([], ins.map((x) => vars.get(x)!), eqns, segOuts.map((x) => vars.get(x)!)), []);
    result.push({ kind: "segment", jaxpr, ins, outs: segOuts });
    i = j;
  }
  return result;
}

/** Devices with their own threads first: their work is queued before device 0 runs its own. */
function launchOrder(devices: readonly Device[]): number[] {
  const order = devices.map((_, k) => k);
  const async = (d: Device): number => ("flush" in d.backend ? 0 : 1);
  return order.sort((a, b) => async(devices[a]) - async(devices[b]));
}

const flush = (d: Device): void => (d.backend as { flush?: () => void }).flush?.();

export class SpmdProgram {
  /** For each step, the slots to release after it. */
  private readonly frees: number[][];
  private readonly order: number[];

  constructor(
    readonly mesh: Mesh,
    readonly slots: readonly Slot[],
    readonly steps: readonly SpmdStep[],
    readonly inputs: readonly number[],
    readonly outs: readonly Src[],
  ) {
    const keep = new Set<number>([...inputs, ...outs.filter((o): o is number => typeof o === "number")]);
    const last = new Map<number, number>();
    steps.forEach((s, i) => {
      for (const x of [...readsOf(s), ...writesOf(s)]) last.set(x, i);
    });
    this.frees = steps.map(() => []);
    for (const [x, i] of last) if (!keep.has(x)) this.frees[i].push(x);
    this.order = launchOrder(mesh.devices);
  }

  /** Number of compiled segments (for tests). */
  get numSegments(): number {
    return this.steps.filter((s) => s.kind === "segment").length;
  }

  /**
   * Runs the program on the blocks of its inputs (borrowed: not released); returns the blocks of
   * its outputs (owned by the caller).
   */
  run(args: readonly (readonly KArray[])[]): KArray[][] {
    const { mesh } = this;
    const env: (KArray[] | undefined)[] = new Array(this.slots.length);
    this.inputs.forEach((s, i) => (env[s] = [...args[i]]));
    const get = (x: number): KArray[] => {
      const v = env[x];
      if (!v) throw new Error("SPMD program: a value was used before it was computed");
      return v;
    };
    try {
      this.steps.forEach((s, i) => {
        this.step(s, env, get);
        for (const x of this.frees[i]) {
          env[x]?.forEach((a) => a.dispose());
          env[x] = undefined;
        }
      });
      const inputSlots = new Set(this.inputs);
      const given = new Set<number>();
      return this.outs.map((o) => {
        if (typeof o !== "number") return mesh.devices.map((d) => KArray.scalar(o.val, o.aval.dtype, o.aval.weakType, d));
        const blocks = get(o);
        if (inputSlots.has(o) || given.has(o)) return blocks.map(share);
        given.add(o);
        return blocks;
      });
    } catch (e) {
      // Release what was computed (inputs are the caller's).
      const inputSlots = new Set(this.inputs);
      env.forEach((v, x) => (inputSlots.has(x) ? null : v?.forEach((a) => a.dispose())));
      throw e;
    }
  }

  private step(s: SpmdStep, env: (KArray[] | undefined)[], get: (x: number) => KArray[]): void {
    const { mesh } = this;
    switch (s.kind) {
      case "segment": {
        const outs: KArray[][] = s.outs.map(() => new Array<KArray>(mesh.size));
        for (const k of this.order) {
          const d = mesh.devices[k];
          const ins = s.ins.map((x) => get(x)[k]);
          const res = compiledProgram(s.jaxpr, d).run(ins);
          const seen = new Set<KArray>(ins);
          res.forEach((a, j) => {
            outs[j][k] = seen.has(a) ? share(a) : a;
            seen.add(a);
          });
          flush(d);
        }
        s.outs.forEach((x, j) => (env[x] = outs[j]));
        return;
      }
      case "allreduce": env[s.out] = allReduce(mesh, get(s.src), s.axes, s.op); return;
      case "allgather": env[s.out] = allGather(mesh, get(s.src), s.axes, s.axis, s.tiled); return;
      case "reducescatter": env[s.out] = reduceScatter(mesh, get(s.src), s.axes, s.dim, s.tiled); return;
      case "ppermute": env[s.out] = ppermute(mesh, get(s.src), s.axes, s.perm); return;
      case "axisIndex": env[s.out] = axisIndex(mesh, s.axes); return;
      case "alias": env[s.out] = get(s.src).map(share); return;
      case "relayout": {
        const from = this.slots[s.src].global!, to = this.slots[s.out].global!;
        env[s.out] = relayout(mesh, from.aval, get(s.src), from.dims, to.dims);
        this.order.forEach((k) => flush(mesh.devices[k]));
        return;
      }
      case "gathered": {
        const d0 = mesh.devices[0];
        const made: KArray[] = [];
        const ins: Value[] = s.ins.map((x) => {
          if (typeof x !== "number") return new TypedScalar(x.val, x.aval.dtype, x.aval.weakType);
          const g = this.slots[x].global!;
          const w = wholeOf(mesh, g.aval, get(x), g.dims, d0);
          made.push(w);
          return w;
        });
        try {
          const res = bind(s.prim, ins, s.params);
          s.outs.forEach((x, j) => (env[x] = blocksOf(res[j], mesh, this.slots[x].global!.dims)));
          res.forEach((r) => (r instanceof KArray && !made.includes(r) ? r.dispose() : null));
        } finally {
          made.forEach((a) => a.dispose());
        }
        return;
      }
      case "local":
        throw new Error(`SPMD program: unmerged local step ${s.prim}`);
    }
  }
}
