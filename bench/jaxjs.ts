/**
 * @file The same cases on `@jax-js/jax` (its wasm backend). jax-js consumes its arguments, so
 * inputs are passed with `.ref`; results are awaited with blockUntilReady and disposed.
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Case } from "./cases.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export async function jaxjsCases(sizes: readonly number[]): Promise<{ cases: Case[]; version: string; block: (x: unknown) => Promise<void> }> {
  const jax: Any = await import("@jax-js/jax");
  await jax.init("wasm");
  jax.defaultDevice("wasm");
  const np = jax.numpy;
  const f = (x: Any): Any => np.exp(np.negative(np.square(x.ref))).mul(np.cos(np.exp(np.square(x))));
  const jf = jax.jit(f);
  const jg = jax.jit(jax.vmap(jax.grad(f)));
  const cases: Case[] = [];
  for (const n of sizes) {
    const x = np.linspace(-4, 4, n);
    cases.push({ case: `f n=${n}`, method: "eager", run: () => f(x.ref) });
    cases.push({ case: `f n=${n}`, method: "jit", run: () => jf(x.ref) });
    cases.push({ case: `vmap(grad(f)) n=${n}`, method: "jit", run: () => jg(x.ref) });
  }
  const key = jax.random.key(0);
  const [k1, k2, k3] = jax.random.split(key, 3);
  const a = jax.random.normal(k1, [1024, 1024]), b = jax.random.normal(k2, [1024, 1024]);
  const jm = jax.jit((p: Any, q: Any) => np.matmul(p, q));
  cases.push({ case: "matmul 1024x1024", method: "jit", run: () => jm(a.ref, b.ref), slow: true });
  const s = jax.random.normal(k3, [4096, 1024]);
  const js = jax.jit((v: Any) => jax.nn.softmax(v, -1));
  cases.push({ case: "softmax 4096x1024", method: "jit", run: () => js(s.ref) });
  const block = async (x: unknown): Promise<void> => {
    const leaves: Any[] = jax.tree.leaves(x);
    for (const l of leaves) {
      // Reading forces evaluation: jax-js may defer (and fuse) eager work until data is needed.
      await l.data();
    }
  };
  const manifest = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.resolve("@jax-js/jax"))), "..", "package.json"), "utf8")) as { version: string };
  return { cases, version: manifest.version, block };
}
