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
    const p = (((0.18577770618460315 * t + 3.1611237438705655) * t + 113.86415415105016) * t + 377.485237685302) * t + 3209.3775891384694;
    const q = (((t + 23.601290952344122) * t + 244.02463793444417) * t + 1282.6165260773723) * t + 2844.236833439171;
    return (x * p) / q;
  }
  return Math.sign(x) * (1 - erfcPos(ax));
}

function erfcPos(ax: number): number {
  if (ax >= 27) return 0;
  let r: number;
  if (ax < 4) {
    const c = [0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769, 1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8];
    const d = [15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597, 4362.619090143247, 3439.3676741437216, 1230.3393548037495];
    let num = c[8] * ax, den = ax;
    for (let i = 0; i < 7; i++) {
      num = (num + c[i]) * ax;
      den = (den + d[i]) * ax;
    }
    r = (num + c[7]) / (den + d[7]);
  } else {
    const z = 1 / (ax * ax);
    const p = [0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378, 0.016315387137302097];
    const q = [1, 2.568520192289822, 1.8729528499234673, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918];
    let num = p[5] * z, den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + p[i]) * z;
      den = (den + q[i + 1]) * z;
    }
    r = (z * (num + p[4])) / (den + q[5]);
    r = (1 / Math.sqrt(Math.PI) - r) / ax;
  }
  // exp(-x²) with x² split into an exact part and a small remainder (Cody), for accuracy at large x.
  const xsq = Math.trunc(ax * 16) / 16;
  return Math.exp(-xsq * xsq) * Math.exp(-(ax - xsq) * (ax + xsq)) * r;
}

function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) < 0.5) return 1 - erf(x);
  return x > 0 ? erfcPos(x) : 2 - erfcPos(-x);
}

/** erf⁻¹: Giles' single-precision approximation refined by Newton steps in double. */
function erfinv(y: number): number {
  if (Number.isNaN(y) || y < -1 || y > 1) return NaN;
  if (y === 0) return y;
  if (y < 0) return -erfinv(-y);
  if (y === 1) return Infinity;
  let w = -Math.log((1 - y) * (1 + y));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * w;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * w;
  }
  let x = p * y;
  // Near 1, solve erfc(x) = 1 - y instead: 1 - y is exact there, erf(x) - y would cancel.
  const tail = y > 0.5;
  for (let i = 0; i < 3; i++) {
    const f = tail ? 1 - y - erfc(x) : erf(x) - y;
    x -= f / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  }
  return x;
}

const GILES_LT5 = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941].map(Math.fround);
const GILES_GE5 = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682].map(Math.fround);

/**
 * erf⁻¹ for float32 (and narrower) exactly as XLA computes it: Giles' single-precision polynomial
 * evaluated step by step in float32 (a few ulps from the true value). jax.random.normal is
 * sqrt(2)·erf⁻¹(u), so this is what makes normal samples match JAX's.
 */
function erfinvF32(x: number): number {
  const fr = Math.fround;
  let w = -fr(Math.log1p(fr(x * -x)));
  const lt = w < 5;
  const c = lt ? GILES_LT5 : GILES_GE5;
  w = lt ? fr(w - 2.5) : fr(fr(Math.sqrt(w)) - 3);
  let p = c[0];
  for (let i = 1; i < 9; i++) p = fr(c[i] + fr(p * w));
  return Math.abs(x) === 1 ? x * Infinity : fr(p * x);
}

/** x minus the nearest integer: exact, and keeps sin(πx) and tan(πx) accurate near integers. */
const reduceHalf = (x: number): number => x - Math.round(x);

const LANCZOS = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7];

/** log|Γ(x)|: Lanczos (g = 7, n = 9) for x ≥ 0.5, the reflection formula below. Poles give +inf. */
function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * reduceHalf(x)))) - lgamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * ψ(x): recurrence up to x ≥ 10, then the asymptotic series; reflection for x < 0. NaN at the
 * poles (0 and the negative integers) and at -inf, as XLA's digamma.
 */
function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return NaN;
  if (x < 0) return digamma(1 - x) - Math.PI / Math.tan(Math.PI * reduceHalf(x));
  let r = 0;
  while (x < 10) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  const series = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132 - f * (691 / 32760))))));
  return r + Math.log(x) - 0.5 / x - series;
}

/**
 * nextafter in a float format given by its bit codec: the neighbour of a towards b (b itself when
 * equal; the smallest subnormal signed like b from ±0; NaN if either is NaN), as XLA's.
 */
function nextafterBits(toBits: (x: number) => number, fromBits: (b: number) => number, signBit: number) {
  return (a: number, b: number): number => {
    if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
    if (a === b) return b;
    if (a === 0) return fromBits(b > 0 ? 1 : signBit + 1);
    return fromBits(toBits(a) + ((a < b) === (a > 0) ? 1 : -1));
  };
}

function nextafter64(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  if (a === b) return b;
  if (a === 0) return b > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
  f64[0] = a;
  u64[0] += (a < b) === (a > 0) ? 1n : -1n;
  return f64[0];
}

const bitsF32 = (x: number): number => {
  f32[0] = x;
  return u32[0];
};
const fromBitsF32 = (b: number): number => {
  u32[0] = b;
  return f32[0];
};
const bitsF64 = (x: number): bigint => {
  f64[0] = x;
  return u64[0];
};
const fromBitsF64 = (b: bigint): number => {
  u64[0] = BigInt.asUintN(64, b);
  return f64[0];
};

/** C's pow special cases that Math.pow lacks: 1^y = 1 (even NaN) and (-1)^±inf = 1. */
function pow(a: number, b: number): number {
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}

const clampInt = (lo: number, hi: number) => (x: number): number => (Number.isNaN(x) ? 0 : x <= lo ? lo : x >= hi ? hi : Math.trunc(x));

/** The helper object passed to every JavaScript kernel. */
/** Clamps to an integer range and truncates (XLA's saturating float→int conversion; NaN gives 0). */
const clampBig = (lo: bigint, hi: bigint) => (x: number): bigint => (Number.isNaN(x) ? 0n : x <= Number(lo) ? lo : x >= Number(hi) ? hi : BigInt(Math.trunc(x)));

const f16Next = nextafterBits(f32ToF16, f16ToF32, 0x8000);
const bf16Next = nextafterBits(f32ToBf16, bf16ToF32, 0x8000);
const f32Next = nextafterBits(bitsF32, fromBitsF32, 0x80000000);

/** The helper object passed to every JavaScript kernel. */
export const H = {
  sign: (x: number): number => (Number.isNaN(x) ? NaN : x > 0 ? 1 : x < 0 ? -1 : x),
  roundEven,
  erf,
  erfc,
  erfinv,
  erfinv_f32: erfinvF32,
  lgamma,
  digamma,
  logistic: (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  pow,
  max: (a: number, b: number): number => (a !== a || b !== b ? NaN : Math.max(a, b)),
  min: (a: number, b: number): number => (a !== a || b !== b ? NaN : Math.min(a, b)),
  nextafter_float16: f16Next,
  nextafter_bfloat16: bf16Next,
  nextafter_float32: f32Next,
  nextafter_float64: nextafter64,
  // Integer division and remainder as XLA defines them on the CPU: x / 0 is -1 (all bits set),
  // x % 0 is x, INT_MIN / -1 is INT_MIN and INT_MIN % -1 is 0.
  idiv: (a: number, b: number): number => (b === 0 ? -1 : a === -2147483648 && b === -1 ? a : Math.trunc(a / b)),
  irem: (a: number, b: number): number => (b === 0 ? a : b === -1 ? 0 : a % b),
  udiv: (a: number, b: number): number => (b === 0 ? 0xffffffff : Math.trunc((a >>> 0) / (b >>> 0))),
  urem: (a: number, b: number): number => (b === 0 ? a : (a >>> 0) % (b >>> 0)),
  div64: (a: bigint, b: bigint): bigint => (b === 0n ? -1n : a / b),
  udiv64: (a: bigint, b: bigint): bigint => (b === 0n ? 2n ** 64n - 1n : a / b),
  rem64: (a: bigint, b: bigint): bigint => (b === 0n ? a : a % b),
  // Shifts by the bit width or more (or negative amounts, read as unsigned) saturate, as in XLA.
  shl: (a: number, b: number): number => (b < 0 || b >= 32 ? 0 : a << b),
  shr: (a: number, b: number): number => (b < 0 || b >= 32 ? (a < 0 ? -1 : 0) : a >> b),
  ushr: (a: number, b: number): number => (b < 0 || b >= 32 ? 0 : a >>> b),
  shl64: (a: bigint, b: bigint): bigint => (b < 0n || b >= 64n ? 0n : a << b),
  shr64: (a: bigint, b: bigint): bigint => (b < 0n || b >= 64n ? (a < 0n ? -1n : 0n) : a >> b),
  f2i_int8: clampInt(-128, 127),
  f2i_uint8: clampInt(0, 255),
  f2i_int16: clampInt(-32768, 32767),
  f2i_uint16: clampInt(0, 65535),
  f2i_int32: clampInt(-2147483648, 2147483647),
  f2i_uint32: clampInt(0, 4294967295),
  f2i_int64: clampBig(-(2n ** 63n), 2n ** 63n - 1n),
  f2i_uint64: clampBig(0n, 2n ** 64n - 1n),
  round_float16: (x: number): number => f16ToF32(f32ToF16(x)),
  round_bfloat16: (x: number): number => bf16ToF32(f32ToBf16(x)),
  load_float16: f16ToF32,
  store_float16: f32ToF16,
  load_bfloat16: bf16ToF32,
  store_bfloat16: f32ToBf16,
  /** 64-bit wrapping of JS numbers, for host code that works on numbers (kernels use BigInts). */
  wrap_int64: (x: number): number => Number(BigInt.asIntN(64, BigInt(Math.trunc(x)))),
  wrap_uint64: (x: number): number => Number(BigInt.asUintN(64, BigInt(Math.trunc(x)))),
  minOf_int8: -128, maxOf_int8: 127, minOf_uint8: 0, maxOf_uint8: 255,
  minOf_int16: -32768, maxOf_int16: 32767, minOf_uint16: 0, maxOf_uint16: 65535,
  minOf_int32: -2147483648, maxOf_int32: 2147483647, minOf_uint32: 0, maxOf_uint32: 4294967295,
  minOf_bool: 0, maxOf_bool: 1,
  // Bits of floats as unsigned integers of their width, and back (64-bit ones as BigInts).
  bits_float16: f32ToF16,
  bits_bfloat16: f32ToBf16,
  bits_float32: bitsF32,
  bits_float64: bitsF64,
  from_bits_float16: (b: number): number => f16ToF32(b & 0xffff),
  from_bits_bfloat16: (b: number): number => bf16ToF32(b & 0xffff),
  from_bits_float32: fromBitsF32,
  from_bits_float64: fromBitsF64,
  f16ToF32,
  f32ToF16,
};

export type Helpers = typeof H;
