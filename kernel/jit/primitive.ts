/**
 * @file The `jit` call primitive (JAX's `jit_p`, printed `jit[name=f jaxpr={ ... }]`): its
 * params, all its rules, and the compile cache behind its impl. Evaluating it compiles the
 * jaxpr once per device (fusion into kernels) and then only dispatches.
 */

import { type Params, type Value, bind, definePrimitive } from "../ir/core.js";
import { type Atom, ClosedJaxpr, Jaxpr, Lit, Var } from "../ir/jaxpr.js";
import { UndefinedPrimal, Zero } from "../ir/rules.js";
import { type Doc, concat, ppParams, ppVars, registerPpEqnRule, text } from "../ir/print.js";
import { instantiate, tangentAval } from "../lax/helpers.js";
import { jvpJaxpr } from "../ad/jvp.js";
import { partialEvalJaxpr } from "../ad/partial_eval.js";
import { transposeJaxpr } from "../ad/transpose.js";
import { vmapJaxpr } from "../batching/jaxpr.js";
import { Array } from "../backend/array.js";
import type { Device } from "../backend/device.js";
import { anyCommitted, pickDevice, toArray } from "../backend/eager.js";
import { fuseJaxpr } from "../codegen/fuse.js";
import { Program } from "../codegen/program.js";

/** The params of a `jit` equation, in JAX's order and with its defaults. */
export function jitParams(jaxpr: ClosedJaxpr, name: string, donated?: readonly boolean[]): Params {
  const n = jaxpr.inAvals.length, m = jaxpr.outAvals.length;
  return {
    jaxpr,
    in_shardings: new globalThis.Array<null>(n).fill(null),
    out_shardings: new globalThis.Array<null>(m).fill(null),
    in_layouts: new globalThis.Array<null>(n).fill(null),
    out_layouts: new globalThis.Array<null>(m).fill(null),
    donated_invars: donated ? [...donated] : new globalThis.Array<boolean>(n).fill(false),
    ctx_mesh: null,
    name,
    keep_unused: false,
    inline: false,
    compiler_options_kvs: [],
  };
}

/** The same params for a new body (a transformed jaxpr), donation dropped as JAX does. */
const withJaxpr = (p: Params, jaxpr: ClosedJaxpr): Params => jitParams(jaxpr, p.name as string);

/** A closed jaxpr with its consts turned into leading inputs, and those consts. */
export function hoistConsts(cj: ClosedJaxpr): [ClosedJaxpr, Value[]] {
  if (!cj.consts.length) return [cj, []];
  const j = cj.jaxpr;
  return [new ClosedJaxpr(new Jaxpr([], [...j.constvars, ...j.invars], j.eqns, j.outs), []), [...cj.consts]];
}

/** Binds `jit` on a traced body (consts hoisted to arguments). */
export function bindJit(body: ClosedJaxpr, args: readonly Value[], params: Params): Value[] {
  const [j, consts] = hoistConsts(body);
  const donated = params.donated_invars as boolean[] | undefined;
  const p = consts.length ? jitParams(j, params.name as string, donated && [...consts.map(() => false), ...donated]) : { ...params, jaxpr: j };
  return bind("jit", [...consts, ...args], p);
}

// ---- compilation ------------------------------------------------------------------------------

const programs = new WeakMap<ClosedJaxpr, Map<Device, Program>>();

/** Objects in structural keys are named by identity (callbacks, constants' arrays). */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;
function objectId(x: object): number {
  let id = objectIds.get(x);
  if (id === undefined) objectIds.set(x, (id = nextObjectId++));
  return id;
}

/**
 * A key equal for jaxprs that compute the same thing: equations, types, literals and params by
 * value; nested jaxprs by their keys; functions, constants' values and other objects by identity.
 */
export function jaxprKey(cj: ClosedJaxpr): string {
  const j = cj.jaxpr;
  const names = new Map<Var, number>();
  const bind = (v: Var): string => {
    names.set(v, names.size);
    return v.aval.key();
  };
  // Numbers as written, with -0 apart from 0 (a literal -0.0 changes results).
  const num = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));
  const atom = (a: Atom): string => (a instanceof Lit ? `${typeof a.val === "number" ? num(a.val) : String(a.val)}:${a.aval.key()}` : `%${names.get(a) ?? `?${a.aval.key()}`}`);
  const param = (x: unknown): string => {
    if (typeof x === "number") return num(x);
    if (x === null || typeof x !== "object" && typeof x !== "function") return JSON.stringify(x) ?? String(x);
    if (x instanceof ClosedJaxpr) return `{${jaxprKey(x)}}`;
    if (globalThis.Array.isArray(x)) return `[${x.map(param).join(",")}]`;
    if (Object.getPrototypeOf(x) === Object.prototype) return `{${Object.keys(x).map((k) => `${k}:${param((x as Record<string, unknown>)[k])}`).join(",")}}`;
    return `#${objectId(x as object)}`;
  };
  let key = `${j.constvars.map(bind).join(",")}|${j.invars.map(bind).join(",")}|${cj.consts.map(param).join(",")}`;
  for (const e of j.eqns) {
    key += `;${e.primitive}(${e.inputs.map(atom).join(",")})${Object.keys(e.params).map((k) => `${k}=${param(e.params[k])}`).join(" ")}->${e.outBinders.map(bind).join(",")}`;
  }
  return `${key}|${j.outs.map(atom).join(",")}`;
}

/**
 * The first jaxpr seen with the same structural key: the bodies of eager loops are traced anew at
 * every call, and compile (and cache) as one program this way.
 */
const canonical = new Map<string, ClosedJaxpr>();
const canonicalOf = new WeakMap<ClosedJaxpr, ClosedJaxpr>();
const MAX_CANONICAL = 512;

export function canonicalJaxpr(cj: ClosedJaxpr): ClosedJaxpr {
  let c = canonicalOf.get(cj);
  if (c) return c;
  const key = jaxprKey(cj);
  c = canonical.get(key);
  if (!c) {
    // Oldest first out: a notebook tracing endless new loops keeps a bounded table.
    if (canonical.size >= MAX_CANONICAL) canonical.delete(canonical.keys().next().value!);
    canonical.set(key, (c = cj));
  }
  canonicalOf.set(cj, c);
  return c;
}

/** The compiled program of a jaxpr for a device (fused and compiled on first use). */
export function compiledProgram(cj: ClosedJaxpr, device: Device): Program {
  let byDevice = programs.get(cj);
  if (!byDevice) programs.set(cj, (byDevice = new Map()));
  let prog = byDevice.get(device);
  if (!prog) byDevice.set(device, (prog = new Program(fuseJaxpr(cj), device)));
  return prog;
}

/** Runs a jit equation on concrete values: compile (cached), dispatch, honour donation. */
export function runJit(args: readonly Value[], params: Params): Array[] {
  const cj = params.jaxpr as ClosedJaxpr;
  const device = pickDevice(args, (params.name as string | undefined) ?? "jit");
  const arrays = args.map((a) => toArray(a, device));
  const outs = compiledProgram(cj, device).run(arrays);
  if (anyCommitted(args)) for (const o of outs) o.committed = true;
  const donated = params.donated_invars as boolean[];
  donated.forEach((d, i) => {
    const a = arrays[i];
    if (d && a === args[i] && !outs.includes(a)) a.dispose();
  });
  return outs;
}

// ---- the primitive ----------------------------------------------------------------------------

definePrimitive("jit", {
  abstractEval: (avals, p) => {
    const cj = p.jaxpr as ClosedJaxpr;
    const want = cj.inAvals;
    if (avals.length !== want.length) throw new TypeError(`jit: the jaxpr takes ${want.length} arguments, got ${avals.length}`);
    avals.forEach((a, i) => {
      if (a.dtype !== want[i].dtype || a.shape.join(",") !== want[i].shape.join(",")) {
        throw new TypeError(`jit: argument ${i} has type ${a.strShort()}, but the jaxpr expects ${want[i].strShort()}`);
      }
    });
    return cj.outAvals;
  },
  // The JVP of a call is a call of the JVP: d jit(f)(x) = jit(jvp f)(x, dx).
  jvp: (primals, tangents, p) => {
    const cj = p.jaxpr as ClosedJaxpr;
    const { jaxpr: body, outNonzeros } = jvpJaxpr(cj, tangents.map((t) => !(t instanceof Zero)), false);
    const outs = bindJit(body, [...primals, ...tangents.filter((t): t is Value => !(t instanceof Zero))], withJaxpr(p, body));
    const n = cj.outAvals.length;
    let k = n;
    return [outs.slice(0, n), cj.outAvals.map((a, i) => (outNonzeros[i] ? outs[k++] : new Zero(tangentAval(a))))];
  },
  // Known inputs run the known part now (one call); the unknown part is staged as a second call
  // reading the first one's residuals.
  partialEval: (args, unknown, p, stage) => {
    const split = partialEvalJaxpr(p.jaxpr as ClosedJaxpr, unknown, false);
    const knownOuts = bindJit(split.known, args.filter((_, i) => !unknown[i]), withJaxpr(p, split.known));
    const nKnown = knownOuts.length - split.numRes;
    const [uj, uconsts] = hoistConsts(split.unknown);
    const unknownOuts = stage("jit", [...uconsts, ...knownOuts.slice(nKnown), ...args.filter((_, i) => unknown[i])], withJaxpr(p, uj));
    let k = 0, u = 0;
    return split.outUnknowns.map((isUnknown) => (isUnknown ? unknownOuts[u++] : knownOuts[k++]));
  },
  // The transpose of a call is a call of the transposed body.
  transpose: (cts, args, p) => {
    const linear = args.map((a) => a instanceof UndefinedPrimal);
    const body = transposeJaxpr(p.jaxpr as ClosedJaxpr, linear);
    const outs = bindJit(body, [...args.filter((a): a is Value => !(a instanceof UndefinedPrimal)), ...cts.map(instantiate)], withJaxpr(p, body));
    let k = 0;
    return linear.map((l) => (l ? outs[k++] : null));
  },
  // vmap of a call is a call of the vmapped body, every output batched at 0.
  batch: (args, dims, p, size) => {
    const [body] = vmapJaxpr(p.jaxpr as ClosedJaxpr, size, dims, 0);
    const outs = bindJit(body, args, withJaxpr(p, body));
    return [outs, outs.map(() => 0)];
  },
  lower: { kind: "impl", impl: (args, p) => runJit(args, p) },
});

// JAX prints `name` first, then the params that differ from their defaults.
registerPpEqnRule("jit", (eqn, ctx): Doc => {
  const p = eqn.params;
  const rest: Record<string, unknown> = { jaxpr: p.jaxpr };
  if ((p.donated_invars as boolean[]).some(Boolean)) rest.donated_invars = p.donated_invars;
  for (const k of ["in_shardings", "out_shardings", "in_layouts", "out_layouts"]) {
    if ((p[k] as unknown[]).some((x) => x !== null)) rest[k] = p[k];
  }
  if (p.keep_unused) rest.keep_unused = p.keep_unused;
  if (p.ctx_mesh !== null) rest.ctx_mesh = p.ctx_mesh;
  if ((p.compiler_options_kvs as unknown[]).length) rest.compiler_options_kvs = p.compiler_options_kvs;
  const params = { name: p.name, ...rest };
  // The body's inputs and outputs take the equation's names (unless printed once, shared).
  const body = (p.jaxpr as ClosedJaxpr).jaxpr;
  if (!ctx.shared.has(body)) {
    ctx.suggest(body.invars, eqn.inputs);
    ctx.suggest(body.outs, eqn.outBinders);
  }
  const lhs = ppVars(eqn.outBinders, ctx, { shapes: true });
  const rhs = concat(text("jit"), ppParams(params, ctx, ["name", ...Object.keys(rest).sort()]), text(" "), ppVars(eqn.inputs, ctx));
  return eqn.outBinders.length ? concat(lhs, text(" = "), rhs) : rhs;
});
