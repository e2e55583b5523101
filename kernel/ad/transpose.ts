/**
 * @file Transposition (JAX's `backward_pass`): runs a jaxpr that is linear in its
 * `UndefinedPrimal` inputs backwards, from output cotangents to input cotangents, with each
 * primitive's `transpose` rule. Equations that do not depend on the linear inputs (residual
 * computations left in the linear jaxpr) are evaluated forwards first. Cotangents accumulate with
 * `add_any`; symbolic `Zero` cotangents are never materialized.
 */

import { type Value, TypedScalar, bind, rulesOf } from "../ir/core.js";
import { type Atom, ClosedJaxpr, Jaxpr, Lit, Var, traceToJaxpr } from "../ir/jaxpr.js";
import { type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { addTangents } from "../lax/helpers.js";
import { instantiateZeros } from "./tangents.js";

/** JAX's error for a primitive without a transpose rule. */
export class NotImplementedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotImplementedError";
  }
}

/**
 * Transposes `jaxpr` with respect to the inputs given as `UndefinedPrimal` in `args` (the others
 * are known values), from the output cotangents `cts`. Returns the cotangent of every input:
 * a value or symbolic `Zero` for the undefined ones, null for the known ones.
 */
export function backwardPass(jaxpr: Jaxpr, consts: readonly Value[], args: readonly (Value | UndefinedPrimal)[], cts: readonly MaybeZero[]): (MaybeZero | null)[] {
  const primal = new Map<Var, Value>();
  const linear = new Set<Var>();
  jaxpr.constvars.forEach((v, i) => primal.set(v, consts[i]));
  jaxpr.invars.forEach((v, i) => {
    const a = args[i];
    if (a instanceof UndefinedPrimal) linear.add(v);
    else primal.set(v, a);
  });
  const isLinear = (x: Atom): boolean => x instanceof Var && linear.has(x);
  // A literal keeps its dtype (a bare JS number would become a weak default-typed scalar).
  const read = (x: Atom): Value => (x instanceof Lit ? new TypedScalar(x.val, x.aval.dtype, x.aval.weakType) : primal.get(x)!);

  // Forward: what does not depend on the linear inputs is computed now.
  const linEqns = [];
  for (const eqn of jaxpr.eqns) {
    if (eqn.inputs.some(isLinear)) {
      for (const v of eqn.outBinders) linear.add(v);
      linEqns.push(eqn);
    } else {
      const outs = bind(eqn.primitive, eqn.inputs.map(read), eqn.params);
      eqn.outBinders.forEach((v, i) => primal.set(v, outs[i]));
    }
  }

  const ctEnv = new Map<Var, MaybeZero>();
  const addCt = (x: Atom, ct: MaybeZero | null): void => {
    if (ct === null || ct instanceof Zero || !isLinear(x)) return;
    const v = x as Var;
    const prev = ctEnv.get(v);
    ctEnv.set(v, prev === undefined ? ct : addTangents(prev, ct));
  };
  const popCt = (v: Var): MaybeZero => {
    const ct = ctEnv.get(v);
    ctEnv.delete(v);
    return ct ?? new Zero(v.aval);
  };
  jaxpr.outs.forEach((o, i) => addCt(o, cts[i]));

  // Backward: each linear equation turns its output cotangents into input cotangents.
  for (let k = linEqns.length - 1; k >= 0; k--) {
    const eqn = linEqns[k];
    const ctsIn = eqn.outBinders.map(popCt);
    if (ctsIn.every((c) => c instanceof Zero)) continue;
    const rule = rulesOf(eqn.primitive).transpose;
    if (!rule) throw new NotImplementedError(`Transpose rule (for reverse-mode differentiation) for '${eqn.primitive}' not implemented`);
    const ins = eqn.inputs.map((x) => (isLinear(x) ? new UndefinedPrimal(x.aval) : read(x)));
    const ctsOut = rule(ctsIn, ins, eqn.params);
    eqn.inputs.forEach((x, i) => addCt(x, ctsOut[i]));
  }
  return jaxpr.invars.map((v, i) => (args[i] instanceof UndefinedPrimal ? popCt(v) : null));
}

/**
 * The transpose of a closed jaxpr as a jaxpr (for higher-order primitives' transpose rules and
 * `linear_transpose`): `linear[i]` marks the inputs the jaxpr is linear in. The result takes
 * `[...non-linear inputs, ...output cotangents]` and returns the (materialized) cotangents of the
 * linear inputs.
 */
export function transposeJaxpr(closed: ClosedJaxpr, linear: readonly boolean[]): ClosedJaxpr {
  const inAvals = closed.inAvals;
  const nonLinear = inAvals.filter((_, i) => !linear[i]);
  const f = (...xs: Value[]): Value[] => {
    let k = 0;
    const args = inAvals.map((a, i) => (linear[i] ? new UndefinedPrimal(a) : xs[k++]));
    const cts = xs.slice(k);
    const out = backwardPass(closed.jaxpr, closed.consts, args, cts);
    return out.filter((_, i) => linear[i]).map((ct) => instantiateZeros(ct!));
  };
  return traceToJaxpr(f, [...nonLinear, ...closed.outAvals]);
}
