/**
 * @file Every jnp function in the NumPy-fixture table (test/fixtures/gen_numpy_funcs.py), called
 * the way the Python front end calls it: through the signature table (required parameters
 * positional, the rest in the options object) and through the argument-checked TS API, compared
 * with NumPy's values and JAX's dtypes.
 */

import assert from "node:assert/strict";
import { type FixtureArray, assertClose, fromFixture, loadFixture, decode, testDevices } from "../util.js";
import { setDefaultDevice } from "../../kernel/backend/device.js";
import { jnp } from "../../kernel/numpy/api.js";
import { SIGNATURES } from "../../kernel/numpy/signatures.js";
import { JaxValue, TypedScalar } from "../../kernel/ir/core.js";
import { Array as JaxArray } from "../../kernel/backend/array.js";
import { makeJaxpr, evalJaxpr } from "../../kernel/ir/jaxpr.js";
import { ConcretizationTypeError } from "../../kernel/ir/errors.js";

type Arg = number | string | boolean | null | { array: FixtureArray } | { float: number | string } | { list: Arg[] } | Arg[];
interface Case {
  name: string;
  fn: string;
  args: Arg[];
  kwargs: Record<string, Arg>;
  out: FixtureArray[];
  tuple: boolean;
}

/** Fixture arguments; a Python float becomes a weak float32 scalar (array argument) or a number (option). */
function decodeArg(a: Arg, asOption = false): unknown {
  if (a === null || typeof a !== "object") return a;
  if (Array.isArray(a)) return a.map((e) => decodeArg(e, asOption));
  if ("array" in a) return fromFixture(a.array);
  if ("float" in a) return asOption ? decode(a.float) : new TypedScalar(decode(a.float), "float32", true);
  return a.list.map((e) => decodeArg(e));
}

/** Resolves a NumPy name to the kernel/numpy function the signature table names (or its camelCase). */
function resolve(name: string): (...args: unknown[]) => unknown {
  const path = (SIGNATURES[name]?.ts ?? name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())).split(".");
  let obj: unknown = jnp;
  for (const p of path) obj = (obj as Record<string, unknown>)[p];
  assert.equal(typeof obj, "function", `${name}: ${path.join(".")} is not an exported function`);
  return obj as (...args: unknown[]) => unknown;
}

/**
 * Python's call `fn(*args, **kwargs)` in the TS convention, by the signature table. Functions not
 * in the table yet (statistics.ts) take the positional arguments as given and keywords as options.
 */
export function callNumpy(name: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const sig = SIGNATURES[name];
  const fn = resolve(name);
  if (!sig) return fn(...args, kwargs);
  const positional: unknown[] = [];
  const opts: Record<string, unknown> = {};
  let i = 0;
  for (const p of sig.params) {
    if (p.varargs) {
      positional.push(args.slice(i));
      i = args.length;
    } else if (p.required) {
      positional.push(i < args.length ? args[i++] : kwargs[p.name]);
    } else if (i < args.length) {
      opts[p.name] = args[i++];
    }
  }
  assert.equal(i, args.length, `${name}: too many positional arguments`);
  for (const [k, v] of Object.entries(kwargs)) {
    const p = sig.params.find((q) => q.name === k);
    assert.ok(p, `${name}: no parameter ${k}`);
    if (!p.required) opts[k] = v;
  }
  return fn(...positional, opts);
}

const LOOSE = new Set(["linalg.det", "linalg.slogdet", "linalg.inv", "linalg.solve", "linalg.cholesky", "linalg.matrix_power",
  "linalg.eigh", "linalg.svd", "linalg.pinv", "linalg.lstsq", "polyfit", "linalg.norm"]);

/** The fixture tables: gen_numpy_funcs.py and gen_numpy_more.py (sets, polynomials, layout, numeric helpers). */
const FIXTURES = ["numpy_funcs", "numpy_more"];
const allCases = (): Case[] => FIXTURES.flatMap((f) => loadFixture<{ cases: Case[] }>(f).cases);

for (const device of testDevices()) {
  describe(`jnp functions vs NumPy on ${device.toString()}`, () => {
    const cases = allCases();
    // Inputs, constants and results all live on the device under test.
    before(() => setDefaultDevice(device));
    after(() => setDefaultDevice(null));
    for (const c of cases) {
      it(c.name, () => {
        const got = callNumpy(c.fn, c.args.map((a) => decodeArg(a)), Object.fromEntries(Object.entries(c.kwargs).map(([k, v]) => [k, decodeArg(v, true)])));
        // A list inside the result (histogramdd's edges) counts as its elements.
        const outs = c.tuple ? (got as unknown[]).flat() : [got];
        assert.equal(outs.length, c.out.length, "number of outputs");
        const tol = LOOSE.has(c.fn) ? { rtol: 2e-4, atol: 2e-4 } : { rtol: 1e-5, atol: 1e-6 };
        outs.forEach((o, k) => {
          assert.ok(o instanceof JaxValue, `output ${k} is not an array`);
          assertClose(o, c.out[k], { ...tol, msg: `${c.name} output ${k}` });
        });
      });
    }
  });
}

/** Functions whose output shape depends on the values: they need concrete input (or size=, then they trace). */
const VALUE_DEPENDENT = new Set(["unique", "nonzero", "flatnonzero", "argwhere", "bincount", "compress", "extract", "unique_values",
  "unique_counts", "unique_inverse", "unique_all", "union1d", "intersect1d", "setdiff1d", "setxor1d", "trim_zeros", "place"]);
/** Single cases that need concrete arguments: boolean masks turned into indices, ravel_multi_index's mode='raise' check. */
const VALUE_DEPENDENT_CASES = new Set(["ix_ booleans", "delete boolean mask", "ravel_multi_index"]);

/**
 * The same cases traced (array arguments abstract, as under jit) and the jaxpr evaluated: every
 * function stages to primitives, and the staged program computes NumPy's values.
 */
describe("jnp functions traced to jaxprs vs NumPy", () => {
  const cases = allCases();
  for (const c of cases) {
    it(c.name, () => {
      const args = c.args.map((a) => decodeArg(a));
      const kwargs = Object.fromEntries(Object.entries(c.kwargs).map(([k, v]) => [k, decodeArg(v, true)]));
      // Array arguments (also inside lists) become the jaxpr's inputs.
      const leaves: JaxArray[] = [];
      const mark = (v: unknown): unknown => (v instanceof JaxArray ? (leaves.push(v), { leaf: leaves.length - 1 }) : Array.isArray(v) ? v.map(mark) : v);
      const marked = args.map(mark);
      const fill = (v: unknown, xs: JaxValue[]): unknown =>
        v !== null && typeof v === "object" && "leaf" in (v as object) ? xs[(v as { leaf: number }).leaf] : Array.isArray(v) ? v.map((e) => fill(e, xs)) : v;
      const f = (...xs: JaxValue[]): unknown => callNumpy(c.fn, marked.map((m) => fill(m, xs)), kwargs);
      if ((VALUE_DEPENDENT.has(c.fn) || VALUE_DEPENDENT_CASES.has(c.name)) && !("size" in c.kwargs)) {
        assert.throws(() => makeJaxpr(f)(...leaves.map((l) => l.aval)), ConcretizationTypeError);
        return;
      }
      const cj = makeJaxpr(f)(...leaves.map((l) => l.aval));
      const outs = evalJaxpr(cj.jaxpr, cj.consts, leaves);
      assert.equal(outs.length, c.out.length, "number of outputs");
      const tol = LOOSE.has(c.fn) ? { rtol: 2e-4, atol: 2e-4 } : { rtol: 1e-5, atol: 1e-6 };
      // A constant output comes back as the literal it is (a JS scalar).
      outs.forEach((o, k) => assertClose(o instanceof JaxArray ? o : jnp.asarray(o), c.out[k], { ...tol, msg: `${c.name} output ${k}` }));
    });
  }
});

describe("signature table", () => {
  it("names an exported function for every entry, with the required parameters positional", () => {
    for (const [name, sig] of Object.entries(SIGNATURES)) {
      const fn = resolve(name);
      const positional = sig.params.filter((p) => p.required || p.varargs).length;
      assert.equal(fn.length, positional, `${name} (${sig.ts}) takes ${fn.length} positional parameters, the table says ${positional}`);
    }
  });
});
