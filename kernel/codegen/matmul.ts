/**
 * @file Contractions on the CPU: a kernel whose output is f(Σ_r a·b) with a and b loads at
 * affine positions (what dot_general lowers to) runs as a blocked WebAssembly SIMD matmul — a
 * 4×8 register tile over packed panels of B — followed by the rest of the expression as an
 * epilogue kernel that reads the matmul's result. Operands are gathered into the matmul's
 * memory in whatever layout they have (transposes and batch dims are strides).
 */

import { type Exp, type Kernel, gidx, load, mapExp, walkExp } from "./exp.js";
import { FnBuilder, moduleBytes } from "./wasmasm.js";
import { loopNest, simplifyIndices } from "./nest.js";

/** An affine int expression: Σ coef·var + c, vars keyed by ridx id. */
export interface Affine {
  readonly coef: Map<number, number>;
  readonly c: number;
}

export function affine(e: Exp): Affine | null {
  switch (e.kind) {
    case "const": return { coef: new Map(), c: e.value };
    case "ridx": return { coef: new Map([[e.id, 1]]), c: 0 };
    case "binary": {
      const a = affine(e.args[0]), b = affine(e.args[1]);
      if (!a || !b) return null;
      if (e.op === "add" || e.op === "sub") {
        const s = e.op === "add" ? 1 : -1;
        const coef = new Map(a.coef);
        for (const [v, k] of b.coef) coef.set(v, (coef.get(v) ?? 0) + s * k);
        return { coef, c: a.c + s * b.c };
      }
      if (e.op === "mul" && (a.coef.size === 0 || b.coef.size === 0)) {
        const [k, x] = a.coef.size === 0 ? [a.c, b] : [b.c, a];
        return { coef: new Map([...x.coef].map(([v, q]) => [v, q * k])), c: x.c * k };
      }
      return null;
    }
    default: return null;
  }
}

/** How a kernel's contraction maps onto C[b] = A[b]·B[b]: sizes, and the operands' strides. */
export interface MatmulPlan {
  readonly batch: readonly number[];
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Kernel input, constant offset, stride per batch dim, stride along m (or n) and along k. */
  readonly a: { input: number; c: number; sb: number[]; sm: number; sk: number };
  readonly b: { input: number; c: number; sb: number[]; sn: number; sk: number };
  /** The outputs with the contraction read from an extra input (null: the only output is the contraction). */
  readonly epilogue: Kernel | null;
}

const loadOf = (e: Exp): Extract<Exp, { kind: "load" }> | null =>
  e.kind === "load" ? e : e.kind === "unary" && e.op === "cast" && e.args[0].kind === "load" && e.dtype === "float32" ? e.args[0] : null;

/**
 * Recognizes a contraction in a kernel: a float32 sum of products of two loads over a loop nest
 * of at least 2 dims, one operand independent of the columns and the other of the rows. The
 * kernel's outputs (all of them) become the epilogue.
 */
export function planMatmul(k: Kernel): MatmulPlan | null {
  const reduces: Extract<Exp, { kind: "reduce" }>[] = [];
  walkExp(k.outputs.map((o) => o.exp), (e) => {
    if (e.kind === "reduce") reduces.push(e);
  });
  if (!reduces.length) return null;
  const dims = loopNest(k).dims;
  if (dims.length < 2) return null;
  for (const red of reduces) {
    const plan = planOne(k, red, dims);
    if (plan) return plan;
  }
  return null;
}

function planOne(k: Kernel, red: Extract<Exp, { kind: "reduce" }>, dims: readonly number[]): MatmulPlan | null {
  const body = red.args[0];
  if (red.op !== "sum" || red.dtype !== "float32" || red.ridx.kind !== "ridx" || body.kind !== "binary" || body.op !== "mul") return null;
  const la = loadOf(body.args[0]), lb = loadOf(body.args[1]);
  if (!la || !lb || la.dtype !== "float32" || lb.dtype !== "float32") return null;
  const [ia, ib] = simplifyIndices([la.args[0], lb.args[0]], dims, new Set()).map(affine);
  if (!ia || !ib) return null;
  const L = dims.length, r = red.ridx.id;
  const vi = -1 - (L - 2), vj = -1 - (L - 1);
  const known = new Set([r, ...dims.map((_, l) => -1 - l)]);
  if ([...ia.coef.keys(), ...ib.coef.keys()].some((v) => !known.has(v))) return null;
  // The row operand must not move with the column variable, and the other way round.
  let [A, B, ai, bi] = [ia, ib, la, lb];
  if ((A.coef.get(vj) ?? 0) !== 0 || (B.coef.get(vi) ?? 0) !== 0) [A, B, ai, bi] = [ib, ia, lb, la];
  if ((A.coef.get(vj) ?? 0) !== 0 || (B.coef.get(vi) ?? 0) !== 0) return null;
  const batchVars = dims.slice(0, L - 2).map((_, l) => -1 - l);
  const memo = new Map<Exp, Exp>();
  const epi = k.outputs.map((o) => ({ dtype: o.dtype, exp: mapExp(o.exp, (e) => (e === red ? load(k.inputs.length, "float32", gidx()) : undefined), memo) }));
  const direct = epi.length === 1 && epi[0].dtype === "float32" && epi[0].exp.kind === "load" && epi[0].exp.input === k.inputs.length;
  return {
    batch: dims.slice(0, L - 2), m: dims[L - 2], n: dims[L - 1], k: red.ridx.size,
    a: { input: ai.input, c: A.c, sb: batchVars.map((v) => A.coef.get(v) ?? 0), sm: A.coef.get(vi) ?? 0, sk: A.coef.get(r) ?? 0 },
    b: { input: bi.input, c: B.c, sb: batchVars.map((v) => B.coef.get(v) ?? 0), sn: B.coef.get(vj) ?? 0, sk: B.coef.get(r) ?? 0 },
    epilogue: direct ? null : { name: `${k.name}_epilogue`, inputs: [...k.inputs, { dtype: "float32", size: k.size }], outputs: epi, size: k.size, shape: k.shape },
  };
}

// ---- the WebAssembly matmul ---------------------------------------------------------------

/**
 * `matmul(a, b, c, M, N, K)`: C[M×N] = A[M×K]·B, byte pointers; M a multiple of 4, N of 8, K ≥ 1;
 * B packed as N/8 panels of K×8 floats (row k of a panel: 8 consecutive columns).
 */
function matmulModule(): Uint8Array<ArrayBuffer> {
  const f = new FnBuilder(6, 10);
  const [a, b, c, M, N, K] = [0, 1, 2, 3, 4, 5];
  const [i, jb, k, pa0, pa1, pa2, pa3, pb, pc, kb] = Array.from({ length: 10 }, (_, x) => f.i32Local(x));
  const acc = Array.from({ length: 8 }, () => f.v128());
  const b0 = f.v128(), b1 = f.v128(), av = f.v128();
  const pa = [pa0, pa1, pa2, pa3];
  f.get(K).i32(2).op("i32.shl").set(kb);
  f.i32(0).set(jb);
  f.raw(0x03, 0x40); // loop over column panels
  f.i32(0).set(i);
  f.raw(0x03, 0x40); // loop over row blocks
  f.get(a).get(i).get(kb).op("i32.mul").op("i32.add").set(pa0);
  for (let r = 1; r < 4; r++) f.get(pa[r - 1]).get(kb).op("i32.add").set(pa[r]);
  f.get(b).get(jb).get(kb).op("i32.mul").op("i32.add").set(pb);
  for (const x of acc) f.i32x4(0).set(x);
  f.get(K).set(k);
  f.raw(0x03, 0x40); // loop over k
  f.get(pb).mem("v128.load", 0).set(b0);
  f.get(pb).mem("v128.load", 16).set(b1);
  for (let r = 0; r < 4; r++) {
    f.get(pa[r]).f32load(0).simd("f32x4.splat").set(av);
    f.get(acc[2 * r]).get(av).get(b0).simd("f32x4.mul").simd("f32x4.add").set(acc[2 * r]);
    f.get(acc[2 * r + 1]).get(av).get(b1).simd("f32x4.mul").simd("f32x4.add").set(acc[2 * r + 1]);
    f.get(pa[r]).i32(4).op("i32.add").set(pa[r]);
  }
  f.get(pb).i32(32).op("i32.add").set(pb);
  f.get(k).i32(1).op("i32.sub").tee(k).i32(0).op("i32.ne").raw(0x0d, 0x00);
  f.raw(0x0b);
  // Store the 4×8 tile.
  f.get(c).get(i).get(N).op("i32.mul").get(jb).op("i32.add").i32(2).op("i32.shl").op("i32.add").set(pc);
  for (let r = 0; r < 4; r++) {
    f.get(pc).get(acc[2 * r]).mem("v128.store", 0);
    f.get(pc).get(acc[2 * r + 1]).mem("v128.store", 16);
    f.get(pc).get(N).i32(2).op("i32.shl").op("i32.add").set(pc);
  }
  f.get(i).i32(4).op("i32.add").tee(i).get(M).op("i32.lt_s").raw(0x0d, 0x00);
  f.raw(0x0b);
  f.get(jb).i32(8).op("i32.add").tee(jb).get(N).op("i32.lt_s").raw(0x0d, 0x00);
  f.raw(0x0b);
  return moduleBytes(f, "matmul", 1);
}

interface MatmulInstance {
  readonly run: (a: number, b: number, c: number, m: number, n: number, k: number) => void;
  readonly memory: WebAssembly.Memory;
}
let shared: MatmulInstance | null = null;
function instance(): MatmulInstance {
  if (!shared) {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(matmulModule()));
    shared = { run: inst.exports.matmul as MatmulInstance["run"], memory: inst.exports.mem as WebAssembly.Memory };
  }
  return shared;
}

const ceilTo = (x: number, m: number): number => Math.ceil(x / m) * m;

/**
 * Runs a planned contraction: for each batch index, gathers A (M×K, rows padded to 4) and packs B
 * (K×N in 8-column panels) into the module's memory, multiplies, and writes C into `c`.
 */
export function runMatmul(p: MatmulPlan, ins: readonly Float32Array[], c: Float32Array): void {
  const { m, n, k } = p;
  const mp = ceilTo(m, 4), np = ceilTo(n, 8);
  const mm = instance();
  const floats = mp * k + k * np + mp * np;
  const need = Math.ceil((floats * 4) / 65536) - mm.memory.buffer.byteLength / 65536;
  if (need > 0) mm.memory.grow(need);
  const mem = new Float32Array(mm.memory.buffer);
  const aOff = 0, bOff = mp * k, cOff = bOff + k * np;
  const A = ins[p.a.input], B = ins[p.b.input];
  const nb = p.batch.reduce((x, y) => x * y, 1);
  const bidx = p.batch.map(() => 0);
  for (let t = 0; t < nb; t++) {
    let oa = p.a.c, ob = p.b.c;
    bidx.forEach((v, d) => {
      oa += v * p.a.sb[d];
      ob += v * p.b.sb[d];
    });
    if (k === 0) c.fill(0, t * m * n, (t + 1) * m * n);
    else {
      const { sm, sk } = p.a;
      for (let i = 0; i < m; i++) {
        const row = oa + i * sm, dst = aOff + i * k;
        if (sk === 1) mem.set(A.subarray(row, row + k), dst);
        else for (let r = 0; r < k; r++) mem[dst + r] = A[row + r * sk];
      }
      mem.fill(0, aOff + m * k, aOff + mp * k);
      const { sn, sk: skb } = p.b;
      for (let jb = 0; jb < np; jb += 8) {
        const panel = bOff + jb * k;
        for (let r = 0; r < k; r++) {
          const src = ob + r * skb, dst = panel + r * 8;
          for (let j = 0; j < 8; j++) mem[dst + j] = jb + j < n ? B[src + (jb + j) * sn] : 0;
        }
      }
      mm.run(aOff * 4, bOff * 4, cOff * 4, mp, np, k);
      const base = t * m * n;
      for (let i = 0; i < m; i++) c.set(mem.subarray(cOff + i * np, cOff + i * np + n), base + i * n);
    }
    for (let d = bidx.length - 1; d >= 0; d--) {
      if (++bidx[d] < p.batch[d]) break;
      bidx[d] = 0;
    }
  }
}
