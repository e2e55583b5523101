/**
 * @file Contractions on WebGPU: the plan codegen/matmul.ts recognizes (a float32 Σ of products of
 * two loads at affine positions — what dot_general lowers to) as a register-blocked WGSL kernel:
 * each invocation computes a 4×4 block of C, so every loaded element of A and B feeds four
 * products instead of one (the generic renderer's one-output-per-invocation loop reloads B for
 * every row and is memory-bound). The rest of the kernel runs afterwards as its epilogue.
 */

import type { MatmulPlan } from "./matmul.js";
import type { WgslKernel } from "./wgsl.js";

const T = 4;
const WG = 64;

/** C[batch, m, n] (row-major, the kernel's output order) = A·B, for `plan`; bindings A, B, C. */
export function renderWgslMatmul(plan: MatmulPlan, name: string): WgslKernel {
  const { m, n, k, batch, a, b } = plan;
  const bm = Math.ceil(m / T), bn = Math.ceil(n / T);
  const total = batch.reduce((x, y) => x * y, 1) * bm * bn;
  const rows = [...Array(T).keys()];
  const lines: string[] = [
    `// kernel ${name}: ${batch.length ? `${batch.join("x")} x ` : ""}${m}x${k} · ${k}x${n}, a 4x4 block of C per invocation`,
    "@group(0) @binding(0) var<storage, read> A: array<f32>;",
    "@group(0) @binding(1) var<storage, read> B: array<f32>;",
    "@group(0) @binding(2) var<storage, read_write> C: array<f32>;",
    `@compute @workgroup_size(${WG})`,
    "fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {",
    `  let t = gid.x + gid.y * nwg.x * ${WG}u;`,
    `  if (t >= ${total}u) { return; }`,
    `  let bt = i32(t / ${bm * bn}u);`,
    `  let blk = i32(t % ${bm * bn}u);`,
    `  let i0 = (blk / ${bn}) * ${T};`,
    `  let j0 = (blk % ${bn}) * ${T};`,
    `  var oa = ${a.c};`,
    `  var ob = ${b.c};`,
    "  var q = bt;",
  ];
  // Batch offsets: the batch index unravelled over the batch dims, last dim fastest.
  for (let d = batch.length - 1; d >= 0; d--) {
    lines.push(`  oa = oa + (q % ${batch[d]}) * ${a.sb[d]};`, `  ob = ob + (q % ${batch[d]}) * ${b.sb[d]};`, `  q = q / ${batch[d]};`);
  }
  // Rows and columns past the edge read the last valid one (results not stored): no branches.
  for (const r of rows) lines.push(`  let ra${r} = oa + min(i0 + ${r}, ${m - 1}) * ${a.sm};`, `  let cb${r} = ob + min(j0 + ${r}, ${n - 1}) * ${b.sn};`);
  for (const r of rows) lines.push(`  var c${r}0 = 0.0; var c${r}1 = 0.0; var c${r}2 = 0.0; var c${r}3 = 0.0;`);
  lines.push(`  for (var kk = 0; kk < ${k}; kk++) {`, `    let ka = kk * ${a.sk};`, `    let kb = kk * ${b.sk};`);
  for (const r of rows) lines.push(`    let a${r} = A[ra${r} + ka];`, `    let b${r} = B[cb${r} + kb];`);
  for (const r of rows) for (const c of rows) lines.push(`    c${r}${c} = c${r}${c} + a${r} * b${c};`);
  lines.push("  }", `  let base = bt * ${m * n};`);
  for (const r of rows) {
    for (const c of rows) lines.push(`  if (i0 + ${r} < ${m} && j0 + ${c} < ${n}) { C[base + (i0 + ${r}) * ${n} + j0 + ${c}] = c${r}${c}; }`);
  }
  lines.push("}", "");
  return { name, source: lines.join("\n"), workgroups: Math.ceil(total / WG), mode: "thread" };
}
