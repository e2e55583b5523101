/**
 * @file `jax.checkpoint` / `jax.remat`: the function is traced once and bound as JAX's `remat2`
 * primitive. Its partial-evaluation rule is what makes it rematerialize: the known (forward)
 * part is computed now, but the unknown (linear) part gets the whole computation again inside a
 * `remat2[differentiated=True]`, fed with the known inputs instead of saved intermediates — unless
 * a policy marks an equation's outputs saveable, in which case they are saved as residuals.
 */

import { type Params, type Value, bind, definePrimitive, getAval } from "../ir/core.js";
import { ClosedJaxpr, Jaxpr, type JaxprEqn, Var, eqnHasEffects, evalJaxpr } from "../ir/jaxpr.js";
import { treeFlatten, treeUnflatten } from "../ir/pytree.js";
import { UndefinedPrimal, Zero } from "../ir/rules.js";
import { vmapJaxpr } from "../batching/jaxpr.js";
import { type Fn, callFn, traceClosureConverted } from "./custom.js";
import { jvpJaxpr } from "./jvp.js";
import { convertConstvars, dceJaxpr } from "./partial_eval.js";
import { instantiateZeros } from "./tangents.js";
import { transposeJaxpr } from "./transpose.js";

/** Which equations' outputs may be saved for the backward pass (JAX's checkpoint policies). */
export type CheckpointPolicy = (eqn: JaxprEqn) => boolean;

/** JAX's `jax.checkpoint_policies` (the ones that do not depend on names or offloading). */
export const checkpointPolicies = {
  everything_saveable: ((): boolean => true) as CheckpointPolicy,
  nothing_saveable: ((): boolean => false) as CheckpointPolicy,
  dots_saveable: ((e: JaxprEqn): boolean => e.primitive === "dot_general") as CheckpointPolicy,
  dots_with_no_batch_dims_saveable: ((e: JaxprEqn): boolean => {
    if (e.primitive !== "dot_general") return false;
    const [, [lb]] = e.params.dimension_numbers as [unknown, [readonly number[], readonly number[]]];
    return lb.length === 0;
  }) as CheckpointPolicy,
};

const jaxprOf = (p: Params): Jaxpr => p.jaxpr as Jaxpr;
const closed = (j: Jaxpr): ClosedJaxpr => new ClosedJaxpr(j, []);

/** Binds remat2 on a closed jaxpr: its consts become leading operands. */
function bindRemat(cj: ClosedJaxpr, args: readonly Value[], params: Params): Value[] {
  return bind("remat2", [...cj.consts, ...args], { ...params, jaxpr: convertConstvars(cj.jaxpr) });
}

definePrimitive("remat2", {
  abstractEval: (_avals, p) => jaxprOf(p).outAvals,
  jvp: (primals, tangents, p) => {
    const nonzeros = tangents.map((t) => !(t instanceof Zero));
    const { jaxpr, outNonzeros } = jvpJaxpr(closed(jaxprOf(p)), nonzeros, false);
    const outs = bindRemat(jaxpr, [...primals, ...(tangents.filter((t) => !(t instanceof Zero)) as Value[])], p);
    const n = jaxprOf(p).outs.length;
    let k = n;
    return [outs.slice(0, n), outs.slice(0, n).map((o, i) => (outNonzeros[i] ? outs[k++] : new Zero(getAval(o))))];
  },
  // The transposed computation stays rematerialized: a remat2 of the transposed jaxpr.
  transpose: (cts, args, p) => {
    const linear = args.map((a) => a instanceof UndefinedPrimal);
    const t = transposeJaxpr(closed(jaxprOf(p)), linear);
    const outAvals = jaxprOf(p).outAvals;
    const ctVals = cts.map((c, i) => instantiateZeros(c instanceof Zero ? new Zero(outAvals[i]) : c));
    const res = bindRemat(t, [...(args.filter((a) => !(a instanceof UndefinedPrimal)) as Value[]), ...ctVals], p);
    let k = 0;
    return linear.map((l) => (l ? res[k++] : null));
  },
  batch: (args, dims, p, size) => {
    const [batched, outDims] = vmapJaxpr(closed(jaxprOf(p)), size, dims, "zeroIfMapped");
    return [bindRemat(batched, args, p), outDims];
  },
  lower: { kind: "impl", impl: (args, p) => evalJaxpr(jaxprOf(p), [], args) },
  partialEval: (args, unknown, p, stage) => {
    const jaxpr = jaxprOf(p);
    const policy = (p.policy as CheckpointPolicy | null) ?? checkpointPolicies.nothing_saveable;
    const split = splitRemat(jaxpr, unknown, policy);
    // Known outputs and saved residuals are computed now, outside the remat (as JAX hoists them).
    const knownVals = evalJaxpr(split.known, [], args.filter((_, i) => !unknown[i]));
    const res = knownVals.slice(split.numKnownOuts);
    const stagedArgs = [...res, ...args.filter((_, i) => split.stagedUsesInput[i])];
    const unknownOuts = split.staged.outs.length ? stage("remat2", stagedArgs, { ...p, jaxpr: split.staged, differentiated: true }) : [];
    let ki = 0, ui = 0;
    return split.outUnknowns.map((u) => (u ? unknownOuts[ui++] : knownVals[ki++]));
  },
});

/**
 * JAX's partial_eval_jaxpr_custom for remat: `known` maps the known inputs to
 * `[...known outputs, ...saved residuals]`; `staged` maps `[...residuals, ...the inputs it uses]`
 * to the unknown outputs, recomputing every known value it needs that is not saved.
 */
function splitRemat(jaxpr: Jaxpr, unknownIns: readonly boolean[], saveable: CheckpointPolicy) {
  const unknown = new Set<Var>(jaxpr.invars.filter((_, i) => unknownIns[i]));
  const saved = new Set<Var>();
  const unknownEqns = new Set<JaxprEqn>();
  for (const e of jaxpr.eqns) {
    if (e.inputs.some((x) => x instanceof Var && unknown.has(x))) {
      unknownEqns.add(e);
      e.outBinders.forEach((v) => unknown.add(v));
    } else if (saveable(e)) e.outBinders.forEach((v) => saved.add(v));
  }
  const outUnknowns = jaxpr.outs.map((o) => o instanceof Var && unknown.has(o));

  // The staged jaxpr: the equations the unknown outputs need, stopping at saved known values.
  const need = new Set<Var>();
  jaxpr.outs.forEach((o, i) => {
    if (outUnknowns[i] && o instanceof Var) need.add(o);
  });
  const stagedEqns: JaxprEqn[] = [];
  const residuals: Var[] = [];
  for (let i = jaxpr.eqns.length - 1; i >= 0; i--) {
    const e = jaxpr.eqns[i];
    // An unknown equation with an effect (a debug print in a jvp'd cond) runs in the staged part.
    const effect = unknownEqns.has(e) && eqnHasEffects(e.primitive, e.params);
    if (!effect && !e.outBinders.some((v) => need.has(v))) continue;
    if (e.outBinders.every((v) => saved.has(v))) {
      residuals.push(...e.outBinders.filter((v) => need.has(v)));
      continue;
    }
    stagedEqns.push(e);
    for (const x of e.inputs) if (x instanceof Var) need.add(x);
  }
  residuals.reverse();
  const stagedUsesInput = jaxpr.invars.map((v) => need.has(v));
  const staged = new Jaxpr([], [...residuals, ...jaxpr.invars.filter((_, i) => stagedUsesInput[i])], stagedEqns.reverse(), jaxpr.outs.filter((_, i) => outUnknowns[i]));

  // The known jaxpr: known outputs and residuals from the known inputs.
  const knownOuts = jaxpr.outs.filter((_, i) => !outUnknowns[i]);
  // Only known equations: dceJaxpr keeps effectful ones, which must not read unknown values.
  const full = new Jaxpr([], jaxpr.invars, jaxpr.eqns.filter((e) => !unknownEqns.has(e)), [...knownOuts, ...residuals]);
  const { jaxpr: pruned } = dceJaxpr(full, full.outs.map(() => true), true);
  const known = new Jaxpr([], jaxpr.invars.filter((_, i) => !unknownIns[i]), pruned.eqns, pruned.outs);
  return { known, staged, outUnknowns, numKnownOuts: knownOuts.length, stagedUsesInput };
}

export interface CheckpointOptions {
  preventCse?: boolean;
  /** Which intermediates to save instead of recomputing (default: none, as JAX). */
  policy?: CheckpointPolicy | null;
  /** Arguments that are not arrays (closed over, not traced). */
  staticArgnums?: readonly number[];
}

/** `jax.checkpoint(fun, prevent_cse, policy, static_argnums)` (alias `remat`). */
export function checkpoint<F extends Fn>(fun: F, opts: CheckpointOptions = {}): F {
  const statics = opts.staticArgnums ?? [];
  const wrapped = (...args: unknown[]): unknown => {
    const isStatic = (i: number): boolean => statics.includes(i) || statics.includes(i - args.length);
    const dyn = args.filter((_, i) => !isStatic(i));
    const [leaves, inTree] = treeFlatten(dyn);
    const rebuild = (xs: Value[]): unknown[] => {
      const d = treeUnflatten(inTree, xs) as unknown[];
      let k = 0;
      return args.map((a, i) => (isStatic(i) ? a : d[k++]));
    };
    const traced = traceClosureConverted((...xs) => callFn(fun, rebuild(xs)), (leaves as Value[]).map(getAval));
    const outs = bind("remat2", [...traced.consts, ...(leaves as Value[])], {
      jaxpr: traced.callJaxpr.jaxpr, prevent_cse: opts.preventCse ?? true, differentiated: false, policy: opts.policy ?? null,
    });
    return treeUnflatten(traced.outTree, outs);
  };
  return wrapped as unknown as F;
}

/** `jax.remat`: an alias of `checkpoint`. */
export const remat = checkpoint;
