/**
 * @file The CPU's WebAssembly SIMD math alone: each kernel (the post's function and its parts)
 * runs on one block already in the module's memory, as many times as 10⁷ elements take, so the
 * numbers are the kernel's compute without the driver's copies or main-memory traffic. CPU time
 * of the process (steadier than wall time on a shared machine), best of nine. Each kernel is
 * compiled twice: plain multiply-then-add, and with fused multiply-add where this thread has it
 * (kernel/codegen/relaxed.ts), the two run in turns.
 *
 *   npx tsx bench/kernels.ts
 */

import { type Exp, type Kernel, binary, gidx, load, unary } from "../kernel/codegen/exp.js";
import { fmaAvailable, setFma } from "../kernel/codegen/relaxed.js";
import { compileWasm } from "../kernel/codegen/wasm.js";

/** Elements per call: a multiple of every kernel's step (24), so that no lane reads past the input. */
const BLOCK = 4608, N = 1e7;
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

/** A run of 10⁷ elements of `exp` (compiled plain or fused), on one block of inputs. */
function runner(exp: Exp, input: (v: number) => number, fma: boolean): () => void {
  const k: Kernel = { name: "bench", inputs: [{ dtype: "float32", size: N }], outputs: [{ dtype: "float32", exp }], size: N, shape: [N] };
  setFma(fma);
  const w = compileWasm(k);
  setFma(null);
  if (!w) throw new Error("not a WebAssembly kernel");
  // The kernel's memory (imported, shared): the input block at 0, the output block after it.
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const inst = new WebAssembly.Instance(new WebAssembly.Module(w.bytes), { m: { sin: Math.sin, cos: Math.cos, mem } });
  const kernel = inst.exports.kernel as (n: number, cols: number, input: number, output: number) => void;
  new Float32Array(mem.buffer).set(Float32Array.from({ length: BLOCK }, (_, i) => input(-4 + (8 * i) / (BLOCK - 1))));
  const calls = Math.ceil(N / BLOCK);
  return () => {
    for (let r = 0; r < calls; r++) kernel(BLOCK, BLOCK, 0, 4 * BLOCK);
  };
}

/** Best CPU time of each runner, run in turns (so that a burst of load elsewhere hits them alike). */
function best(runs: (() => void)[], times = 9): number[] {
  for (const run of runs) run();
  const out = runs.map(() => Infinity);
  for (let t = 0; t < times; t++) {
    runs.forEach((run, m) => {
      const c0 = process.cpuUsage();
      run();
      const u = process.cpuUsage(c0);
      out[m] = Math.min(out[m], (u.user + u.system) / 1000);
    });
  }
  return out;
}

const fma = fmaAvailable();
console.log(`kernel                        ms per 1e7: plain${fma ? "   fused multiply-add" : " (no fused multiply-add on this machine)"}`);
for (const [name, exp, input] of CASES) {
  const cells = best([runner(exp, input, false), ...(fma ? [runner(exp, input, true)] : [])]).map((ms) => ms.toFixed(1).padStart(10));
  console.log(`${name.padEnd(30)}${cells.join("")}`);
}
