/**
 * @file A tiny WebAssembly assembler: LEB128, the opcodes the SIMD kernels use, and a module
 * writer (one memory, exported functions of v128/i32 locals). No external toolchain.
 */

/** SIMD opcodes (after the 0xfd prefix), from the WebAssembly SIMD specification. */
export const SIMD = {
  "v128.load": 0x00, "v128.store": 0x0b, "v128.const": 0x0c, "i8x16.shuffle": 0x0d,
  "i32x4.splat": 0x11, "f32x4.splat": 0x13, "f64x2.splat": 0x14, "v128.any_true": 0x53,
  "i32x4.all_true": 0xa3, "i32x4.eq": 0x37, "i32x4.lt_s": 0x39, "i32x4.gt_s": 0x3b, "f32x4.eq": 0x41, "f32x4.ne": 0x42, "f32x4.lt": 0x43, "f32x4.gt": 0x44,
  "f32x4.le": 0x45, "f32x4.ge": 0x46, "v128.not": 0x4d, "v128.and": 0x4e, "v128.andnot": 0x4f, "v128.or": 0x50,
  "v128.xor": 0x51, "v128.bitselect": 0x52, "f32x4.demote_f64x2_zero": 0x5e, "f64x2.promote_low_f32x4": 0x5f,
  "f32x4.ceil": 0x67, "f32x4.floor": 0x68, "f32x4.trunc": 0x69, "f32x4.nearest": 0x6a, "f64x2.nearest": 0x94,
  "i32x4.shl": 0xab, "i32x4.shr_s": 0xac, "i32x4.shr_u": 0xad, "i32x4.add": 0xae, "i32x4.sub": 0xb1, "i32x4.max_s": 0xb8,
  "f32x4.abs": 0xe0, "f32x4.neg": 0xe1, "f32x4.sqrt": 0xe3, "f32x4.add": 0xe4, "f32x4.sub": 0xe5, "f32x4.mul": 0xe6,
  "f32x4.div": 0xe7, "f32x4.min": 0xe8, "f32x4.max": 0xe9, "f32x4.pmin": 0xea, "f32x4.pmax": 0xeb, "f64x2.add": 0xf0, "f64x2.sub": 0xf1, "f64x2.mul": 0xf2,
  "i32x4.trunc_sat_f32x4_s": 0xf8, "f32x4.convert_i32x4_s": 0xfa, "i32x4.trunc_sat_f64x2_s_zero": 0xfc,
  // Relaxed SIMD (fused where the processor has FMA; see relaxed.ts for when they may be used).
  "f32x4.relaxed_madd": 0x105, "f32x4.relaxed_nmadd": 0x106, "f64x2.relaxed_madd": 0x107, "f64x2.relaxed_nmadd": 0x108,
} as const;
export type SimdOp = keyof typeof SIMD;

const OP = {
  block: 0x02, loop: 0x03, br_if: 0x0d, end: 0x0b, "local.get": 0x20, "local.set": 0x21, "local.tee": 0x22,
  "i32.const": 0x41, "i32.add": 0x6a, "i32.sub": 0x6b, "i32.mul": 0x6c, "i32.shl": 0x74, "i32.lt_s": 0x48, "i32.ge_s": 0x4e,
  "i32.ne": 0x47, "i32.eqz": 0x45,
  "f32.load": 0x2a, if: 0x04, call: 0x10, "f64.promote_f32": 0xbb, "f32.demote_f64": 0xb6,
} as const;

export function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
}

export function sleb(n: number, out: number[]): void {
  while (true) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** WebAssembly value types. */
export const I32 = 0x7f, F32 = 0x7d;

/**
 * The body of one function: its parameters (`params`: i32 unless `paramTypes` says otherwise; an
 * optional `result` type), then `numI32` i32 locals, then v128 locals allocated on demand. Vector constants live in locals set once at the function's start: V8 keeps them in
 * registers or spill slots (one load) instead of rebuilding each one (three instructions) at
 * every use inside a branch of the loop.
 */
export class FnBuilder {
  readonly code: number[] = [];
  private readonly prologue: number[] = [];
  private readonly consts = new Map<string, number>();
  private v128Count = 0;
  readonly paramTypes: readonly number[];
  constructor(readonly numParams: number, readonly numI32: number, paramTypes?: readonly number[], readonly result: number | null = null) {
    this.paramTypes = paramTypes ?? new Array<number>(numParams).fill(I32);
    if (this.paramTypes.length !== numParams) throw new Error("FnBuilder: one type per parameter");
  }
  /** A fresh v128 local. */
  v128(): number {
    return this.numParams + this.numI32 + this.v128Count++;
  }
  /** The k-th i32 local. */
  i32Local(k: number): number {
    return this.numParams + k;
  }
  get(l: number): this {
    this.code.push(OP["local.get"]);
    uleb(l, this.code);
    return this;
  }
  set(l: number): this {
    this.code.push(OP["local.set"]);
    uleb(l, this.code);
    return this;
  }
  tee(l: number): this {
    this.code.push(OP["local.tee"]);
    uleb(l, this.code);
    return this;
  }
  op(name: keyof typeof OP): this {
    this.code.push(OP[name]);
    return this;
  }
  i32(v: number): this {
    this.code.push(OP["i32.const"]);
    sleb(v | 0, this.code);
    return this;
  }
  simd(name: SimdOp): this {
    this.code.push(0xfd);
    uleb(SIMD[name], this.code);
    return this;
  }
  /** v128.load / v128.store with an offset (alignment 16 bytes: 2^4). */
  mem(name: "v128.load" | "v128.store", offset = 0): this {
    this.simd(name);
    this.code.push(4);
    uleb(offset, this.code);
    return this;
  }
  /** An i32 parameter or local plus another: an address (base pointer + byte offset). */
  addr(base: number, offset: number): this {
    return this.get(base).get(offset).op("i32.add");
  }
  f32load(offset = 0): this {
    this.code.push(OP["f32.load"], 2);
    uleb(offset, this.code);
    return this;
  }
  /** Pushes the v128 constant with these 16 bytes (the local holding it, made on first use). */
  private constant(buf: DataView): this {
    const bytes = Array.from({ length: 16 }, (_, i) => buf.getUint8(i));
    const key = bytes.join(",");
    let l = this.consts.get(key);
    if (l === undefined) {
      l = this.v128();
      this.consts.set(key, l);
      this.prologue.push(0xfd, SIMD["v128.const"], ...bytes, OP["local.set"]);
      uleb(l, this.prologue);
    }
    return this.get(l);
  }
  /** A v128 constant from four f32 lanes (or raw int32 lanes with `ints`). */
  const4(lanes: readonly number[], ints = false): this {
    const buf = new DataView(new ArrayBuffer(16));
    lanes.forEach((v, i) => (ints ? buf.setInt32(i * 4, v, true) : buf.setFloat32(i * 4, v, true)));
    return this.constant(buf);
  }
  f32x4(v: number): this {
    return this.const4([v, v, v, v]);
  }
  i32x4(v: number): this {
    return this.const4([v, v, v, v], true);
  }
  f64x2(v: number): this {
    const buf = new DataView(new ArrayBuffer(16));
    buf.setFloat64(0, v, true);
    buf.setFloat64(8, v, true);
    return this.constant(buf);
  }
  /** i8x16.shuffle taking lanes (bytes) from the two operands. */
  shuffle(bytes: readonly number[]): this {
    this.simd("i8x16.shuffle");
    this.code.push(...bytes);
    return this;
  }
  /** f32x4.extract_lane / replace_lane. */
  lane(op: "extract" | "replace", lane: number): this {
    this.code.push(0xfd, op === "extract" ? 0x1f : 0x20, lane);
    return this;
  }
  /** Calls imported function `index` (imports come first in the function index space). */
  call(index: number): this {
    this.code.push(OP.call);
    uleb(index, this.code);
    return this;
  }
  raw(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }
  /** The function's encoded body: locals then code. */
  encode(): number[] {
    const body: number[] = [];
    const groups: [number, number][] = [];
    if (this.numI32) groups.push([this.numI32, 0x7f]);
    if (this.v128Count) groups.push([this.v128Count, 0x7b]);
    uleb(groups.length, body);
    for (const [n, t] of groups) {
      uleb(n, body);
      body.push(t);
    }
    body.push(...this.prologue, ...this.code, OP.end);
    const out: number[] = [];
    uleb(body.length, out);
    return [...out, ...body];
  }
}

/**
 * A module with one exported function `name` and imported float64 → float64 functions
 * `m.<name>` (function indices 0…). Its memory is its own (`pages` 64 KiB pages, exported as
 * "mem"), or with `pages: "import"` the shared memory `m.mem` (at least one page, at most
 * `maxPages`): the CPU heap, or a private scratch memory of the same kind.
 */
export function moduleBytes(fn: FnBuilder, name: string, pages: number | "import", imports: readonly string[] = [], maxPages = 65536): Uint8Array<ArrayBuffer> {
  const section = (id: number, content: number[]): number[] => {
    const out = [id];
    uleb(content.length, out);
    return [...out, ...content];
  };
  const vec = (items: number[][]): number[] => {
    const out: number[] = [];
    uleb(items.length, out);
    for (const i of items) out.push(...i);
    return out;
  };
  const str = (s: string): number[] => {
    const b = [...new TextEncoder().encode(s)];
    const out: number[] = [];
    uleb(b.length, out);
    return [...out, ...b];
  };
  const kernelType = [0x60, ...vec(fn.paramTypes.map((t) => [t])), ...vec(fn.result === null ? [] : [[fn.result]])];
  const mathType = [0x60, 0x01, 0x7c, 0x01, 0x7c];
  const importEntries = imports.map((m) => [...str("m"), ...str(m), 0x00, 0x01]);
  const memEntries: number[][] = [];
  const exports: number[][] = [];
  const fnIndex: number[] = [];
  uleb(imports.length, fnIndex);
  exports.push([...str(name), 0x00, ...fnIndex]);
  if (pages === "import") {
    // Limits flag 3: a maximum and shared.
    const limits = [0x03];
    uleb(1, limits);
    uleb(maxPages, limits);
    importEntries.push([...str("m"), ...str("mem"), 0x02, ...limits]);
  } else {
    const mem: number[] = [0x00];
    uleb(pages, mem);
    memEntries.push(mem);
    exports.push([...str("mem"), 0x02, 0x00]);
  }
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([kernelType, mathType])),
    ...(importEntries.length ? section(2, vec(importEntries)) : []),
    ...section(3, vec([[0x00]])),
    ...(memEntries.length ? section(5, vec(memEntries)) : []),
    ...section(7, vec(exports)),
    ...section(10, vec([fn.encode()])),
  ]);
}
