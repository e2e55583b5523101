/**
 * @file `jax.numpy` for the bridge: functions by their NumPy names (`floor_divide` is
 * kernel/numpy's `floorDivide`, `linalg.norm` its `linalg.norm`), and the signature table the
 * Python package builds its functions from (kernel/numpy/signatures.ts).
 */

import * as jnp from "../numpy/index.js";

type Fn = (...args: unknown[]) => unknown;

/** NumPy's snake_case name as the TypeScript API's camelCase one (for names the table lacks). */
export const camelName = (name: string): string => name.replace(/_([a-z0-9])/g, (_m, c: string) => (/[0-9]/.test(c) ? c : c.toUpperCase()));

export function numpyFunction(name: string): Fn {
  const tsName = jnp.SIGNATURES[name]?.ts ?? camelName(name);
  const [ns, fname] = tsName.startsWith("linalg.") ? [jnp.linalg as Record<string, unknown>, tsName.slice(7)] : [jnp as Record<string, unknown>, tsName];
  const fn = ns[fname];
  if (typeof fn !== "function") {
    const e = new Error(`module 'jax.numpy' has no attribute '${name}'`);
    e.name = "AttributeError";
    throw e;
  }
  return fn as Fn;
}

/** One parameter for Python: name, kind ("pos" | "opt" | "var" | "kw") and default. */
export type ParamSpec = [string, "pos" | "opt" | "var" | "kw", unknown?];

/**
 * The table as Python binds it: required parameters positional, `*args` one list in its place,
 * optional ones (keyword-only after `*args`) in the options object.
 */
export function numpySignatures(): Record<string, { params: ParamSpec[] }> {
  const out: Record<string, { params: ParamSpec[] }> = {};
  for (const [name, sig] of Object.entries(jnp.SIGNATURES)) {
    let afterVarargs = false;
    out[name] = {
      params: sig.params.map((p: { name: string; required: boolean; varargs: boolean }): ParamSpec => {
        if (p.varargs) {
          afterVarargs = true;
          return [p.name, "var"];
        }
        if (p.required) return [p.name, "pos"];
        return [p.name, afterVarargs ? "kw" : "opt", null];
      }),
    };
  }
  return out;
}
