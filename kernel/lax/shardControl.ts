/**
 * @file Sharding rules for control flow (scan, while, cond) in the simple, common case: a body
 * that is elementwise along the split array, so that running it on every device's block gives
 * that block of the global result (JAX propagates shardings through the body; this checks the
 * body conservatively instead). Every array operand and carry has one shape S in one layout, or
 * is rank 0 (replicated); every body equation is elementwise (its rule is `shardElementwise`)
 * over rank-0 values and values of shape S, with rank-0 constants only; a while's predicate reads
 * rank-0 values only; a scan has no xs and no ys. Anything else returns null (gathered, logged).
 */

import { type Params, rulesOf } from "../ir/core.js";
import { ClosedJaxpr, evalJaxpr, traceToJaxpr } from "../ir/jaxpr.js";
import type { ArraySpec, ShardContext, ShardResult, ShardRule } from "../ir/rules.js";
import { ShapedArray } from "../ir/shape.js";
import { localShape, shardElementwise } from "./shard.js";

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((n, i) => n === b[i]);

/** The split shape and layout the operands share, or null when they do not (or none is split). */
function commonLayout(specs: readonly ArraySpec[], avals: readonly ShapedArray[]): { shape: number[]; spec: ArraySpec } | null {
  const k = specs.findIndex((s) => s.some((axes) => axes.length > 0));
  if (k < 0) return null;
  const shape = avals[k].shape;
  return avals.every((a) => a.ndim === 0 || sameShape(a.shape, shape)) ? { shape: [...shape], spec: specs[k] } : null;
}

/** Whether every equation of a body is elementwise over rank-0 values and values of `shape`. */
function elementwiseBody(cj: ClosedJaxpr, shape: readonly number[]): boolean {
  const ok = (a: ShapedArray): boolean => a.ndim === 0 || sameShape(a.shape, shape);
  if (!cj.jaxpr.constvars.every((v) => v.aval.ndim === 0)) return false;
  if (!cj.inAvals.every(ok) || !cj.outAvals.every(ok)) return false;
  return cj.jaxpr.eqns.every(
    (e) => rulesOf(e.primitive).shard === shardElementwise && e.inputs.every((x) => ok(x.aval)) && e.outBinders.every((v) => ok(v.aval)),
  );
}

/** The body retraced on blocks: elementwise equations carry no shapes, so the same jaxpr runs there. */
function localBody(cj: ClosedJaxpr, ctx: ShardContext, spec: ArraySpec): ClosedJaxpr {
  const local = cj.inAvals.map((a) => (a.ndim === 0 ? a : new ShapedArray(localShape(ctx, a.shape, spec), a.dtype, a.weakType)));
  return traceToJaxpr((...args) => evalJaxpr(cj.jaxpr, cj.consts, args), local);
}

/** Inputs and outputs in the shared layout (split arrays) or replicated (rank 0). */
function layouts(avals: readonly ShapedArray[], outs: readonly ShapedArray[], spec: ArraySpec, params: Params): ShardResult {
  const of = (a: ShapedArray): ArraySpec => (a.ndim === 0 ? [] : spec);
  return { ins: avals.map(of), outs: outs.map(of), params };
}

export const shardScan: ShardRule = (specs, avals, p, ctx) => {
  const body = p.jaxpr as ClosedJaxpr;
  const nCarry = p.num_carry as number;
  const nConsts = p.num_consts as number;
  const layout = commonLayout(specs, avals);
  // No xs and no ys: their leading (scanned) axis would need its own layout.
  if (!layout || avals.length !== nConsts + nCarry || body.outAvals.length !== nCarry) return null;
  if (!elementwiseBody(body, layout.shape)) return null;
  return layouts(avals, body.outAvals, layout.spec, { ...p, jaxpr: localBody(body, ctx, layout.spec) });
};

export const shardWhile: ShardRule = (specs, avals, p, ctx) => {
  const body = p.body_jaxpr as ClosedJaxpr;
  const cond = p.cond_jaxpr as ClosedJaxpr;
  const nCond = p.cond_nconsts as number;
  const nBody = p.body_nconsts as number;
  const layout = commonLayout(specs, avals);
  if (!layout || !elementwiseBody(body, layout.shape)) return null;
  // The predicate is one value for all devices: it may read only replicated (rank-0) values.
  const condUses = new Set(cond.jaxpr.eqns.flatMap((e) => e.inputs));
  cond.jaxpr.outs.forEach((o) => condUses.add(o));
  if (cond.jaxpr.invars.some((v) => v.aval.ndim > 0 && condUses.has(v))) return null;
  if (!elementwiseBody(cond, layout.shape) || cond.jaxpr.eqns.some((e) => e.outBinders.some((v) => v.aval.ndim > 0))) return null;
  const carries = avals.slice(nCond + nBody);
  return layouts(avals, carries, layout.spec, {
    ...p, body_jaxpr: localBody(body, ctx, layout.spec), cond_jaxpr: localBody(cond, ctx, layout.spec),
  });
};

export const shardCond: ShardRule = (specs, avals, p, ctx) => {
  const branches = p.branches as ClosedJaxpr[];
  const layout = commonLayout(specs.slice(1), avals.slice(1));
  if (!layout || avals[0].ndim !== 0 || !branches.every((b) => elementwiseBody(b, layout.shape))) return null;
  return layouts(avals, branches[0].outAvals, layout.spec, { ...p, branches: branches.map((b) => localBody(b, ctx, layout.spec)) });
};
