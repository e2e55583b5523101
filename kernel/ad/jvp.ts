/**
 * @file Forward mode, after Autodidax: `JVPTracer` carries a primal and a tangent (or a symbolic
 * `Zero`, so inputs that do not matter cost nothing), `JVPTrace` applies each primitive's `jvp`
 * rule. `jvpFlat` is the flat-list entry point (the Python front end flattens pytrees itself;
 * the pytree `jvp` is in api.ts), and `jvpJaxpr` the jaxpr-level transformation higher-order
 * primitives use for their own JVP rules.
 */

import {
  type Params, type Value, ConcreteArray, MainTrace, Trace, Tracer, TypedScalar, bind, fullLower, getAval, newMain, rulesOf,
} from "../ir/core.js";
import { ClosedJaxpr, evalJaxpr, traceToJaxpr } from "../ir/jaxpr.js";
import { type MaybeZero, Zero } from "../ir/rules.js";
import { ShapedArray } from "../ir/shape.js";
import { type Float0Array, type TangentIn, apiTangent, instantiateZeros, tangentIn, zeroTangent } from "./tangents.js";

export class JVPTracer extends Tracer {
  readonly aval: ShapedArray;
  constructor(readonly trace: JVPTrace, readonly primal: Value, readonly tangent: MaybeZero) {
    super();
    this.aval = getAval(primal);
  }
  /** With a zero tangent the tracer is just its primal. */
  override fullLower(): Value {
    return this.tangent instanceof Zero ? fullLower(this.primal) : this;
  }
  /** The primal's concrete value: Python control flow on values works under `grad`, as in JAX. */
  override toConcrete(): ConcreteArray | null {
    const p = this.primal;
    if (p instanceof Tracer) return p.toConcrete();
    if (p instanceof ConcreteArray) return p;
    return new TypedScalar(p as number | boolean, this.aval.dtype, this.aval.weakType);
  }
}

export class JVPTrace extends Trace {
  pure(x: Value): Value {
    return new JVPTracer(this, x, zeroTangent(x));
  }

  /** JAX's to_primal_tangent_pair: values of other traces are constants here. */
  toPrimalTangent(x: Value): [Value, MaybeZero] {
    if (x instanceof JVPTracer && x.trace.main === this.main) return [x.primal, x.tangent];
    return [x, zeroTangent(x)];
  }

  processPrimitive(prim: string, tracers: Value[], params: Params): Value[] {
    const [primals, tangents] = unzip(tracers.map((t) => this.toPrimalTangent(t)));
    const rule = rulesOf(prim).jvp;
    // Nothing to differentiate: evaluate on the primals only (symbolic zeros cost nothing).
    if (rule === "nondiff" || tangents.every((t) => t instanceof Zero)) return bind(prim, primals, params);
    const [primalsOut, tangentsOut] = rule(primals, tangents, params);
    return primalsOut.map((p, i) => new JVPTracer(this, p, tangentsOut[i]));
  }
}

const unzip = <A, B>(pairs: [A, B][]): [A[], B[]] => [pairs.map((p) => p[0]), pairs.map((p) => p[1])];

/**
 * Runs `f` on JVP tracers: the primal outputs and their tangents (symbolic zeros kept). The
 * building block of `jvp`, `linearize` and `jvpJaxpr`.
 */
export function jvpTraced(f: (...xs: Value[]) => Value[], primals: readonly Value[], tangents: readonly MaybeZero[]): [Value[], MaybeZero[]] {
  return newMain(JVPTrace, null, (main: MainTrace) => {
    const trace = new JVPTrace(main);
    const ins = primals.map((p, i) => new JVPTracer(trace, p, tangents[i]).fullLower());
    const outs = f(...ins);
    return unzip(outs.map((o) => trace.toPrimalTangent(o)));
  });
}

/**
 * Forward mode on flat lists (for the Python front end): `f` maps values to values; tangents of
 * integer inputs are float0 (or symbolic zeros). Returns the outputs and their tangents: float0
 * for integer outputs, materialized zeros where the output does not depend on the inputs.
 */
export function jvpFlat(f: (...xs: Value[]) => Value[], primals: readonly Value[], tangents: readonly TangentIn[]): [Value[], (Value | Float0Array)[]] {
  if (primals.length !== tangents.length) {
    throw new TypeError(`jvp got ${primals.length} primals and ${tangents.length} tangents; they must match`);
  }
  const ts = tangents.map((t, i) => tangentIn(t, primals[i]));
  const [outs, touts] = jvpTraced(f, primals, ts);
  return [outs, touts.map((t, i) => apiTangent(t, getAval(outs[i])))];
}

/**
 * The JVP of a closed jaxpr (JAX's `ad.jvp_jaxpr`), for higher-order primitives' JVP rules.
 * `nonzeros[i]`: whether input i has a (nonzero) tangent. The result takes
 * `[...primals, ...tangents of nonzero inputs]` and returns `[...primal outs, ...tangent outs]`
 * with one tangent per output whose tangent is nonzero or that `instantiate` asks for (then
 * materialized). `outNonzeros` tells which outputs have tangents in the result.
 */
export function jvpJaxpr(closed: ClosedJaxpr, nonzeros: readonly boolean[], instantiate: boolean | readonly boolean[]): { jaxpr: ClosedJaxpr; outNonzeros: boolean[] } {
  const inAvals = closed.inAvals;
  const nOut = closed.outAvals.length;
  const inst = typeof instantiate === "boolean" ? new Array<boolean>(nOut).fill(instantiate) : instantiate;
  let outNonzeros: boolean[] = [];
  const f = (...args: Value[]): Value[] => {
    const primals = args.slice(0, inAvals.length);
    let k = inAvals.length;
    const tangents = inAvals.map((a, i) => (nonzeros[i] ? args[k++] : new Zero(a)));
    const [outs, touts] = jvpTraced((...xs) => evalJaxpr(closed.jaxpr, closed.consts, xs), primals, tangents);
    const kept = touts.map((t, i) => (inst[i] ? instantiateZeros(t) : t));
    outNonzeros = kept.map((t) => !(t instanceof Zero));
    return [...outs, ...(kept.filter((t) => !(t instanceof Zero)) as Value[])];
  };
  const jaxpr = traceToJaxpr(f, [...inAvals, ...inAvals.filter((_, i) => nonzeros[i])]);
  return { jaxpr, outNonzeros };
}
