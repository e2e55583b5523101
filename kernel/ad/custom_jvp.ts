/**
 * @file `jax.custom_jvp`: a function with its own JVP rule (`defjvp`, or one derivative per
 * argument with `defjvps`), bound as JAX's `custom_jvp_call` primitive. The function is traced
 * once into `call_jaxpr` (what evaluation, jit and vmap see); differentiation calls the rule.
 * Under partial evaluation the call is inlined, as in JAX: linear jaxprs need no custom rule.
 */

import { type Params, type Value, UnexpectedTracerError, bind, definePrimitive, getAval } from "../ir/core.js";
import { isFloat } from "../ir/dtype.js";
import { ClosedJaxpr, evalJaxpr } from "../ir/jaxpr.js";
import { type PyTreeDef, treeDefEqual, treeDefStr, treeFlatten, treeUnflatten } from "../ir/pytree.js";
import { type ShapedArray, shapeEq } from "../ir/shape.js";
import { addTangents, zerosLikeAval } from "../lax/helpers.js";
import { type BDim, type MaybeZero, Zero } from "../ir/rules.js";
import { vmapJaxpr } from "../batching/jaxpr.js";
import { BatchTrace, BatchTracer, currentBatchAxis, matchAxis } from "../batching/trace.js";
import { vmapFlat } from "../batching/vmap.js";
import {
  type Fn, callFn, checkPrimalOut, funName, registerCustomCallPrinter, splitArgs, stopGradientTracers, traceClosureConverted,
} from "./custom.js";
import { Float0Array } from "./tangents.js";

/**
 * The JVP rule on flat lists of the differentiable leaves: primals and (materialized) tangents in,
 * primal and tangent outputs out. It carries the names JAX prints.
 */
export interface FlatJvpRule {
  (primals: readonly Value[], tangents: readonly (Value | Float0Array)[]): [Value[], MaybeZero[]];
  readonly funName: string;
  readonly ruleName: string;
  /** The values the function closed over when it was called (the rule may close over them too). */
  readonly closure: readonly Value[];
}

const CLOSURE_ERROR =
  "Detected differentiation of a custom_jvp function with respect to a closed-over value. That isn't supported because the custom JVP rule only " +
  "specifies how to differentiate the custom_jvp function with respect to explicit input parameters. Try passing the closed-over value into the " +
  "custom_jvp function as an argument, and adapting the custom_jvp rule.";

const jvpRuleOf = (p: Params): FlatJvpRule => p.jvp_jaxpr_fun as FlatJvpRule;
const callJaxprOf = (p: Params): ClosedJaxpr => p.call_jaxpr as ClosedJaxpr;

/** Materialized tangents for a user rule (symbolic_zeros=False): zeros, or float0 for integers. */
const userTangent = (t: MaybeZero, primal: Value): Value | Float0Array => {
  const a = getAval(primal);
  if (!isFloat(a.dtype)) return new Float0Array(a.shape);
  return t instanceof Zero ? zerosLikeAval(a) : t;
};

definePrimitive("custom_jvp_call", {
  abstractEval: (_avals, p) => callJaxprOf(p).outAvals,
  // The rule gives the tangents with respect to the explicit arguments only; a closed-over value
  // (one of the leading num_consts operands) being differentiated is JAX's error.
  jvp: (primals, tangents, p) => {
    const n = p.num_consts as number;
    if (tangents.slice(0, n).some((t) => !(t instanceof Zero))) throw new UnexpectedTracerError(CLOSURE_ERROR);
    const args = primals.slice(n);
    return jvpRuleOf(p)(args, tangents.slice(n).map((t, i) => userTangent(t, args[i])));
  },
  transpose: null,
  batch: (args, dims, p, size) => {
    const n = p.num_consts as number;
    const [callJaxpr] = vmapJaxpr(callJaxprOf(p), size, dims, 0);
    const rule = jvpRuleOf(p);
    // The rule of the batched function is the rule batched along the same axis (tangents batched
    // like their primals). When it closes over tracers of this very vmap, it runs in this vmap's
    // trace, so they meet the batched arguments there (JAX batches it with the same trace tag).
    const axis = currentBatchAxis()!;
    const own = rule.closure.find((c): c is BatchTracer => c instanceof BatchTracer && c.trace.main.globalData === axis);
    const batched = own ? inTrace(new BatchTrace(own.trace.main), rule, dims.slice(n)) : vmapped(rule, dims.slice(n), size);
    const outs = bind("custom_jvp_call", args, { ...p, call_jaxpr: callJaxpr, jvp_jaxpr_fun: Object.assign(batched, { funName: rule.funName, ruleName: rule.ruleName, closure: rule.closure }) });
    return [outs, outs.map(() => 0)];
  },
  lower: { kind: "impl", impl: (args, p) => evalJaxpr(callJaxprOf(p).jaxpr, [], args) },
  partialEval: (args, _unknown, p) => evalJaxpr(callJaxprOf(p).jaxpr, [], args),
});

type RuleFn = (primals: readonly Value[], tangents: readonly (Value | Float0Array)[]) => [Value[], MaybeZero[]];
const materialize = (outs: readonly Value[], touts: readonly MaybeZero[]): Value[] => touts.map((t, i) => (t instanceof Zero ? zerosLikeAval(getAval(outs[i])) : t));

/** The rule vmapped over a new batch axis of `size`: every output batched at 0. */
function vmapped(rule: FlatJvpRule, argDims: readonly BDim[], size: number): RuleFn {
  return (primals, tangents) => {
    const isVal = tangents.map((t) => !(t instanceof Float0Array));
    const inner = (...xs: Value[]): Value[] => {
      let k = primals.length;
      const ts = tangents.map((t, i) => (isVal[i] ? xs[k++] : t));
      const [o, to] = rule(xs.slice(0, primals.length), ts);
      return [...o, ...materialize(o, to)];
    };
    const tDims = argDims.filter((_, i) => isVal[i]);
    const outs = vmapFlat(inner, [...argDims, ...tDims], 0, size)(...primals, ...(tangents.filter((_, i) => isVal[i]) as Value[]));
    const m = outs.length / 2;
    return [outs.slice(0, m), outs.slice(m)];
  };
}

/** The rule run in an active batch trace (arguments boxed at `argDims`), outputs moved to axis 0. */
function inTrace(trace: BatchTrace, rule: FlatJvpRule, argDims: readonly BDim[]): RuleFn {
  const box = (v: Value, d: BDim): Value => (d === null ? v : new BatchTracer(trace, v, d));
  const unbox = (x: Value): Value => {
    const [v, d] = trace.unbox(x);
    return matchAxis(trace.axis, d, 0, v);
  };
  return (primals, tangents) => {
    const [o, to] = rule(primals.map((v, i) => box(v, argDims[i])), tangents.map((t, i) => (t instanceof Float0Array ? t : box(t, argDims[i]))));
    return [o.map(unbox), materialize(o, to).map(unbox)];
  };
}

registerCustomCallPrinter(
  "custom_jvp_call",
  (p) => jvpRuleOf(p).funName,
  (p) => ({ call_jaxpr: p.call_jaxpr, jvp: jvpRuleOf(p).ruleName, num_consts: p.num_consts, symbolic_zeros: p.symbolic_zeros }),
);

type JvpFn = (...args: never[]) => unknown;

/** A function with a custom JVP rule: call it like the function; define the rule with `defjvp`/`defjvps`. */
export interface CustomJvpFunction<F extends Fn> {
  (...args: Parameters<F>): ReturnType<F>;
  readonly fun: F;
  readonly nondiffArgnums: readonly number[];
  /** `jvp(...nondiffArgs, primals, tangents) => [primalOut, tangentOut]` (tuples of the arguments). */
  defjvp<J extends JvpFn>(jvp: J): J;
  /** One rule per argument, `(g, primalOut, ...primals) => tangentOut` (null: no dependence). */
  defjvps(...jvps: (((g: never, ans: never, ...primals: never[]) => unknown) | null)[]): void;
}

/**
 * `jax.custom_jvp(fun, nondiff_argnums)`: `const f = customJvp((x) => ...); f.defjvp(([x], [t]) =>
 * [out, tangentOut])`. Arguments at `nondiffArgnums` are static: the rule receives them first.
 */
export function customJvp<F extends Fn>(fun: F, opts: { nondiffArgnums?: readonly number[] } = {}): CustomJvpFunction<F> {
  const nondiff = opts.nondiffArgnums ?? [];
  let rule: JvpFn | undefined;
  const primalName = funName(fun);

  const call = (...args: unknown[]): unknown => {
    if (!rule) {
      const e = new Error(`No JVP defined for custom_jvp function ${primalName} using defjvp.`);
      e.name = "AttributeError";
      throw e;
    }
    const userRule = rule;
    const { staticArgs, leaves, inTree, merge } = splitArgs(args.map((a, i) => (nondiff.includes(i) ? stopGradientTracers(a) : a)), nondiff);
    const unflat = (xs: readonly unknown[]): unknown[] => treeUnflatten(inTree, xs) as unknown[];
    const traced = traceClosureConverted((...xs) => callFn(fun, merge(unflat(xs))), leaves.map(getAval));
    const outAvals = traced.callJaxpr.outAvals;
    const flatRule = Object.assign((primals: readonly Value[], tangents: readonly (Value | Float0Array)[]): [Value[], MaybeZero[]] => {
      const pair = callFn(userRule, [...staticArgs, unflat(primals), unflat(tangents)]);
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(`Custom JVP rule ${funName(userRule)} for function ${primalName} must produce a pair (list or tuple of length two) representing primal and tangent outputs, but got ${String(pair)}.`);
      }
      const [po, poTree] = treeFlatten(pair[0]);
      const [to, toTree] = treeFlatten(pair[1], (x) => x instanceof Zero || x instanceof Float0Array);
      checkPrimalOut("JVP", funName(userRule), primalName, "where the first element represents the primal output (equal in value to the output of the custom_jvp-decorated function " +
        `${primalName}, and in particular of the same container/pytree structure)`, poTree, po as Value[], traced.outTree, outAvals);
      return [po as Value[], checkTangentsOut(funName(userRule), primalName, poTree, toTree, to, outAvals)];
    }, { funName: primalName, ruleName: funName(userRule), closure: traced.consts });
    const outs = bind("custom_jvp_call", [...traced.consts, ...leaves], {
      call_jaxpr: traced.callJaxpr, jvp_jaxpr_fun: flatRule, num_consts: traced.consts.length, symbolic_zeros: false,
    });
    return treeUnflatten(traced.outTree, outs);
  };

  return Object.assign(call, {
    fun,
    nondiffArgnums: nondiff,
    defjvp<J extends JvpFn>(jvp: J): J {
      rule = jvp;
      return jvp;
    },
    defjvps(...jvps: (((g: never, ans: never, ...primals: never[]) => unknown) | null)[]): void {
      if (nondiff.length) throw new TypeError("Can't use ``defjvps`` with ``nondiff_argnums``.");
      rule = Object.defineProperty((primals: unknown[], tangents: unknown[]) => {
        const out = callFn(call as Fn, primals);
        const [outLeaves, outTree] = treeFlatten(out);
        let sum: MaybeZero[] = outLeaves.map((o) => new Zero(getAval(o as Value)));
        jvps.forEach((f, i) => {
          if (!f) return;
          const [ts] = treeFlatten(callFn(f, [tangents[i], out, ...primals]), (x) => x instanceof Zero);
          sum = sum.map((acc, k) => addTangents(acc, ts[k] as MaybeZero));
        });
        return [out, treeUnflatten(outTree, sum)];
      }, "name", { value: `${primalName}_jvps` });
    },
  }) as unknown as CustomJvpFunction<F>;
}

/** The rule's tangent outputs: the primal output's tree and tangent types (integer outputs: zero). */
function checkTangentsOut(
  ruleName: string, primalName: string, primalTree: PyTreeDef, tree: PyTreeDef, leaves: readonly unknown[], wantAvals: readonly ShapedArray[],
): MaybeZero[] {
  if (!treeDefEqual(primalTree, tree)) {
    throw new TypeError(`Custom JVP rule ${ruleName} for function ${primalName} must produce primal and tangent outputs with equal container (pytree) structures, but got ${treeDefStr(primalTree)} and ${treeDefStr(tree)} respectively.`);
  }
  return leaves.map((t, i) => {
    const want = wantAvals[i];
    if (!isFloat(want.dtype) || t instanceof Float0Array) return new Zero(want);
    if (t instanceof Zero) return t;
    const a = getAval(t as Value);
    if (a.dtype !== want.dtype || !shapeEq(a.shape, want.shape)) {
      throw new TypeError(`Custom JVP rule must produce primal and tangent outputs with corresponding shapes and dtypes. Expected ${want.strShort()} (tangent type of ${want.strShort()}) but got ${a.strShort()}.`);
    }
    return t as Value;
  });
}
