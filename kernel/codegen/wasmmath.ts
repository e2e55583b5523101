/**
 * @file Float32 math on f32x4 vectors for the WebAssembly kernels, after Cephes' single-precision
 * functions (exp, log, sin/cos, tanh): range reduction, a short polynomial, scaling by powers of
 * two built from exponent bits. Each function reads a v128 local and returns the local holding
 * the result. A kernel's loop runs first in fast mode (`ok` a local): functions take their common
 * case only and clear `ok`'s lanes where that case does not hold (exp beyond ±86.9, sin/cos beyond
 * 2^25, NaN); if any lane was cleared the kernel runs its block again in general mode (`ok` null),
 * which covers every input. sin/cos reduce moderate arguments in float32 and larger ones in
 * float64, accurately for the large arguments of the post's cos(exp(x²)); beyond 2^25 the
 * general mode calls JavaScript's float64 Math.sin/Math.cos.
 */

import type { FnBuilder } from "./wasmasm.js";

/** Horner: c[0]·x^(n-1) + … + c[n-1], x a local; leaves the result on the stack. */
function horner(f: FnBuilder, x: number, coeffs: readonly number[]): void {
  f.f32x4(coeffs[0]);
  for (const c of coeffs.slice(1)) f.get(x).simd("f32x4.mul").f32x4(c).simd("f32x4.add");
}

/** 2^n for an i32x4 `n` in [-126, 127], as f32 bits: (n + 127) << 23 (on the stack). */
function pow2(f: FnBuilder, n: number): void {
  f.get(n).i32x4(127).simd("i32x4.add").i32(23).simd("i32x4.shl");
}

// Adding 1.5·2^23 (1.5·2^52 in float64) rounds to an integer, which is then also the low
// mantissa bits: cheaper than nearest + trunc_sat, which x64 has no single instruction for.
const ROUND32 = 12582912, ROUND64 = 6755399441055744;

/** In fast mode exp takes |x| ≤ this: n = round(x·log2 e) stays in [-125, 125], so p·2^n is normal. */
const EXP_FAST = 86.9;
/** exp(r) - 1 - r = r²·P(r) on |r| ≤ ln2/2, P of degree 4 (a minimax fit: 0.05 ulp before rounding). */
const EXP_P = [1.3814320554956794e-3, 8.36885068565607e-3, 4.1668400168418884e-2, 1.666651964187622e-1, 4.999999403953552e-1];

/** Clears the lanes of the guard `ok` where the mask on the stack is false. */
function guard(f: FnBuilder, ok: number): void {
  f.get(ok).simd("v128.and").set(ok);
}

export function expF32(f: FnBuilder, x: number, ok: number | null): number {
  const xc = ok === null ? f.v128() : x, t = f.v128(), n = f.v128(), r = f.v128(), z = f.v128(), out = f.v128();
  if (ok === null) {
    // Clamp so that the scale 2^n1·2^n2 stays representable; pmax/pmin with x first keep NaN.
    f.get(x).f32x4(-104).simd("f32x4.pmax").f32x4(89).simd("f32x4.pmin").set(xc);
  } else {
    // NaN fails the test too.
    f.get(x).simd("f32x4.abs").f32x4(EXP_FAST).simd("f32x4.le");
    guard(f, ok);
  }
  // t = x·log2 e + 1.5·2^23, whose low mantissa bits are n = round(x·log2 e); n as a float.
  f.get(xc).f32x4(1.4426950408889634).simd("f32x4.mul").f32x4(ROUND32).simd("f32x4.add").tee(t).f32x4(ROUND32).simd("f32x4.sub").set(n);
  // r = x - n·ln2 in two parts (Cody–Waite).
  f.get(xc).get(n).f32x4(0.693359375).simd("f32x4.mul").simd("f32x4.sub").get(n).f32x4(-2.12194440e-4).simd("f32x4.mul").simd("f32x4.sub").set(r);
  f.get(r).get(r).simd("f32x4.mul").set(z);
  horner(f, r, EXP_P);
  f.get(z).simd("f32x4.mul").get(r).simd("f32x4.add").f32x4(1).simd("f32x4.add").set(out);
  if (ok !== null) {
    // Scale by 2^n by adding n to the exponent field: t's bits shifted left by 23 are n << 23.
    f.get(out).get(t).i32(23).simd("i32x4.shl").simd("i32x4.add").set(out);
    return out;
  }
  // Scale by 2^n as 2^n1 · 2^n2 (n1 = n >> 1) so that results down to the subnormals are right;
  // for a NaN x the scale bits are garbage, but NaN times anything is NaN.
  const ni = f.v128(), n1 = f.v128();
  f.get(t).i32x4(0x4b400000).simd("i32x4.sub").set(ni);
  f.get(ni).i32(1).simd("i32x4.shr_s").set(n1);
  f.get(out);
  pow2(f, n1);
  f.simd("f32x4.mul");
  f.get(ni).get(n1).simd("i32x4.sub").set(ni);
  pow2(f, ni);
  f.simd("f32x4.mul").set(out);
  return out;
}

export function logF32(f: FnBuilder, x: number): number {
  const xs = f.v128(), e = f.v128(), m = f.v128(), mask = f.v128(), z = f.v128(), y = f.v128(), fe = f.v128(), out = f.v128(), sub = f.v128();
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
  horner(f, m, [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1]);
  f.get(m).simd("f32x4.mul").get(z).simd("f32x4.mul").set(y);
  f.get(e).simd("f32x4.convert_i32x4_s").set(fe);
  f.get(y).get(fe).f32x4(-2.12194440e-4).simd("f32x4.mul").simd("f32x4.add").get(z).f32x4(-0.5).simd("f32x4.mul").simd("f32x4.add").set(y);
  f.get(m).get(y).simd("f32x4.add").get(fe).f32x4(0.693359375).simd("f32x4.mul").simd("f32x4.add").set(out);
  // log(+inf) = inf, log(0) = -inf, log(x < 0) = log(NaN) = NaN.
  f.f32x4(Infinity).get(out).get(x).f32x4(Infinity).simd("f32x4.eq").simd("v128.bitselect").set(out);
  f.f32x4(-Infinity).get(out).get(x).f32x4(0).simd("f32x4.eq").simd("v128.bitselect").set(out);
  f.f32x4(NaN).get(out).get(x).f32x4(0).simd("f32x4.lt").get(x).get(x).simd("f32x4.ne").simd("v128.or").simd("v128.bitselect").set(out);
  return out;
}

// π/2 in pieces for the reduction x - k·π/2. Float32 (every lane below 2^13, so |k| < 2^13):
// four pieces of at most 11 significant bits, so that each k·Ci is exact. Float64 (|k| < 2^25):
// a first part of 28 bits, so that k·P1 is exact, and the rest. Checked over every float32 in
// range: no error beyond the polynomials' 2 ulp.
const C1 = 1.5703125, C2 = 4.837512969970703e-4, C3 = 7.549533620476723e-8, C4 = 2.5633440682570896e-12;
const P1 = 1.570796325802803, P2 = 9.920935796805404e-10;
/** i8x16.shuffle bytes taking lanes 0–1 of the first operand, then lanes 0–1 of the second. */
const LOW_LOW = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
/** Below this |x| (in every lane) the reduction runs in float32. */
const SIN_COS_F32 = 8192;
/** From this |x| on (k ≥ 2^25) the float64 reduction is inexact: fast mode gives up, general mode calls Math.sin/cos. */
const SIN_COS_LIMIT = 33554432;

/**
 * sin and/or cos of x (one range reduction for both). `exact` holds the indices of the imported
 * float64 Math.sin/Math.cos used (in general mode) for lanes at or beyond SIN_COS_LIMIT. Returns
 * the result locals (-1 for a function not asked for).
 */
export function sinCosF32(f: FnBuilder, x: number, which: readonly ("sin" | "cos")[], ok: number | null, exact: { sin: number; cos: number }): { sin: number; cos: number } {
  const a = f.v128(), h = f.v128(), k = f.v128(), rl = f.v128(), ql = f.v128(), r = f.v128(), q = f.v128(), z = f.v128(), s = f.v128(), c = f.v128();
  f.get(x).simd("f32x4.abs").set(a);
  if (ok !== null) {
    f.get(a).f32x4(SIN_COS_LIMIT).simd("f32x4.lt");
    guard(f, ok);
  }
  f.get(a).f32x4(SIN_COS_F32).simd("f32x4.ge").simd("v128.any_true").op("if").raw(0x40);
    for (const half of [0, 1]) {
      f.get(x);
      if (half) f.get(x).shuffle([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]);
      f.simd("f64x2.promote_low_f32x4").set(h);
      // k = round(x·2/π) + 1.5·2^52: its low 32 bits are the quadrant.
      f.get(h).f64x2(0.6366197723675814).simd("f64x2.mul").f64x2(ROUND64).simd("f64x2.add").set(k);
      f.get(k).get(k).shuffle([0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
      if (half) f.set(q).get(ql).get(q).shuffle(LOW_LOW).set(q);
      else f.set(ql);
      f.get(k).f64x2(ROUND64).simd("f64x2.sub").set(k);
      f.get(h).get(k).f64x2(P1).simd("f64x2.mul").simd("f64x2.sub");
      f.get(k).f64x2(P2).simd("f64x2.mul").simd("f64x2.sub");
      f.simd("f32x4.demote_f64x2_zero");
      if (half) f.set(r).get(rl).get(r).shuffle(LOW_LOW).set(r);
      else f.set(rl);
    }
  f.raw(0x05); // else
  f.get(x).f32x4(0.6366197723675814).simd("f32x4.mul").f32x4(ROUND32).simd("f32x4.add").tee(h);
  f.i32x4(0x4b400000).simd("i32x4.sub").set(q);
  f.get(h).f32x4(ROUND32).simd("f32x4.sub").set(k);
  f.get(x);
  for (const piece of [C1, C2, C3, C4]) f.get(k).f32x4(piece).simd("f32x4.mul").simd("f32x4.sub");
  f.set(r);
  f.raw(0x0b);
  f.get(r).get(r).simd("f32x4.mul").set(z);
  horner(f, z, [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1]);
  f.get(z).simd("f32x4.mul").get(r).simd("f32x4.mul").get(r).simd("f32x4.add").set(s);
  horner(f, z, [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2]);
  f.get(z).simd("f32x4.mul").get(z).simd("f32x4.mul").get(z).f32x4(-0.5).simd("f32x4.mul").simd("f32x4.add").f32x4(1).simd("f32x4.add").set(c);
  // Odd quadrants swap sin and cos; the sign comes from bit 1 of q (of q + 1 for cos).
  const result = (fn: "sin" | "cos"): number => {
    const out = f.v128();
    const odd = fn === "sin" ? c : s, even = fn === "sin" ? s : c;
    f.get(odd).get(even).get(q).i32x4(1).simd("v128.and").i32x4(1).simd("i32x4.eq").simd("v128.bitselect");
    f.get(q);
    if (fn === "cos") f.i32x4(1).simd("i32x4.add");
    f.i32x4(2).simd("v128.and").i32(30).simd("i32x4.shl").simd("v128.xor").set(out);
    return out;
  };
  const outs = { sin: which.includes("sin") ? result("sin") : -1, cos: which.includes("cos") ? result("cos") : -1 };
  if (ok !== null) return outs;
  f.get(a).f32x4(SIN_COS_LIMIT).simd("f32x4.ge").simd("v128.any_true").op("if").raw(0x40);
  for (const fn of which) {
    for (let lane = 0; lane < 4; lane++) {
      f.get(outs[fn]).get(x).lane("extract", lane).op("f64.promote_f32").call(exact[fn]).op("f32.demote_f64").lane("replace", lane).set(outs[fn]);
    }
  }
  f.raw(0x0b);
  return outs;
}

export function tanhF32(f: FnBuilder, x: number, ok: number | null): number {
  const a = f.v128(), z = f.v128(), small = f.v128(), twoA = f.v128(), out = f.v128();
  f.get(x).simd("f32x4.abs").set(a);
  f.get(x).get(x).simd("f32x4.mul").set(z);
  horner(f, z, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1]);
  f.get(z).simd("f32x4.mul").get(x).simd("f32x4.mul").get(x).simd("f32x4.add").set(small);
  // Large |x|: 1 - 2/(e^(2|x|) + 1), with the sign of x; from |x| = 10 on that rounds to 1, so
  // |x| is capped there (keeping exp in its fast range).
  f.get(a).f32x4(10).simd("f32x4.pmin").tee(twoA).get(twoA).simd("f32x4.add").set(twoA);
  const e = expF32(f, twoA, ok);
  f.f32x4(1).f32x4(2).get(e).f32x4(1).simd("f32x4.add").simd("f32x4.div").simd("f32x4.sub");
  f.i32x4(0x7fffffff).simd("v128.and").get(x).i32x4(0x80000000 | 0).simd("v128.and").simd("v128.or").set(out);
  f.get(small).get(out).get(a).f32x4(0.625).simd("f32x4.lt").simd("v128.bitselect").set(out);
  return out;
}

export function logisticF32(f: FnBuilder, x: number, ok: number | null): number {
  const nx = f.v128(), out = f.v128();
  f.get(x).simd("f32x4.neg").set(nx);
  const e = expF32(f, nx, ok);
  f.f32x4(1).f32x4(1).get(e).simd("f32x4.add").simd("f32x4.div").set(out);
  return out;
}
