/**
 * @file `jax.custom_vjp`: a function with its own forward and backward passes (`defvjp(fwd,
 * bwd)`), bound as JAX's `custom_vjp_call`. Under JVP the forward rule runs and the tangents go
 * through `custom_lin`, a primitive linear in the tangents whose transpose calls the backward
 * rule; forward-mode evaluation of `custom_lin` is JAX's error ("can't apply forward-mode autodiff
 * (jvp) to a custom_vjp function.").
 */

import { type Params, type Value, UnexpectedTracerError, Tracer, bind, definePrimitive, getAval } from "../ir/core.js";
import { isFloat } from "../ir/dtype.js";
import { type ClosedJaxpr, evalJaxpr } from "../ir/jaxpr.js";
import { type PyTreeDef, treeDefStr, treeFlatten, treeLeaves, treeNumLeaves, treeUnflatten } from "../ir/pytree.js";
import { type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { type ShapedArray, shapeEq } from "../ir/shape.js";
import { zerosLikeAval } from "../lax/helpers.js";
import { vmapJaxpr } from "../batching/jaxpr.js";
import { vmapFlat } from "../batching/vmap.js";
import { type Fn, callFn, checkPrimalOut, funName, registerCustomCallPrinter, splitArgs, traceClosureConverted } from "./custom.js";

/** The forward rule on flat lists: primals → [primal outputs, residuals]. */
export interface FlatFwd {
  (primals: readonly Value[]): [Value[], Value[]];
  readonly funName: string;
  readonly ruleName: string;
}
/** The backward rule on flat lists: residuals and output cotangents → one cotangent per primal leaf. */
export interface FlatBwd {
  (res: readonly Value[], cts: readonly Value[]): MaybeZero[];
  readonly ruleName: string;
}

/** JAX's error for differentiating a custom_vjp function with respect to a closed-over value. */
export class CustomVJPException extends Error {
  constructor() {
    super(
      "Detected differentiation of a custom_vjp function with respect to a closed-over value. That isn't supported because the custom VJP rule only " +
        "specifies how to differentiate the custom_vjp function with respect to explicit input parameters. Try passing the closed-over value into the " +
        "custom_vjp function as an argument, and adapting the custom_vjp fwd and bwd rules.",
    );
    this.name = "CustomVJPException";
  }
}

const JVP_ERROR = "can't apply forward-mode autodiff (jvp) to a custom_vjp function.";
const fwdOf = (p: Params): FlatFwd => p.fwd_jaxpr_thunk as FlatFwd;
const bwdOf = (p: Params): FlatBwd => p.bwd as FlatBwd;
const callJaxprOf = (p: Params): ClosedJaxpr => p.call_jaxpr as ClosedJaxpr;

definePrimitive("custom_vjp_call", {
  abstractEval: (_avals, p) => callJaxprOf(p).outAvals,
  // Forward rule now; the tangents' dependence is the linear custom_lin, transposed by bwd.
  jvp: (primals, tangents, p) => {
    const n = p.num_consts as number;
    if (tangents.slice(0, n).some((t) => !(t instanceof Zero))) throw new CustomVJPException();
    const [outs, res] = fwdOf(p)(primals.slice(n));
    const argTangents = tangents.slice(n);
    const inZeros = argTangents.map((t) => t instanceof Zero);
    const touts = bind("custom_lin", [...res, ...(argTangents.filter((t) => !(t instanceof Zero)) as Value[])], {
      num_res: res.length, bwd: bwdOf(p), out_avals: outs.map(getAval), symbolic_zeros: false, in_zeros: inZeros,
    });
    return [outs, touts];
  },
  transpose: null,
  batch: (args, dims, p, size) => {
    const n = p.num_consts as number;
    const [callJaxpr] = vmapJaxpr(callJaxprOf(p), size, dims, 0);
    const fwd = fwdOf(p);
    const bwd = bwdOf(p);
    const argDims = dims.slice(n);
    let nOut = 0;
    // The rules of the batched function are the vmapped rules (residuals batched at 0).
    const batchedFwd = Object.assign((primals: readonly Value[]): [Value[], Value[]] => {
      const outs = vmapFlat((...xs) => {
        const [o, r] = fwd(xs);
        nOut = o.length;
        return [...o, ...r];
      }, argDims, 0, size)(...primals);
      return [outs.slice(0, nOut), outs.slice(nOut)];
    }, { funName: fwd.funName, ruleName: fwd.ruleName });
    const batchedBwd = Object.assign((res: readonly Value[], cts: readonly Value[]): MaybeZero[] => {
      const inner = (...xs: Value[]): Value[] => {
        const cs = bwd(xs.slice(0, res.length), xs.slice(res.length));
        return cs.map((c, i) => (c instanceof Zero ? zerosLikeAval(callJaxprOf(p).inAvals[n + i]) : c));
      };
      return vmapFlat(inner, [...res.map(() => 0), ...cts.map(() => 0)], 0, size)(...res, ...cts);
    }, { ruleName: bwd.ruleName });
    const outs = bind("custom_vjp_call", args, { ...p, call_jaxpr: callJaxpr, fwd_jaxpr_thunk: batchedFwd, bwd: batchedBwd });
    return [outs, outs.map(() => 0)];
  },
  lower: { kind: "impl", impl: (args, p) => evalJaxpr(callJaxprOf(p).jaxpr, [], args) },
  // Partial evaluation builds linear functions, which need no custom rule: inline (as JAX).
  partialEval: (args, _unknown, p) => evalJaxpr(callJaxprOf(p).jaxpr, [], args),
});

registerCustomCallPrinter(
  "custom_vjp_call",
  (p) => fwdOf(p).funName,
  (p) => ({ bwd: bwdOf(p).ruleName, call_jaxpr: p.call_jaxpr, fwd: fwdOf(p).ruleName, num_consts: p.num_consts, symbolic_zeros: p.symbolic_zeros }),
);

definePrimitive("custom_lin", {
  abstractEval: (_avals, p) => p.out_avals as ShapedArray[],
  jvp: () => {
    throw new TypeError(JVP_ERROR);
  },
  // Linear in the tangents (after the residuals): the backward rule gives their cotangents.
  transpose: (cts, args, p) => {
    const numRes = p.num_res as number;
    const res = args.slice(0, numRes) as Value[];
    const outAvals = p.out_avals as ShapedArray[];
    const ctsIn = bwdOf(p)(res, cts.map((c, i) => (c instanceof Zero ? zerosLikeAval(outAvals[i]) : c)));
    const inZeros = p.in_zeros as boolean[];
    const linear = ctsIn.filter((_, i) => !inZeros[i]);
    return args.map((a, i) => (i >= numRes && a instanceof UndefinedPrimal ? linear[i - numRes] : null));
  },
  batch: () => {
    throw new TypeError(JVP_ERROR);
  },
  lower: {
    kind: "impl",
    impl: () => {
      throw new TypeError(JVP_ERROR);
    },
  },
});

type VjpFn = (...args: never[]) => unknown;

/** A function with custom forward and backward passes, defined with `defvjp`. */
export interface CustomVjpFunction<F extends Fn> {
  (...args: Parameters<F>): ReturnType<F>;
  readonly fun: F;
  readonly nondiffArgnums: readonly number[];
  /**
   * `fwd(...args) => [out, residuals]` and `bwd(...nondiffArgs, residuals, ct) => cotangents`, a
   * tuple with one entry per differentiable argument (null for a zero cotangent).
   */
  defvjp(fwd: VjpFn, bwd: VjpFn): void;
}

/**
 * `jax.custom_vjp(fun, nondiff_argnums)`: `const f = customVjp((x) => ...); f.defvjp(fwd, bwd)`.
 * Arguments at `nondiffArgnums` are static (no tracers allowed, as JAX); `bwd` receives them first.
 */
export function customVjp<F extends Fn>(fun: F, opts: { nondiffArgnums?: readonly number[] } = {}): CustomVjpFunction<F> {
  const nondiff = opts.nondiffArgnums ?? [];
  const primalName = funName(fun);
  let rules: { fwd: VjpFn; bwd: VjpFn } | undefined;

  const call = (...args: unknown[]): unknown => {
    if (!rules) {
      const e = new Error(`No VJP defined for custom_vjp function ${primalName} using defvjp.`);
      e.name = "AttributeError";
      throw e;
    }
    const { fwd, bwd } = rules;
    for (const i of nondiff) {
      if (treeLeaves(args[i]).some((l) => l instanceof Tracer)) {
        throw new UnexpectedTracerError(
          "Found a JAX Tracer object passed as an argument to a custom_vjp function in a position indicated by nondiff_argnums as non-differentiable. " +
            "Tracers cannot be passed as non-differentiable arguments to custom_vjp functions; instead, nondiff_argnums should only be used for arguments " +
            "that can't be or contain JAX tracers, e.g. function-valued arguments. In particular, array-valued arguments should typically not be indicated as nondiff_argnums.",
        );
      }
    }
    const { staticArgs, leaves, inTree, merge } = splitArgs(args, nondiff);
    const unflat = (xs: readonly unknown[]): unknown[] => treeUnflatten(inTree, xs) as unknown[];
    const inAvals = leaves.map(getAval);
    const traced = traceClosureConverted((...xs) => callFn(fun, merge(unflat(xs))), inAvals);
    const outAvals = traced.callJaxpr.outAvals;
    let resTree: PyTreeDef | undefined;
    const flatFwd = Object.assign((primals: readonly Value[]): [Value[], Value[]] => {
      const pair = callFn(fwd, merge(unflat(primals)));
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TypeError(
          `Custom VJP fwd rule ${funName(fwd)} for function ${primalName} must produce a pair (list or tuple of length two) where the first element represents the primal output ` +
            `(equal to those of the custom_vjp-decorated function ${primalName}) and the second element represents residuals (i.e. values stored from the forward pass for use on the backward pass), ` +
            `but instead of a pair the fwd rule ${funName(fwd)} produced ${String(pair)}.`,
        );
      }
      const [outs, outTree] = treeFlatten(pair[0]);
      checkPrimalOut("VJP fwd", funName(fwd), primalName, "where the first element represents the primal output (equal to the output of the custom_vjp-decorated function " +
        `${primalName}) and the second element represents residuals (i.e. values stored from the forward pass for use on the backward pass)`, outTree, outs as Value[], traced.outTree, outAvals);
      const [res, rt] = treeFlatten(pair[1]);
      resTree = rt;
      return [outs as Value[], res as Value[]];
    }, { funName: primalName, ruleName: funName(fwd) });
    const flatBwd = Object.assign((res: readonly Value[], cts: readonly Value[]): MaybeZero[] => {
      const out = callFn(bwd, [...staticArgs, treeUnflatten(resTree!, res), treeUnflatten(traced.outTree, cts)]);
      return bwdCotangents(out, inTree, inAvals);
    }, { ruleName: funName(bwd) });
    const outs = bind("custom_vjp_call", [...traced.consts, ...leaves], {
      call_jaxpr: traced.callJaxpr, fwd_jaxpr_thunk: flatFwd, bwd: flatBwd, num_consts: traced.consts.length, out_trees: () => [traced.outTree, resTree], symbolic_zeros: false,
    });
    return treeUnflatten(traced.outTree, outs);
  };

  return Object.assign(call, {
    fun,
    nondiffArgnums: nondiff,
    defvjp(fwd: VjpFn, bwd: VjpFn): void {
      rules = { fwd, bwd };
    },
  }) as unknown as CustomVjpFunction<F>;
}

/**
 * The bwd rule's output as one cotangent per differentiable leaf: a tuple with an entry per
 * argument (None: zero), each matching its argument's structure and type (JAX's _flatten_bwd).
 */
function bwdCotangents(out: unknown, inTree: PyTreeDef, inAvals: readonly ShapedArray[]): MaybeZero[] {
  const args = inTree.kind === "list" ? inTree.children : [];
  if (!Array.isArray(out) || out.length !== args.length) {
    const [, got] = treeFlatten(out);
    throw new TypeError(
      "Custom VJP bwd rule must produce an output with the same container (pytree) structure as the args tuple of the primal function, and in particular must produce a tuple " +
        `of length equal to the number of arguments to the primal function, but got bwd output structure ${treeDefStr(got)} for primal input structure ${treeDefStr(inTree)}.`,
    );
  }
  const cts: MaybeZero[] = [];
  out.forEach((ct, i) => {
    const n = treeNumLeaves(args[i]);
    if (ct === null || ct === undefined) {
      for (let k = 0; k < n; k++) cts.push(new Zero(inAvals[cts.length]));
      return;
    }
    const [leaves] = treeFlatten(ct, (x) => x instanceof Zero);
    if (leaves.length !== n) {
      throw new TypeError(`Custom VJP bwd rule must produce an output with the same container (pytree) structure as the args tuple of the primal function, but at output[${i}] got ${leaves.length} leaves for an argument with ${n}.`);
    }
    for (const l of leaves) {
      const want = inAvals[cts.length];
      if (l instanceof Zero || !isFloat(want.dtype)) {
        cts.push(new Zero(want));
        continue;
      }
      const a = getAval(l as Value);
      if (a.dtype !== want.dtype || !shapeEq(a.shape, want.shape)) {
        const e = new Error(`Custom VJP bwd rule must produce an output with the same type as the args tuple of the primal function, but at output[${i}] the bwd rule produced an output of type ${a.strShort()} corresponding to an input of type ${want.strShort()}`);
        e.name = "ValueError";
        throw e;
      }
      cts.push(l as Value);
    }
  });
  return cts;
}
