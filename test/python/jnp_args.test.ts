/** @file jax.numpy's argument checking in Python, through `bin/jaxnb run`: CPython's messages. */

import assert from "node:assert/strict";
import path from "node:path";
import { programs, runCli } from "./run.js";

describe("jaxnb run: jax.numpy argument checking", function () {
  this.timeout(120_000);

  it("rejects extra, missing, unknown and repeated arguments as CPython does, and takes string parameters", async () => {
    const r = await runCli(["run", path.join(programs, "jnp_args.py")]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "jnp.linspace(-2, 2, 5, True, False, None, 0, 1) -> TypeError: linspace() takes from 2 to 7 positional arguments but 8 were given",
      "jnp.linspace(-2, 2, foo=1) -> TypeError: linspace() got an unexpected keyword argument 'foo'",
      "jnp.linspace(-2) -> TypeError: linspace() missing 1 required positional argument: 'stop'",
      "jnp.exp(1, 2) -> TypeError: exp() takes 1 positional argument but 2 were given",
      "jnp.where(1) -> TypeError: where() missing 2 required positional arguments: 'x' and 'y'",
      "jnp.linspace(-2, 2, 5, num=3) -> TypeError: linspace() got multiple values for argument 'num'",
      "jnp.linspace(-2, 2, 5).shape -> (5,)",
      // A string is passed as a string (einsum's subscripts); where an array is wanted, JAX's TypeError.
      "jnp.einsum('ij,jk->ik', jnp.ones((2, 3)), jnp.ones((3, 4))).shape -> (2, 4)",
      "jnp.einsum('ii', jnp.eye(3)) -> 3.0",
      "jnp.sin('a') -> TypeError: sin requires ndarray or scalar arguments, got <class 'str'> at position 0.",
      "jnp.add(1, 'b') -> TypeError: add requires ndarray or scalar arguments, got <class 'str'> at position 1.",
    ]);
  });
});
