/**
 * @file Debug callbacks inside jax.checkpoint under grad, as JAX runs them: the forward pass
 * prints, and the rematerialized forward in the backward pass prints again (JAX's
 * test_remat_of_debug_print, and its rule staging a known debug_callback unless the policy saves
 * it and its operands are saved values) — directly, inside lax.cond (whose grad under checkpoint
 * used to fail), inside fori_loop; under jit, vmap and vjp; once under jvp alone or without
 * checkpoint; and checkpoint composing with itself, custom_vjp and scan.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import { type Value } from "../../kernel/ir/core.js";
import { Array } from "../../kernel/backend/array.js";
import { ClosedJaxpr, type Jaxpr, makeJaxpr } from "../../kernel/ir/jaxpr.js";
import * as lax from "../../kernel/lax/index.js";
import { jit } from "../../kernel/jit/index.js";
import { vmap } from "../../kernel/batching/index.js";
import { type CheckpointPolicy, checkpoint, checkpointPolicies, grad, jvp, vjp } from "../../kernel/ad/index.js";
import { customVjp } from "../../kernel/ad/custom_vjp.js";
import { scan } from "../../kernel/lax/controlScan.js";

const scalar = (x: number): Array => Array.fromHost([x], [], "float32");
const num = (x: unknown): number => (x as Array).toNumbers()[0];
const close = (got: number, want: number, tol = 1e-5): void => assert.ok(Math.abs(got - want) <= tol * (1 + Math.abs(want)), `got ${got}, want ${want}`);

/** A print-like callback: each call appends a line "tag: v1 v2 …" to `lines`. */
function printer(): { lines: string[]; cb: (tag: string) => (...xs: Value[]) => void } {
  const lines: string[] = [];
  const cb = (tag: string) => (...xs: Value[]): void => {
    lines.push(`${tag}: ${xs.map((x) => (x as Array).toNumbers().join(",")).join(" ")}`);
  };
  return { lines, cb };
}

/** Every primitive of a jaxpr, with those of the jaxprs in its params (remat2's, cond's branches). */
function prims(j: Jaxpr, acc: string[] = []): string[] {
  for (const e of j.eqns) {
    acc.push(e.primitive);
    for (const v of Object.values(e.params)) {
      if (v instanceof ClosedJaxpr) prims(v.jaxpr, acc);
      else if (v && typeof v === "object" && "eqns" in v) prims(v as Jaxpr, acc);
      else if (globalThis.Array.isArray(v)) for (const b of v) if (b instanceof ClosedJaxpr) prims(b.jaxpr, acc);
    }
  }
  return acc;
}

describe("ad: debug callbacks inside checkpoint", () => {
  // JAX's test_remat_of_debug_print: y = x + 1, z = 2y, print(y, z), exp(z); at x = 2.
  const remat = (cb: (...xs: Value[]) => void, policy?: CheckpointPolicy, ordered = false) =>
    checkpoint((x: Value) => {
      const y = lax.add(x, 1);
      const z = lax.mul(y, 2);
      lax.debugCallback(cb, [y, z], { ordered });
      return lax.exp(z);
    }, { policy });

  it("a direct print runs in the forward pass and again in the rematerialized forward", () => {
    for (const ordered of [false, true]) {
      const { lines, cb } = printer();
      close(num(grad(remat(cb("p"), undefined, ordered))(scalar(2))), 2 * Math.exp(6), 1e-6);
      assert.deepEqual(lines, ["p: 3 6", "p: 3 6"]);
    }
    // The second print is in the staged remat2, which the backward pass runs.
    const { cb } = printer();
    const j = makeJaxpr(grad(remat(cb("p"))))(scalar(2)).jaxpr;
    const staged = j.eqns.find((e) => e.primitive === "remat2")!;
    assert.equal(staged.params.differentiated, true);
    assert.ok(prims(staged.params.jaxpr as Jaxpr).includes("debug_callback"));
    assert.equal(prims(j).filter((p) => p === "debug_callback").length, 2);
  });

  it("prints once without grad, under jvp alone, and without checkpoint", () => {
    const { lines, cb } = printer();
    remat(cb("call"))(scalar(2));
    jvp(remat(cb("jvp")), [scalar(2)], [scalar(1)]);
    grad((x: Value) => {
      lax.debugCallback(cb("plain"), [x]);
      return lax.sin(x);
    })(scalar(2));
    assert.deepEqual(lines, ["call: 3 6", "jvp: 3 6", "plain: 2"]);
  });

  it("a print inside lax.cond inside checkpoint prints twice under grad, in either branch", () => {
    const { lines, cb } = printer();
    const f = checkpoint((x: Value) =>
      lax.cond(lax.gt(x, 0),
        (a: Value) => {
          lax.debugCallback(cb("pos"), [a]);
          return lax.sin(a);
        },
        (a: Value) => {
          lax.debugCallback(cb("neg"), [lax.mul(a, 10)]);
          return lax.cos(a);
        }, x) as Value);
    close(num(grad(f)(scalar(0.5))), Math.cos(0.5));
    close(num(grad(f)(scalar(-0.5))), -Math.sin(-0.5));
    assert.deepEqual(lines, ["pos: 0.5", "pos: 0.5", "neg: -5", "neg: -5"]);
  });

  it("grad of a checkpointed cond works (its jvp splits into a known and a staged cond)", () => {
    const f = checkpoint((x: Value, w: Value) =>
      lax.cond(lax.gt(x, 0), (a: Value, b: Value) => lax.mul(lax.sin(a), b), (a: Value, b: Value) => lax.cos(lax.mul(a, b)), x, w) as Value);
    const [gx, gw] = grad(f, { argnums: [0, 1] })(scalar(0.5), scalar(3)) as Array[];
    close(num(gx), 3 * Math.cos(0.5));
    close(num(gw), Math.sin(0.5));
    const [hx, hw] = grad(f, { argnums: [0, 1] })(scalar(-0.5), scalar(3)) as Array[];
    close(num(hx), -Math.sin(-1.5) * 3);
    close(num(hw), -Math.sin(-1.5) * -0.5);
    close(num(jit(grad(f))(scalar(0.5), scalar(3))), 3 * Math.cos(0.5));
  });

  it("under jit (twice per call) and vmap (twice per element)", () => {
    const { lines, cb } = printer();
    const g = jit(grad(remat(cb("jit"))));
    g(scalar(2));
    close(num(g(scalar(0))), 2 * Math.exp(2), 1e-6);
    assert.deepEqual(lines, ["jit: 3 6", "jit: 3 6", "jit: 1 2", "jit: 1 2"]);
    lines.length = 0;
    vmap(grad(remat(cb("v"))))(Array.fromHost([0, 1], [2], "float32"));
    assert.deepEqual(lines, ["v: 1 2", "v: 2 4", "v: 1 2", "v: 2 4"]);
  });

  it("a print in a fori_loop body inside checkpoint: every iteration, forward then rematerialized", () => {
    const { lines, cb } = printer();
    const f = checkpoint((x: Value) => lax.foriLoop(0, 3, (_i: Value, c: Value) => {
      lax.debugCallback(cb("c"), [c]);
      return lax.mul(c, 2);
    }, x) as Value);
    close(num(grad(f)(scalar(1))), 8);
    assert.deepEqual(lines, ["c: 1", "c: 2", "c: 4", "c: 1", "c: 2", "c: 4"]);
  });

  it("policies: a print of saved values runs once; of the inputs, twice (as JAX's debug rule)", () => {
    const { lines, cb } = printer();
    const f = (x: Value): Value => {
      const y = lax.mul(x, 2);
      lax.debugCallback(cb("y"), [y]);
      lax.debugCallback(cb("x"), [x]);
      return lax.sin(y);
    };
    close(num(grad(checkpoint(f, { policy: checkpointPolicies.everything_saveable }))(scalar(0.5))), 2 * Math.cos(1));
    assert.deepEqual(lines, ["y: 1", "x: 0.5", "x: 0.5"]);
    lines.length = 0;
    close(num(grad(checkpoint(f, { policy: checkpointPolicies.dots_saveable }))(scalar(0.5))), 2 * Math.cos(1));
    assert.deepEqual(lines, ["y: 1", "x: 0.5", "y: 1", "x: 0.5"]);
  });

  it("under vjp: the forward print at the vjp call, the rematerialized one when the pullback runs", () => {
    const { lines, cb } = printer();
    const [, pullback] = vjp(remat(cb("p")), [scalar(2)]) as [Value, (ct: Value) => Value[]];
    assert.deepEqual(lines, ["p: 3 6"]);
    close(num(pullback(scalar(1))[0]), 2 * Math.exp(6), 1e-6);
    assert.deepEqual(lines, ["p: 3 6", "p: 3 6"]);
  });

  it("composes (the partial evaluation rule was rewritten): nested checkpoints, custom_vjp inside, checkpoint in a scan body", () => {
    const x = scalar(0.5);
    const dSinSin = Math.cos(Math.sin(0.5)) * Math.cos(0.5);
    close(num(grad(checkpoint(checkpoint((v: Value) => lax.sin(lax.sin(v)))))(x)), dSinSin);
    // sin(sin(x·x)) with the inner checkpoint closing over x.
    close(num(grad(checkpoint((v: Value) => lax.sin(checkpoint((y: Value) => lax.sin(lax.mul(y, v)))(v) as Value)))(x)), Math.cos(Math.sin(0.25)) * Math.cos(0.25) * 2 * 0.5);
    const s = customVjp((v: Value) => lax.sin(v));
    s.defvjp((v: Value) => [lax.sin(v), lax.cos(v)], (c: Value, g: Value) => [lax.mul(g, c)]);
    close(num(grad(checkpoint((v: Value) => lax.mul(s(v) as Value, v)))(x)), Math.cos(0.5) * 0.5 + Math.sin(0.5));
    const looped = (v: Value): Value => scan((c: Value) => [checkpoint((y: Value) => lax.sin(y))(c), c] as [Value, Value], v, null, { length: 2 })[0];
    close(num(grad(looped)(x)), dSinSin);
  });
});
