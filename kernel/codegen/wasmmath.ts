/**
 * @file Float32 math on f32x4 vectors for the WebAssembly kernels, after Cephes' single-precision
 * functions (exp, log, sin/cos, tanh): range reduction, a short polynomial, scaling by powers of
 * two built from exponent bits. Each function reads v128 locals (one per vector of an unrolled
 * loop: independent dependency chains the processor overlaps) and returns the result locals.
 * A kernel's loop runs first in fast mode (`ok` a local): functions take their common case only
 * and clear `ok`'s lanes where that case does not hold (exp beyond ±86.9, sin/cos beyond 2^25,
 * NaN); if any lane was cleared the kernel runs its block again in general mode (`ok` null),
 * which covers every input. sin/cos reduce moderate arguments in float32 and larger ones in
 * float64, accurately for the large arguments of the post's cos(exp(x²)); beyond 2^25 the
 * general mode calls JavaScript's float64 Math.sin/Math.cos. sin and cos of one argument, and
 * exp of x and of -x, share one reduction. Where the thread has a fused multiply-add (relaxed.ts),
 * products and sums fuse into one instruction (one rounding, shorter dependency chains) and
 * sin/cos reduce by fewer, longer pieces of π/2; elsewhere the code is the plain
 * multiply-then-add it was before.
 */

import { useFma } from "./relaxed.js";
import type { FnBuilder } from "./wasmasm.js";

type Locals = readonly number[];

/** Fresh v128 locals, one per vector. */
const fresh = (f: FnBuilder, like: Locals): number[] => like.map(() => f.v128());

/** Runs `step` for each vector index. */
function each(xs: Locals, step: (j: number) => void): void {
  for (let j = 0; j < xs.length; j++) step(j);
}

type Shape = "f32x4" | "f64x2";
/** An operand of a multiply-add: a local, a constant (splat over the lanes), or code pushing it. */
type Operand = number | { readonly k: number } | (() => void);
const K = (k: number): Operand => ({ k });

function push(f: FnBuilder, o: Operand, shape: Shape): void {
  if (typeof o === "number") f.get(o);
  else if (typeof o === "function") o();
  else if (shape === "f32x4") f.f32x4(o.k);
  else f.f64x2(o.k);
}

/** a·b + c on the stack: fused, or a·b then + c. */
function madd(f: FnBuilder, fma: boolean, a: Operand, b: Operand, c: Operand, shape: Shape = "f32x4"): FnBuilder {
  push(f, a, shape);
  push(f, b, shape);
  if (fma) {
    push(f, c, shape);
    return f.simd(`${shape}.relaxed_madd`);
  }
  f.simd(`${shape}.mul`);
  push(f, c, shape);
  return f.simd(`${shape}.add`);
}

/** c + a·b on the stack: fused, or c pushed first, then a·b, then the sum. */
function addMul(f: FnBuilder, fma: boolean, c: Operand, a: Operand, b: Operand, shape: Shape = "f32x4"): FnBuilder {
  if (fma) return madd(f, true, a, b, c, shape);
  push(f, c, shape);
  push(f, a, shape);
  push(f, b, shape);
  return f.simd(`${shape}.mul`).simd(`${shape}.add`);
}

/** c - a·b on the stack: fused (relaxed_nmadd), or c, a·b, then the difference. */
function nmadd(f: FnBuilder, fma: boolean, a: Operand, b: Operand, c: Operand, shape: Shape = "f32x4"): FnBuilder {
  if (fma) {
    push(f, a, shape);
    push(f, b, shape);
    push(f, c, shape);
    return f.simd(`${shape}.relaxed_nmadd`);
  }
  push(f, c, shape);
  push(f, a, shape);
  push(f, b, shape);
  return f.simd(`${shape}.mul`).simd(`${shape}.sub`);
}

/** Horner: c[0]·x^(n-1) + … + c[n-1] for each vector, into fresh locals. */
function horner(f: FnBuilder, fma: boolean, x: Locals, coeffs: readonly number[]): number[] {
  const acc = fresh(f, x);
  each(x, (j) => madd(f, fma, x[j], K(coeffs[0]), K(coeffs[1])).set(acc[j]));
  for (const c of coeffs.slice(2)) each(x, (j) => madd(f, fma, acc[j], x[j], K(c)).set(acc[j]));
  return acc;
}

/** 2^n for an i32x4 `n` in [-126, 127], as f32 bits: (n + 127) << 23 (on the stack). */
function pow2(f: FnBuilder, n: number): void {
  f.get(n).i32x4(127).simd("i32x4.add").i32(23).simd("i32x4.shl");
}

/** |x| on the stack: clearing the sign bit is one instruction (V8 spends three on f32x4.abs). */
function abs(f: FnBuilder, x: number): void {
  f.get(x).i32x4(0x7fffffff).simd("v128.and");
}

/** Clears the lanes of the guard `ok` where the mask on the stack is false. */
function guard(f: FnBuilder, ok: number): void {
  f.get(ok).simd("v128.and").set(ok);
}

const f32Bits = (v: number): number => new Int32Array(Float32Array.of(v).buffer)[0];

/**
 * The lane-wise maximum of |x|'s bits over the vectors (a fresh local): as integers, the bits of
 * non-negative floats order as the floats, and NaN's lie above infinity's. One comparison of it
 * per loop iteration then guards every vector (the guard's lanes only say whether to rerun the
 * block), two instructions per vector instead of four or five. `a` gets each |x| if given.
 */
function absMax(f: FnBuilder, x: Locals, a?: Locals): number {
  const mx = f.v128();
  each(x, (j) => {
    abs(f, x[j]);
    if (a) f.tee(a[j]);
    if (j) f.get(mx).simd("i32x4.max_s");
    f.set(mx);
  });
  return mx;
}

/** Clears `ok` unless every |x| ≤ `limit` (through absMax, with a fused multiply-add; else lane by lane, as before). */
function guardAbsAtMost(f: FnBuilder, fma: boolean, x: Locals, limit: number, ok: number): void {
  if (fma) {
    const mx = absMax(f, x);
    f.get(mx).i32x4(f32Bits(limit) + 1).simd("i32x4.lt_s");
    guard(f, ok);
    return;
  }
  // NaN fails the test too.
  each(x, (j) => {
    abs(f, x[j]);
    f.f32x4(limit).simd("f32x4.le");
    guard(f, ok);
  });
}

// Adding 1.5·2^23 (1.5·2^52 in float64) rounds to an integer, which is then also the low
// mantissa bits: cheaper than nearest + trunc_sat, which x64 has no single instruction for.
const ROUND32 = 12582912, ROUND64 = 6755399441055744;

/** In fast mode exp takes |x| ≤ this: n = round(x·log2 e) stays in [-125, 125], so p·2^n is normal. */
const EXP_FAST = 86.9;
/** exp(r) - 1 - r = r²·P(r) on |r| ≤ ln2/2, P of degree 4 (a minimax fit: 0.05 ulp before rounding). */
const EXP_P = [1.3814320554956794e-3, 8.36885068565607e-3, 4.1668400168418884e-2, 1.666651964187622e-1, 4.999999403953552e-1];

/** The reduction's pieces of ln 2: n·LN2_HI is exact for |n| < 2^15, so fused or not, x - n·LN2_HI is exact. */
const LN2_HI = 0.693359375, LN2_LO = -2.12194440e-4;

export function expF32(f: FnBuilder, x: Locals, ok: number | null): number[] {
  const fma = useFma();
  const xc = ok === null ? fresh(f, x) : x, t = fresh(f, x), n = fresh(f, x), r = fresh(f, x), z = fresh(f, x), out = fresh(f, x);
  // Clamp so that the scale 2^n1·2^n2 stays representable; pmax/pmin with x first keep NaN.
  if (ok === null) each(x, (j) => f.get(x[j]).f32x4(-104).simd("f32x4.pmax").f32x4(89).simd("f32x4.pmin").set(xc[j]));
  else guardAbsAtMost(f, fma, x, EXP_FAST, ok);
  // t = x·log2 e + 1.5·2^23, whose low mantissa bits are n = round(x·log2 e); n as a float.
  each(x, (j) => madd(f, fma, xc[j], K(1.4426950408889634), K(ROUND32)).tee(t[j]).f32x4(ROUND32).simd("f32x4.sub").set(n[j]));
  // r = x - n·ln2 in two parts (Cody–Waite).
  each(x, (j) => nmadd(f, fma, n[j], K(LN2_HI), xc[j]).set(r[j]));
  each(x, (j) => nmadd(f, fma, n[j], K(LN2_LO), r[j]).set(r[j]));
  each(x, (j) => f.get(r[j]).get(r[j]).simd("f32x4.mul").set(z[j]));
  const p = horner(f, fma, r, EXP_P);
  // 1 + (r + r²·P(r)): the small terms first, 1 last.
  each(x, (j) => madd(f, fma, p[j], z[j], r[j]).f32x4(1).simd("f32x4.add").set(out[j]));
  if (ok !== null) {
    // Scale by 2^n by adding n to the exponent field: t's bits shifted left by 23 are n << 23.
    each(x, (j) => f.get(out[j]).get(t[j]).i32(23).simd("i32x4.shl").simd("i32x4.add").set(out[j]));
    return out;
  }
  // Scale by 2^n as 2^n1 · 2^n2 (n1 = n >> 1) so that results down to the subnormals are right;
  // for a NaN x the scale bits are garbage, but NaN times anything is NaN.
  const ni = f.v128(), n1 = f.v128();
  each(x, (j) => {
    f.get(t[j]).i32x4(0x4b400000).simd("i32x4.sub").set(ni);
    f.get(ni).i32(1).simd("i32x4.shr_s").set(n1);
    f.get(out[j]);
    pow2(f, n1);
    f.simd("f32x4.mul");
    f.get(ni).get(n1).simd("i32x4.sub").set(ni);
    pow2(f, ni);
    f.simd("f32x4.mul").set(out[j]);
  });
  return out;
}

/**
 * exp(x) and exp(-x) from one reduction, in fast mode: -x = (-n)·ln2 + (-r), so only the scale's
 * sign and the polynomial's odd part change: P(±r) = E(r²) ± r·O(r²).
 */
export function expPairF32(f: FnBuilder, x: Locals, ok: number): { pos: number[]; neg: number[] } {
  const fma = useFma();
  const t = fresh(f, x), n = fresh(f, x), r = fresh(f, x), z = fresh(f, x), ro = fresh(f, x), pos = fresh(f, x), neg = fresh(f, x);
  guardAbsAtMost(f, fma, x, EXP_FAST, ok);
  each(x, (j) => madd(f, fma, x[j], K(1.4426950408889634), K(ROUND32)).tee(t[j]).f32x4(ROUND32).simd("f32x4.sub").set(n[j]));
  each(x, (j) => nmadd(f, fma, n[j], K(LN2_HI), x[j]).set(r[j]));
  each(x, (j) => nmadd(f, fma, n[j], K(LN2_LO), r[j]).set(r[j]));
  each(x, (j) => f.get(r[j]).get(r[j]).simd("f32x4.mul").set(z[j]));
  const [c6, c5, c4, c3, c2] = EXP_P;
  const even = horner(f, fma, z, [c6, c4, c2]), odd = horner(f, fma, z, [c5, c3]);
  if (fma) {
    // s± = E ± r·O (s+ in ro's local); exp(x) = 2^n·(1 + (r + r²·s+)), exp(-x) = 2^-n·(1 - (r - r²·s-)).
    const sp = ro, sn = fresh(f, x);
    each(x, (j) => madd(f, true, r[j], odd[j], even[j]).set(sp[j]));
    each(x, (j) => nmadd(f, true, r[j], odd[j], even[j]).set(sn[j]));
    each(x, (j) => {
      madd(f, true, sp[j], z[j], r[j]).f32x4(1).simd("f32x4.add");
      f.get(t[j]).i32(23).simd("i32x4.shl").simd("i32x4.add").set(pos[j]);
      f.f32x4(1);
      nmadd(f, true, sn[j], z[j], r[j]).simd("f32x4.sub");
      f.get(t[j]).i32(23).simd("i32x4.shl").simd("i32x4.sub").set(neg[j]);
    });
    return { pos, neg };
  }
  each(x, (j) => f.get(odd[j]).get(r[j]).simd("f32x4.mul").set(ro[j]));
  each(x, (j) => {
    f.get(even[j]).get(ro[j]).simd("f32x4.add").get(z[j]).simd("f32x4.mul").get(r[j]).simd("f32x4.add").f32x4(1).simd("f32x4.add");
    f.get(t[j]).i32(23).simd("i32x4.shl").simd("i32x4.add").set(pos[j]);
    f.get(even[j]).get(ro[j]).simd("f32x4.sub").get(z[j]).simd("f32x4.mul").get(r[j]).simd("f32x4.sub").f32x4(1).simd("f32x4.add");
    f.get(t[j]).i32(23).simd("i32x4.shl").simd("i32x4.sub").set(neg[j]);
  });
  return { pos, neg };
}

export function logF32(f: FnBuilder, xv: Locals): number[] {
  const fma = useFma();
  const outs = fresh(f, xv);
  // Only exp, sin/cos, tanh and logistic sit in the post's hot loops: log runs vector by vector.
  each(xv, (j) => {
    const x = xv[j], out = outs[j];
    const xs = f.v128(), e = f.v128(), m = f.v128(), mask = f.v128(), z = f.v128(), y = f.v128(), fe = f.v128(), sub = f.v128();
    // Subnormals: scale by 2^23 first.
    f.get(x).f32x4(1.17549435e-38).simd("f32x4.lt").set(sub);
    f.get(x).f32x4(8388608).simd("f32x4.mul").get(x).get(sub).simd("v128.bitselect").set(xs);
    f.get(xs).i32(23).simd("i32x4.shr_u").i32x4(126).simd("i32x4.sub").get(sub).i32x4(23).simd("v128.and").simd("i32x4.sub").set(e);
    f.get(xs).i32x4(0x807fffff | 0).simd("v128.and").i32x4(0x3f000000).simd("v128.or").set(m);
    // Mantissa in [√½, √2): m < √½ takes one from the exponent and doubles m.
    f.get(m).f32x4(0.7071067811865476).simd("f32x4.lt").set(mask);
    f.get(e).get(mask).simd("i32x4.add").set(e);
    f.get(m).f32x4(1).simd("f32x4.sub").get(m).get(mask).simd("v128.and").simd("f32x4.add").set(m);
    f.get(m).get(m).simd("f32x4.mul").set(z);
    const [p] = horner(f, fma, [m], [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1]);
    f.get(p).get(m).simd("f32x4.mul").get(z).simd("f32x4.mul").set(y);
    f.get(e).simd("f32x4.convert_i32x4_s").set(fe);
    addMul(f, fma, () => addMul(f, fma, y, fe, K(LN2_LO)), z, K(-0.5)).set(y);
    addMul(f, fma, () => f.get(m).get(y).simd("f32x4.add"), fe, K(LN2_HI)).set(out);
    // log(+inf) = inf, log(0) = -inf, log(x < 0) = log(NaN) = NaN.
    f.f32x4(Infinity).get(out).get(x).f32x4(Infinity).simd("f32x4.eq").simd("v128.bitselect").set(out);
    f.f32x4(-Infinity).get(out).get(x).f32x4(0).simd("f32x4.eq").simd("v128.bitselect").set(out);
    f.f32x4(NaN).get(out).get(x).f32x4(0).simd("f32x4.lt").get(x).get(x).simd("f32x4.ne").simd("v128.or").simd("v128.bitselect").set(out);
  });
  return outs;
}

// π/2 in pieces for the reduction x - k·π/2. Float32 (every lane below 2^13, so |k| < 2^13):
// four pieces of at most 11 significant bits, so that each k·Ci is exact. Float64 (|k| < 2^25):
// a first part of 28 bits, so that k·P1 is exact, and the rest. Checked over every float32 in
// range: no error beyond the polynomials' 2 ulp.
const C = [1.5703125, 4.837512969970703e-4, 7.549533620476723e-8, 2.5633440682570896e-12];
const P1 = 1.570796325802803, P2 = 9.920935796805404e-10;
// With a fused multiply-add, x - m·P is exact for a P of full precision as long as the result is
// below 2 (x and m·P are multiples of P's ulp, or x is too small to cancel): three float32
// pieces (the rest ~1e-23, times |m| < 2^14) and two float64 ones suffice. Checked over every
// float32 in range (test/backend/wasmmath-sweep.ts).
const C_FMA = [1.5707963705062866, -4.371138828673793e-8, -1.7151245100058819e-15];
const P_FMA = [1.5707963267948966, 6.123233995736766e-17];
/** i8x16.shuffle bytes taking lanes 0–1 of the first operand, then lanes 0–1 of the second. */
const LOW_LOW = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
/** i8x16.shuffle bytes moving lanes 2–3 down. */
const HIGH = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** i8x16.shuffle bytes taking the low 32 bits of each float64 lane of the two operands. */
const LOW_WORDS = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
/** Below this |x| (in every lane) the reduction runs in float32. */
const SIN_COS_F32 = 8192;
/** From this |x| on (k ≥ 2^25) the float64 reduction is inexact: fast mode gives up, general mode calls Math.sin/cos. */
const SIN_COS_LIMIT = 33554432;

/**
 * |x| of each vector into `a`; in fast mode, clears `ok` where |x| ≥ SIN_COS_LIMIT or x is NaN (with a
 * fused multiply-add: inside the float64 branch);
 * then opens `if` (some lane of some vector at or above SIN_COS_F32: reduce in float64) — the
 * caller emits the float64 reduction, `else`, the float32 one and `end`.
 */
function sinCosRange(f: FnBuilder, x: Locals, ok: number | null, fma: boolean): number[] {
  const a = fresh(f, x);
  if (fma) {
    // Lanes at or beyond SIN_COS_LIMIT (or NaN) are beyond SIN_COS_F32 too: the guard sits in the
    // float64 branch, off the common path (and no value computed before the branch waits after it).
    const mx = absMax(f, x, a);
    f.get(mx).i32x4(f32Bits(SIN_COS_F32) - 1).simd("i32x4.gt_s").simd("v128.any_true").op("if").raw(0x40);
    if (ok !== null) {
      f.get(mx).i32x4(f32Bits(SIN_COS_LIMIT)).simd("i32x4.lt_s");
      guard(f, ok);
    }
    return a;
  }
  const big = f.v128();
  each(x, (j) => {
    abs(f, x[j]);
    f.set(a[j]);
  });
  if (ok !== null) each(x, (j) => {
    f.get(a[j]).f32x4(SIN_COS_LIMIT).simd("f32x4.lt");
    guard(f, ok);
  });
  each(x, (j) => {
    f.get(a[j]).f32x4(SIN_COS_F32).simd("f32x4.ge");
    if (j) f.get(big).simd("v128.or");
    f.set(big);
  });
  f.get(big).simd("v128.any_true").op("if").raw(0x40);
  return a;
}

/** General mode: lanes at or beyond SIN_COS_LIMIT take the imported float64 Math function `fn` (index). */
function exactBeyondLimit(f: FnBuilder, x: Locals, a: Locals, outs: Locals, fn: number): void {
  each(x, (j) => {
    f.get(a[j]).f32x4(SIN_COS_LIMIT).simd("f32x4.ge").simd("v128.any_true").op("if").raw(0x40);
    for (let lane = 0; lane < 4; lane++) {
      f.get(outs[j]).get(x[j]).lane("extract", lane).op("f64.promote_f32").call(fn).op("f32.demote_f64").lane("replace", lane).set(outs[j]);
    }
    f.raw(0x0b);
  });
}

/** Locals of a reduction by π/2: the results y and nb, and scratch (m per vector, h and t two each). */
interface Reduction {
  readonly y: Locals;
  readonly nb: Locals;
  readonly m: Locals;
  readonly h: Locals;
  readonly t: Locals;
}

/**
 * Fused multiply-add only: inside sinCosRange's `if`, y = x - m·π/2 with n = round(x·scale +
 * offset) and m = mult·n + add, in float64 then (`else`) in float32, and `end`; `nb` gets bits
 * whose low two are n's (the rounded value's, in either precision).
 */
function reduceHalfPiFma(f: FnBuilder, x: Locals, { y, nb, m, h, t }: Reduction, scale: number, offset: number, mult: 1 | 2, add: number): void {
  /** m from n (in local `l`) into `l`. */
  const mFromN = (l: number, shape: Shape): void => {
    if (mult === 2 && add === 0) f.get(l).get(l).simd(`${shape}.add`).set(l);
    else if (mult === 2) madd(f, true, l, K(2), K(add), shape).set(l);
  };
  each(x, (j) => {
    f.get(x[j]).simd("f64x2.promote_low_f32x4").set(h[0]);
    f.get(x[j]).get(x[j]).shuffle(HIGH).simd("f64x2.promote_low_f32x4").set(h[1]);
    for (const half of [0, 1]) {
      if (offset) madd(f, true, h[half], K(scale), K(offset), "f64x2").f64x2(ROUND64).simd("f64x2.add");
      else madd(f, true, h[half], K(scale), K(ROUND64), "f64x2");
      f.set(t[half]);
    }
    f.get(t[0]).get(t[1]).shuffle(LOW_WORDS).set(nb[j]);
    for (const half of [0, 1]) {
      f.get(t[half]).f64x2(ROUND64).simd("f64x2.sub").set(t[half]);
      mFromN(t[half], "f64x2");
      nmadd(f, true, t[half], K(P_FMA[1]), () => nmadd(f, true, t[half], K(P_FMA[0]), h[half], "f64x2"), "f64x2");
      f.simd("f32x4.demote_f64x2_zero").set(h[half]);
    }
    f.get(h[0]).get(h[1]).shuffle(LOW_LOW).set(y[j]);
  });
  f.raw(0x05); // else
  each(x, (j) => {
    if (offset) madd(f, true, x[j], K(scale), K(offset)).f32x4(ROUND32).simd("f32x4.add");
    else madd(f, true, x[j], K(scale), K(ROUND32));
    f.tee(nb[j]).f32x4(ROUND32).simd("f32x4.sub").set(m[j]);
    mFromN(m[j], "f32x4");
  });
  each(x, (j) => nmadd(f, true, m[j], K(C_FMA[0]), x[j]).set(y[j]));
  for (const piece of C_FMA.slice(1)) each(x, (j) => nmadd(f, true, m[j], K(piece), y[j]).set(y[j]));
  f.raw(0x0b);
}

/** sin(y) = y + y³·Q(y²) on |y| ≤ π/2 + 0.002 (a minimax fit: 0.1 ulp before rounding). */
const SIN_Q = [2.6053996862174245e-6, -1.9809439254458994e-4, 8.333064615726471e-3, -1.6666659712791443e-1];

/**
 * sin or cos of x with one polynomial: sin x = (-1)^n·sin(x - nπ) with n = round(x/π), and
 * cos x = (-1)^n·sin((n + ½)π - x) with n = round(x/π - ½); both reduce x by m·π/2 (m = 2n, or
 * 2n + 1), with the same pieces as sinCosF32. With a fused multiply-add, cos takes
 * n = round(x/π + ½) instead: cos x = (-1)^n·sin(x - (n - ½)π), so that x is the addend.
 */
export function sinOrCosF32(f: FnBuilder, x: Locals, fn: "sin" | "cos", ok: number | null, exact: number): number[] {
  const fma = useFma();
  const y = fresh(f, x), nb = fresh(f, x), m = fresh(f, x), out = fresh(f, x);
  const red: Reduction = { y, nb, m, h: [f.v128(), f.v128()], t: [f.v128(), f.v128()] };
  const cos = fn === "cos";
  const a = sinCosRange(f, x, ok, fma);
  if (fma) reduceHalfPiFma(f, x, red, 1 / Math.PI, cos ? 0.5 : 0, 2, cos ? -1 : 0);
  else reduceHalfPi(f, x, red, cos);
  // The low bit of n (the low mantissa bits of the rounded value, in float32 or float64) is the sign.
  const z = fresh(f, x);
  each(x, (j) => f.get(y[j]).get(y[j]).simd("f32x4.mul").set(z[j]));
  const q = horner(f, fma, z, SIN_Q);
  if (fma) {
    const w = fresh(f, x);
    each(x, (j) => f.get(z[j]).get(y[j]).simd("f32x4.mul").set(w[j]));
    each(x, (j) => madd(f, true, q[j], w[j], y[j]).get(nb[j]).i32(31).simd("i32x4.shl").simd("v128.xor").set(out[j]));
  } else {
    each(x, (j) => f.get(q[j]).get(z[j]).simd("f32x4.mul").get(y[j]).simd("f32x4.mul").get(y[j]).simd("f32x4.add").get(nb[j]).i32(31).simd("i32x4.shl").simd("v128.xor").set(out[j]));
  }
  if (ok === null) exactBeyondLimit(f, x, a, out, exact);
  return out;
}

/** sinOrCosF32's reduction without a fused multiply-add: like reduceHalfPiFma, with m = 2n (+ 1) and y negated for cos. */
function reduceHalfPi(f: FnBuilder, x: Locals, { y, nb, m, h, t }: Reduction, cos: boolean): void {
  each(x, (j) => {
    f.get(x[j]).simd("f64x2.promote_low_f32x4").set(h[0]);
    f.get(x[j]).get(x[j]).shuffle(HIGH).simd("f64x2.promote_low_f32x4").set(h[1]);
    for (const half of [0, 1]) {
      f.get(h[half]).f64x2(1 / Math.PI).simd("f64x2.mul");
      if (cos) f.f64x2(0.5).simd("f64x2.sub");
      f.f64x2(ROUND64).simd("f64x2.add").set(t[half]);
    }
    f.get(t[0]).get(t[1]).shuffle(LOW_WORDS).set(nb[j]);
    for (const half of [0, 1]) {
      // m = 2n (+ 1); y = x - m·π/2 (negated for cos).
      f.get(t[half]).f64x2(ROUND64).simd("f64x2.sub").tee(t[half]).get(t[half]).simd("f64x2.add");
      if (cos) f.f64x2(1).simd("f64x2.add");
      f.set(t[half]);
      if (cos) f.get(t[half]).f64x2(P1).simd("f64x2.mul").get(h[half]).simd("f64x2.sub").get(t[half]).f64x2(P2).simd("f64x2.mul").simd("f64x2.add");
      else f.get(h[half]).get(t[half]).f64x2(P1).simd("f64x2.mul").simd("f64x2.sub").get(t[half]).f64x2(P2).simd("f64x2.mul").simd("f64x2.sub");
      f.simd("f32x4.demote_f64x2_zero").set(h[half]);
    }
    f.get(h[0]).get(h[1]).shuffle(LOW_LOW).set(y[j]);
  });
  f.raw(0x05); // else
  each(x, (j) => {
    f.get(x[j]).f32x4(1 / Math.PI).simd("f32x4.mul");
    if (cos) f.f32x4(0.5).simd("f32x4.sub");
    f.f32x4(ROUND32).simd("f32x4.add").tee(nb[j]).f32x4(ROUND32).simd("f32x4.sub").tee(m[j]).get(m[j]).simd("f32x4.add");
    if (cos) f.f32x4(1).simd("f32x4.add");
    f.set(m[j]);
  });
  each(x, (j) => {
    if (cos) f.get(m[j]).f32x4(C[0]).simd("f32x4.mul").get(x[j]).simd("f32x4.sub");
    else f.get(x[j]).get(m[j]).f32x4(C[0]).simd("f32x4.mul").simd("f32x4.sub");
    f.set(y[j]);
  });
  for (const piece of C.slice(1)) each(x, (j) => f.get(y[j]).get(m[j]).f32x4(piece).simd("f32x4.mul").simd(cos ? "f32x4.add" : "f32x4.sub").set(y[j]));
  f.raw(0x0b);
}

/** Cephes' sinf and cosf on |r| ≤ π/4: sin r = r + r³·SIN_P(r²), cos r = 1 - r²/2 + r⁴·COS_P(r²). */
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1];
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2];

/**
 * sin and cos of x from one range reduction (x - k·π/2, k = round(2x/π)): both polynomials on
 * |r| ≤ π/4, swapped and signed by the quadrant. `exact` holds the indices of the imported
 * float64 Math.sin/Math.cos used (in general mode) for lanes at or beyond SIN_COS_LIMIT.
 */
export function sinCosF32(f: FnBuilder, x: Locals, ok: number | null, exact: { sin: number; cos: number }): { sin: number[]; cos: number[] } {
  const fma = useFma();
  const r = fresh(f, x), q = fresh(f, x), z = fresh(f, x), s = fresh(f, x);
  let c = fresh(f, x);
  const h = [f.v128(), f.v128()], k = [f.v128(), f.v128()];
  const a = sinCosRange(f, x, ok, fma);
  if (fma) reduceHalfPiFma(f, x, { y: r, nb: q, m: z, h, t: k }, 2 / Math.PI, 0, 1, 0);
  else reduceQuadrant(f, x, r, q, z, h, k);
  each(x, (j) => f.get(r[j]).get(r[j]).simd("f32x4.mul").set(z[j]));
  const ps = horner(f, fma, z, SIN_P);
  if (fma) {
    // cos r = 1 + z·(-½ + z·P(z)) as one Horner chain; sin r = r + P(z)·(z·r).
    c = horner(f, true, z, [...COS_P, -0.5, 1]);
    const w = fresh(f, x);
    each(x, (j) => f.get(z[j]).get(r[j]).simd("f32x4.mul").set(w[j]));
    each(x, (j) => madd(f, true, ps[j], w[j], r[j]).set(s[j]));
  } else {
    const pc = horner(f, false, z, COS_P);
    each(x, (j) => f.get(ps[j]).get(z[j]).simd("f32x4.mul").get(r[j]).simd("f32x4.mul").get(r[j]).simd("f32x4.add").set(s[j]));
    each(x, (j) => f.get(pc[j]).get(z[j]).simd("f32x4.mul").get(z[j]).simd("f32x4.mul").get(z[j]).f32x4(-0.5).simd("f32x4.mul").simd("f32x4.add").f32x4(1).simd("f32x4.add").set(c[j]));
  }
  // Odd quadrants swap sin and cos; the sign comes from bit 1 of q (of q + 1 for cos).
  const result = (fn: "sin" | "cos"): number[] => {
    const out = fresh(f, x);
    const odd = fn === "sin" ? c : s, even = fn === "sin" ? s : c;
    each(x, (j) => {
      f.get(odd[j]).get(even[j]).get(q[j]).i32x4(1).simd("v128.and").i32x4(1).simd("i32x4.eq").simd("v128.bitselect");
      f.get(q[j]);
      if (fn === "cos") f.i32x4(1).simd("i32x4.add");
      f.i32x4(2).simd("v128.and").i32(30).simd("i32x4.shl").simd("v128.xor").set(out[j]);
    });
    return out;
  };
  const outs = { sin: result("sin"), cos: result("cos") };
  if (ok === null) {
    exactBeyondLimit(f, x, a, outs.sin, exact.sin);
    exactBeyondLimit(f, x, a, outs.cos, exact.cos);
  }
  return outs;
}

/** sinCosF32's reduction without a fused multiply-add: r = x - k·π/2, the quadrant into q (z, h, k scratch). */
function reduceQuadrant(f: FnBuilder, x: Locals, r: Locals, q: Locals, z: Locals, h: Locals, k: Locals): void {
  each(x, (j) => {
    // Both halves of the vector side by side: k = round(x·2/π) + 1.5·2^52, whose low 32 bits are
    // the quadrant; r = x - k·π/2.
    f.get(x[j]).simd("f64x2.promote_low_f32x4").set(h[0]);
    f.get(x[j]).get(x[j]).shuffle(HIGH).simd("f64x2.promote_low_f32x4").set(h[1]);
    for (const half of [0, 1]) f.get(h[half]).f64x2(0.6366197723675814).simd("f64x2.mul").f64x2(ROUND64).simd("f64x2.add").set(k[half]);
    f.get(k[0]).get(k[1]).shuffle(LOW_WORDS).set(q[j]);
    for (const half of [0, 1]) {
      f.get(k[half]).f64x2(ROUND64).simd("f64x2.sub").set(k[half]);
      f.get(h[half]).get(k[half]).f64x2(P1).simd("f64x2.mul").simd("f64x2.sub");
      f.get(k[half]).f64x2(P2).simd("f64x2.mul").simd("f64x2.sub").simd("f32x4.demote_f64x2_zero").set(h[half]);
    }
    f.get(h[0]).get(h[1]).shuffle(LOW_LOW).set(r[j]);
  });
  f.raw(0x05); // else
  each(x, (j) => {
    f.get(x[j]).f32x4(0.6366197723675814).simd("f32x4.mul").f32x4(ROUND32).simd("f32x4.add").tee(z[j]);
    f.i32x4(0x4b400000).simd("i32x4.sub").set(q[j]);
    f.get(z[j]).f32x4(ROUND32).simd("f32x4.sub").set(z[j]);
  });
  each(x, (j) => f.get(x[j]).get(z[j]).f32x4(C[0]).simd("f32x4.mul").simd("f32x4.sub").set(r[j]));
  for (const piece of C.slice(1)) each(x, (j) => f.get(r[j]).get(z[j]).f32x4(piece).simd("f32x4.mul").simd("f32x4.sub").set(r[j]));
  f.raw(0x0b);
}

export function tanhF32(f: FnBuilder, x: Locals, ok: number | null): number[] {
  const fma = useFma();
  const a = fresh(f, x), z = fresh(f, x), small = fresh(f, x), twoA = fresh(f, x), out = fresh(f, x);
  each(x, (j) => {
    abs(f, x[j]);
    f.set(a[j]);
  });
  each(x, (j) => f.get(x[j]).get(x[j]).simd("f32x4.mul").set(z[j]));
  const p = horner(f, fma, z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]);
  // x + P(z)·(z·x), or x + P(z)·z·x unfused.
  if (fma) each(x, (j) => madd(f, true, p[j], () => f.get(z[j]).get(x[j]).simd("f32x4.mul"), x[j]).set(small[j]));
  else each(x, (j) => f.get(p[j]).get(z[j]).simd("f32x4.mul").get(x[j]).simd("f32x4.mul").get(x[j]).simd("f32x4.add").set(small[j]));
  // Large |x|: 1 - 2/(e^(2|x|) + 1), with the sign of x; from |x| = 10 on that rounds to 1, so
  // |x| is capped there (keeping exp in its fast range).
  each(x, (j) => f.get(a[j]).f32x4(10).simd("f32x4.pmin").tee(twoA[j]).get(twoA[j]).simd("f32x4.add").set(twoA[j]));
  const e = expF32(f, twoA, ok);
  each(x, (j) => {
    f.f32x4(1).f32x4(2).get(e[j]).f32x4(1).simd("f32x4.add").simd("f32x4.div").simd("f32x4.sub");
    f.i32x4(0x7fffffff).simd("v128.and").get(x[j]).i32x4(0x80000000 | 0).simd("v128.and").simd("v128.or").set(out[j]);
    f.get(small[j]).get(out[j]).get(a[j]).f32x4(0.625).simd("f32x4.lt").simd("v128.bitselect").set(out[j]);
  });
  return out;
}

export function logisticF32(f: FnBuilder, x: Locals, ok: number | null): number[] {
  const nx = fresh(f, x), out = fresh(f, x);
  each(x, (j) => f.get(x[j]).simd("f32x4.neg").set(nx[j]));
  const e = expF32(f, nx, ok);
  each(x, (j) => f.f32x4(1).f32x4(1).get(e[j]).simd("f32x4.add").simd("f32x4.div").set(out[j]));
  return out;
}
