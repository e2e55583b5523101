/**
 * @file Argument checking for the TypeScript `jnp` API, as Python checks a call against a
 * signature: required parameters are positional and optional ones travel in one trailing options
 * object (signatures.ts), so an extra positional argument (`linspace(-2, 2, 5)`, which would
 * otherwise be dropped for the default `num=50`), a missing one, or an unknown option name is a
 * TypeError naming the function and the argument — never silently ignored.
 */

import { SIGNATURES, type Signature } from "./signatures.js";

type Fn = (...args: unknown[]) => unknown;

const isOptions = (x: unknown): boolean =>
  x === undefined || (typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype);

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** Python's list of names in messages: 'a', 'a' and 'b', 'a', 'b' and 'c'. */
function nameList(names: readonly string[]): string {
  const q = names.map((n) => `'${n}'`);
  return q.length <= 1 ? q.join("") : `${q.slice(0, -1).join(", ")} and ${q[q.length - 1]}`;
}

/** Raises Python's TypeError for a call of `name` whose arguments do not fit `sig`. */
export function checkArgs(name: string, sig: Signature, args: readonly unknown[]): void {
  const positional = sig.params.filter((p) => p.required || p.varargs);
  const optional = sig.params.filter((p) => !p.required && !p.varargs).map((p) => p.name);
  const n = positional.length;
  let given = args.length;
  let opts: unknown;
  if (given > n && isOptions(args[given - 1])) opts = args[--given];
  if (given > n) {
    const hint = optional.length ? ` (optional parameters go in a trailing options object: ${name}(${positional.map((p) => p.name).join(", ")}, { ${optional.join(", ")} }))` : "";
    throw new TypeError(`${name}() takes ${plural(n, "positional argument")} but ${given} ${given === 1 ? "was" : "were"} given${hint}`);
  }
  // Trailing `undefined`s stand for absent arguments, as JS callers write them.
  const missing = positional.slice(given).map((p) => p.name);
  if (missing.length) throw new TypeError(`${name}() missing ${missing.length} required positional argument${missing.length === 1 ? "" : "s"}: ${nameList(missing)}`);
  if (opts !== undefined) {
    for (const key of Object.keys(opts as object)) {
      if (!optional.includes(key)) throw new TypeError(`${name}() got an unexpected keyword argument '${key}'`);
    }
  }
}

/** `fn` checking its arguments against `sig` first (reported under the TypeScript name `name`). */
function checked(name: string, sig: Signature, fn: Fn): Fn {
  const wrapper = (...args: unknown[]): unknown => {
    checkArgs(name, sig, args);
    return fn(...args);
  };
  // Name and arity as the function's own (introspection sees the same function).
  Object.defineProperty(wrapper, "name", { value: name });
  Object.defineProperty(wrapper, "length", { value: fn.length });
  return wrapper;
}

/**
 * The `jnp` namespace with every function of the signature table checked (and `linalg`'s); other
 * exports are passed through unchanged.
 */
export function withArgChecks<T extends object>(ns: T): T {
  const sigs = new Map<string, Signature>();
  for (const sig of Object.values(SIGNATURES)) if (!sigs.has(sig.ts)) sigs.set(sig.ts, sig);
  const wrap = (obj: Record<string, unknown>, prefix: string): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
      const sig = sigs.get(prefix + key);
      out[key] = typeof value === "function" && sig ? checked(key, sig, value as Fn) : value;
    }
    return out;
  };
  const top = wrap(ns as Record<string, unknown>, "");
  if ("linalg" in ns) top.linalg = wrap((ns as { linalg: Record<string, unknown> }).linalg, "linalg.");
  return top as T;
}
