/**
 * @file The helper library `H` that JavaScript kernels call: IEEE/XLA semantics JavaScript's Math
 * lacks (NaN-propagating max/min, round-half-even, integer division by zero), special functions
 * (erf, lgamma, digamma, erfinv), float16 storage and 64-bit integer wrapping.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function f32ToF16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let hm = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && hm & 1)) hm++;
    return sign | hm;
  }
  let hm = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && hm & 1)) {
    hm++;
    if (hm === 0x400) {
      hm = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | hm;
}

function bf16ToF32(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}
function f32ToBf16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if (Number.isNaN(x)) return (b >>> 16) | 0x40;
  return (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
}

function roundEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r === 0 ? x * 0 : r;
}

// erf: W. J. Cody's rational approximations (as in many libms), accurate to double precision.
function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.5) {
    const t = x * x;
    const p = (((0.185777706184603153 * t + 3.16112374387056560) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
    const q = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
    return (x * p) / q;
  }
  return Math.sign(x) * (1 - erfcPos(ax));
}

function erfcPos(ax: number): number {
  if (ax >= 27) return 0;
  let r: number;
  if (ax < 4) {
    const c = [5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1, 2.98635138197400131e2, 8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3, 2.15311535474403846e-8];
    const d = [1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3, 3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3];
    let num = c[8] * ax, den = ax;
    for (let i = 0; i < 7; i++) {
      num = (num + c[i]) * ax;
      den = (den + d[i]) * ax;
    }
    r = (num + c[7]) / (den + d[7]);
  } else {
    const z = 1 / (ax * ax);
    const p = [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2];
    const q = [1, 2.56852019228982242, 1.87295284992346725, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];
    let num = p[5] * z, den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + p[i]) * z;
      den = (den + q[i + 1]) * z;
    }
    r = (z * (num + p[4])) / (den + q[5]);
    r = (1 / Math.sqrt(Math.PI) - r) / ax;
  }
  return Math.exp(-ax * ax) * r;
}

function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) < 0.5) return 1 - erf(x);
  return x > 0 ? erfcPos(x) : 2 - erfcPos(-x);
}

function erfinv(y: number): number {
  if (Number.isNaN(y) || y < -1 || y > 1) return NaN;
  if (y === 1) return Infinity;
  if (y === -1) return -Infinity;
  // Giles' single-precision approximation, refined by two Newton steps in double.
  let w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 5) {
    w -= 2.5;
    let p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
    x = p * y;
  } else {
    w = Math.sqrt(w) - 3;
    let p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
    x = p * y;
  }
  for (let i = 0; i < 2; i++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}

const LANCZOS = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];

function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return NaN;
  let r = 0;
  if (x < 0) return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}

function nextafter32(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === b) return b;
  if (a === 0) return b > 0 ? 2 ** -149 : -(2 ** -149);
  f32[0] = a;
  u32[0] += (a < b) === (a > 0) ? 1 : -1;
  return f32[0];
}

function nextafter64(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === b) return b;
  if (a === 0) return b > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = a;
  u64[0] += (a < b) === (a > 0) ? 1n : -1n;
  return f64[0];
}

const clampInt = (lo: number, hi: number) => (x: number): number => (Number.isNaN(x) ? 0 : x <= lo ? lo : x >= hi ? hi : Math.trunc(x));

/** The helper object passed to every JavaScript kernel. */
export const H = {
  sign: (x: number): number => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : x),
  roundEven,
  erf,
  erfc,
  erfinv,
  lgamma,
  digamma,
  logistic: (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  pow: (a: number, b: number): number => (a === 1 || b === 0 ? 1 : Math.pow(a, b)),
  max: (a: number, b: number): number => (a !== a || b !== b ? NaN : Math.max(a, b)),
  min: (a: number, b: number): number => (a !== a || b !== b ? NaN : Math.min(a, b)),
  nextafter_f32: nextafter32,
  nextafter_f64: nextafter64,
  // Integer division and remainder as XLA defines them on the CPU: by zero gives -1 and the dividend.
  idiv: (a: number, b: number): number => (b === 0 ? -1 : a === -2147483648 && b === -1 ? a : Math.trunc(a / b)),
  irem: (a: number, b: number): number => (b === 0 ? a : b === -1 ? 0 : a % b),
  udiv: (a: number, b: number): number => (b === 0 ? 0xffffffff : Math.trunc((a >>> 0) / (b >>> 0))),
  urem: (a: number, b: number): number => (b === 0 ? a : (a >>> 0) % (b >>> 0)),
  ipow: (a: number, b: number): number => {
    if (b < 0) return a === 1 ? 1 : a === -1 ? (b & 1 ? -1 : 1) : 0;
    let r = 1;
    let base = a;
    while (b > 0) {
      if (b & 1) r = Math.imul(r, base);
      base = Math.imul(base, base);
      b >>>= 1;
    }
    return r;
  },
  shl: (a: number, b: number): number => (b < 0 || b >= 32 ? 0 : a << b),
  shr: (a: number, b: number): number => (b < 0 || b >= 32 ? (a < 0 ? -1 : 0) : a >> b),
  ushr: (a: number, b: number): number => (b < 0 || b >= 32 ? 0 : a >>> b),
  f2i_int8: clampInt(-128, 127),
  f2i_uint8: clampInt(0, 255),
  f2i_int16: clampInt(-32768, 32767),
  f2i_uint16: clampInt(0, 65535),
  f2i_int32: clampInt(-2147483648, 2147483647),
  f2i_uint32: clampInt(0, 4294967295),
  f2i_int64: clampInt(-9223372036854775808, 9223372036854775807),
  f2i_uint64: clampInt(0, 18446744073709551615),
  round_float16: (x: number): number => f16ToF32(f32ToF16(x)),
  round_bfloat16: (x: number): number => bf16ToF32(f32ToBf16(x)),
  load_float16: f16ToF32,
  store_float16: f32ToF16,
  load_bfloat16: bf16ToF32,
  store_bfloat16: f32ToBf16,
  wrap_int64: (x: number): number => Number(BigInt.asIntN(64, BigInt(Math.trunc(x)))),
  wrap_uint64: (x: number): number => Number(BigInt.asUintN(64, BigInt(Math.trunc(x)))),
  minOf_int8: -128, maxOf_int8: 127, minOf_uint8: 0, maxOf_uint8: 255,
  minOf_int16: -32768, maxOf_int16: 32767, minOf_uint16: 0, maxOf_uint16: 65535,
  minOf_int32: -2147483648, maxOf_int32: 2147483647, minOf_uint32: 0, maxOf_uint32: 4294967295,
  minOf_int64: -9223372036854775808, maxOf_int64: 9223372036854775807, minOf_uint64: 0, maxOf_uint64: 18446744073709551615,
  minOf_bool: 0, maxOf_bool: 1,
  bitcast_float32_int32: (x: number): number => { f32[0] = x; return u32[0] | 0; },
  bitcast_float32_uint32: (x: number): number => { f32[0] = x; return u32[0]; },
  bitcast_int32_float32: (x: number): number => { u32[0] = x; return f32[0]; },
  bitcast_uint32_float32: (x: number): number => { u32[0] = x; return f32[0]; },
  bitcast_int32_uint32: (x: number): number => x >>> 0,
  bitcast_uint32_int32: (x: number): number => x | 0,
  f16ToF32,
  f32ToF16,
};

export type Helpers = typeof H;
