/**
 * @file The TypeScript `jnp` API rejects calls that do not fit a function's signature (too many
 * positional arguments, missing ones, unknown option names) with Python's TypeError wording,
 * instead of silently ignoring arguments; well-formed calls are unchanged.
 */

import assert from "node:assert/strict";
import { jnp } from "../../kernel/index.js";
import { SIGNATURES } from "../../kernel/numpy/signatures.js";
import { Array } from "../../kernel/backend/array.js";

const typeError = (message: string) => (e: unknown): boolean => {
  assert.ok(e instanceof TypeError, `expected a TypeError, got ${String(e)}`);
  assert.equal(e.message, message);
  return true;
};

describe("jnp (TypeScript API): argument checking", () => {
  it("linspace(-2, 2, 5) is an error naming the function, not 50 points", () => {
    assert.throws(
      () => (jnp.linspace as (...a: unknown[]) => unknown)(-2, 2, 5),
      typeError("linspace() takes 2 positional arguments but 3 were given (optional parameters go in a trailing options object: linspace(start, stop, { num, endpoint, retstep, dtype, axis }))"),
    );
    assert.deepEqual((jnp.linspace(-2, 2, { num: 5 }) as Array).toNumbers(), [-2, -1, 0, 1, 2]);
  });

  it("too many arguments after the options object, and extra arguments of one-argument functions", () => {
    assert.throws(() => (jnp.exp as (...a: unknown[]) => unknown)(1, 2), typeError("exp() takes 1 positional argument but 2 were given"));
    assert.throws(() => (jnp.sum as (...a: unknown[]) => unknown)([1, 2], { axis: 0 }, 3), /sum\(\) takes 1 positional argument but 3 were given/);
  });

  it("unknown option names, with Python's message", () => {
    assert.throws(() => jnp.linspace(0, 1, { num: 3, nums: 4 } as never), typeError("linspace() got an unexpected keyword argument 'nums'"));
    assert.throws(() => jnp.sum([1, 2], { axes: 0 } as never), typeError("sum() got an unexpected keyword argument 'axes'"));
    assert.throws(() => jnp.linalg.norm([3, 4], { order: 2 } as never), typeError("norm() got an unexpected keyword argument 'order'"));
  });

  it("missing required arguments, named", () => {
    assert.throws(() => (jnp.where as (...a: unknown[]) => unknown)(true), typeError("where() missing 2 required positional arguments: 'x' and 'y'"));
    assert.throws(() => (jnp.linspace as (...a: unknown[]) => unknown)(0), typeError("linspace() missing 1 required positional argument: 'stop'"));
  });

  it("well-formed calls work as before: options, varargs as one array, undefined options", () => {
    assert.deepEqual((jnp.sum([[1, 2], [3, 4]], { axis: 0 }) as Array).toNumbers(), [4, 6]);
    assert.deepEqual((jnp.arange(3, undefined) as Array).toNumbers(), [0, 1, 2]);
    assert.deepEqual((jnp.einsum("i,i", [jnp.array([1, 2]), jnp.array([3, 4])]) as Array).toNumbers(), [11]);
    assert.equal((jnp.linalg.norm([3, 4]) as Array).item(), 5);
  });

  it("every function of the signature table is checked, keeping its name and arity", () => {
    const ns = jnp as unknown as Record<string, unknown>;
    for (const [name, sig] of Object.entries(SIGNATURES)) {
      const [scope, fname] = sig.ts.startsWith("linalg.") ? [ns.linalg as Record<string, unknown>, sig.ts.slice(7)] : [ns, sig.ts];
      const fn = scope[fname] as (...a: unknown[]) => unknown;
      assert.equal(fn.name, fname, name);
      const n = sig.params.filter((p) => p.required || p.varargs).length;
      assert.equal(fn.length, n, name);
      assert.throws(() => fn(...new globalThis.Array<number>(n + 1).fill(1), {}), TypeError, `${name}: an extra positional argument`);
    }
  });
});
