/**
 * @file The `debug_callback` primitive (JAX's `jax/_src/debugging.py`): calls a host function with
 * the concrete values of its operands when the program reaches it — eagerly at once, under `jit`
 * as a host step of the compiled program. It has no outputs and an effect (`Debug`, or
 * `OrderedDebug` with `ordered=True`) that keeps it in jaxprs: dead-code elimination keeps
 * effectful equations. Printed as JAX prints it:
 * `debug_callback[callback=<function …> effect=Debug partitioned=False] a`.
 */

import { type Params, type Value, TypedScalar, bind, definePrimitive } from "../ir/core.js";
import { toArray } from "../backend/eager.js";
import { indexInDim } from "./slicing.js";

/** JAX's DebugEffect / OrderedDebugEffect; prints as JAX's `str(effect)`. */
export class DebugEffect {
  private constructor(readonly ordered: boolean) {}
  static readonly unordered = new DebugEffect(false);
  static readonly ordered = new DebugEffect(true);
  toString(): string {
    return this.ordered ? "OrderedDebug" : "Debug";
  }
}

/** The host function a `debug_callback` equation calls with its operands' concrete values. */
export type DebugCallback = (...args: Value[]) => void;

/** The params of a `debug_callback` equation, in JAX's (sorted) order. */
export function debugCallbackParams(callback: DebugCallback, ordered = false, partitioned = false): Params {
  return { callback, effect: ordered ? DebugEffect.ordered : DebugEffect.unordered, partitioned };
}

/**
 * `jax.debug.callback(callback, *args)` on flat operands: binds `debug_callback`, so under a
 * transformation the call is staged and made later with the values the program computes.
 * The function's `name` is what jaxprs print as the `callback` param.
 */
export function debugCallback(callback: DebugCallback, args: readonly Value[], opts: { ordered?: boolean; partitioned?: boolean } = {}): void {
  if (typeof callback !== "function") {
    throw new TypeError(`first argument to jax.debug.callback must be callable, but got an object of type ${typeof callback}`);
  }
  bind("debug_callback", args, debugCallbackParams(callback, opts.ordered ?? false, opts.partitioned ?? false));
}

definePrimitive("debug_callback", {
  abstractEval: () => [],
  // The derivative of a print is nothing; the callback still sees the primals, once:
  // d(debug_callback(x)) = (), with debug_callback(x) run on the primal x.
  jvp: (primals, _tangents, p) => {
    bind("debug_callback", primals, p);
    return [[], []];
  },
  // No outputs, so no cotangents to pass back; the operands get none either.
  transpose: (_cts, args) => args.map(() => null),
  // As JAX does: the callback is unrolled over the mapped axis, called once per batch element
  // (unmapped operands are passed whole to every call).
  batch: (args, dims, p, size) => {
    for (let k = 0; k < size; k++) {
      bind("debug_callback", args.map((a, j) => (dims[j] === null ? a : indexInDim(a, k, dims[j]!, false))), p);
    }
    return [[], []];
  },
  lower: {
    kind: "impl",
    // Operands that reach here as literals (a scalar constant folded into a jaxpr, as when a
    // rematerialized print reads a known input) are passed as arrays, like every other operand.
    impl: (args, p) => {
      (p.callback as DebugCallback)(...args.map((a) => (a instanceof TypedScalar || typeof a !== "object" ? toArray(a) : a)));
      return [];
    },
  },
  effectful: true,
});
