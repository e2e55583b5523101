/**
 * @file The CPU's WebAssembly SIMD math alone: each kernel (the post's function and its parts)
 * runs on one block already in the module's memory, as many times as 10⁷ elements take, so the
 * numbers are the kernel's compute without the driver's copies or main-memory traffic. CPU time
 * of the process (steadier than wall time on a shared machine), best of seven.
 *
 *   npx tsx bench/kernels.ts
 */

import { type Exp, type Kernel, binary, gidx, load, unary } from "../kernel/codegen/exp.js";
import { compileWasm } from "../kernel/codegen/wasm.js";

const BLOCK = 4096, N = 1e7;
const x = load(0, "float32", gidx());
const sq = binary("mul", x, x);

/** Each case: its expression and the block's inputs (linspace(-4, 4), or exp of its squares for cos's large arguments). */
const CASES: [string, Exp, (v: number) => number][] = [
  ["x²", sq, (v) => v],
  ["exp(x)", unary("exp", x), (v) => v],
  ["cos(x), |x| ≤ 4", unary("cos", x), (v) => v],
  ["cos(x), x = exp(v²)", unary("cos", x), (v) => Math.exp(v * v)],
  ["exp(-x²)·exp(x²)", binary("mul", unary("exp", unary("neg", sq)), unary("exp", sq)), (v) => v],
  ["cos(exp(x²))", unary("cos", unary("exp", sq)), (v) => v],
  ["f = exp(-x²)·cos(exp(x²))", binary("mul", unary("exp", unary("neg", sq)), unary("cos", unary("exp", sq))), (v) => v],
];

function time(exp: Exp, input: (v: number) => number): number {
  const k: Kernel = { name: "bench", inputs: [{ dtype: "float32", size: N }], outputs: [{ dtype: "float32", exp }], size: N, shape: [N] };
  const w = compileWasm(k);
  if (!w) throw new Error("not a WebAssembly kernel");
  const inst = new WebAssembly.Instance(new WebAssembly.Module(w.bytes), { m: { sin: Math.sin, cos: Math.cos } });
  const kernel = inst.exports.kernel as (n: number, cols: number) => void;
  new Float32Array((inst.exports.mem as WebAssembly.Memory).buffer).set(Float32Array.from({ length: BLOCK }, (_, i) => input(-4 + (8 * i) / (BLOCK - 1))));
  const calls = Math.ceil(N / BLOCK);
  for (let r = 0; r < calls; r++) kernel(BLOCK, BLOCK);
  let best = Infinity;
  for (let t = 0; t < 7; t++) {
    const c0 = process.cpuUsage();
    for (let r = 0; r < calls; r++) kernel(BLOCK, BLOCK);
    const u = process.cpuUsage(c0);
    best = Math.min(best, (u.user + u.system) / 1000);
  }
  return best;
}

console.log("kernel                        ms per 1e7   ns per element");
for (const [name, exp, input] of CASES) {
  const ms = time(exp, input);
  console.log(`${name.padEnd(30)}${ms.toFixed(1).padStart(10)}${((ms * 1e6) / N).toFixed(2).padStart(17)}`);
}
