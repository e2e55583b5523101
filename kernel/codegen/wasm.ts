/**
 * @file The WebAssembly SIMD renderer for hot CPU kernels: float32 elementwise kernels (every
 * load at the output position, or a scalar) become a loop over f32x4 vectors. A kernel takes the
 * address of each input's and output's row (and scalars by value) in an imported shared memory:
 * the CPU heap, where large buffers live, so it works on them in place; for other buffers the
 * driver copies rows into a private scratch memory and back. A kernel whose math has
 * rare cases (wasmmath.ts) runs a block first in fast mode, four vectors per iteration, and again
 * in general mode only when some lane needed a rare case. Kernels outside this subset return
 * null and are rendered as JavaScript.
 */

import { ExpKeys, type Exp, type Kernel, gidx, load, mapExp, walkExp } from "./exp.js";
import { loopNest } from "./nest.js";
import { affine } from "./matmul.js";
import { F32, FnBuilder, I32, moduleBytes, type SimdOp } from "./wasmasm.js";
import { expF32, expPairF32, logF32, logisticF32, sinCosF32, sinOrCosF32, tanhF32 } from "./wasmmath.js";

/**
 * Elements per block of a flat kernel: small enough that all blocks of a kernel stay in L2, large
 * enough that the driver's per-block work is small (16384 rather than 4096: -1 ms per 10⁷ elements).
 */
const BLOCK = 16384;
/**
 * f32x4 vectors per iteration of a kernel's fast loop. The math's dependency chains are long
 * (exp then cos is ~100 cycles of latency per vector), so the processor needs several
 * independent vectors in flight: on the post's function four were ~20% faster than two, and six
 * another ~10%; eight no better. Rows are padded to whole iterations, so row kernels (rows of
 * 32 elements and up) take four. The general loop runs one.
 */
const UNROLL_FLAT = 6, UNROLL_ROWS = 4;
/** Rows shorter than this are not worth a WebAssembly call each. */
const MIN_ROW = 32;

/**
 * Where a kernel reads: `vector` slots hold a row (`cols` consecutive elements) of an input,
 * `scalar` slots one element, splat over the row. The element offset of a row's slot is
 * `rowStride·row + offset` in the input.
 */
export interface Slot {
  readonly input: number;
  readonly kind: "vector" | "scalar";
  readonly rowStride: number;
  readonly offset: number;
}

/**
 * A WebAssembly SIMD kernel over rows: `rows` rows of `cols` elements (the last row of a flat
 * kernel may be shorter). Elementwise kernels store rows of outputs; a row reduction stores one
 * value per row, which an epilogue kernel (reading it as an extra input) turns into the outputs.
 */
export interface WasmKernel {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly slots: readonly Slot[];
  readonly rows: number;
  readonly cols: number;
  /** Elements per iteration of the fast loop: a row's slots are padded to a multiple of it. */
  readonly step: number;
  /** Flat kernels: the total element count (rows of `cols`, the last one partial). */
  readonly flat: number | null;
  readonly numOutputs: number;
  readonly reduction: { readonly op: "sum" | "max" | "min"; readonly epilogue: Kernel } | null;
}

const F32_UNARY: Partial<Record<string, SimdOp>> = {
  neg: "f32x4.neg", abs: "f32x4.abs", sqrt: "f32x4.sqrt", floor: "f32x4.floor", ceil: "f32x4.ceil", trunc: "f32x4.trunc", round: "f32x4.nearest",
};
const F32_BINARY: Partial<Record<string, SimdOp>> = {
  add: "f32x4.add", sub: "f32x4.sub", mul: "f32x4.mul", div: "f32x4.div", max: "f32x4.max", min: "f32x4.min",
  eq: "f32x4.eq", ne: "f32x4.ne", lt: "f32x4.lt", le: "f32x4.le", gt: "f32x4.gt", ge: "f32x4.ge",
};
const MASK_BINARY: Partial<Record<string, SimdOp>> = {
  and: "v128.and", min: "v128.and", mul: "v128.and", or: "v128.or", max: "v128.or", add: "v128.or", xor: "v128.xor", ne: "v128.xor",
};
/** JavaScript functions the kernels import (float64 → float64), by function index. */
const IMPORTS = ["sin", "cos"] as const;
const EXACT = { sin: IMPORTS.indexOf("sin"), cos: IMPORTS.indexOf("cos") };
/** Math on f32x4 lanes: `ok` is the fast-mode guard local, or null in general mode (see wasmmath.ts). */
const MATH: Partial<Record<string, (f: FnBuilder, x: readonly number[], ok: number | null) => number[]>> = {
  exp: expF32, log: (f, x) => logF32(f, x), tanh: tanhF32, logistic: logisticF32,
  sin: (f, x, ok) => sinOrCosF32(f, x, "sin", ok, EXACT.sin), cos: (f, x, ok) => sinOrCosF32(f, x, "cos", ok, EXACT.cos),
};
/** The functions whose fast mode covers only common inputs (a kernel using one has a general loop too). */
const HAS_FAST_MODE = new Set(["exp", "tanh", "logistic", "sin", "cos"]);

/** Whether a node (other than a load) can be computed on f32x4 lanes (bools as lane masks). */
function supported(e: Exp): boolean {
  const t = e.dtype;
  switch (e.kind) {
    case "const": return t === "float32" || t === "bool";
    case "unary": {
      const a = e.args[0];
      if (e.op === "cast") return t === "float32" && (a.dtype === "float32" || a.dtype === "bool");
      if (e.op === "isnan" || e.op === "isfinite") return a.dtype === "float32";
      if (e.op === "not") return t === "bool";
      if (e.op === "recip" || e.op === "rsqrt") return t === "float32";
      return t === "float32" && (e.op in F32_UNARY || e.op in MATH);
    }
    case "binary": {
      const a = e.args[0].dtype;
      if (a === "bool") return t === "bool" && e.op in MASK_BINARY;
      return a === "float32" && e.op in F32_BINARY;
    }
    case "where": return t === "float32" || t === "bool";
    default: return false;
  }
}

const REDUCE_IDENTITY = { sum: 0, max: -Infinity, min: Infinity } as const;
const REDUCE_OP = { sum: "f32x4.add", max: "f32x4.max", min: "f32x4.min" } as const;

/**
 * The row structure of a kernel, or null: a flat elementwise kernel (loads at the output
 * position or of scalars), an elementwise kernel over [rows, cols] whose loads are contiguous
 * along the columns or constant along them, or a row reduction (one reduction over a loop of
 * `cols`, loads contiguous or constant along it).
 */
function rowPlan(k: Kernel): { rows: number; cols: number; flat: number | null; exps: Exp[]; red: Extract<Exp, { kind: "reduce" }> | null; inner: number; outer: number | null } | null {
  const nest = loopNest(k);
  const reduces: Extract<Exp, { kind: "reduce" }>[] = [];
  walkExp(nest.outputs, (e) => {
    if (e.kind === "reduce") reduces.push(e);
  });
  if (!reduces.length) {
    if (nest.dims.length === 1) return { rows: Math.ceil(k.size / BLOCK), cols: BLOCK, flat: k.size, exps: [...nest.outputs], red: null, inner: -1, outer: null };
    if (nest.dims.length === 2 && nest.dims[1] >= MIN_ROW) return { rows: nest.dims[0], cols: nest.dims[1], flat: null, exps: [...nest.outputs], red: null, inner: -2, outer: -1 };
    return null;
  }
  const red = reduces[0];
  if (reduces.length !== 1 || nest.dims.length !== 1 || red.ridx.kind !== "ridx" || red.ridx.size < MIN_ROW || red.dtype !== "float32") return null;
  if (red.op !== "sum" && red.op !== "max" && red.op !== "min") return null;
  return { rows: nest.dims[0], cols: red.ridx.size, flat: null, exps: [red.args[0]], red, inner: red.ridx.id, outer: -1 };
}

/** Compiles a kernel to WebAssembly SIMD, or returns null when it is outside the supported subset. */
export function compileWasm(k: Kernel): WasmKernel | null {
  if (k.outputs.some((o) => o.dtype !== "float32") || k.inputs.some((i) => i.dtype !== "float32")) return null;
  const plan = rowPlan(k);
  if (!plan) return null;
  const keys = new ExpKeys();
  const order: Exp[] = [];
  const seen = new Set<string>();
  const slotOf = new Map<string, number>();
  const slots: Slot[] = [];
  let fits = true;
  // Post-order over distinct nodes; a load's index is an affine function of the loop variables.
  const visit = (e: Exp): void => {
    const key = keys.key(e);
    if (seen.has(key)) return;
    seen.add(key);
    if (e.kind === "load") {
      const slot = loadSlot(e, k, plan.inner, plan.outer, plan.flat !== null);
      if (!slot || e.dtype !== "float32") fits = false;
      else {
        slotOf.set(key, slots.length);
        slots.push(slot);
      }
    } else if (!supported(e)) fits = false;
    if (e.kind !== "load" && "args" in e) for (const a of e.args) visit(a);
    order.push(e);
  };
  for (const e of plan.exps) visit(e);
  if (!fits) return null;

  const unrollFast = plan.flat === null ? UNROLL_ROWS : UNROLL_FLAT;
  const step = 4 * unrollFast;
  const vecSlots = slots.map((s, j) => j).filter((j) => slots[j].kind === "vector");
  const scaSlots = slots.map((s, j) => j).filter((j) => slots[j].kind === "scalar");
  const numOut = plan.red ? 0 : k.outputs.length;
  // Parameters: n, cols, a row address per vector slot, one per output, a value per scalar slot.
  const slotParam = new Map<number, number>();
  vecSlots.forEach((j, q) => slotParam.set(j, 2 + q));
  const outParam = (m: number): number => 2 + vecSlots.length + m;
  scaSlots.forEach((j, q) => slotParam.set(j, 2 + vecSlots.length + numOut + q));
  const paramTypes = [I32, I32, ...vecSlots.map(() => I32), ...Array.from({ length: numOut }, () => I32), ...scaSlots.map(() => F32)];

  // sin(x)/cos(x) pairs: the first emitted computes both; the second picks up its twin's result.
  const twinUsed = new Set<string>();
  for (const e of order) if (e.kind === "unary" && (e.op === "sin" || e.op === "cos")) twinUsed.add(`${e.op}(${keys.key(e.args[0])})`);
  // exp(a) and exp(-a) pairs (the post's function has one): in fast mode one reduction for both.
  const expArgs = new Set<string>(), expNegArgs = new Set<string>();
  for (const e of order) {
    if (e.kind !== "unary" || e.op !== "exp") continue;
    const a = e.args[0];
    expArgs.add(keys.key(a));
    if (a.kind === "unary" && a.op === "neg") expNegArgs.add(keys.key(a.args[0]));
  }
  /** The `b` of a paired exp(b) or exp(-b) node, or null. */
  const expPairBase = (e: Extract<Exp, { kind: "unary" }>): Exp | null => {
    const a = e.args[0];
    if (a.kind === "unary" && a.op === "neg" && expArgs.has(keys.key(a.args[0]))) return a.args[0];
    return expNegArgs.has(keys.key(a)) ? a : null;
  };
  let pending = new Map<string, number[]>();
  // kernel(n, cols): n elements (a multiple of `step`), cols of them real (a reduction masks the rest).
  const f = new FnBuilder(paramTypes.length, 2, paramTypes, plan.red ? F32 : null);
  const n = 0, cols = 1, i = f.i32Local(0), end = f.i32Local(1);
  /** Each node's locals: one per vector of the loop being emitted (one for values computed before the loops). */
  const local = new Map<string, number[]>();
  const variant = new Set<string>();
  const arg = (e: Exp, j: number): number => {
    const ls = local.get(keys.key(e))!;
    return ls[Math.min(j, ls.length - 1)];
  };
  /** The fast-mode guard local while the fast loop is emitted (null: general mode). */
  let ok: number | null = null;
  /** Vectors per iteration of the loop being emitted. */
  let unroll = 1;
  const vecs = (): number[] => Array.from({ length: unroll }, (_, j) => j);

  const emitNode = (e: Exp): void => {
    const key = keys.key(e);
    if (e.kind === "unary" && e.op in MATH) {
      const xs = vecs().map((j) => arg(e.args[0], j));
      // sin and cos of one argument share their range reduction.
      const twin = e.op === "sin" ? "cos" : e.op === "cos" ? "sin" : null;
      if (twin && twinUsed.has(`${twin}(${keys.key(e.args[0])})`)) {
        const shared = pending.get(`${e.op}(${keys.key(e.args[0])})`);
        if (shared) local.set(key, shared);
        else {
          const both = sinCosF32(f, xs, ok, EXACT);
          local.set(key, both[e.op as "sin" | "cos"]);
          pending.set(`${twin}(${keys.key(e.args[0])})`, both[twin]);
        }
      } else if (e.op === "exp" && ok !== null && expPairBase(e)) {
        const base = expPairBase(e)!, b = keys.key(base), isNeg = base !== e.args[0];
        const shared = pending.get(isNeg ? `exp(-${b})` : `exp(${b})`);
        if (shared) local.set(key, shared);
        else {
          const pair = expPairF32(f, vecs().map((j) => arg(base, j)), ok);
          local.set(key, isNeg ? pair.neg : pair.pos);
          pending.set(isNeg ? `exp(${b})` : `exp(-${b})`, isNeg ? pair.pos : pair.neg);
        }
      } else local.set(key, MATH[e.op]!(f, xs, ok));
      return;
    }
    const outs = vecs().map(() => f.v128());
    for (const j of vecs()) {
      switch (e.kind) {
        case "const":
          if (e.dtype === "bool") f.i32x4(e.value ? -1 : 0);
          else f.f32x4(e.value);
          break;
        case "load": {
          const s = slotOf.get(key)!;
          if (slots[s].kind === "scalar") f.get(slotParam.get(s)!).simd("f32x4.splat");
          else f.addr(slotParam.get(s)!, i).mem("v128.load", 16 * j);
          break;
        }
        case "unary": {
          const a = arg(e.args[0], j);
          if (e.op === "cast") {
            f.get(a);
            if (e.args[0].dtype === "bool") f.f32x4(1).simd("v128.and");
          } else if (e.op === "not") f.get(a).simd("v128.not");
          else if (e.op === "isnan") f.get(a).get(a).simd("f32x4.ne");
          else if (e.op === "isfinite") f.get(a).simd("f32x4.abs").f32x4(Infinity).simd("f32x4.lt");
          else if (e.op === "recip") f.f32x4(1).get(a).simd("f32x4.div");
          else if (e.op === "rsqrt") f.f32x4(1).get(a).simd("f32x4.sqrt").simd("f32x4.div");
          else f.get(a).simd(F32_UNARY[e.op]!);
          break;
        }
        case "binary": {
          const table = e.args[0].dtype === "bool" ? MASK_BINARY : F32_BINARY;
          f.get(arg(e.args[0], j)).get(arg(e.args[1], j)).simd(table[e.op]!);
          break;
        }
        case "where":
          f.get(arg(e.args[1], j)).get(arg(e.args[2], j)).get(arg(e.args[0], j)).simd("v128.bitselect");
          break;
        default:
          throw new Error(`wasm: unexpected ${e.kind}`);
      }
      f.set(outs[j]);
    }
    local.set(key, outs);
  };

  // Values that read no vector slot are computed once, before the loop.
  for (const e of order) {
    const isVariant = (e.kind === "load" && slots[slotOf.get(keys.key(e))!].kind === "vector") ||
      ("args" in e && e.kind !== "load" && e.args.some((a) => variant.has(keys.key(a))));
    if (isVariant) variant.add(keys.key(e));
    else emitNode(e);
  }
  const rop = plan.red ? (plan.red.op as "sum" | "max" | "min") : "sum";
  const acc = plan.red ? Array.from({ length: unrollFast }, () => f.v128()) : [];
  const lane = plan.red ? Array.from({ length: unrollFast }, () => f.v128()) : [];
  f.get(n).i32(2).op("i32.shl").set(end);
  /** One pass over the block, `u` vectors per iteration: output vectors stored, or a row's values folded into `acc`. */
  const emitLoop = (u: number): void => {
    unroll = u;
    if (plan.red) {
      for (const j of vecs()) {
        f.f32x4(REDUCE_IDENTITY[rop]).set(acc[j]);
        f.const4([0, 1, 2, 3].map((l) => l + 4 * j), true).set(lane[j]);
      }
    }
    f.i32(0).set(i);
    pending = new Map();
    f.raw(0x02, 0x40, 0x03, 0x40);
    for (const e of order) if (variant.has(keys.key(e))) emitNode(e);
    for (const j of vecs()) {
      if (plan.red) {
        // Lanes past the row's end take the identity: acc = op(acc, lane < cols ? body : identity).
        f.get(acc[j]).get(arg(plan.exps[0], j)).f32x4(REDUCE_IDENTITY[rop]);
        f.get(lane[j]).get(cols).simd("i32x4.splat").simd("i32x4.lt_s").simd("v128.bitselect").simd(REDUCE_OP[rop]).set(acc[j]);
        f.get(lane[j]).i32x4(4 * u).simd("i32x4.add").set(lane[j]);
      } else k.outputs.forEach((o, m) => f.addr(outParam(m), i).get(arg(plan.exps[m], j)).mem("v128.store", 16 * j));
    }
    f.get(i).i32(16 * u).op("i32.add").tee(i).get(end).op("i32.lt_s").raw(0x0d, 0x00);
    f.raw(0x0b, 0x0b);
    if (plan.red) for (let j = 1; j < u; j++) f.get(acc[0]).get(acc[j]).simd(REDUCE_OP[rop]).set(acc[0]);
  };
  // The fast pass, with no branches out to rare cases; when some lane needed one, the block
  // again in general mode.
  if (order.some((e) => variant.has(keys.key(e)) && e.kind === "unary" && HAS_FAST_MODE.has(e.op))) {
    ok = f.v128();
    f.i32x4(-1).set(ok);
    emitLoop(unrollFast);
    f.get(ok).simd("i32x4.all_true").op("i32.eqz").op("if").raw(0x40);
    ok = null;
    emitLoop(1);
    f.raw(0x0b);
  } else emitLoop(unrollFast);
  if (plan.red) {
    const r = acc[0];
    // Fold the four lanes: (a0 ∘ a2, a1 ∘ a3), then the two.
    f.get(r).get(r).get(r).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]).simd(REDUCE_OP[rop]).set(r);
    f.get(r).get(r).get(r).shuffle([4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15]).simd(REDUCE_OP[rop]).set(r);
    // The row's result is the function's result.
    f.get(r).lane("extract", 0);
  }
  let reduction: WasmKernel["reduction"] = null;
  if (plan.red) {
    const red = plan.red;
    const memo = new Map<Exp, Exp>();
    const outs = k.outputs.map((o) => ({ dtype: o.dtype, exp: mapExp(o.exp, (e) => (isSameReduce(e, red) ? load(k.inputs.length, "float32", gidx()) : undefined), memo) }));
    reduction = {
      op: red.op as "sum" | "max" | "min",
      epilogue: { name: `${k.name}_epilogue`, inputs: [...k.inputs, { dtype: "float32", size: plan.rows }], outputs: outs, size: k.size, shape: k.shape },
    };
  }
  return {
    bytes: moduleBytes(f, "kernel", "import", IMPORTS), slots, rows: plan.rows, cols: plan.cols, step, flat: plan.flat,
    numOutputs: k.outputs.length, reduction,
  };
}

/** Whether `e` (an original output node) is the reduction the plan found (on the simplified outputs). */
function isSameReduce(e: Exp, red: Extract<Exp, { kind: "reduce" }>): boolean {
  return e.kind === "reduce" && e.ridx.kind === "ridx" && red.ridx.kind === "ridx" && e.ridx.id === red.ridx.id;
}

/** The slot of a load: its index must be affine, contiguous (coefficient 1) or constant along `inner`. */
function loadSlot(e: Extract<Exp, { kind: "load" }>, k: Kernel, inner: number, outer: number | null, flat: boolean): Slot | null {
  const a = affine(e.args[0]);
  if (!a) return null;
  for (const v of a.coef.keys()) if (v !== inner && v !== outer && (a.coef.get(v) ?? 0) !== 0) return null;
  const ci = a.coef.get(inner) ?? 0, co = outer === null ? 0 : a.coef.get(outer) ?? 0;
  if (flat) {
    // Flat kernels: rows are blocks of the one loop; only the position itself or a scalar.
    if (ci === 1 && a.c === 0) return { input: e.input, kind: "vector", rowStride: BLOCK, offset: 0 };
    if (ci === 0 && k.inputs[e.input].size === 1) return { input: e.input, kind: "scalar", rowStride: 0, offset: 0 };
    return null;
  }
  if (ci === 1) return { input: e.input, kind: "vector", rowStride: co, offset: a.c };
  if (ci === 0) return { input: e.input, kind: "scalar", rowStride: co, offset: a.c };
  return null;
}

type Typed = Float32Array;
/** `addrs`: the CPU-heap byte address of each input then each output, -1 for one outside the heap. */
type KernelFn = (ins: Typed[], outs: Typed[], start: number, end: number, h?: unknown, addrs?: readonly number[]) => void;
type Call = (...args: number[]) => number | undefined;

const instantiate = (bytes: Uint8Array<ArrayBuffer>, mem: WebAssembly.Memory): Call =>
  new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { sin: Math.sin, cos: Math.cos, mem } }).exports.kernel as Call;

/** The CPU heap as a kernel driver sees it: its memory and this thread's scratch range. */
export interface DriverHeap {
  readonly memory: WebAssembly.Memory;
  readonly scratch: () => { readonly addr: number; readonly bytes: number } | null;
}

/**
 * The JavaScript driver of a compiled WebAssembly kernel, row by row (`start`/`end` are rows).
 * When every output is in the CPU heap (the memory the kernel then imports), no output overlaps
 * an input, and the inputs outside the heap (small ones) fit in the thread's scratch range, the
 * kernel runs in place: heap inputs are read where they are, the others from one copy each in
 * the scratch. A row's last iteration may run up to `step - 1` elements past its end, which the
 * next row rewrites, or the allocation's slack absorbs (heap.ts), and which a reduction masks.
 * Otherwise each row is copied into a private scratch memory and the results copied out. A row
 * reduction then runs its epilogue (`epilogue`: the compiled epilogue kernel, called with the
 * per-row results as an extra input).
 */
export function wasmDriver(w: WasmKernel, epilogue: ((ins: Typed[], outs: Typed[]) => void) | null, heap: DriverHeap | null): KernelFn {
  const cols4 = Math.ceil(w.cols / w.step) * w.step;
  const vec: number[] = [], sca: number[] = [];
  w.slots.forEach((s, j) => (s.kind === "vector" ? vec : sca).push(j));
  const vecInputs = [...new Set(vec.map((j) => w.slots[j].input))];
  const numOut = w.reduction ? 0 : w.numOutputs;
  const args = new globalThis.Array<number>(2 + vec.length + numOut + sca.length).fill(0);
  let inPlace: Call | null = null;
  let scratch: { call: Call; mem: Float32Array } | null = null;
  const copyMode = (): { call: Call; mem: Float32Array } => {
    if (!scratch) {
      const pages = Math.max(1, Math.ceil(((vec.length + numOut) * cols4 * 4) / 65536));
      const mem = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
      scratch = { call: instantiate(w.bytes, mem), mem: new Float32Array(mem.buffer) };
    }
    return scratch;
  };
  /** Each input's byte address in the heap for this dispatch (in place), or null (copies). */
  const bases = new globalThis.Array<number>(0);
  const placeInputs = (ins: Typed[], outs: Typed[], addrs: readonly number[] | undefined): boolean => {
    if (!heap || !addrs) return false;
    for (let m = 0; m < numOut; m++) {
      const a = addrs[ins.length + m];
      if (a < 0) return false;
      const b = a + outs[m].byteLength;
      for (const k of vecInputs) {
        const c = addrs[k];
        if (c >= 0 && c < b && a < c + ins[k].byteLength) return false;
      }
    }
    let used = 0;
    for (const k of vecInputs) if (addrs[k] < 0) used += Math.ceil((ins[k].byteLength + 4 * w.step) / 64) * 64;
    const room = used ? heap.scratch() : null;
    if (used && (!room || used > room.bytes)) return false;
    let at = room?.addr ?? 0;
    const mem = heapView();
    for (const k of vecInputs) {
      if (addrs[k] >= 0) bases[k] = addrs[k];
      else {
        mem.set(ins[k], at / 4);
        bases[k] = at;
        at += Math.ceil((ins[k].byteLength + 4 * w.step) / 64) * 64;
      }
      // The lanes a last iteration reads past the input's end (its slack, or the scratch) are
      // zeros, so results never depend on stale memory (a NaN there would send the block to
      // the general pass, which may round differently).
      const end = (bases[k] + ins[k].byteLength) / 4;
      mem.fill(0, end, end + w.step);
    }
    return true;
  };
  let view: Float32Array | null = null;
  /** The heap as float32 (a new view after the memory grew). */
  const heapView = (): Float32Array => {
    const buf = heap!.memory.buffer;
    if (!view || view.buffer !== buf) view = new Float32Array(buf);
    return view;
  };
  let rowResults: Float32Array | null = null;
  return (ins, outs, start, end, _h, addrs) => {
    if (w.reduction) rowResults ??= new Float32Array(w.rows);
    const here = placeInputs(ins, outs, addrs) ? (inPlace ??= instantiate(w.bytes, heap!.memory)) : null;
    const copy = here ? null : copyMode();
    for (let r = start; r < end; r++) {
      const len = w.flat === null ? w.cols : Math.min(w.cols, w.flat - r * w.cols);
      args[0] = Math.ceil(len / w.step) * w.step;
      args[1] = len;
      for (let q = 0; q < vec.length; q++) {
        const s = w.slots[vec[q]];
        const off = s.rowStride * r + s.offset;
        if (copy) {
          copy.mem.set(ins[s.input].subarray(off, off + len), q * cols4);
          // Lanes the last iteration reads past the row's end: zeros, not what an earlier call left there.
          if (len < args[0]) copy.mem.fill(0, q * cols4 + len, q * cols4 + args[0]);
          args[2 + q] = q * cols4 * 4;
        } else args[2 + q] = bases[s.input] + 4 * off;
      }
      for (let m = 0; m < numOut; m++) args[2 + vec.length + m] = copy ? (vec.length + m) * cols4 * 4 : addrs![ins.length + m] + 4 * r * w.cols;
      for (let q = 0; q < sca.length; q++) {
        const s = w.slots[sca[q]];
        args[2 + vec.length + numOut + q] = ins[s.input][s.rowStride * r + s.offset];
      }
      const result = (here ?? copy!.call)(...args);
      if (rowResults) rowResults[r] = result!;
      else if (copy) {
        for (let m = 0; m < numOut; m++) outs[m].set(copy.mem.subarray((vec.length + m) * cols4, (vec.length + m) * cols4 + len), r * w.cols);
      }
    }
    if (rowResults && epilogue && end === w.rows && start === 0) epilogue([...ins, rowResults], outs);
  };
}
