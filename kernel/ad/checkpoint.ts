/**
 * @file `jax.checkpoint` / `jax.remat`: the function is traced once and bound as JAX's `remat2`
 * primitive. Its partial-evaluation rule is what makes it rematerialize: the body is split as
 * partial evaluation splits any jaxpr (control flow through its own rules), the known part is
 * computed now, and the unknown (linear) part is staged inside a `remat2[differentiated=True]`
 * that first recomputes the known values it reads from the known inputs instead of saving them —
 * unless a policy marks an equation's outputs saveable, in which case they are saved. Debug
 * callbacks are rematerialized too: a print inside checkpoint runs again in the backward pass.
 */

import { type Params, type Value, bind, definePrimitive, getAval } from "../ir/core.js";
import { type Atom, ClosedJaxpr, Jaxpr, type JaxprEqn, Var, eqnHasEffects, evalJaxpr, jaxprHasEffects, traceToJaxpr } from "../ir/jaxpr.js";
import { treeFlatten, treeUnflatten } from "../ir/pytree.js";
import { UndefinedPrimal, Zero } from "../ir/rules.js";
import { vmapJaxpr } from "../batching/jaxpr.js";
import { type Fn, callFn, traceClosureConverted } from "./custom.js";
import { jvpJaxpr } from "./jvp.js";
import { type JaxprSplit, convertConstvars, dceJaxpr, partialEvalJaxpr } from "./partial_eval.js";
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
  // JAX's remat_partial_eval: the known part runs now; the unknown part is staged as a
  // remat2[differentiated=True] that recomputes the known values it needs (see rematSplit).
  partialEval: (args, unknown, p, stage) => {
    const policy = (p.policy as CheckpointPolicy | null) ?? checkpointPolicies.nothing_saveable;
    const split = partialEvalJaxpr(closed(jaxprOf(p)), unknown);
    const plan = rematSplit(split, policy);
    const knownArgs = args.filter((_, i) => !unknown[i]);
    // Known outputs and saved values are computed now, outside the remat (as JAX hoists them).
    const knownVals = evalJaxpr(plan.known, split.known.consts, knownArgs);
    const saved = knownVals.slice(plan.numKnownOuts);
    const recomputeIns = [...saved, ...knownArgs.filter((_, i) => plan.recomputeUsesInput[i])];
    const nRecompute = recomputeIns.length;
    const staged = traceToJaxpr((...xs: Value[]) => {
      const res = evalJaxpr(plan.recompute, split.known.consts, xs.slice(0, nRecompute));
      return evalJaxpr(split.unknown.jaxpr, split.unknown.consts, [...res, ...xs.slice(nRecompute)]);
    }, [...recomputeIns, ...args.filter((_, i) => unknown[i])].map(getAval));
    const stagedOuts = staged.jaxpr.outs.length || jaxprHasEffects(staged.jaxpr)
      ? stage("remat2", [...staged.consts, ...recomputeIns, ...args.filter((_, i) => unknown[i])], { ...p, jaxpr: convertConstvars(staged.jaxpr), differentiated: true })
      : [];
    let ki = 0, ui = 0;
    return split.outUnknowns.map((u) => (u ? stagedOuts[ui++] : knownVals[ki++]));
  },
});

/**
 * How the staged part of a remat gets the residuals its unknown part reads (JAX's
 * partial_eval_jaxpr_custom with a policy): each is recomputed from the known inputs, unless the
 * equation producing it (or a value on the way) is one the policy saves — then that value is
 * computed now and passed in. Effects are rematerialized as JAX's debug_callback rule does: a
 * known effectful equation also runs again in the staged part (a debug print inside checkpoint
 * prints in the forward pass and again in the backward pass), unless the policy saves it and it
 * reads saved values. `known` maps the known inputs to `[...known outputs, ...saved values]`;
 * `recompute` maps `[...saved values, ...the known inputs it uses]` to the residuals.
 */
function rematSplit(split: JaxprSplit, saveable: CheckpointPolicy) {
  const k = split.known.jaxpr;
  const numKnownOuts = k.outs.length - split.numRes;
  // Values the staged part can have without saving them: inputs, consts, recomputable results.
  const savedBy = (e: JaxprEqn): boolean => !eqnHasEffects(e.primitive, e.params) && saveable(e);
  const producer = new Map<Var, JaxprEqn>();
  for (const e of k.eqns) for (const v of e.outBinders) producer.set(v, e);
  const instantiated = (x: Atom): boolean => !(x instanceof Var) || !producer.has(x) || !savedBy(producer.get(x)!);

  const resAtoms = k.outs.slice(numKnownOuts);
  const need = new Set<Var>(resAtoms.filter((a): a is Var => a instanceof Var));
  const saved: Var[] = [];
  const recomputeEqns: JaxprEqn[] = [];
  for (let i = k.eqns.length - 1; i >= 0; i--) {
    const e = k.eqns[i];
    const needed = e.outBinders.filter((v) => need.has(v));
    const effect = eqnHasEffects(e.primitive, e.params);
    const rerun = effect ? !saveable(e) || e.inputs.every(instantiated) : needed.length > 0 && !saveable(e);
    if (!rerun) {
      saved.push(...needed);
      needed.forEach((v) => need.delete(v));
      continue;
    }
    recomputeEqns.push(e);
    for (const x of e.inputs) if (x instanceof Var) need.add(x);
  }
  saved.reverse();
  const recomputeUsesInput = k.invars.map((v) => need.has(v));
  const recompute = new Jaxpr(k.constvars, [...saved, ...k.invars.filter((_, i) => recomputeUsesInput[i])], recomputeEqns.reverse(), resAtoms);
  const full = new Jaxpr(k.constvars, k.invars, k.eqns, [...k.outs.slice(0, numKnownOuts), ...saved]);
  const { jaxpr: known } = dceJaxpr(full, full.outs.map(() => true), true);
  return { known, recompute, numKnownOuts, recomputeUsesInput };
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
