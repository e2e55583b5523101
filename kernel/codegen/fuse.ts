/**
 * @file Fusion: a jaxpr becomes a list of steps — kernels (compositions of the primitives'
 * fusible views) and primitive steps (host code, impls such as control flow). Which values are
 * written to memory ("materialized") is decided by a small cost model; everything else is
 * inlined into the kernels that read it, so its intermediates never touch memory.
 */

import { type Params, type Value, rulesOf } from "../ir/core.js";
import { ClosedJaxpr, Jaxpr, JaxprEqn, Lit, Var, type Atom } from "../ir/jaxpr.js";
import { type ShapedArray, prod, shapeEq } from "../ir/shape.js";
import {
  type Exp, type Kernel, type View, ExpKeys, constant, gidx, inputView, load, mapExp, memoView, unravel, view, walkExp,
} from "./exp.js";

/** A kernel over program slots: kernel input i reads slot `inputs[i]`. */
export interface KernelStep {
  readonly kind: "kernel";
  readonly kernel: Kernel;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}
/** A primitive applied to concrete arrays (host code, or an impl such as a loop). */
export interface PrimStep {
  readonly kind: "prim";
  readonly primitive: string;
  readonly params: Params;
  readonly inputs: readonly (number | Lit)[];
  readonly outputs: readonly number[];
}
export type Step = KernelStep | PrimStep;

/** The fused form of a jaxpr: slots hold arrays; inputs and outputs refer to slots (or literals). */
export interface FusedJaxpr {
  readonly slotAvals: readonly ShapedArray[];
  readonly inputSlots: readonly number[];
  readonly constSlots: readonly number[];
  readonly consts: readonly Value[];
  readonly steps: readonly Step[];
  readonly outputs: readonly (number | Lit)[];
}

/** Primitives whose equations carry a sub-jaxpr to inline (nested jit): the call primitive's name. */
export const CALL_PRIMITIVES = new Set<string>(["jit"]);

// ---- inlining nested calls ------------------------------------------------------------------

/** The jaxpr with nested call equations replaced by their bodies (consts become constvars). */
export function inlineCalls(cj: ClosedJaxpr): ClosedJaxpr {
  const constvars = [...cj.jaxpr.constvars];
  const consts = [...cj.consts];
  const eqns: JaxprEqn[] = [];
  const go = (jaxpr: Jaxpr, env: Map<Var, Atom>): Atom[] => {
    const read = (a: Atom): Atom => (a instanceof Var ? env.get(a) ?? a : a);
    for (const e of jaxpr.eqns) {
      const sub = e.params.jaxpr;
      if (CALL_PRIMITIVES.has(e.primitive) && sub instanceof ClosedJaxpr) {
        const inner = new Map<Var, Atom>();
        sub.jaxpr.invars.forEach((v, i) => inner.set(v, read(e.inputs[i])));
        sub.jaxpr.constvars.forEach((v, i) => {
          const cv = new Var(v.aval);
          constvars.push(cv);
          consts.push(sub.consts[i]);
          inner.set(v, cv);
        });
        const outs = go(sub.jaxpr, inner);
        e.outBinders.forEach((v, i) => env.set(v, outs[i]));
      } else {
        // Fresh binders: the same jaxpr may be inlined more than once.
        const outs = e.outBinders.map((v) => {
          const nv = new Var(v.aval);
          env.set(v, nv);
          return nv;
        });
        eqns.push(new JaxprEqn(e.primitive, e.inputs.map(read), e.params, outs));
      }
    }
    return jaxpr.outs.map(read);
  };
  const outs = go(cj.jaxpr, new Map());
  return new ClosedJaxpr(new Jaxpr(constvars, cj.jaxpr.invars, eqns, outs), consts);
}

// ---- the cost model -------------------------------------------------------------------------

const CHEAP_UNARY = new Set(["neg", "not", "abs", "sign", "floor", "ceil", "round", "trunc", "cast", "bitcast", "isfinite", "isnan"]);
const CHEAP_BINARY = new Set(["add", "sub", "mul", "max", "min", "and", "or", "xor", "shl", "shr", "eq", "ne", "lt", "le", "gt", "ge"]);

/** Above this cost per element, a value read by kernels of different shapes is materialized. */
const DUPLICATE_COST = 16;

/** Approximate work to compute one element of `e` (a transcendental op counts 8, a load 1). */
function expCost(e: Exp): number {
  // Shared nodes count once: kernels compute each distinct node once (CSE).
  const seen = new Set<Exp>();
  const go = (x: Exp): number => {
    if (seen.has(x)) return 0;
    seen.add(x);
    let c = 0;
    switch (x.kind) {
      case "const": case "gidx": case "ridx": break;
      // Index arithmetic is mostly hoisted out of inner loops: a load counts 1 whatever its index.
      case "load": c = 1; break;
      case "unary": c = (CHEAP_UNARY.has(x.op) ? 1 : 8) + go(x.args[0]); break;
      case "binary": c = (CHEAP_BINARY.has(x.op) || x.dtype === "int32" ? 1 : 8) + go(x.args[0]) + go(x.args[1]); break;
      case "where": c = 1 + go(x.args[0]) + go(x.args[1]) + go(x.args[2]); break;
      case "reduce": c = (x.ridx.kind === "ridx" ? x.ridx.size : 1) * (1 + go(x.args[0])); break;
    }
    return c;
  };
  return go(e);
}

const nodeIds = new WeakMap<Exp, number>();
let nextNodeId = 0;
const nodeId = (e: Exp): number => {
  let id = nodeIds.get(e);
  if (id === undefined) nodeIds.set(e, (id = nextNodeId++));
  return id;
};

/**
 * How each input of an equation is read: how many times in total per element of the input, and
 * whether inside a reduction.
 */
function readPattern(eqn: JaxprEqn): { mults: number[]; inReduce: boolean[] } {
  const rules = rulesOf(eqn.primitive);
  const inReduce = eqn.inputs.map(() => false);
  if (rules.lower.kind !== "fusible") return { mults: eqn.inputs.map(() => 1), inReduce };
  const probes = eqn.inputs.map((a, i) => inputView(i, a.aval.shape, a.aval.dtype));
  const outs = rules.lower.rule(probes, eqn.params, eqn.outBinders.map((v) => v.aval));
  const reads = eqn.inputs.map(() => 0);
  // A node inside reductions runs once per iteration of those whose loop variable it depends on
  // (the others' iterations reuse it: renderers hoist loop-invariant code).
  const free = new Map<Exp, Set<number>>();
  const freeOf = (e: Exp): Set<number> => {
    let f = free.get(e);
    if (f) return f;
    f = new Set<number>();
    if (e.kind === "ridx") f.add(e.id);
    else if ("args" in e) {
      for (const a of e.args) for (const r of freeOf(a)) f.add(r);
      if (e.kind === "reduce" && e.ridx.kind === "ridx") f.delete(e.ridx.id);
    }
    free.set(e, f);
    return f;
  };
  outs.forEach((o) => {
    const n = prod(o.shape);
    const seen = new Set<string>();
    const visit = (e: Exp, loops: readonly { id: number; size: number }[]): void => {
      const fv = freeOf(e);
      const live = loops.filter((l) => fv.has(l.id));
      const memo = `${nodeId(e)}|${live.map((l) => l.id).join(",")}`;
      if (seen.has(memo)) return;
      seen.add(memo);
      if (e.kind === "load") {
        reads[e.input] += n * live.reduce((w, l) => w * l.size, 1);
        if (live.length) inReduce[e.input] = true;
      }
      // A load's index may itself load (gathers): it is visited like any operand.
      if (e.kind === "reduce" && e.ridx.kind === "ridx") visit(e.args[0], [...live, { id: e.ridx.id, size: e.ridx.size }]);
      else if ("args" in e) for (const a of e.args) visit(a, live);
    };
    visit(o.at(unravel(gidx(), o.shape)), []);
  });
  return { mults: reads.map((r, i) => r / Math.max(1, eqn.inputs[i].aval.size)), inReduce };
}

const hasReduce = (e: Exp): boolean => {
  let found = false;
  walkExp([e], (x) => {
    if (x.kind === "reduce") found = true;
  });
  return found;
};

// ---- fusion -----------------------------------------------------------------------------------

const isFusible = (prim: string): boolean => rulesOf(prim).lower.kind === "fusible";

const litView = (a: Lit): View => view([], a.aval.dtype, () => constant(typeof a.val === "boolean" ? Number(a.val) : a.val, a.aval.dtype));

/** Splits a (closed) jaxpr into kernels and primitive steps. */
export function fuseJaxpr(closed: ClosedJaxpr): FusedJaxpr {
  const cj = inlineCalls(closed);
  const { jaxpr } = cj;
  const producer = new Map<Var, JaxprEqn>();
  const consumers = new Map<Var, { eqn: JaxprEqn; input: number }[]>();
  for (const e of jaxpr.eqns) {
    e.outBinders.forEach((v) => producer.set(v, e));
    e.inputs.forEach((a, i) => {
      if (a instanceof Var) consumers.set(a, [...(consumers.get(a) ?? []), { eqn: e, input: i }]);
    });
  }

  // Values that must live in memory: arguments, results, and whatever non-fusible steps touch.
  const forced = new Set<Var>([...jaxpr.invars, ...jaxpr.constvars]);
  for (const o of jaxpr.outs) if (o instanceof Var) forced.add(o);
  for (const e of jaxpr.eqns) {
    if (!isFusible(e.primitive)) {
      for (const a of e.inputs) if (a instanceof Var) forced.add(a);
      for (const v of e.outBinders) forced.add(v);
    }
  }

  const mults = new Map<JaxprEqn, number[]>();
  const inReduce = new Map<JaxprEqn, boolean[]>();
  for (const e of jaxpr.eqns) {
    if (!isFusible(e.primitive)) continue;
    const r = readPattern(e);
    mults.set(e, r.mults);
    inReduce.set(e, r.inReduce);
  }

  interface Costs {
    readonly cost: Map<Var, number>;
    /** Values whose computation includes a reduction. */
    readonly reducing: Set<Var>;
  }
  /** Cost per element of each value, with the values of `stored` read from memory. */
  const costs = (stored: Set<Var>): Costs => {
    const keys = new ExpKeys();
    const views = new Map<Var, View>();
    const slot = new Map<Var, number>();
    const viewOf = (a: Atom): View => {
      if (a instanceof Lit) return litView(a);
      const got = views.get(a);
      if (got) return got;
      if (!slot.has(a)) slot.set(a, slot.size);
      return inputView(slot.get(a)!, a.aval.shape, a.aval.dtype);
    };
    const cost = new Map<Var, number>();
    const reducing = new Set<Var>();
    for (const e of jaxpr.eqns) {
      const rule = rulesOf(e.primitive).lower;
      if (rule.kind !== "fusible") continue;
      const outs = rule.rule(e.inputs.map(viewOf), e.params, e.outBinders.map((v) => v.aval));
      e.outBinders.forEach((v, i) => {
        const mv = memoView(outs[i], keys);
        if (!stored.has(v)) views.set(v, mv);
        const x = mv.at(unravel(gidx(), v.aval.shape));
        cost.set(v, expCost(x));
        if (hasReduce(x)) reducing.add(v);
      });
    }
    return { cost, reducing };
  };

  /** Decides, consumers first, which values to write to memory. */
  const decide = ({ cost, reducing }: Costs): Set<Var> => {
    const materialized = new Set<Var>(forced);
    const effMult = new Map<Var, number>();
    for (let i = jaxpr.eqns.length - 1; i >= 0; i--) {
      const e = jaxpr.eqns[i];
      if (!isFusible(e.primitive)) continue;
      for (const v of e.outBinders) {
        let mult = 1;
        let nested = false;
        const shapes = new Set<string>();
        for (const { eqn, input } of consumers.get(v) ?? []) {
          // A reduction read inside another reduction: store it (contractions keep their fast
          // path, and a GPU thread does not serialize one reduction per step of another).
          if (reducing.has(v) && inReduce.get(eqn)?.[input]) nested = true;
          const edge = mults.get(eqn)?.[input] ?? 1;
          const below = Math.max(1, ...eqn.outBinders.map((w) => (materialized.has(w) ? 1 : effMult.get(w) ?? 1)));
          mult = Math.max(mult, edge * below);
          eqn.outBinders.forEach((w) => shapes.add(w.aval.shape.join(",")));
        }
        effMult.set(v, mult);
        if (materialized.has(v)) continue;
        const c = cost.get(v) ?? 0;
        // Recomputing costs mult·c per element; storing costs c, a store (~3: write-allocate and
        // a kernel boundary), and one load per read.
        const recompute = c * (mult - 1) > mult + 3;
        // Consumers of different shapes end up in different kernels: each recomputes the value,
        // which is cheaper than a round trip through memory up to about one transcendental op.
        const duplicated = shapes.size > 1 && c > DUPLICATE_COST;
        if (recompute || duplicated || nested) {
          materialized.add(v);
          effMult.set(v, 1);
        }
      }
    }
    return materialized;
  };
  // Costs with everything inlined overestimate values downstream of what will be stored (a
  // reduction broadcast back, say); a second round with the first round's choices corrects that.
  const materialized = decide(costs(decide(costs(forced))));
  const reducing = costs(materialized).reducing;

  // Slots: one per materialized value.
  const slotAvals: ShapedArray[] = [];
  const slots = new Map<Var, number>();
  const slotOf = (v: Var): number => {
    let s = slots.get(v);
    if (s === undefined) {
      s = slotAvals.length;
      slots.set(v, s);
      slotAvals.push(v.aval);
    }
    return s;
  };
  const inputSlots = jaxpr.invars.map(slotOf);
  const constSlots = jaxpr.constvars.map(slotOf);

  // Group materialized fusible values into kernels: same shape, no cycle between groups.
  interface Group { id: number; members: Var[]; prim?: JaxprEqn; deps: Set<Group> }
  const groups: Group[] = [];
  const groupOf = new Map<Var, Group>();
  /** Materialized values that `v` reads through inlined values, with the read multiplicity. */
  const inlineDeps = new Map<Var, Map<Var, number>>();
  const depsOf = (v: Var): Map<Var, number> => {
    let d = inlineDeps.get(v);
    if (d) return d;
    d = new Map();
    const e = producer.get(v);
    if (e) {
      const m = mults.get(e);
      e.inputs.forEach((a, i) => {
        if (!(a instanceof Var)) return;
        const edge = m?.[i] ?? 1;
        const add = (u: Var, k: number) => d!.set(u, Math.max(d!.get(u) ?? 0, k));
        if (materialized.has(a)) add(a, edge);
        else for (const [u, k] of depsOf(a)) add(u, k * edge);
      });
    }
    inlineDeps.set(v, d);
    return d;
  };
  const reaches = (from: Group, to: Group): boolean => {
    const seen = new Set<Group>();
    const stack = [from];
    while (stack.length) {
      const g = stack.pop()!;
      if (g === to) return true;
      if (seen.has(g)) continue;
      seen.add(g);
      stack.push(...g.deps);
    }
    return false;
  };
  for (const e of jaxpr.eqns) {
    if (!isFusible(e.primitive)) {
      const g: Group = { id: groups.length, members: e.outBinders.slice(), prim: e, deps: new Set() };
      for (const a of e.inputs) if (a instanceof Var && groupOf.has(a)) g.deps.add(groupOf.get(a)!);
      groups.push(g);
      e.outBinders.forEach((v) => groupOf.set(v, g));
      continue;
    }
    for (const v of e.outBinders) {
      if (!materialized.has(v)) continue;
      const deps = depsOf(v);
      const depGroups = new Set<Group>();
      for (const u of deps.keys()) {
        const g = groupOf.get(u);
        if (g) depGroups.add(g);
      }
      const joinable = (g: Group): boolean => {
        if (g.prim || !shapeEq(g.members[0].aval.shape, v.aval.shape)) return false;
        // One reduction per kernel: each keeps its own loop structure (and contractions their fast path).
        if (reducing.has(v) && g.members.some((u) => reducing.has(u))) return false;
        // Reading a member of g is allowed only elementwise (it is then inlined, not loaded).
        for (const [u, k] of deps) if (groupOf.get(u) === g && (k > 1 || !shapeEq(u.aval.shape, v.aval.shape))) return false;
        for (const d of depGroups) if (d !== g && reaches(d, g)) return false;
        return true;
      };
      const target = groups.find(joinable);
      if (target) {
        target.members.push(v);
        for (const d of depGroups) if (d !== target) target.deps.add(d);
        groupOf.set(v, target);
      } else {
        const g: Group = { id: groups.length, members: [v], deps: new Set([...depGroups]) };
        groups.push(g);
        groupOf.set(v, g);
      }
    }
  }

  // Order groups so that each runs after the groups it reads.
  const order: Group[] = [];
  const state = new Map<Group, number>();
  const visit = (g: Group): void => {
    if (state.get(g) === 2) return;
    if (state.get(g) === 1) throw new Error("fusion produced a cycle");
    state.set(g, 1);
    [...g.deps].sort((a, b) => a.id - b.id).forEach(visit);
    state.set(g, 2);
    order.push(g);
  };
  groups.forEach(visit);

  const steps: Step[] = order.map((g) => (g.prim ? primStep(g.prim, slotOf) : kernelStep(g.members, groupOf, g, materialized, producer, slotOf, slotAvals)));
  const outputs = jaxpr.outs.map((o) => (o instanceof Lit ? o : slotOf(o)));
  return { slotAvals, inputSlots, constSlots, consts: cj.consts, steps, outputs };
}

function primStep(e: JaxprEqn, slotOf: (v: Var) => number): PrimStep {
  return {
    kind: "prim", primitive: e.primitive, params: e.params,
    inputs: e.inputs.map((a) => (a instanceof Lit ? a : slotOf(a))), outputs: e.outBinders.map(slotOf),
  };
}

/** Builds the kernel computing `members`: values of this group are inlined, others loaded. */
function kernelStep(
  members: Var[], groupOf: Map<Var, unknown>, group: unknown, materialized: Set<Var>,
  producer: Map<Var, JaxprEqn>, slotOf: (v: Var) => number, slotAvals: ShapedArray[],
): KernelStep {
  const keys = new ExpKeys();
  const views = new Map<Var, View>();
  const prims: string[] = [];
  const viewOf = (a: Atom): View => {
    if (a instanceof Lit) return litView(a);
    const got = views.get(a);
    if (got) return got;
    let v: View;
    if (materialized.has(a) && groupOf.get(a) !== group) v = inputView(slotOf(a), a.aval.shape, a.aval.dtype);
    else {
      const e = producer.get(a)!;
      const rule = rulesOf(e.primitive).lower;
      if (rule.kind !== "fusible") throw new Error(`fusion: ${e.primitive} is not fusible`);
      const outs = rule.rule(e.inputs.map(viewOf), e.params, e.outBinders.map((w) => w.aval));
      if (!prims.includes(e.primitive)) prims.push(e.primitive);
      e.outBinders.forEach((w, i) => views.set(w, memoView(outs[i], keys)));
      v = views.get(a)!;
    }
    views.set(a, v);
    return v;
  };
  const shape = members[0].aval.shape;
  const idx = unravel(gidx(), shape);
  const exps = members.map((m) => viewOf(m).at(idx));
  // Loads name program slots so far; kernel inputs are numbered in order of first use.
  const local = new Map<number, number>();
  walkExp(exps, (e) => {
    if (e.kind === "load" && !local.has(e.input)) local.set(e.input, local.size);
  });
  const memo = new Map<Exp, Exp>();
  const remap = (e: Exp): Exp | undefined =>
    e.kind === "load" ? load(local.get(e.input)!, e.dtype, mapExp(e.args[0], remap, memo)) : undefined;
  const outputs = exps.map((e, i) => ({ dtype: members[i].aval.dtype, exp: mapExp(e, remap, memo) }));
  const inputs = [...local.keys()];
  const kernel: Kernel = {
    name: prims.join("_") || "copy",
    inputs: inputs.map((s) => ({ dtype: slotAvals[s].dtype, size: slotAvals[s].size })),
    outputs, size: prod(shape), shape,
  };
  return { kind: "kernel", kernel, inputs, outputs: members.map(slotOf) };
}
