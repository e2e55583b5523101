/**
 * @file Kernel start-up to first result (issue 5: under 3 s): spawns the kernel process as the
 * extension does and times, from the spawn, the first execute result of `1+1` and then of
 * `import jax.numpy as jnp; jnp.arange(3)`, in fresh processes (the start-up snapshot, made on
 * first use, is warmed by one unmeasured run). Prints median and range with the load average:
 * a benchmark line, not a test. `npx tsx bench/startup.ts [runs] [cpu|webgpu|default]`.
 */

import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { KernelClient } from "../kernel/server/client.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const runs = Number(process.argv[2] ?? 5);
/** `cpu`, `webgpu`, or `default` (JAX_PLATFORMS unset: WebGPU when an adapter exists). */
const platform = process.argv[3] ?? "cpu";
const platformEnv: NodeJS.ProcessEnv = { ...process.env, JAX_PLATFORMS: platform === "default" ? undefined : platform };

interface Timing {
  ready: number;
  first: number;
}

/** One fresh kernel: ms from spawn to `ready`, and to the execute result of `code`. */
async function once(code: string): Promise<Timing> {
  const start = performance.now();
  const k = KernelClient.start({ kernelMain: path.join(root, "out/kernel/main.js"), cwd: root, env: platformEnv });
  try {
    await k.ready;
    const ready = performance.now() - start;
    let result: string | undefined;
    await k.execute({ cellId: "bench", code }, { execute_result: (p) => (result = String(p.data["text/plain"])) });
    if (result === undefined) throw new Error(`no execute result for ${JSON.stringify(code)}`);
    return { ready, first: performance.now() - start };
  } finally {
    await k.shutdown();
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]): string => `median ${(median(xs) / 1000).toFixed(2)} s (${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)})`;

execFileSync(process.execPath, [path.join(root, "esbuild.mjs"), "--if-stale"], { stdio: "inherit" });
await once("1+1");
for (const [label, code] of [["1+1", "1+1"], ["jnp.arange(3)", "import jax.numpy as jnp\njnp.arange(3)"]]) {
  const ts: Timing[] = [];
  for (let i = 0; i < runs; i++) ts.push(await once(code));
  console.log(
    `startup ${platform} ${label.padEnd(14)} first result ${fmt(ts.map((t) => t.first))}; Python ready ${fmt(ts.map((t) => t.ready))}; ` +
      `load ${os.loadavg()[0].toFixed(1)} (target < 3 s)`,
  );
}
