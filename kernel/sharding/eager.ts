/**
 * @file Evaluating primitives on sharded arrays. The runtime's evaluator is wrapped: a primitive
 * applied to a `ShardedArray` (or a `jit` whose body places data on a mesh, a `shard_map`, a
 * sharding constraint) runs as an SPMD program — for `jit`, its whole body partitioned; for any
 * other primitive, its one equation — cached per (equation, input layouts, mesh). Results are
 * sharded arrays. Primitives computed by other primitives (control flow) just run their impl:
 * the primitives inside come back here one by one.
 */

import { Array as KArray } from "../backend/array.js";
import { evalPrimitive } from "../backend/eager.js";
import { type Params, type Value, getAval, installEvaluator, rulesOf } from "../ir/core.js";
import { ClosedJaxpr, Jaxpr, JaxprEqn, Var } from "../ir/jaxpr.js";
import type { ArraySpec } from "../ir/rules.js";
import type { ShapedArray } from "../ir/shape.js";
import { ShardedArray } from "./array.js";
import { Mesh } from "./mesh.js";
import { NamedSharding } from "./named_sharding.js";
import { PartitionSpec } from "./partition_spec.js";
import { type Partitioned, outSharding, partition } from "./partition.js";
import { blocksOf, dimsKey } from "./placement.js";

/** Primitives that run on a mesh whatever their inputs. */
const MESH_PRIMITIVES = new Set(["shard_map"]);

// ---- which mesh ---------------------------------------------------------------------------------

const meshOfJaxpr = new WeakMap<ClosedJaxpr, Mesh | null>();

/** The mesh a jaxpr places data on (through a sharding constraint or shard_map, also nested), or null. */
export function jaxprMesh(cj: ClosedJaxpr): Mesh | null {
  let m = meshOfJaxpr.get(cj);
  if (m !== undefined) return m;
  m = null;
  for (const e of cj.jaxpr.eqns) {
    if (e.primitive === "sharding_constraint") m = (e.params.sharding as NamedSharding).mesh;
    else if (e.primitive === "shard_map") m = e.params.mesh as Mesh;
    else if (e.params.jaxpr instanceof ClosedJaxpr) m = jaxprMesh(e.params.jaxpr);
    if (m) break;
  }
  meshOfJaxpr.set(cj, m);
  return m;
}

function meshOf(prim: string, values: readonly Value[], params: Params): Mesh | null {
  let mesh: Mesh | null = null;
  for (const v of values) {
    if (!(v instanceof ShardedArray)) continue;
    const m = v.sharding.mesh;
    if (mesh && !mesh.equals(m)) {
      throw new Error(`Received incompatible devices for ${prim}: arguments are sharded over ${mesh.toString()} on devices [${mesh.devices.map((d) => d.id).join(", ")}] and over ${m.toString()} on devices [${m.devices.map((d) => d.id).join(", ")}]. Move them to one mesh with device_put.`);
    }
    mesh = m;
  }
  if (prim === "shard_map") return mesh ?? (params.mesh as Mesh);
  if (prim === "jit") return mesh ?? jaxprMesh(params.jaxpr as ClosedJaxpr);
  return mesh;
}

// ---- cached programs ----------------------------------------------------------------------------------

const objectIds = new WeakMap<object, number>();
let nextId = 1;
const idOf = (o: object): number => {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextId++));
  return id;
};

const paramKeys = new WeakMap<Params, string>();
/** A cache key of an equation's params (jaxprs by identity, meshes and shardings by value). */
function paramsKey(p: Params): string {
  let k = paramKeys.get(p);
  if (k === undefined) {
    k = JSON.stringify(p, (_key, v: unknown) => {
      if (typeof v === "number" && !Number.isFinite(v)) return String(v);
      if (v instanceof ClosedJaxpr || v instanceof Jaxpr) return `#${idOf(v)}`;
      if (v instanceof Mesh) return v.key();
      if (v instanceof NamedSharding) return `${v.mesh.key()}|${v.spec.toString()}`;
      if (v instanceof PartitionSpec) return v.toString();
      return v;
    });
    paramKeys.set(p, k);
  }
  return k;
}

const jitPrograms = new WeakMap<ClosedJaxpr, Map<string, Partitioned>>();
const eqnPrograms = new Map<string, Partitioned>();

const layoutKey = (mesh: Mesh, avals: readonly ShapedArray[], dims: readonly ArraySpec[]): string =>
  `${mesh.key()}|${avals.map((a, i) => `${a.key()}@${dimsKey(dims[i])}`).join(";")}`;

/** The program of one equation applied to values of these avals and layouts. */
function equationProgram(prim: string, params: Params, mesh: Mesh, avals: ShapedArray[], dims: ArraySpec[]): Partitioned {
  const key = `${prim}|${paramsKey(params)}|${layoutKey(mesh, avals, dims)}`;
  let p = eqnPrograms.get(key);
  if (!p) {
    const ins = avals.map((a) => new Var(a));
    const outs = rulesOf(prim).abstractEval(avals, params).map((a) => new Var(a));
    const cj = new ClosedJaxpr(new Jaxpr([], ins, [new JaxprEqn(prim, ins, params, outs)], outs), []);
    eqnPrograms.set(key, (p = partition(cj, mesh, dims)));
  }
  return p;
}

function jitProgram(cj: ClosedJaxpr, mesh: Mesh, dims: ArraySpec[]): Partitioned {
  let byLayout = jitPrograms.get(cj);
  if (!byLayout) jitPrograms.set(cj, (byLayout = new Map()));
  const key = layoutKey(mesh, cj.inAvals, dims);
  let p = byLayout.get(key);
  if (!p) byLayout.set(key, (p = partition(cj, mesh, dims)));
  return p;
}

// ---- running -------------------------------------------------------------------------------------

/** Runs a partitioned program on values (sharded on `mesh`, or anything else, replicated). */
export function runPartitioned(p: Partitioned, mesh: Mesh, values: readonly Value[], dims: readonly ArraySpec[]): ShardedArray[] {
  const made: KArray[][] = [];
  const blocks = (v: Value, d: ArraySpec): KArray[] => {
    if (v instanceof ShardedArray && v.sharding.mesh.equals(mesh) && dimsKey(v.dims) === dimsKey(d)) return [...v.shards];
    const b = blocksOf(v, mesh, d);
    made.push(b);
    return b;
  };
  try {
    const args = [...values.map((v, i) => blocks(v, dims[i])), ...p.constants.map((c) => blocks(c as Value, getAval(c as Value).shape.map(() => [])))];
    const outs = p.program.run(args);
    return p.program.outs.map((o, i) => {
      const g = typeof o === "number" ? p.program.slots[o].global! : { aval: o.aval, dims: [] };
      return new ShardedArray(g.aval, outSharding(mesh, g.dims), outs[i]);
    });
  } finally {
    made.forEach((b) => b.forEach((a) => a.dispose()));
  }
}

const inputDims = (values: readonly Value[]): ArraySpec[] =>
  values.map((v) => (v instanceof ShardedArray ? v.dims : getAval(v).shape.map(() => [])));

/** Evaluates a primitive whose inputs (or body) are sharded. */
export function evalSharded(prim: string, values: Value[], params: Params): Value[] {
  const rules = rulesOf(prim);
  if (rules.lower.kind === "impl" && prim !== "jit" && !MESH_PRIMITIVES.has(prim)) return rules.lower.impl(values, params);
  const mesh = meshOf(prim, values, params);
  if (!mesh) return evalPrimitive(prim, values, params);
  const dims = inputDims(values);
  if (prim === "jit") {
    const cj = params.jaxpr as ClosedJaxpr;
    return runPartitioned(jitProgram(cj, mesh, dims), mesh, values, dims);
  }
  return runPartitioned(equationProgram(prim, params, mesh, values.map(getAval), dims), mesh, values, dims);
}

function needsSpmd(prim: string, values: readonly Value[], params: Params): boolean {
  if (MESH_PRIMITIVES.has(prim)) return true;
  for (const v of values) if (v instanceof ShardedArray) return true;
  return prim === "jit" && jaxprMesh(params.jaxpr as ClosedJaxpr) !== null;
}

installEvaluator((prim, values, params) => (needsSpmd(prim, values, params) ? evalSharded(prim, values, params) : evalPrimitive(prim, values, params)));
