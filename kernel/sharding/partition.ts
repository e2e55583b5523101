/**
 * @file SPMD partitioning: a jaxpr over global arrays, with the layouts of its inputs on a mesh,
 * becomes an SPMD program over blocks. Layouts propagate forward through each primitive's
 * sharding rule (its stanza's `shard`), which says what layouts it needs (inputs are relaid out
 * when they differ), what it produces, and which outputs are partial (then an all-reduce
 * follows). Equations on replicated inputs run on every device as they are; a primitive with no
 * rule for split inputs is computed on one device from gathered inputs and its results re-split
 * (logged). shard_map bodies are inlined: their equations run on blocks as written, their
 * collectives become communication steps.
 */

import { type Params, rulesOf } from "../ir/core.js";
import { type Atom, ClosedJaxpr, type Jaxpr, Lit, type Var } from "../ir/jaxpr.js";
import type { ArraySpec, ShardContext, ShardReduce } from "../ir/rules.js";
import { ShapedArray } from "../ir/shape.js";
import { logSharding } from "./log.js";
import type { Mesh } from "./mesh.js";
import { blockAval, dimsKey, isReplicated } from "./placement.js";
import { SpmdBuilder, type SpmdProgram, type Src } from "./spmd.js";
import { COLLECTIVES, collectiveAxes } from "./collectives.js";
import { NamedSharding, blockShape } from "./named_sharding.js";
import { PartitionSpec } from "./partition_spec.js";
import { specDims } from "./shard_map.js";

/** Primitives whose equations carry a jaxpr that is inlined (nested jit). */
const CALLS = new Set(["jit"]);

class Partitioner {
  readonly b: SpmdBuilder;
  readonly ctx: ShardContext;
  /** Relayouts already made: (slot, layout) → slot. */
  private readonly relaid = new Map<string, number>();

  constructor(readonly mesh: Mesh) {
    this.b = new SpmdBuilder(mesh);
    this.ctx = { axisSize: (a) => mesh.axisSize(a) };
  }

  globalSlot(aval: ShapedArray, dims: ArraySpec): number {
    return this.b.slot(blockAval(this.mesh, aval, dims), { aval, dims });
  }
  dimsOf(x: Src): ArraySpec {
    if (typeof x !== "number") return [];
    const g = this.b.slots[x].global;
    if (!g) throw new Error("SPMD: a shard_map-local value used outside its body");
    return g.dims;
  }
  avalOf(x: Src): ShapedArray {
    return typeof x === "number" ? this.b.slots[x].global!.aval : x.aval;
  }
  /** `x` in layout `dims` (a relayout step when it is not already). */
  need(x: Src, dims: ArraySpec): Src {
    if (typeof x !== "number") return x;
    const g = this.b.slots[x].global!;
    if (dimsKey(g.dims) === dimsKey(dims)) return x;
    const key = `${x}|${dimsKey(dims)}`;
    let y = this.relaid.get(key);
    if (y === undefined) {
      y = this.globalSlot(g.aval, dims);
      this.b.add({ kind: "relayout", src: x, out: y });
      this.relaid.set(key, y);
    }
    return y;
  }

  /** Partitions the equations of a global jaxpr; `env` maps its variables to slots. */
  global(jaxpr: Jaxpr, env: Map<Var, Src>): void {
    const read = (a: Atom): Src => (a instanceof Lit ? a : env.get(a)!);
    for (const e of jaxpr.eqns) {
      const ins = e.inputs.map(read);
      const bindOuts = (outs: readonly Src[]): void => e.outBinders.forEach((v, i) => env.set(v, outs[i]));
      if (CALLS.has(e.primitive) && e.params.jaxpr instanceof ClosedJaxpr) {
        bindOuts(this.call(e.params.jaxpr, ins));
      } else if (e.primitive === "sharding_constraint") {
        const s = e.params.sharding as NamedSharding;
        this.checkMesh(s);
        bindOuts([this.need(ins[0], s.dims(e.outBinders[0].aval.ndim))]);
      } else if (e.primitive === "shard_map") {
        bindOuts(this.shardMap(e.params, ins, e.outBinders.map((v) => v.aval)));
      } else {
        bindOuts(this.equation(e.primitive, e.params, ins, e.outBinders.map((v) => v.aval)));
      }
    }
  }

  private checkMesh(s: NamedSharding): void {
    if (!s.mesh.equals(this.mesh)) {
      throw new Error(`Received incompatible devices for jitted computation: a sharding over ${s.mesh.toString()} inside a computation over ${this.mesh.toString()}.`);
    }
  }

  private call(cj: ClosedJaxpr, ins: readonly Src[]): Src[] {
    const env = new Map<Var, Src>();
    cj.jaxpr.invars.forEach((v, i) => env.set(v, ins[i]));
    cj.jaxpr.constvars.forEach((v, i) => env.set(v, this.constant(cj.consts[i], v.aval)));
    this.global(cj.jaxpr, env);
    return cj.jaxpr.outs.map((a) => (a instanceof Lit ? a : env.get(a)!));
  }

  /** Constants of inlined calls: replicated inputs the program is given at run time. */
  readonly constants: { slot: number; value: unknown }[] = [];
  private constant(value: unknown, aval: ShapedArray): number {
    const s = this.globalSlot(aval, aval.shape.map(() => []));
    this.constants.push({ slot: s, value });
    return s;
  }

  /** One equation over global values. */
  private equation(prim: string, params: Params, ins: Src[], outAvals: ShapedArray[]): Src[] {
    const specs = ins.map((x) => this.dimsOf(x));
    const avals = ins.map((x) => this.avalOf(x));
    const rules = rulesOf(prim);
    const replicatedOut = (): ArraySpec[] => outAvals.map((a) => a.shape.map(() => []));
    if (specs.every(isReplicated) && rules.lower.kind === "fusible") return this.local(prim, params, ins, replicatedOut(), null, outAvals);
    const res = rules.shard?.(specs, avals, params, this.ctx) ?? null;
    if (res) {
      const moved = ins.map((x, i) => this.need(x, res.ins[i]));
      return this.local(prim, res.params ?? params, moved, res.outs, res.reduce ?? null, outAvals);
    }
    if (!specs.every(isReplicated)) {
      logSharding(`no sharding rule for ${prim} on inputs laid out as ${specs.map(specText).join(", ")}: gathering them to ${this.mesh.devices[0].toString()}, computing there, and re-splitting the result`);
    }
    // Results keep the layout of a split input of the same shape, else are replicated.
    const outs = outAvals.map((a) => {
      const like = ins.findIndex((x, i) => !isReplicated(specs[i]) && avals[i].shape.join(",") === a.shape.join(","));
      const dims = like >= 0 ? specs[like] : a.shape.map(() => []);
      return this.globalSlot(a, dims);
    });
    this.b.add({ kind: "gathered", prim, params, ins, outs });
    return outs;
  }

  /** An equation on every device's blocks, then the all-reduces its partial outputs need. */
  private local(prim: string, params: Params, ins: Src[], outDims: readonly ArraySpec[], reduce: readonly (ShardReduce | null)[] | null, outAvals?: ShapedArray[]): Src[] {
    const localIns = ins.map((x) => (typeof x === "number" ? this.b.slots[x].local : x.aval));
    const localOuts = rulesOf(prim).abstractEval(localIns, params);
    const globalOuts = outAvals ?? localOuts;
    const outs = localOuts.map((la, i) => {
      const want = blockShape(this.mesh, globalOuts[i].shape, outDims[i]);
      if (want.join(",") !== la.shape.join(",")) {
        throw new Error(`sharding rule of ${prim}: per-device result ${la.strShort()} is not the block ${want.join(",")} of ${globalOuts[i].strShort()} laid out as ${specText(outDims[i])}`);
      }
      return this.b.slot(la, { aval: globalOuts[i], dims: outDims[i] });
    });
    this.b.add({ kind: "local", prim, params, ins, outs });
    return outs.map((o, i) => {
      const r = reduce?.[i];
      if (!r || !r.axes.length) return o;
      const y = this.b.slot(this.b.slots[o].local, this.b.slots[o].global);
      this.b.add({ kind: "allreduce", src: o, out: y, axes: r.axes, op: r.op });
      return y;
    });
  }

  /** A shard_map equation: inputs relaid out to in_specs, the body on blocks, outputs per out_specs. */
  private shardMap(params: Params, ins: Src[], outAvals: ShapedArray[]): Src[] {
    const mesh = params.mesh as Mesh;
    if (!mesh.equals(this.mesh)) throw new Error(`Received incompatible devices for jitted computation: shard_map over ${mesh.toString()} inside a computation over ${this.mesh.toString()}.`);
    const body = params.jaxpr as ClosedJaxpr;
    const inSpecs = specDims(params.in_specs as PartitionSpec[], body.inAvals);
    const outSpecs = specDims(params.out_specs as PartitionSpec[], body.outAvals);
    const env = new Map<Var, Src>();
    body.jaxpr.invars.forEach((v, i) => env.set(v, this.need(ins[i], inSpecs[i])));
    body.jaxpr.constvars.forEach((v, i) => env.set(v, this.constant(body.consts[i], v.aval)));
    this.manual(body.jaxpr, env);
    return body.jaxpr.outs.map((a, i) => {
      const x = a instanceof Lit ? a : env.get(a)!;
      const y = this.globalSlot(outAvals[i], outSpecs[i]);
      if (typeof x === "number") this.b.add({ kind: "alias", src: x, out: y });
      else this.b.add({ kind: "local", prim: "broadcast_in_dim", params: { shape: this.b.slots[y].local.shape, broadcast_dimensions: [], sharding: null }, ins: [x], outs: [y] });
      return y;
    });
  }

  /** Equations of a shard_map body: on blocks as written; collectives communicate. */
  private manual(jaxpr: Jaxpr, env: Map<Var, Src>): void {
    const read = (a: Atom): Src => (a instanceof Lit ? a : env.get(a)!);
    for (const e of jaxpr.eqns) {
      const ins = e.inputs.map(read);
      if (CALLS.has(e.primitive) && e.params.jaxpr instanceof ClosedJaxpr) {
        const cj = e.params.jaxpr;
        const inner = new Map<Var, Src>();
        cj.jaxpr.invars.forEach((v, i) => inner.set(v, ins[i]));
        cj.jaxpr.constvars.forEach((v, i) => inner.set(v, this.constant(cj.consts[i], v.aval)));
        this.manual(cj.jaxpr, inner);
        cj.jaxpr.outs.forEach((a, i) => env.set(e.outBinders[i], a instanceof Lit ? a : inner.get(a)!));
        continue;
      }
      const outs = e.outBinders.map((v) => this.b.slot(v.aval, null));
      e.outBinders.forEach((v, i) => env.set(v, outs[i]));
      if (COLLECTIVES.has(e.primitive)) {
        const axes = collectiveAxes(e.params);
        ins.forEach((x, i) => {
          const src = typeof x === "number" ? x : this.literalSlot(x);
          switch (e.primitive) {
            case "psum": case "pmax": case "pmin":
              this.b.add({ kind: "allreduce", src, out: outs[i], axes, op: e.primitive === "psum" ? "sum" : e.primitive === "pmax" ? "max" : "min" });
              break;
            case "all_gather":
              this.b.add({ kind: "allgather", src, out: outs[i], axes, axis: e.params.all_gather_dimension as number, tiled: e.params.tiled as boolean });
              break;
            case "ppermute":
              this.b.add({ kind: "ppermute", src, out: outs[i], axes, perm: e.params.perm as [number, number][] });
              break;
            case "reduce_scatter":
              this.b.add({ kind: "reducescatter", src, out: outs[i], axes, dim: e.params.scatter_dimension as number, tiled: e.params.tiled as boolean });
              break;
          }
        });
        if (e.primitive === "axis_index") this.b.add({ kind: "axisIndex", out: outs[0], axes });
        continue;
      }
      this.b.add({ kind: "local", prim: e.primitive, params: e.params, ins, outs });
    }
  }

  /** A literal as a slot (collectives need a value on every device). */
  private literalSlot(l: Lit): number {
    const s = this.b.slot(l.aval, null);
    this.b.add({ kind: "local", prim: "convert_element_type", params: { new_dtype: l.aval.dtype, weak_type: l.aval.weakType, sharding: null }, ins: [l], outs: [s] });
    return s;
  }
}

const specText = (d: ArraySpec): string => `(${d.map((a) => (a.length ? a.join("+") : "-")).join(", ")})`;

/** What partitioning a jaxpr produced: the program, and the constants it reads (slots after the inputs). */
export interface Partitioned {
  readonly program: SpmdProgram;
  readonly constants: readonly unknown[];
}

/**
 * Partitions a closed jaxpr whose inputs are laid out as `inDims` on `mesh`; `outDims` (an entry
 * per output, null: any) fixes output layouts. Program inputs: the jaxpr's inputs, then
 * `constants` (its consts and those of inlined calls), replicated.
 */
export function partition(cj: ClosedJaxpr, mesh: Mesh, inDims: readonly ArraySpec[], outDims: readonly (ArraySpec | null)[] = []): Partitioned {
  const p = new Partitioner(mesh);
  const env = new Map<Var, Src>();
  const inSlots = cj.jaxpr.invars.map((v, i) => {
    const s = p.globalSlot(v.aval, inDims[i]);
    env.set(v, s);
    return s;
  });
  cj.jaxpr.constvars.forEach((v, i) => {
    const s = p.globalSlot(v.aval, v.aval.shape.map(() => []));
    p.constants.push({ slot: s, value: cj.consts[i] });
    env.set(v, s);
  });
  p.global(cj.jaxpr, env);
  const outs = cj.jaxpr.outs.map((a, i) => {
    const x: Src = a instanceof Lit ? a : env.get(a)!;
    const want = outDims[i];
    return want ? p.need(x, want) : x;
  });
  return { program: p.b.build([...inSlots, ...p.constants.map((c) => c.slot)], outs), constants: p.constants.map((c) => c.value) };
}

/** The sharding of an output slot of a partitioned program, as arrays carry it. */
export function outSharding(mesh: Mesh, dims: ArraySpec): NamedSharding {
  return new NamedSharding(mesh, specOf(dims)).canonical();
}

const specOf = (dims: ArraySpec): PartitionSpec => PartitionSpec.fromDims(dims);
