/**
 * @file The benchmark cases run on our kernel (eager and jit, per device): the post's function,
 * vmap(grad(f)), a matmul, a softmax and an MLP forward+backward, on the sizes of issue 4.
 */

import * as lax from "../kernel/lax/index.js";
import type { Value } from "../kernel/ir/core.js";
import { Array } from "../kernel/backend/array.js";
import type { Device } from "../kernel/backend/device.js";
import { jit } from "../kernel/jit/index.js";
import { grad, valueAndGrad } from "../kernel/ad/index.js";
import { vmap } from "../kernel/batching/index.js";

export interface Case {
  readonly case: string;
  readonly method: string;
  /** Runs once and returns what to wait for. */
  readonly run: () => unknown;
  /** Fewer repeats for slow cases. */
  readonly slow?: boolean;
}

/** The post's function: exp(-x²)·cos(exp(x²)). */
export const f = (x: Value): Value => lax.mul(lax.exp(lax.neg(lax.integerPow(x, 2))), lax.cos(lax.exp(lax.integerPow(x, 2))));

/**
 * The post's function evaluated eagerly as CPython runs `jnp.exp(-x ** 2) * jnp.cos(jnp.exp(x ** 2))`:
 * each temporary is released as soon as it is used (reference counting), so its buffer is reused
 * by the next operation instead of waiting for the garbage collector.
 */
export function fEager(x: Value): Value {
  const step = (op: (v: Value) => Value, v: Value): Value => {
    const r = op(v);
    (v as Array).dispose();
    return r;
  };
  const left = step(lax.exp, step(lax.neg, lax.integerPow(x, 2)));
  const right = step(lax.cos, step(lax.exp, lax.integerPow(x, 2)));
  const out = lax.mul(left, right);
  (left as Array).dispose();
  (right as Array).dispose();
  return out;
}

const linspace = (n: number, device: Device): Array =>
  Array.fromHost(Float32Array.from({ length: n }, (_, i) => -4 + (8 * i) / Math.max(1, n - 1)), [n], "float32", { device });

/** Deterministic pseudo-random normals (the same inputs on every run). */
function randn(shape: number[], scale: number, device: Device, seed: number): Array {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 4294967296;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = scale * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return Array.fromHost(data, shape, "float32", { device });
}

const matmul = (a: Value, b: Value): Value => lax.dotGeneral(a, b, [[[1], [0]], [[], []]]);

const softmax = (x: Value): Value => {
  const [n, m] = (x as Array).shape;
  const mx = lax.broadcastInDim(lax.reduceMax(x, [1]), [n, m], [0]);
  const e = lax.exp(lax.sub(x, mx));
  return lax.div(e, lax.broadcastInDim(lax.reduceSum(e, [1]), [n, m], [0]));
};

type Params = { w: Value[]; b: Value[] };
function mlpLoss(p: Params, x: Value, y: Value): Value {
  let h = x;
  for (let i = 0; i < 3; i++) {
    const z = lax.add(matmul(h, p.w[i]), lax.broadcastInDim(p.b[i], [1024, 1024], [1]));
    h = i < 2 ? lax.tanh(z) : z;
  }
  const d = lax.sub(h, y);
  return lax.div(lax.reduceSum(lax.mul(d, d), [0, 1]), 1024 * 1024);
}

export function ourCases(device: Device, sizes: readonly number[], withEagerMlp: boolean): Case[] {
  const cases: Case[] = [];
  const jf = jit(f);
  const jg = jit(vmap(grad(f)));
  for (const n of sizes) {
    const x = linspace(n, device);
    cases.push({ case: `f n=${n}`, method: "eager", run: () => fEager(x), slow: n >= 1e7 });
    cases.push({ case: `f n=${n}`, method: "jit", run: () => jf(x) });
    cases.push({ case: `vmap(grad(f)) n=${n}`, method: "eager", run: () => vmap(grad(f))(x), slow: n >= 1e6 });
    cases.push({ case: `vmap(grad(f)) n=${n}`, method: "jit", run: () => jg(x) });
  }
  const a = randn([1024, 1024], 1, device, 1), b = randn([1024, 1024], 1, device, 2);
  const jm = jit(matmul);
  cases.push({ case: "matmul 1024x1024", method: "eager", run: () => matmul(a, b), slow: true });
  cases.push({ case: "matmul 1024x1024", method: "jit", run: () => jm(a, b), slow: true });
  const s = randn([4096, 1024], 1, device, 3);
  const js = jit(softmax);
  cases.push({ case: "softmax 4096x1024", method: "eager", run: () => softmax(s) });
  cases.push({ case: "softmax 4096x1024", method: "jit", run: () => js(s) });
  const params: Params = { w: [4, 5, 6].map((k) => randn([1024, 1024], 0.03, device, k)), b: [7, 8, 9].map((k) => randn([1024], 0, device, k)) };
  const xb = randn([1024, 1024], 1, device, 10), yb = randn([1024, 1024], 1, device, 11);
  const vg = valueAndGrad(mlpLoss);
  const jvg = jit(vg);
  if (withEagerMlp) cases.push({ case: "mlp fwd+bwd 1024x1024", method: "eager", run: () => vg(params, xb, yb), slow: true });
  cases.push({ case: "mlp fwd+bwd 1024x1024", method: "jit", run: () => jvg(params, xb, yb), slow: true });
  return cases;
}

/** A tiny function for dispatch overhead: a cached jitted call, and one eager op. */
export function overheadCases(device: Device): Case[] {
  const x = linspace(4, device);
  const jf = jit(f);
  return [
    { case: "dispatch (4 elements)", method: "jit", run: () => jf(x) },
    { case: "dispatch (4 elements)", method: "eager op", run: () => lax.sin(x) },
  ];
}
