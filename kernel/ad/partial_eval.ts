/**
 * @file Partial evaluation, after Autodidax (JAX's `pe.JaxprTrace`, here `PartialEvalTrace` since
 * `JaxprTrace` names the staging trace in kernel/ir): with some inputs known (`PartialVal.known`)
 * and some unknown (`PartialVal.unknown(aval)`), known work runs now and unknown work is recorded
 * as a graph of tracers and equation recipes, then sorted into a jaxpr whose constvars are the
 * residuals it needs from the known side. On top: `partialEvalFlat` (a function) and
 * `partialEvalJaxpr` (a jaxpr split into a known and an unknown jaxpr).
 */

import {
  type Params, type Value, ConcreteArray, JaxValue, MainTrace, Trace, Tracer, TypedScalar, bind, fullLower, getAval, newMain, rulesOf,
} from "../ir/core.js";
import { type Atom, ClosedJaxpr, Jaxpr, JaxprEqn, Lit, Var, eqnHasEffects, evalJaxpr, traceToJaxpr } from "../ir/jaxpr.js";
import { ShapedArray } from "../ir/shape.js";

/** A value that is either known now or unknown (only its aval is). */
export class PartialVal {
  private constructor(readonly aval: ShapedArray, readonly value: Value | undefined) {}
  static known(v: Value): PartialVal {
    return new PartialVal(getAval(v), v);
  }
  static unknown(aval: ShapedArray): PartialVal {
    return new PartialVal(aval, undefined);
  }
  get isKnown(): boolean {
    return this.value !== undefined;
  }
}

/** How an unknown tracer is computed: an input, a known constant, or an equation's output. */
type Recipe =
  | { readonly kind: "lambda" }
  | { readonly kind: "const"; readonly val: Value }
  | EqnRecipe;

let recipeCount = 0;

class EqnRecipe {
  readonly kind = "eqn";
  /** Creation order: a valid topological order, and the order JAX emits equations in. */
  readonly seq = recipeCount++;
  constructor(
    readonly prim: string,
    readonly tracersIn: readonly PartialEvalTracer[],
    readonly params: Params,
    readonly tracersOut: PartialEvalTracer[],
  ) {}
}

export class PartialEvalTracer extends Tracer {
  constructor(readonly trace: PartialEvalTrace, readonly pval: PartialVal, public recipe: Recipe | null) {
    super();
  }
  get aval(): ShapedArray {
    return this.pval.aval;
  }
  override fullLower(): Value {
    return this.pval.isKnown ? fullLower(this.pval.value!) : this;
  }
  override toConcrete(): ConcreteArray | null {
    if (!this.pval.isKnown) return null;
    const v = this.pval.value!;
    if (v instanceof Tracer) return v.toConcrete();
    if (v instanceof ConcreteArray) return v;
    return new TypedScalar(v as number | boolean, this.aval.dtype, this.aval.weakType);
  }
}

export class PartialEvalTrace extends Trace {
  /** Staged equations of effectful primitives: kept in the unknown jaxpr though nothing reads them. */
  get effects(): EqnRecipe[] {
    return this.main.globalData as EqnRecipe[];
  }
  newArg(pval: PartialVal): PartialEvalTracer {
    return new PartialEvalTracer(this, pval, pval.isKnown ? null : { kind: "lambda" });
  }
  pure(x: Value): Value {
    return new PartialEvalTracer(this, PartialVal.known(x), null);
  }
  /** A known value turned into an unknown one, read from a residual constant. */
  instantiateConst(t: PartialEvalTracer): PartialEvalTracer {
    if (!t.pval.isKnown) return t;
    return new PartialEvalTracer(this, PartialVal.unknown(t.aval), { kind: "const", val: t.pval.value! });
  }
  private own(x: Value): PartialEvalTracer {
    return x instanceof PartialEvalTracer && x.trace.main === this.main ? x : (this.pure(x) as PartialEvalTracer);
  }

  processPrimitive(prim: string, tracers: Value[], params: Params): Value[] {
    const ts = tracers.map((t) => this.own(t));
    if (ts.every((t) => t.pval.isKnown)) return bind(prim, ts.map((t) => t.pval.value!), params);
    const rule = rulesOf(prim).partialEval;
    if (!rule) return this.stage(prim, ts, params);
    const unknown = ts.map((t) => !t.pval.isKnown);
    return rule(ts.map((t, i) => (unknown[i] ? t : t.pval.value!)), unknown, params, (p, args, prms) => this.stage(p, args, prms));
  }

  /** Records an equation of the unknown part; known args become residual constants. */
  stage(prim: string, args: readonly Value[], params: Params): Value[] {
    const ins = args.map((a) => this.instantiateConst(this.own(a)));
    const avals = rulesOf(prim).abstractEval(ins.map((t) => t.aval), params);
    const outs = avals.map((a) => new PartialEvalTracer(this, PartialVal.unknown(a), null));
    const recipe = new EqnRecipe(prim, ins, params, outs);
    for (const o of outs) o.recipe = recipe;
    if (eqnHasEffects(prim, params)) this.effects.push(recipe);
    return outs;
  }
}

// ---- from the tracer graph to a jaxpr --------------------------------------------------------------

/** The equations the outputs and the effects depend on, in creation order (iterative: graphs can be deep). */
function reachableEqns(outs: readonly PartialEvalTracer[], effects: readonly EqnRecipe[]): EqnRecipe[] {
  const seen = new Set<PartialEvalTracer>();
  const eqns = new Set<EqnRecipe>(effects);
  const stack = [...outs, ...effects.flatMap((r) => r.tracersIn)];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.recipe instanceof EqnRecipe && !eqns.has(t.recipe)) {
      eqns.add(t.recipe);
      stack.push(...t.recipe.tracersIn);
    }
  }
  return [...eqns].sort((a, b) => a.seq - b.seq);
}

/** Scalars known at trace time are inlined into the jaxpr as literals. */
function literalOf(x: Value): Lit | undefined {
  if (typeof x === "number" || typeof x === "boolean") return new Lit(x, getAval(x));
  if (x instanceof JaxValue && !(x instanceof Tracer) && x.ndim === 0) {
    const s = (x as { scalarLiteral?: () => number | boolean | undefined }).scalarLiteral?.();
    if (s !== undefined) return new Lit(s, x.aval);
  }
  return undefined;
}

/**
 * The jaxpr computing `tracersOut` from `tracersIn` (Autodidax's tracers_to_jaxpr): its constvars
 * are the known values the unknown part reads (the residuals), returned as the closed jaxpr's consts.
 */
export function tracersToJaxpr(tracersIn: readonly PartialEvalTracer[], tracersOut: readonly PartialEvalTracer[], effects: readonly EqnRecipe[] = []): ClosedJaxpr {
  const env = new Map<PartialEvalTracer, Atom>();
  for (const t of tracersIn) env.set(t, new Var(t.aval));
  const constVars = new Map<unknown, Var>();
  const consts: Value[] = [];
  const atomOf = (t: PartialEvalTracer): Atom => {
    const got = env.get(t);
    if (got) return got;
    const r = t.recipe;
    if (r?.kind !== "const") throw new Error("partial eval: a value that is not an input, a residual or computed here reached the unknown jaxpr");
    let a: Atom | undefined = literalOf(r.val) ?? constVars.get(r.val);
    if (!a) {
      const v = new Var(t.aval);
      constVars.set(r.val, v);
      consts.push(r.val);
      a = v;
    }
    env.set(t, a);
    return a;
  };
  const eqns = reachableEqns(tracersOut, effects).map((r) => {
    const ins = r.tracersIn.map(atomOf);
    const outs = r.tracersOut.map((o) => {
      const v = new Var(o.aval);
      env.set(o, v);
      return v;
    });
    return new JaxprEqn(r.prim, ins, r.params, outs);
  });
  const outs = tracersOut.map(atomOf);
  const invars = tracersIn.map((t) => env.get(t) as Var);
  return new ClosedJaxpr(new Jaxpr([...constVars.values()], invars, eqns, outs), consts);
}

/**
 * Partially evaluates `f` (Autodidax's partial_eval_flat): known work runs now, unknown work is
 * staged. Returns the output PartialVals and the unknown part as a closed jaxpr from the unknown
 * inputs to the unknown outputs, whose consts are the residuals. Outputs that `instantiate` asks
 * for are unknown even when known (read from residuals).
 */
export function partialEvalFlat(
  f: (...xs: Value[]) => Value[], pvalsIn: readonly PartialVal[], instantiate: boolean | readonly boolean[] | ((i: number) => boolean) = false,
): { jaxpr: ClosedJaxpr; pvalsOut: PartialVal[] } {
  return newMain(PartialEvalTrace, [], (main: MainTrace) => {
    const trace = new PartialEvalTrace(main);
    const ins = pvalsIn.map((p) => trace.newArg(p));
    const outs = f(...ins.map((t) => t.fullLower())).map((o, i) => {
      const t = o instanceof PartialEvalTracer && o.trace.main === main ? o : (trace.pure(o) as PartialEvalTracer);
      const inst = typeof instantiate === "boolean" ? instantiate : typeof instantiate === "function" ? instantiate(i) : instantiate[i];
      return inst ? trace.instantiateConst(t) : t;
    });
    const jaxpr = tracersToJaxpr(ins.filter((t) => !t.pval.isKnown), outs.filter((t) => !t.pval.isKnown), trace.effects);
    return { jaxpr, pvalsOut: outs.map((t) => t.pval) };
  });
}

/** The constvars of a closed jaxpr as its leading invars (JAX's convert_constvars_jaxpr). */
export function convertConstvars(jaxpr: Jaxpr): Jaxpr {
  return new Jaxpr([], [...jaxpr.constvars, ...jaxpr.invars], jaxpr.eqns, jaxpr.outs);
}

export interface JaxprSplit {
  /** The known inputs → `[...known outputs, ...residuals]`. */
  known: ClosedJaxpr;
  /** `[...residuals, ...unknown inputs]` → the unknown outputs. */
  unknown: ClosedJaxpr;
  outUnknowns: boolean[];
  numRes: number;
}

/**
 * Splits a closed jaxpr into its known and unknown parts (JAX's partial_eval_jaxpr_nounits):
 * `unknowns[i]` says whether input i is unknown; `instantiate` forces outputs to be unknown.
 * It works by partially evaluating the jaxpr while the known part is itself traced into a jaxpr,
 * so higher-order primitives inside split through their own `partialEval` rules.
 */
export function partialEvalJaxpr(closed: ClosedJaxpr, unknowns: readonly boolean[], instantiate: boolean | readonly boolean[] = false): JaxprSplit {
  const inAvals = closed.inAvals;
  let unknown: ClosedJaxpr | undefined;
  let outUnknowns: boolean[] = [];
  let numRes = 0;
  const knownPart = (...knownIns: Value[]): Value[] => {
    let k = 0;
    const pvals = inAvals.map((a, i) => (unknowns[i] ? PartialVal.unknown(a) : PartialVal.known(knownIns[k++])));
    const res = partialEvalFlat((...xs) => evalJaxpr(closed.jaxpr, closed.consts, xs), pvals, instantiate);
    outUnknowns = res.pvalsOut.map((p) => !p.isKnown);
    numRes = res.jaxpr.consts.length;
    unknown = new ClosedJaxpr(convertConstvars(res.jaxpr.jaxpr), []);
    return [...res.pvalsOut.filter((p) => p.isKnown).map((p) => p.value!), ...res.jaxpr.consts];
  };
  const known = traceToJaxpr(knownPart, inAvals.filter((_, i) => !unknowns[i]));
  return { known, unknown: unknown!, outUnknowns, numRes };
}

/**
 * Dead-code elimination (JAX's dce_jaxpr): keeps the outputs in `usedOutputs` and the equations
 * they need. Returns the pruned jaxpr (constvars unchanged) and which inputs it still reads (with
 * `instantiate`, every input is kept).
 */
export function dceJaxpr(jaxpr: Jaxpr, usedOutputs: readonly boolean[], instantiate = false): { jaxpr: Jaxpr; usedInputs: boolean[] } {
  const live = new Set<Var>();
  jaxpr.outs.forEach((o, i) => {
    if (usedOutputs[i] && o instanceof Var) live.add(o);
  });
  const eqns: JaxprEqn[] = [];
  for (let i = jaxpr.eqns.length - 1; i >= 0; i--) {
    const e = jaxpr.eqns[i];
    if (!e.outBinders.some((v) => live.has(v)) && !eqnHasEffects(e.primitive, e.params)) continue;
    eqns.push(e);
    for (const x of e.inputs) if (x instanceof Var) live.add(x);
  }
  const usedInputs = jaxpr.invars.map((v) => instantiate || live.has(v));
  const pruned = new Jaxpr(jaxpr.constvars, jaxpr.invars.filter((_, i) => usedInputs[i]), eqns.reverse(), jaxpr.outs.filter((_, i) => usedOutputs[i]));
  return { jaxpr: pruned, usedInputs };
}
