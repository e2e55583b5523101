/**
 * @file The WGSL helper functions kernels call (the WGSL twin of jsmath.ts): IEEE semantics WGSL
 * leaves undefined (NaN-propagating max/min, NaN tests, infinities, atan2 at zeros, pow of negative
 * bases, exact fmod), XLA's integer division and shift rules, float16/bfloat16 bit conversions
 * (bit-exact with jsmath's), and special functions with float32 accuracy.
 *
 * Why helpers instead of builtins: WGSL lets implementations assume no NaN/inf (llvmpipe folds
 * `x != x` to false and `max(NaN, 1)` to 1), `quantizeToF16` flushes subnormals, and a constant
 * expression may not be infinite — so infinities come from `f32_bits(u32)`, a runtime call.
 */

/** A helper's source (the helpers it calls are found by name in it). */
interface Helper {
  readonly code: string;
}

const h = (code: string): Helper => ({ code: code.trim() });

// log Γ(2 + f) = (1 - γ) f + Σ_{k≥2} (-1)^k (ζ(k) - 1)/k f^k: converges for |f| < 2; for
// |f| ≤ 0.5 sixteen terms reach float32 precision. ζ(k) - 1 by Euler–Maclaurin from n = 10.
const LGAMMA2_COEFFS: number[] = (() => {
  const zetaM1 = (k: number): number => {
    const N = 10;
    let s = 0;
    for (let n = 2; n < N; n++) s += n ** -k;
    return s + N ** (1 - k) / (k - 1) + 0.5 * N ** -k + (k / 12) * N ** (-k - 1) - ((k * (k + 1) * (k + 2)) / 720) * N ** (-k - 3);
  };
  const c = [0.42278433509846713]; // 1 - γ
  for (let k = 2; k <= 16; k++) c.push(((-1) ** k * zetaM1(k)) / k);
  return c;
})();

// π to 640 bits (Machin's formula, BigInt fixed point): the bits of 2/π for Payne–Hanek argument
// reduction, and π/2 split into C1 + C2 + C3 (C1 with 8 significant bits, so j·C1 is exact).
const PI_BITS = 640n;
const PI_FIXED: bigint = (() => {
  const one = 1n << PI_BITS;
  const atanInv = (k: bigint): bigint => {
    let sum = 0n, term = one / k, n = 1n, sign = 1n;
    while (term !== 0n) {
      sum += (sign * term) / n;
      term /= k * k;
      n += 2n;
      sign = -sign;
    }
    return sum;
  };
  return 16n * atanInv(5n) - 4n * atanInv(239n);
})();

/** 2/π as 32-bit words after one zero word (so a window may start up to 32 bits before the point). */
const TWO_OVER_PI_WORDS: string[] = (() => {
  const F = 416n;
  const fixed = ((2n << PI_BITS) << F) / PI_FIXED;
  const words = ["0u"];
  for (let i = 1n; i <= 12n; i++) words.push(`0x${((fixed >> (F - 32n * i)) & 0xffffffffn).toString(16)}u`);
  return words;
})();

/** A fixed-point value with PI_BITS fraction bits as a number (60 significant bits kept). */
function fixedToNumber(x: bigint): number {
  const shift = Math.max(0, x.toString(2).length - 60);
  return Number(x >> BigInt(shift)) * 2 ** (shift - Number(PI_BITS));
}

/**
 * π/2 = C1 + C2 + C3 + C4 + O(2^-60): C1 has 8 significant bits and C2, C3 11, so that j·Ci is
 * exact for |j| < 2^13 and each subtraction cancels exactly (llvmpipe's fma is not fused, so
 * exactness must come from short constants).
 */
const PIO2_PARTS: readonly number[] = (() => {
  let rest = PI_FIXED / 2n;
  const parts: number[] = [];
  for (const bits of [8, 11, 11]) {
    const lead = rest.toString(2).length;
    const keep = (rest >> BigInt(lead - bits)) << BigInt(lead - bits);
    parts.push(fixedToNumber(keep));
    rest -= keep;
  }
  parts.push(Math.fround(fixedToNumber(rest)));
  return parts;
})();

/** Horner form of Σ c[i] x^i as WGSL, highest degree first. */
function horner(c: readonly number[], x: string): string {
  let s = `${c[c.length - 1]}`;
  for (let i = c.length - 2; i >= 0; i--) s = `${c[i]} + ${x} * (${s})`;
  return s;
}

export const HELPERS: Record<string, Helper> = {
  // exp and log after Cephes' expf/logf (Cody–Waite reduction, minimax polynomials): llvmpipe's
  // builtins are off by up to 60 ulp (exp) and lose all relative accuracy of log near 1.
  // exp: Cody–Waite reduction by n·ln2 (n = round(x/ln2)), a degree-6 polynomial, and 2^n put
  // into the exponent bits. The common case avoids float→int conversions and selects, which
  // llvmpipe vectorizes poorly (they cost more than the polynomial); n comes out of the bits of
  // n + 1.5·2^23. |x| > 87 (overflow, subnormal results, inf, NaN) takes exp_big.
  exp_: h(`
fn exp_(x: f32) -> f32 {
  let n = round(x * 1.4426950408889634);
  let r = (x - n * 0.693359375) + n * 2.1219444005469057e-4;
  var p = 1.9875691500e-4;
  p = p * r + 1.3981999507e-3;
  p = p * r + 8.3334519073e-3;
  p = p * r + 4.1665795894e-2;
  p = p * r + 1.6666665459e-1;
  p = p * r + 5.0000001201e-1;
  p = p * (r * r) + r + 1.0;
  var y = p * bitcast<f32>(bitcast<u32>(n + 12582912.0) * 8388608u + 0x3f800000u);
  if ((bitcast<u32>(x) & 0x7fffffffu) > 0x42ae0000u) { y = exp_big(x); }
  return y;
}`),
  pow2i: h(`fn pow2i(k: i32) -> f32 { return bitcast<f32>(u32(k + 127) << 23u); }`),
  exp_big: h(`
fn exp_big(x: f32) -> f32 {
  // Scales by 2^n in two exact steps so that 2^n itself never leaves the normal range.
  let xc = clamp(x, -104.0, 89.0);
  let n = round(xc * 1.4426950408889634);
  let r = (xc - n * 0.693359375) + n * 2.1219444005469057e-4;
  var p = 1.9875691500e-4;
  p = p * r + 1.3981999507e-3;
  p = p * r + 8.3334519073e-3;
  p = p * r + 4.1665795894e-2;
  p = p * r + 1.6666665459e-1;
  p = p * r + 5.0000001201e-1;
  p = p * (r * r) + r + 1.0;
  let k = i32(n);
  let k1 = k >> 1u;
  var y = p * pow2i(k1) * pow2i(k - k1);
  y = select(y, f32_bits(0x7f800000u), x > 88.72283935546875);
  y = select(y, 0.0, x < -103.97208404541016);
  return select(y, x, is_nan(x));
}`),
  exp2_: h(`
fn exp2_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x >= 128.0) { return f32_bits(0x7f800000u); }
  if (x < -150.0) { return 0.0; }
  let n = round(x);
  let k = i32(n);
  let k1 = k >> 1u;
  return exp_((x - n) * 0.69314718055994531) * pow2i(k1) * pow2i(k - k1);
}`),
  log_: h(`
fn log_(x0: f32) -> f32 {
  if (is_nan(x0) || x0 < 0.0) { return f32_bits(0x7fc00000u); }
  if (x0 == 0.0) { return f32_bits(0xff800000u); }
  if (x0 == f32_bits(0x7f800000u)) { return x0; }
  var x = x0;
  var e = 0.0;
  if (x < 1.1754943508222875e-38) {
    x = x * 16777216.0;
    e = -24.0;
  }
  let fr = frexp(x);
  var m = fr.fract;
  e = e + f32(fr.exp);
  if (m < 0.70710678118654752) {
    e = e - 1.0;
    m = m + m - 1.0;
  } else {
    m = m - 1.0;
  }
  let z = m * m;
  var y = 7.0376836292e-2;
  y = y * m - 1.1514610310e-1;
  y = y * m + 1.1676998740e-1;
  y = y * m - 1.2420140846e-1;
  y = y * m + 1.4249322787e-1;
  y = y * m - 1.6668057665e-1;
  y = y * m + 2.0000714765e-1;
  y = y * m - 2.4999993993e-1;
  y = y * m + 3.3333331174e-1;
  y = y * m * z;
  y = y - 2.1219444005469057e-4 * e;
  y = y - 0.5 * z;
  return m + y + 0.693359375 * e;
}`),
  // Trigonometric argument reduction: x = q·π/2 + r with |r| ≤ π/4. Cody–Waite with π/2 in three
  // parts below 8192; Payne–Hanek above (x·2/π from a 96-bit window of 2/π, in u32 arithmetic) —
  // llvmpipe's sin is wrong by hundreds of ulp from 10⁶ on and returns ±1 beyond 10⁷.
  trig_reduce: h(`
struct Trig { r: f32, q: u32 }
var<private> TWO_OVER_PI: array<u32, ${TWO_OVER_PI_WORDS.length}> = array<u32, ${TWO_OVER_PI_WORDS.length}>(${TWO_OVER_PI_WORDS.join(", ")});
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu;
  let a1 = a >> 16u;
  let b0 = b & 0xffffu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>((p00 & 0xffffu) | (mid << 16u), a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}
fn two_over_pi_bits(off: u32) -> u32 {
  let a = off >> 5u;
  let s = off & 31u;
  if (s == 0u) { return TWO_OVER_PI[a]; }
  return (TWO_OVER_PI[a] << s) | (TWO_OVER_PI[a + 1u] >> (32u - s));
}
fn trig_reduce_big(ax: f32) -> Trig {
  let b = bitcast<u32>(ax);
  let e = i32((b >> 23u) & 0xffu) - 150;
  let m = (b & 0x7fffffu) | 0x800000u;
  // ax·2/π = m·2^e·Σ b_i 2^-i: bits i < e - 1 only add multiples of 4; take 96 bits from i = e - 1.
  let off = u32(e + 30);
  var w0: u32;
  var w1: u32;
  var w2: u32;
  if (off < 32u) {
    // |x| < 2^25 (e ≤ 1): the window starts in the first word, so it is a shift of constants
    // (no per-lane table lookups).
    let s = off;
    w0 = (${TWO_OVER_PI_WORDS[0]} << s) | (${TWO_OVER_PI_WORDS[1]} >> (32u - s));
    w1 = (${TWO_OVER_PI_WORDS[1]} << s) | (${TWO_OVER_PI_WORDS[2]} >> (32u - s));
    w2 = (${TWO_OVER_PI_WORDS[2]} << s) | (${TWO_OVER_PI_WORDS[3]} >> (32u - s));
  } else {
    w0 = two_over_pi_bits(off);
    w1 = two_over_pi_bits(off + 32u);
    w2 = two_over_pi_bits(off + 64u);
  }
  // Only the low word of m·w0 reaches the bits kept below.
  let p1 = mul_wide(m, w1);
  let p2 = mul_wide(m, w2);
  let lo1 = p2.y + p1.x;
  let c1 = select(0u, 1u, lo1 < p2.y);
  let hi1 = p1.y + m * w0 + c1;
  // The product is scaled by 2^-94: bits 94-95 are the quadrant, bits 93-30 the fraction's top 64.
  var q = hi1 >> 30u;
  var hi = (hi1 << 2u) | (lo1 >> 30u);
  var lo = (lo1 << 2u) | (p2.x >> 30u);
  var neg = false;
  if ((hi & 0x80000000u) != 0u) {
    q = q + 1u;
    neg = true;
    lo = ~lo + 1u;
    hi = ~hi + select(0u, 1u, lo == 0u);
  }
  var f: f32;
  if (hi != 0u) {
    let s = countLeadingZeros(hi);
    let top = select((hi << s) | (lo >> (32u - s)), hi, s == 0u);
    f = ldexp(f32(top), -32 - i32(s));
  } else {
    let s = countLeadingZeros(lo);
    f = ldexp(f32(lo << (s & 31u)), -64 - i32(s));
  }
  let r = f * 1.5707963267948966;
  return Trig(select(r, -r, neg), q & 3u);
}
fn trig_reduce(x: f32) -> Trig {
  // Cody–Waite for every lane (exact for |x| < 8192, where j < 2^13); lanes beyond redo it.
  let j = round(x * 0.63661977236758134);
  var r = x - j * ${PIO2_PARTS[0]};
  r = r - j * ${PIO2_PARTS[1]};
  r = r - j * ${PIO2_PARTS[2]};
  r = r - j * ${PIO2_PARTS[3]};
  // The quadrant is the low bits of j, read from the bits of j + 1.5·2^23 (no float→int conversion).
  var t = Trig(r, bitcast<u32>(j + 12582912.0) & 3u);
  let ax = abs(x);
  if (ax >= 8192.0) {
    t = trig_reduce_big(ax);
    if (x < 0.0) { t = Trig(-t.r, (4u - t.q) & 3u); }
  }
  return t;
}
fn sin_poly(r: f32) -> f32 {
  let z = r * r;
  return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
}
fn cos_poly(r: f32) -> f32 {
  let z = r * r;
  return ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
}`),
  sin_: h(`
fn sin_(x: f32) -> f32 {
  let t = trig_reduce(select(x, 0.0, !is_finite(x)));
  // sin at quadrants 0..3: s, c, -s, -c
  let v = select(sin_poly(t.r), cos_poly(t.r), (t.q & 1u) != 0u);
  return select(select(v, -v, (t.q & 2u) != 0u), f32_bits(0x7fc00000u), !is_finite(x));
}`),
  cos_: h(`
fn cos_(x: f32) -> f32 {
  let t = trig_reduce(select(x, 0.0, !is_finite(x)));
  // cos at quadrants 0..3: c, -s, -c, s
  let v = select(cos_poly(t.r), sin_poly(t.r), (t.q & 1u) != 0u);
  return select(select(v, -v, ((t.q + 1u) & 2u) != 0u), f32_bits(0x7fc00000u), !is_finite(x));
}`),
  tan_: h(`
fn tan_(x: f32) -> f32 {
  if (!is_finite(x)) { return f32_bits(0x7fc00000u); }
  let t = trig_reduce(x);
  let r = t.r;
  let z = r * r;
  var y = r;
  if (abs(r) > 1e-4) {
    y = (((((9.38540185543e-3 * z + 3.11992232697e-3) * z + 2.44301354525e-2) * z + 5.34112807005e-2) * z + 1.33387994085e-1) * z + 3.33331568548e-1) * z * r + r;
  }
  return select(y, -1.0 / y, (t.q & 1u) != 0u);
}`),
  // Inverse trigonometric functions after Cephes' asinf/atanf (llvmpipe's asin is off by 4e-4).
  atan_pos: h(`
fn atan_pos(a: f32) -> f32 {
  // a ≥ 0: reduce to |t| ≤ tan(π/8) with atan(a) = π/2 - atan(1/a) or π/4 + atan((a-1)/(a+1)).
  var y = 0.0;
  var t = a;
  if (a > 2.414213562373095) {
    y = 1.5707963267948966;
    t = -1.0 / a;
  } else if (a > 0.4142135623730950) {
    y = 0.78539816339744831;
    t = (a - 1.0) / (a + 1.0);
  }
  let z = t * t;
  return y + ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * t + t);
}`),
  atan_: h(`
fn atan_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  return copysign(atan_pos(abs(x)), x);
}`),
  asin_: h(`
fn asin_pos(a: f32) -> f32 {
  var z: f32;
  var t: f32;
  let big = a > 0.5;
  if (big) {
    z = 0.5 * (1.0 - a);
    t = sqrt(z);
  } else {
    z = a * a;
    t = a;
  }
  var r = ((((4.2163199048e-2 * z + 2.4181311049e-2) * z + 4.5470025998e-2) * z + 7.4953002686e-2) * z + 1.6666752422e-1) * z * t + t;
  if (big) { r = 1.5707963267948966 - (r + r); }
  return r;
}
fn asin_(x: f32) -> f32 {
  let a = abs(x);
  if (is_nan(x) || a > 1.0) { return f32_bits(0x7fc00000u); }
  return copysign(asin_pos(a), x);
}`),
  acos_: h(`
fn acos_(x: f32) -> f32 {
  if (is_nan(x) || abs(x) > 1.0) { return f32_bits(0x7fc00000u); }
  if (x < -0.5) { return 3.1415926535897932 - 2.0 * asin_pos(sqrt(0.5 * (1.0 + x))); }
  if (x > 0.5) { return 2.0 * asin_pos(sqrt(0.5 * (1.0 - x))); }
  return 1.5707963267948966 - asin_(x);
}`),
  f32_bits: h(`fn f32_bits(b: u32) -> f32 { return bitcast<f32>(b); }`),
  is_nan: h(`fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`),
  is_inf: h(`fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }`),
  is_finite: h(`fn is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`),
  copysign: h(`fn copysign(x: f32, s: f32) -> f32 { return bitcast<f32>((bitcast<u32>(x) & 0x7fffffffu) | (bitcast<u32>(s) & 0x80000000u)); }`),
  fsign: h(`
fn fsign(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 0.0) { return 1.0; }
  if (x < 0.0) { return -1.0; }
  return x;
}`),
  fmax: h(`
fn fmax(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return f32_bits(0x7fc00000u); }
  if (a > b) { return a; }
  if (b > a) { return b; }
  return bitcast<f32>(bitcast<u32>(a) & bitcast<u32>(b));
}`),
  fmin: h(`
fn fmin(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return f32_bits(0x7fc00000u); }
  if (a < b) { return a; }
  if (b < a) { return b; }
  return bitcast<f32>(bitcast<u32>(a) | bitcast<u32>(b));
}`),
  // Exact fmod (C's, JavaScript's %): subtract b·2^k, each step exact, until |r| < |b|.
  frem: h(`
fn frem(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b) || is_inf(a) || b == 0.0) { return f32_bits(0x7fc00000u); }
  let m = abs(b);
  var r = abs(a);
  if (is_inf(b) || r < m) { return a; }
  loop {
    if (r < m) { break; }
    var d = ldexp(m, frexp(r).exp - frexp(m).exp);
    if (d > r) { d = d * 0.5; }
    r = r - d;
  }
  return copysign(r, a);
}`),
  // log1p and expm1 by series near 0: llvmpipe compiles with fast-math flags (it folds x != x
  // and (1 + x) - 1), so the usual compensated tricks do not survive; the series need none.
  log1p_: h(`
fn log1p_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > -0.29289321881345248 && x < 0.41421356237309505) {
    // log(1 + x) = 2 atanh(s), s = x / (2 + x), |s| ≤ 0.172
    let s = x / (2.0 + x);
    let z = s * s;
    return 2.0 * s * (1.0 + z * (0.33333333333333333 + z * (0.2 + z * (0.14285714285714286 + z * (0.11111111111111111 + z * 0.090909090909090909)))));
  }
  return log_(1.0 + x);
}`),
  expm1_: h(`
fn expm1_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (abs(x) < 0.35) {
    var p = 2.4801587301587302e-5;
    p = p * x + 1.9841269841269841e-4;
    p = p * x + 1.3888888888888889e-3;
    p = p * x + 8.3333333333333333e-3;
    p = p * x + 4.1666666666666667e-2;
    p = p * x + 0.16666666666666667;
    p = p * x + 0.5;
    return x + x * x * p;
  }
  return exp_(x) - 1.0;
}`),
  cbrt_: h(`
fn cbrt_(x: f32) -> f32 {
  if (x == 0.0 || !is_finite(x)) { return x; }
  let a = abs(x);
  var y = exp_(log_(a) / 3.0);
  y = y - (y - a / (y * y)) / 3.0;
  return select(y, -y, x < 0.0);
}`),
  sinh_: h(`
fn sinh_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a < 1.0) {
    let e = expm1_(a);
    r = 0.5 * (e + e / (e + 1.0));
  } else if (a < 88.0) {
    let e = exp_(a);
    r = 0.5 * (e - 1.0 / e);
  } else {
    let e = exp_(0.5 * a);
    r = (0.5 * e) * e;
  }
  return copysign(r, x);
}`),
  cosh_: h(`
fn cosh_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < 88.0) {
    let e = exp_(a);
    return 0.5 * (e + 1.0 / e);
  }
  let e = exp_(0.5 * a);
  return (0.5 * e) * e;
}`),
  tanh_: h(`
fn tanh_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  var r: f32 = 1.0;
  if (!(a > 9.0)) {
    let e = expm1_(2.0 * a);
    r = e / (e + 2.0);
  }
  return copysign(r, x);
}`),
  asinh_: h(`
fn asinh_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a > 1e18) {
    r = log_(a) + 0.6931471805599453;
  } else {
    r = log1p_(a + a * a / (1.0 + sqrt(1.0 + a * a)));
  }
  return copysign(r, x);
}`),
  acosh_: h(`
fn acosh_(x: f32) -> f32 {
  if (is_nan(x) || x < 1.0) { return f32_bits(0x7fc00000u); }
  if (x > 1e18) { return log_(x) + 0.6931471805599453; }
  let t = x - 1.0;
  return log1p_(t + sqrt(2.0 * t + t * t));
}`),
  atanh_: h(`
fn atanh_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a < 0.5) {
    r = 0.5 * log1p_(2.0 * a + 2.0 * a * a / (1.0 - a));
  } else {
    r = 0.5 * log1p_(2.0 * a / (1.0 - a));
  }
  return copysign(r, x);
}`),
  // atan2 with IEEE's zeros and infinities (llvmpipe's builtin gives 3π/4 for atan2(0, -0)),
  // from atan of the smaller over the larger magnitude.
  atan2_: h(`
fn atan2_(y: f32, x: f32) -> f32 {
  let pi = 3.1415927410125732;
  if (is_nan(x) || is_nan(y)) { return f32_bits(0x7fc00000u); }
  let xneg = (bitcast<u32>(x) & 0x80000000u) != 0u;
  if (y == 0.0) { return select(y, copysign(pi, y), xneg); }
  if (x == 0.0) { return copysign(0.5 * pi, y); }
  if (is_inf(x)) {
    if (is_inf(y)) { return copysign(select(0.25 * pi, 0.75 * pi, xneg), y); }
    return copysign(select(0.0, pi, xneg), y);
  }
  if (is_inf(y)) { return copysign(0.5 * pi, y); }
  let ax = abs(x);
  let ay = abs(y);
  var a: f32;
  if (ay <= ax) {
    a = atan_pos(ay / ax);
  } else {
    a = 1.5707963267948966 - atan_pos(ax / ay);
  }
  return copysign(select(a, 3.1415926535897932 - a, xneg), y);
}`),
  logistic_: h(`
fn logistic_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x >= 0.0) { return 1.0 / (1.0 + exp_(-x)); }
  let e = exp_(x);
  return e / (1.0 + e);
}`),
  nextafter_: h(`
fn nextafter_(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return f32_bits(0x7fc00000u); }
  if (a == b) { return b; }
  if (a == 0.0) { return select(f32_bits(0x80000001u), f32_bits(1u), b > 0.0); }
  let u = bitcast<u32>(a);
  return bitcast<f32>(select(u - 1u, u + 1u, (a < b) == (a > 0.0)));
}`),
  // nextafter in float16 and bfloat16 steps through their own bits (jsmath's nextafterBits).
  nextafter_f16: h(`
fn nextafter_f16(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return f32_bits(0x7fc00000u); }
  if (a == b) { return b; }
  if (a == 0.0) { return f16_to_f32(select(0x8001u, 1u, b > 0.0)); }
  let u = f32_to_f16(a);
  return f16_to_f32(select(u - 1u, u + 1u, (a < b) == (a > 0.0)));
}`),
  nextafter_bf16: h(`
fn nextafter_bf16(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return f32_bits(0x7fc00000u); }
  if (a == b) { return b; }
  if (a == 0.0) { return bitcast<f32>(select(0x8001u, 1u, b > 0.0) << 16u); }
  let u = f32_to_bf16(a);
  return bitcast<f32>(select(u - 1u, u + 1u, (a < b) == (a > 0.0)) << 16u);
}`),
  // pow as jsmath's (C's pow: 1 for a = 1 or b = 0, (-1)^±inf = 1), in float32: the
  // special cases first, then 2^(b·log2|a|) with b·log2|a| carried in two floats (Dekker's
  // product: llvmpipe's fma is not fused), so that large results keep their relative accuracy.
  pow_: h(`
fn pow_pos(a: f32, b: f32) -> f32 {
  var x = a;
  var e = 0.0;
  if (x < 1.1754943508222875e-38) {
    x = x * 16777216.0;
    e = -24.0;
  }
  let fr = frexp(x);
  var m = fr.fract;
  e = e + f32(fr.exp);
  if (m < 0.70710678118654752) {
    m = m * 2.0;
    e = e - 1.0;
  }
  let pe = two_prod(b, e);
  let pm = two_prod(b, log_(m) * 1.4426950408889634);
  let s = pe.x + pm.x;
  let bb = s - pe.x;
  let lo = ((pe.x - (s - bb)) + (pm.x - bb)) + pe.y + pm.y;
  if (s > 130.0) { return f32_bits(0x7f800000u); }
  if (s < -160.0) { return 0.0; }
  let n = round(s);
  let k = i32(n);
  let k1 = k >> 1u;
  return exp_(((s - n) + lo) * 0.69314718055994531) * pow2i(k1) * pow2i(k - k1);
}
fn pow_(a: f32, b: f32) -> f32 {
  if (a == 1.0 || b == 0.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return f32_bits(0x7fc00000u); }
  let inf = f32_bits(0x7f800000u);
  let bint = is_finite(b) && floor(b) == b;
  let odd = bint && abs(b) < 16777216.0 && floor(b * 0.5) != b * 0.5;
  if (is_inf(b)) {
    let aa = abs(a);
    if (aa == 1.0) { return 1.0; }
    return select(0.0, inf, (aa > 1.0) == (b > 0.0));
  }
  if (a == 0.0) {
    if (b > 0.0) { return select(0.0, a, odd); }
    return select(inf, copysign(inf, a), odd);
  }
  if (is_inf(a)) {
    let m = select(0.0, inf, b > 0.0);
    return select(m, -m, a < 0.0 && odd);
  }
  if (a < 0.0 && !bint) { return f32_bits(0x7fc00000u); }
  let r = pow_pos(abs(a), b);
  return select(r, -r, a < 0.0 && odd);
}`),
  // Dekker's exact product a·b = x + y (Veltkamp splitting; no fma needed).
  two_prod: h(`
fn split12(a: f32) -> vec2<f32> {
  let c = a * 4097.0;
  let hi = c - (c - a);
  return vec2<f32>(hi, a - hi);
}
fn two_prod(a: f32, b: f32) -> vec2<f32> {
  let p = a * b;
  let x = split12(a);
  let y = split12(b);
  return vec2<f32>(p, ((x.x * y.x - p) + x.x * y.y + x.y * y.x) + x.y * y.y);
}`),
  // Integer division and remainder as XLA defines them (jsmath's idiv/irem/udiv/urem).
  idiv: h(`
fn idiv(a: i32, b: i32) -> i32 {
  if (b == 0) { return -1; }
  if (b == -1) { return 0 - a; }
  return a / b;
}`),
  irem: h(`
fn irem(a: i32, b: i32) -> i32 {
  if (b == 0) { return a; }
  if (b == -1) { return 0; }
  return a % b;
}`),
  udiv: h(`fn udiv(a: u32, b: u32) -> u32 { if (b == 0u) { return 0xffffffffu; } return a / b; }`),
  urem: h(`fn urem(a: u32, b: u32) -> u32 { if (b == 0u) { return a; } return a % b; }`),
  // Shifts by an amount outside [0, 32) give 0 (or the sign for arithmetic right shifts).
  shl_i: h(`fn shl_i(a: i32, b: i32) -> i32 { if (b < 0 || b >= 32) { return 0; } return a << u32(b); }`),
  shr_i: h(`fn shr_i(a: i32, b: i32) -> i32 { if (b < 0 || b >= 32) { return select(0, -1, a < 0); } return a >> u32(b); }`),
  shl_u: h(`fn shl_u(a: u32, b: u32) -> u32 { if (b >= 32u) { return 0u; } return a << b; }`),
  shr_u: h(`fn shr_u(a: u32, b: u32) -> u32 { if (b >= 32u) { return 0u; } return a >> b; }`),
  // Float to integer: truncation, saturating at the type's bounds, NaN to 0 (jsmath's f2i_*).
  f2i_i32: h(`
fn f2i_i32(x: f32) -> i32 {
  if (is_nan(x)) { return 0; }
  if (x <= -2147483648.0) { return i32(-2147483648); }
  if (x >= 2147483648.0) { return 2147483647; }
  return i32(x);
}`),
  f2i_u32: h(`
fn f2i_u32(x: f32) -> u32 {
  if (is_nan(x) || x <= 0.0) { return 0u; }
  if (x >= 4294967296.0) { return 0xffffffffu; }
  return u32(x);
}`),
  f2i_small: h(`
fn f2i_small(x: f32, lo: f32, hi: f32) -> i32 {
  if (is_nan(x)) { return 0; }
  return i32(clamp(x, lo, hi));
}`),
  // float16 and bfloat16 bits, round-to-nearest-even, bit-exact with jsmath's f32ToF16 & co.
  f16_to_f32: h(`
fn f16_to_f32(h: u32) -> f32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0u) { return bitcast<f32>(s | bitcast<u32>(f32(m) * 5.9604644775390625e-8)); }
  if (e == 31u) { return bitcast<f32>(s | 0x7f800000u | (m << 13u)); }
  return bitcast<f32>(s | ((e + 112u) << 23u) | (m << 13u));
}`),
  f32_to_f16: h(`
fn f32_to_f16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let sign = (b >> 16u) & 0x8000u;
  let ex = (b >> 23u) & 0xffu;
  var mant = b & 0x7fffffu;
  if (ex == 0xffu) { return sign | 0x7c00u | select(0u, 0x200u, mant != 0u); }
  let e = i32(ex) - 112;
  if (e >= 31) { return sign | 0x7c00u; }
  if (e <= 0) {
    if (e < -10) { return sign; }
    mant = mant | 0x800000u;
    let shift = u32(14 - e);
    var hm = mant >> shift;
    let rem = mant & ((1u << shift) - 1u);
    let half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (hm & 1u) != 0u)) { hm = hm + 1u; }
    return sign | hm;
  }
  var hm = mant >> 13u;
  var ee = u32(e);
  let rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (hm & 1u) != 0u)) {
    hm = hm + 1u;
    if (hm == 0x400u) {
      hm = 0u;
      ee = ee + 1u;
      if (ee >= 31u) { return sign | 0x7c00u; }
    }
  }
  return sign | (ee << 10u) | hm;
}`),
  round_f16: h(`fn round_f16(x: f32) -> f32 { return f16_to_f32(f32_to_f16(x)); }`),
  f32_to_bf16: h(`
fn f32_to_bf16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if (is_nan(x)) { return (b >> 16u) | 0x40u; }
  return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
}`),
  round_bf16: h(`fn round_bf16(x: f32) -> f32 { return bitcast<f32>(f32_to_bf16(x) << 16u); }`),
  // sin_(πx) and tan_(πx) with exact argument reduction (x - round(x) is exact).
  sinpi: h(`fn sinpi(x: f32) -> f32 { return sin_(3.1415927410125732 * (x - round(x))); }`),
  tanpi: h(`fn tanpi(x: f32) -> f32 { return tan_(3.1415927410125732 * (x - round(x))); }`),
  // erf: the rational approximation XLA and Eigen use for float32 (odd numerator over even
  // denominator, clamped to [-4, 4] where erf is ±1 in float32).
  erf_: h(`
fn erf_(x0: f32) -> f32 {
  if (is_nan(x0)) { return x0; }
  let x = clamp(x0, -4.0, 4.0);
  let z = x * x;
  var p = -2.72614225801306e-10;
  p = p * z + 2.77068142495902e-08;
  p = p * z - 2.10102402082508e-06;
  p = p * z - 5.69250639462346e-05;
  p = p * z - 7.34990630326855e-04;
  p = p * z - 2.95459980854025e-03;
  p = p * z - 1.60960333262415e-02;
  var q = -1.45660718464996e-05;
  q = q * z - 2.13374055278905e-04;
  q = q * z - 1.68282697438203e-03;
  q = q * z - 7.37332916720468e-03;
  q = q * z - 1.42647390514189e-02;
  return x * p / q;
}`),
  // erfc(x) for x ≥ 0.5: exp_(-x²)·R(t) with the Chebyshev fit of Numerical Recipes' erfcc
  // (relative error < 1.2e-7); exp_(-x²) as exp_(-s²)·exp_(-(x-s)(x+s)) with s = x rounded to 1/16
  // (s² is exact), so that it keeps its relative accuracy for large x.
  erfc_: h(`
fn erfc_pos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let zs = trunc(z * 16.0) / 16.0;
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp_(-zs * zs) * exp_(p) * exp_(-(z - zs) * (z + zs));
}
fn erfc_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (abs(x) < 0.5) { return 1.0 - erf_(x); }
  if (x > 10.1) { return 0.0; }
  if (x > 0.0) { return erfc_pos(x); }
  if (x < -10.1) { return 2.0; }
  return 2.0 - erfc_pos(-x);
}`),
  // erfinv as XLA computes it for float32 (and jsmath's erfinv_f32): Giles' single-precision
  // polynomial in w = -log1p(-x²), step by step in float32 — what jax.random.normal samples with.
  erfinv_: h(`
fn erfinv_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (abs(x) == 1.0) { return x * f32_bits(0x7f800000u); }
  var w = -log1p_(x * -x);
  var p: f32;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * x;
}`),
  // lgamma: reduce to [1.5, 2.5) by the recurrence and use the series of log Γ(2 + f); Stirling's
  // series for x ≥ 10; reflection for x < 0.
  lgamma_: h(`
fn lgamma2(f: f32) -> f32 { return f * (${horner(LGAMMA2_COEFFS, "f")}); }
fn lgamma_pos(x: f32) -> f32 {
  if (x >= 10.0) {
    let r = 1.0 / x;
    let r2 = r * r;
    return (x - 0.5) * log_(x) - x + 0.91893853320467274 + r * (0.083333333333333333 - r2 * (0.0027777777777777778 - r2 * 0.00079365079365079365));
  }
  if (x < 0.5) { return lgamma2(x) - log_(x) - log1p_(x); }
  if (x < 1.5) { return lgamma2(x - 1.0) - log1p_(x - 1.0); }
  var y = x;
  var p = 1.0;
  while (y >= 2.5) {
    y = y - 1.0;
    p = p * y;
  }
  return lgamma2(y - 2.0) + log_(p);
}
fn lgamma_(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (is_inf(x) || (x <= 0.0 && floor(x) == x)) { return f32_bits(0x7f800000u); }
  if (x < 0.0) { return log_(3.1415927410125732 / abs(sinpi(x))) - lgamma_pos(1.0 - x); }
  return lgamma_pos(x);
}`),
  digamma_: h(`
fn digamma_(x: f32) -> f32 {
  if (is_nan(x) || x == f32_bits(0xff800000u)) { return f32_bits(0x7fc00000u); }
  if (x == f32_bits(0x7f800000u)) { return x; }
  if (x <= 0.0 && floor(x) == x) { return f32_bits(0x7fc00000u); }
  var r = 0.0;
  var y = x;
  if (x < 0.0) {
    r = -3.1415927410125732 / tanpi(x);
    y = 1.0 - x;
  }
  while (y < 6.0) {
    r = r - 1.0 / y;
    y = y + 1.0;
  }
  let f = 1.0 / (y * y);
  return r + log_(y) - 0.5 / y - f * (0.083333333333333333 - f * (0.0083333333333333333 - f * (0.0039682539682539683 - f * (0.0041666666666666667 - f * 0.0075757575757575758))));
}`),
};

/** The source of the named helpers and everything they call, each once, callees first. */
export function helperSource(names: Iterable<string>): string {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string): void => {
    if (seen.has(n)) return;
    seen.add(n);
    const hp = HELPERS[n];
    if (!hp) throw new Error(`unknown WGSL helper ${n}`);
    for (const d of Object.keys(HELPERS)) if (d !== n && new RegExp(`\\b${d}\\(`).test(hp.code)) visit(d);
    out.push(hp.code);
  };
  for (const n of names) visit(n);
  return out.join("\n");
}
