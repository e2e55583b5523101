/**
 * @file Jaxprs: `Var`, `Lit`, `JaxprEqn`, `Jaxpr`, `ClosedJaxpr`; `evalJaxpr`; the jaxpr-building
 * trace behind `makeJaxpr`. The printer lives in `print.ts`.
 */

import {
  type Params, type Value, JaxValue, MainTrace, Trace, Tracer, TypedScalar, bind, getAval, newDynamic, rulesOf,
} from "./core.js";
import { ShapedArray } from "./shape.js";
import { type PyTreeDef, treeFlatten, treeUnflatten } from "./pytree.js";

let varCounter = 0;

export class Var {
  readonly id = varCounter++;
  constructor(readonly aval: ShapedArray) {}
}

/** A constant inlined into a jaxpr: a scalar. */
export class Lit {
  constructor(readonly val: number | boolean, readonly aval: ShapedArray) {}
}

export type Atom = Var | Lit;

export class JaxprEqn {
  constructor(
    readonly primitive: string,
    readonly inputs: readonly Atom[],
    readonly params: Params,
    readonly outBinders: readonly Var[],
  ) {}
}

export class Jaxpr {
  constructor(
    readonly constvars: readonly Var[],
    readonly invars: readonly Var[],
    readonly eqns: readonly JaxprEqn[],
    readonly outs: readonly Atom[],
  ) {}
  get inAvals(): ShapedArray[] {
    return this.invars.map((v) => v.aval);
  }
  get outAvals(): ShapedArray[] {
    return this.outs.map((v) => v.aval);
  }
}

/** A jaxpr with the values of its constvars. */
export class ClosedJaxpr {
  constructor(readonly jaxpr: Jaxpr, readonly consts: readonly Value[]) {}
  get inAvals(): ShapedArray[] {
    return this.jaxpr.inAvals;
  }
  get outAvals(): ShapedArray[] {
    return this.jaxpr.outAvals;
  }
}

/**
 * Whether an equation has an effect (JAX's `eqn.effects`): its primitive is effectful, or a jaxpr
 * in its params (a cond's branches, a loop's body, a pjit's or custom_jvp's jaxpr) has one, at any
 * depth. Dead-code elimination and partial evaluation keep such equations though nothing reads them.
 */
export function eqnHasEffects(primitive: string, params: Params): boolean {
  return rulesOf(primitive).effectful === true || Object.values(params).some(paramHasEffects);
}

/** Whether any equation of a jaxpr has an effect (cached: jaxprs are immutable). */
export function jaxprHasEffects(j: Jaxpr): boolean {
  let r = effectsCache.get(j);
  if (r === undefined) effectsCache.set(j, (r = j.eqns.some((e) => eqnHasEffects(e.primitive, e.params))));
  return r;
}
const effectsCache = new WeakMap<Jaxpr, boolean>();

function paramHasEffects(x: unknown): boolean {
  if (x instanceof ClosedJaxpr) return jaxprHasEffects(x.jaxpr);
  if (x instanceof Jaxpr) return jaxprHasEffects(x);
  return globalThis.Array.isArray(x) && x.some(paramHasEffects);
}

/** Interprets a jaxpr by binding each equation's primitive on the current traces. */
export function evalJaxpr(jaxpr: Jaxpr, consts: readonly Value[], args: readonly Value[]): Value[] {
  const env = new Map<Var, Value>();
  const read = (a: Atom): Value => {
    // A literal keeps its dtype (a bare JS number would become a weak default-typed scalar).
    if (a instanceof Lit) return new TypedScalar(a.val, a.aval.dtype, a.aval.weakType);
    const v = env.get(a);
    if (v === undefined) throw new Error("evalJaxpr: unbound variable");
    return v;
  };
  if (consts.length !== jaxpr.constvars.length || args.length !== jaxpr.invars.length) {
    throw new TypeError(`evalJaxpr: expected ${jaxpr.constvars.length} consts and ${jaxpr.invars.length} args, got ${consts.length} and ${args.length}`);
  }
  jaxpr.constvars.forEach((v, i) => env.set(v, consts[i]));
  jaxpr.invars.forEach((v, i) => env.set(v, args[i]));
  for (const eqn of jaxpr.eqns) {
    const outs = bind(eqn.primitive, eqn.inputs.map(read), eqn.params);
    eqn.outBinders.forEach((v, i) => env.set(v, outs[i]));
  }
  return jaxpr.outs.map(read);
}

export const evalClosedJaxpr = (cj: ClosedJaxpr, args: readonly Value[]): Value[] => evalJaxpr(cj.jaxpr, cj.consts, args);

// ---- building jaxprs by tracing ------------------------------------------------------------

export class JaxprTracer extends Tracer {
  constructor(readonly trace: JaxprTrace, readonly aval: ShapedArray) {
    super();
  }
}

/** Collects equations while a function is traced. */
export class JaxprBuilder {
  readonly eqns: JaxprEqn[] = [];
  readonly tracerToVar = new Map<JaxprTracer, Var>();
  readonly constTracers = new Map<unknown, JaxprTracer>();
  readonly constVals = new Map<Var, Value>();
  readonly literals = new Map<Var, Lit>();

  newTracer(trace: JaxprTrace, aval: ShapedArray): JaxprTracer {
    return new JaxprTracer(trace, aval);
  }
  addVar(t: JaxprTracer): Var {
    const v = new Var(t.aval);
    this.tracerToVar.set(t, v);
    return v;
  }
  getVar(t: JaxprTracer): Var {
    const v = this.tracerToVar.get(t);
    if (!v) throw new Error("Tracer from another jaxpr trace");
    return v;
  }

  /** Builds the jaxpr of `outs` as functions of `ins`; scalar consts become literals. */
  build(ins: readonly JaxprTracer[], outs: readonly JaxprTracer[]): ClosedJaxpr {
    const invars = ins.map((t) => this.getVar(t));
    const lit = (a: Var): Atom => this.literals.get(a) ?? a;
    const eqns = this.eqns.map((e) => new JaxprEqn(e.primitive, e.inputs.map((x) => (x instanceof Var ? lit(x) : x)), e.params, e.outBinders));
    const outAtoms = outs.map((t) => lit(this.getVar(t)));
    // Only consts that are still used become constvars.
    const used = new Set<Var>();
    for (const e of eqns) for (const x of e.inputs) if (x instanceof Var) used.add(x);
    for (const x of outAtoms) if (x instanceof Var) used.add(x);
    const constvars = [...this.constVals.keys()].filter((v) => used.has(v) && !invars.includes(v));
    const consts = constvars.map((v) => this.constVals.get(v)!);
    return new ClosedJaxpr(new Jaxpr(constvars, invars, eqns, outAtoms), consts);
  }
}

/** Literal-able constants: Python-like scalars and concrete 0-d arrays that know their value. */
function literalValue(x: Value): number | boolean | undefined {
  if (typeof x === "number" || typeof x === "boolean") return x;
  if (x instanceof JaxValue && !(x instanceof Tracer) && x.ndim === 0) {
    const s = (x as { scalarLiteral?: () => number | boolean | undefined }).scalarLiteral?.();
    return s;
  }
  return undefined;
}

export class JaxprTrace extends Trace {
  get builder(): JaxprBuilder {
    return this.main.globalData as JaxprBuilder;
  }
  newArg(aval: ShapedArray): JaxprTracer {
    const t = this.builder.newTracer(this, aval);
    this.builder.addVar(t);
    return t;
  }
  pure(x: Value): Value {
    const b = this.builder;
    const key = typeof x === "object" ? x : `${typeof x}:${String(x)}`;
    const got = b.constTracers.get(key);
    if (got) return got;
    const t = b.newTracer(this, getAval(x));
    const v = b.addVar(t);
    const lv = literalValue(x);
    if (lv !== undefined) b.literals.set(v, new Lit(lv, t.aval));
    else b.constVals.set(v, x);
    b.constTracers.set(key, t);
    return t;
  }
  processPrimitive(prim: string, tracers: Value[], params: Params): Value[] {
    const avalsIn = tracers.map((t) => (t as JaxprTracer).aval);
    const avalsOut = rulesOf(prim).abstractEval(avalsIn, params);
    const outs = avalsOut.map((a) => this.builder.newTracer(this, a));
    const inputs = tracers.map((t) => this.builder.getVar(t as JaxprTracer));
    this.builder.eqns.push(new JaxprEqn(prim, inputs, params, outs.map((t) => this.builder.addVar(t))));
    return outs;
  }
}

/**
 * Traces `f` (a function of a flat list of values) at the given avals into a closed jaxpr.
 * Everything is staged, including computations on constants (omnistaging).
 */
export function traceToJaxpr(f: (...args: Value[]) => Value[], avals: readonly ShapedArray[]): ClosedJaxpr {
  const builder = new JaxprBuilder();
  return newDynamic(JaxprTrace, builder, (main: MainTrace) => {
    const trace = new JaxprTrace(main);
    const ins = avals.map((a) => trace.newArg(a));
    const outs = f(...ins).map((o) => (o instanceof JaxprTracer && o.trace.main === main ? o : (trace.pure(o) as JaxprTracer)));
    return builder.build(ins, outs);
  });
}

/**
 * `jax.make_jaxpr`: `makeJaxpr(f)(...args)` traces `f` at the avals of `args` (arrays, tracers,
 * scalars, ShapedArrays, or pytrees of them) and returns the closed jaxpr with the output tree.
 */
export function makeJaxpr(f: (...args: never[]) => unknown) {
  return (...args: unknown[]): ClosedJaxpr & { outTree: PyTreeDef } => {
    const [leaves, inTree] = treeFlatten(args);
    const avals = leaves.map((x) => (x instanceof ShapedArray ? x : getAval(x as Value)));
    let outTree: PyTreeDef | undefined;
    const flatF = (...flatArgs: Value[]): Value[] => {
      const unflat = treeUnflatten(inTree, flatArgs) as unknown[];
      const out = (f as (...a: unknown[]) => unknown)(...unflat);
      const [outLeaves, t] = treeFlatten(out);
      outTree = t;
      return outLeaves as Value[];
    };
    const cj = traceToJaxpr(flatF, avals);
    return Object.assign(cj, { outTree: outTree! });
  };
}
