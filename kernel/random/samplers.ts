/**
 * @file jax.random's samplers, step for step as jax/_src/random/core.py computes them so that
 * the same key gives the same bits: uniform (random mantissa bits under the exponent of 1.0),
 * normal (√2·erf⁻¹ of a uniform on (-1, 1)), truncated_normal, randint (two words per value,
 * reduced modulo the span), bernoulli, exponential, gumbel, categorical (Gumbel-max / top-k),
 * choice and permutation (sorting by random keys). Required parameters are positional; optional
 * ones travel in a trailing options object under JAX's names, as in kernel/numpy.
 */

import { type Value, JaxValue, TypedScalar, getAval } from "../ir/core.js";
import { type DType, ITEMSIZE, canonicalize, defaultFloat, defaultInt, finfo, iinfo, isFloat, isInt, parseDType } from "../ir/dtype.js";
import { type Shape, broadcastShapes, canonicalAxis, prod, shapeStr } from "../ir/shape.js";
import { NotImplementedError, ValueError } from "../lax/errors.js";
import * as lax from "../lax/index.js";
import * as jnp from "../numpy/index.js";
import { type ArrayLike, type DTypeLike, promoteDtypesInexact } from "../numpy/coerce.js";
import { checkKey, randomBits, splitKey } from "./prng.js";

const FLOAT_LAYOUT: Partial<Record<DType, { bits: number; nmant: number; one: number; uint: DType }>> = {
  float16: { bits: 16, nmant: 10, one: 0x3c00, uint: "uint16" },
  bfloat16: { bits: 16, nmant: 7, one: 0x3f80, uint: "uint16" },
  float32: { bits: 32, nmant: 23, one: 0x3f800000, uint: "uint32" },
  float64: { bits: 64, nmant: 52, one: 0x3ff0000000000000, uint: "uint64" },
};
const UINT_OF_BITS: Record<number, DType> = { 8: "uint8", 16: "uint16", 32: "uint32", 64: "uint64" };

/** A strongly typed constant (numpy's np.array(v, dtype)). */
const c = (v: number, dtype: DType): Value => new TypedScalar(v, dtype, false);
const floatDtype = (name: string, d: DTypeLike | null | undefined): DType => {
  const dtype = canonicalize(parseDType(d ?? defaultFloat()));
  if (!isFloat(dtype)) throw new ValueError(`dtype argument to \`${name}\` must be a float dtype, got ${dtype}`);
  return dtype;
};
const shapeOf = (x: ArrayLike): number[] => [...getAval(jnp.asarray(x)).shape];

/** lax.broadcast_to_rank: leading size-1 axes up to `rank`. */
function toRank(x: Value, rank: number): Value {
  const s = getAval(x).shape;
  return s.length >= rank ? x : lax.reshape(x, [...Array<number>(rank - s.length).fill(1), ...s]);
}

/** JAX's _check_shape: parameter shapes must broadcast to exactly `shape`. */
function checkShape(name: string, shape: Shape, ...paramShapes: Shape[]): void {
  if (!paramShapes.length) return;
  let b: number[];
  try {
    b = broadcastShapes(shape, ...paramShapes);
  } catch (e) {
    // lax.broadcast_shapes raises ValueError.
    throw new ValueError((e as Error).message);
  }
  if (b.length !== shape.length || b.some((d, i) => d !== shape[i])) {
    throw new ValueError(
      `${name} parameter shapes must be broadcast-compatible with shape argument, and the result of broadcasting the shapes must equal the shape argument, but got result ${shapeStr(b)} for shape argument ${shapeStr(shape)}.`,
    );
  }
}

/** The two keys of a split, as separate values. */
function split2(key: Value): [Value, Value] {
  const ks = splitKey(key, [2]);
  const row = (i: number) => lax.reshape(lax.slice(ks, [i, 0], [i + 1, 2]), [2]);
  return [row(0), row(1)];
}

// ---- uniform and normal ---------------------------------------------------------------------------

/** JAX's _uniform: mantissa bits under the exponent of 1.0 give [1, 2); shift and scale that. */
function uniformImpl(key: Value, minval: Value, maxval: Value, shape: Shape, dtype: DType): Value {
  const layout = FLOAT_LAYOUT[dtype]!;
  const lo = toRank(lax.convertElementType(minval, dtype), shape.length);
  const hi = toRank(lax.convertElementType(maxval, dtype), shape.length);
  // Formats with fewer than 8 mantissa bits still draw 8 random bits.
  const rngBits = layout.nmant < 8 ? 8 : layout.bits;
  let bits = randomBits(key, rngBits, shape);
  if (rngBits !== layout.bits) bits = lax.convertElementType(bits, layout.uint);
  const floatBits = lax.bitwiseOr(lax.shiftRightLogical(bits, c(rngBits - layout.nmant, layout.uint)), c(layout.one, layout.uint));
  const floats = lax.sub(lax.bitcastConvertType(floatBits, dtype), c(1, dtype));
  return lax.max(lo, lax.reshape(lax.add(lax.mul(floats, lax.sub(hi, lo)), lo), shape));
}

/** jax.random.uniform: floats in [minval, maxval). */
export function uniform(key: Value, opts: { shape?: Shape; dtype?: DTypeLike | null; minval?: ArrayLike; maxval?: ArrayLike } = {}): Value {
  checkKey("uniform", key);
  const dtype = floatDtype("uniform", opts.dtype);
  return uniformImpl(key, jnp.asarray(opts.minval ?? 0), jnp.asarray(opts.maxval ?? 1), opts.shape ?? [], dtype);
}

/** The largest float below 1 in magnitude, negated: nextafter(-1, 0) in `dtype`. */
const nextAbove = (v: number, dtype: DType): number => v + finfo(dtype).eps / 2;

function normalImpl(key: Value, shape: Shape, dtype: DType): Value {
  const u = uniformImpl(key, c(nextAbove(-1, dtype), dtype), c(1, dtype), shape, dtype);
  return lax.mul(c(Math.SQRT2, dtype), lax.erfInv(u));
}

/** jax.random.normal: standard normal samples, √2·erf⁻¹(u) for u uniform on (-1, 1). */
export function normal(key: Value, opts: { shape?: Shape; dtype?: DTypeLike | null } = {}): Value {
  checkKey("normal", key);
  const dtype = canonicalize(parseDType(opts.dtype ?? defaultFloat()));
  if (!isFloat(dtype)) throw new ValueError(`dtype argument to \`normal\` must be a float or complex dtype, got ${dtype}`);
  return normalImpl(key, opts.shape ?? [], dtype);
}

/** jax.random.truncated_normal: normal samples conditioned on (lower, upper), by inverting the CDF. */
export function truncatedNormal(key: Value, lower: ArrayLike, upper: ArrayLike, opts: { shape?: Shape | null; dtype?: DTypeLike | null } = {}): Value {
  checkKey("truncated_normal", key);
  const dtype = floatDtype("truncated_normal", opts.dtype);
  const ls = shapeOf(lower), us = shapeOf(upper);
  const shape = opts.shape ?? broadcastShapes(ls, us);
  if (opts.shape) checkShape("truncated_normal", shape, ls, us);
  const sqrt2 = c(Math.SQRT2, dtype);
  const lo = lax.convertElementType(jnp.asarray(lower), dtype);
  const hi = lax.convertElementType(jnp.asarray(upper), dtype);
  const a = lax.erf(lax.div(lo, sqrt2));
  const b = lax.erf(lax.div(hi, sqrt2));
  const u = uniformImpl(key, a, b, shape, dtype);
  const out = lax.mul(sqrt2, lax.erfInv(u));
  // Clamp to the open interval: rounding (or u = a) must not reach the bounds.
  const openLo = lax.nextafter(lax.stopGradient(lo), c(Infinity, dtype));
  const openHi = lax.nextafter(lax.stopGradient(hi), c(-Infinity, dtype));
  return jnp.clip(out, { min: openLo, max: openHi });
}

// ---- integers ----------------------------------------------------------------------------------------

/** Converts integers to `dtype`, clipping to its range instead of wrapping (JAX's helper). */
function convertAndClip(val: Value, dtype: DType): Value {
  const from = getAval(val).dtype;
  const lo = Math.max(iinfo(dtype).min, iinfo(from).min);
  const hi = Math.min(iinfo(dtype).max, iinfo(from).max);
  return lax.convertElementType(lax.clamp(c(lo, from), val, c(hi, from)), dtype);
}

function randintImpl(key: Value, minvalIn: Value, maxvalIn: Value, shape: Shape, dtype: DType): Value {
  checkShape("randint", shape, getAval(minvalIn).shape, getAval(maxvalIn).shape);
  let minval = isInt(getAval(minvalIn).dtype) ? minvalIn : jnp.asarray(minvalIn, { dtype: "int" });
  let maxval = isInt(getAval(maxvalIn).dtype) ? maxvalIn : jnp.asarray(maxvalIn, { dtype: "int" });
  // randint(key, shape, 0, 256, uint8): a maxval beyond the dtype widens the span by one.
  const maxOutOfRange = lax.gt(maxval, convertAndClip(c(iinfo(dtype).max, dtype), getAval(maxval).dtype));
  minval = toRank(convertAndClip(minval, dtype), shape.length);
  maxval = toRank(convertAndClip(maxval, dtype), shape.length);
  const nbits = ITEMSIZE[dtype] * 8;
  const [k1, k2] = split2(key);
  const higher = randomBits(k1, nbits, shape);
  const lower = randomBits(k2, nbits, shape);
  const udt = UINT_OF_BITS[nbits];
  let span = lax.convertElementType(lax.sub(maxval, minval), udt);
  // maxval <= minval returns minval (span 1).
  span = lax.select(lax.le(maxval, minval), jnp.fullLike(span, 1), span);
  span = lax.select(lax.bitwiseAnd(toRank(maxOutOfRange, shape.length), lax.gt(maxval, minval)), lax.add(span, c(1, udt)), span);
  // (hi·2^n + lo) mod span without overflow: 2^n mod span from (2^(n/2) mod span)².
  let multiplier = lax.rem(c(2 ** (nbits / 2), udt), span);
  multiplier = lax.rem(lax.mul(multiplier, multiplier), span);
  let offset = lax.add(lax.mul(lax.rem(higher, span), multiplier), lax.rem(lower, span));
  offset = lax.rem(offset, span);
  return lax.add(minval, lax.convertElementType(offset, dtype));
}

/** jax.random.randint: integers in [minval, maxval) (slightly biased unless the span is a power of 2, as JAX's). */
export function randint(key: Value, shape: Shape, minval: ArrayLike, maxval: ArrayLike, opts: { dtype?: DTypeLike | null } = {}): Value {
  checkKey("randint", key);
  const dtype = canonicalize(parseDType(opts.dtype ?? defaultInt()));
  if (!isInt(dtype)) throw new TypeError(`randint only accepts integer dtypes, got ${dtype}`);
  const info = iinfo(dtype);
  if (ITEMSIZE[dtype] < 4) {
    // 8- and 16-bit values are sampled in 32 bits to avoid bias.
    const lo = jnp.clip(jnp.asarray(minval, { dtype: "int32" }), { min: info.min, max: info.max });
    const hi = jnp.clip(jnp.asarray(maxval, { dtype: "int32" }), { min: info.min, max: info.max + 1 });
    return lax.convertElementType(randintImpl(key, lo, hi, shape, "int32"), dtype);
  }
  return randintImpl(key, jnp.asarray(minval), jnp.asarray(maxval), shape, dtype);
}

/** jax.random.bernoulli: booleans that are true with probability p. */
export function bernoulli(key: Value, opts: { p?: ArrayLike; shape?: Shape | null; mode?: "low" | "high" } = {}): Value {
  const mode = opts.mode ?? "low";
  if (mode !== "low" && mode !== "high") throw new ValueError(`got mode='${String(mode)}', expected 'high' or 'low'`);
  checkKey("bernoulli", key);
  const pa = jnp.asarray(opts.p ?? 0.5);
  const dtype = getAval(pa).dtype;
  if (!isFloat(dtype)) throw new TypeError(`bernoulli probability \`p\` must have a floating dtype, got ${dtype}.`);
  const p = lax.convertElementType(pa, dtype);
  const shape = opts.shape ?? [...getAval(p).shape];
  if (opts.shape) checkShape("bernoulli", shape, getAval(p).shape);
  if (mode === "high") {
    const u = uniformImpl(key, c(0, dtype), c(1, dtype), [2, ...shape], dtype);
    const row = (i: number) => lax.reshape(lax.slice(u, [i, ...shape.map(() => 0)], [i + 1, ...shape]), shape);
    // The second draw refines the first below its resolution of 2^-nmant.
    const u2 = lax.mul(row(1), c(2 ** -FLOAT_LAYOUT[dtype]!.nmant, dtype));
    return jnp.less(u2, jnp.subtract(p, row(0)));
  }
  return jnp.less(uniformImpl(key, c(0, dtype), c(1, dtype), shape, dtype), p);
}

// ---- exponential and gumbel ----------------------------------------------------------------------------

/** jax.random.exponential: -log(1 - u). */
export function exponential(key: Value, opts: { shape?: Shape; dtype?: DTypeLike | null } = {}): Value {
  checkKey("exponential", key);
  const dtype = floatDtype("exponential", opts.dtype);
  const u = uniformImpl(key, c(0, dtype), c(1, dtype), opts.shape ?? [], dtype);
  return lax.neg(lax.log1p(lax.neg(u)));
}

function gumbelImpl(key: Value, shape: Shape, dtype: DType, mode: string): Value {
  const info = finfo(dtype);
  if (mode === "highest") throw new NotImplementedError("gumbel mode='highest' is not implemented (it needs lax.clz)");
  if (mode === "high") {
    const u = uniformImpl(key, c(0, dtype), c(1, dtype), [2, ...shape], dtype);
    const row = (i: number) => lax.reshape(lax.slice(u, [i, ...shape.map(() => 0)], [i + 1, ...shape]), shape);
    const [high, low] = [row(0), row(1)];
    const nmant = FLOAT_LAYOUT[dtype]!.nmant;
    const fine = jnp.add(jnp.add(high, jnp.multiply(2 ** -nmant, low)), Math.max(2 ** -(2 * nmant + 1), info.tiny));
    const x = jnp.where(jnp.greaterEqual(high, 0.5), high, fine);
    return jnp.negative(jnp.log(jnp.negative(jnp.log1p(jnp.negative(x)))));
  }
  const u = uniformImpl(key, c(info.tiny, dtype), c(1, dtype), shape, dtype);
  return jnp.negative(jnp.log(jnp.negative(jnp.log(u))));
}

/** jax.random.gumbel: -log(-log(u)) ("high" mode spends two draws per sample on the tail). */
export function gumbel(key: Value, opts: { shape?: Shape; dtype?: DTypeLike | null; mode?: "low" | "high" | "highest" | null } = {}): Value {
  checkKey("gumbel", key);
  const dtype = floatDtype("gumbel", opts.dtype);
  const mode = opts.mode ?? "low";
  if (!["highest", "high", "low"].includes(mode)) throw new ValueError(`Must provide valid mode for gumbel got: ${mode}`);
  return gumbelImpl(key, opts.shape ?? [], dtype, mode);
}

/** Indices of the k largest entries along the last axis, largest first (lax.top_k's; ties: lower index first). */
function topKIndices(x: Value, k: number): Value {
  const s = getAval(x).shape;
  const last = s.length - 1;
  const idx = lax.broadcastedIota("int32", s, last);
  const [, sortedIdx] = lax.sortMulti([lax.neg(x), idx], last, true, 1);
  return lax.slice(sortedIdx, s.map(() => 0), [...s.slice(0, -1), k]);
}

/** jax.random.categorical: indices drawn with probabilities softmax(logits) along `axis`. */
export function categorical(key: Value, logits: ArrayLike, opts: { axis?: number; shape?: Shape | null; replace?: boolean; mode?: "low" | "high" | null } = {}): Value {
  checkKey("categorical", key);
  const lg = jnp.asarray(logits);
  const ls = getAval(lg).shape;
  const axis = canonicalAxis(opts.axis ?? -1, ls.length);
  const batchShape = ls.filter((_, i) => i !== axis);
  const shape = opts.shape ?? batchShape;
  if (opts.shape) checkShape("categorical", shape, batchShape);
  // JAX draws the noise with the public gumbel, which wants float logits.
  const dtype = floatDtype("gumbel", getAval(lg).dtype);
  const prefix = shape.slice(0, shape.length - batchShape.length);
  const mode = opts.mode ?? "low";
  if (opts.replace ?? true) {
    const logitsShape = [...shape.slice(shape.length - batchShape.length)];
    logitsShape.splice(axis, 0, ls[axis]);
    const g = gumbelImpl(key, [...prefix, ...logitsShape], dtype, mode);
    const expanded = lax.reshape(lg, [...prefix.map(() => 1), ...ls]);
    return jnp.argmax(jnp.add(g, expanded), { axis: axis + prefix.length });
  }
  const noisy = jnp.add(lg, gumbelImpl(key, ls, dtype, mode));
  const k = prod(prefix);
  if (k > ls[axis]) throw new ValueError(`Number of samples without replacement (${k}) cannot exceed number of categories (${ls[axis]}).`);
  const indices = topKIndices(jnp.moveaxis(noisy, axis, -1), k);
  // (…batch, k) → (k, …batch) → the requested shape.
  const nd = getAval(indices).ndim;
  const moved = lax.transpose(indices, [nd - 1, ...Array.from({ length: nd - 1 }, (_, i) => i)]);
  return lax.reshape(moved, shape);
}

// ---- permutation and choice ------------------------------------------------------------------------------

/** Shuffles along `axis` by sorting on fresh random 32-bit keys, enough rounds that ties are negligible. */
function shuffle(key: Value, x: Value, axis: number): Value {
  const size = getAval(x).size;
  const rounds = Math.ceil((3 * Math.log(Math.max(1, size))) / Math.log(2 ** 32 - 1));
  let k = key;
  let out = x;
  for (let r = 0; r < rounds; r++) {
    const [next, sub] = split2(k);
    k = next;
    const sortKeys = randomBits(sub, 32, getAval(out).shape);
    out = lax.sortKeyVal(sortKeys, out, axis)[1];
  }
  return out;
}

/** jax.random.permutation: a shuffled arange(x), or x shuffled along an axis. */
export function permutation(key: Value, x: ArrayLike, opts: { axis?: number; independent?: boolean } = {}): Value {
  checkKey("permutation", key);
  if (typeof x === "number" || (x instanceof JaxValue && getAval(x).ndim === 0)) {
    const n = typeof x === "number" ? x : (x as unknown as { item(): number }).item?.();
    if (typeof n !== "number" || !Number.isInteger(n)) throw new TypeError("x must be an integer or at least 1-dimensional");
    return shuffle(key, jnp.arange(n), canonicalAxis(opts.axis ?? 0, 1));
  }
  const arr = jnp.asarray(x);
  const nd = getAval(arr).ndim;
  const axis = canonicalAxis(opts.axis ?? 0, nd);
  if (opts.independent || nd === 1) return shuffle(key, arr, axis);
  const ind = shuffle(key, jnp.arange(getAval(arr).shape[axis]), 0);
  return jnp.take(arr, ind, { axis });
}

/** jax.random.choice: draws from `a` (or arange(a)), with or without replacement, optionally weighted by p. */
export function choice(
  key: Value,
  a: ArrayLike,
  opts: { shape?: Shape; replace?: boolean; p?: ArrayLike | null; axis?: number; mode?: "low" | "high" | null } = {},
): Value {
  checkKey("choice", key);
  const shape = opts.shape ?? [];
  const replace = opts.replace ?? true;
  const arr = jnp.asarray(a);
  const as = getAval(arr).shape;
  let axis = opts.axis ?? 0;
  let nInputs: number;
  if (as.length === 0) {
    const v = typeof a === "number" ? a : (arr as unknown as { item(): number }).item();
    if (!Number.isInteger(v)) throw new TypeError(`The error occurred in jax.random.choice(): a must be an integer or an array, got ${String(v)}`);
    nInputs = v;
  } else {
    axis = canonicalAxis(axis, as.length);
    nInputs = as[axis];
  }
  const nDraws = prod(shape);
  if (nDraws === 0) return jnp.zeros(shape, { dtype: getAval(arr).dtype });
  if (nInputs <= 0) throw new ValueError("a must be greater than 0 unless no samples are taken");
  if (!replace && nDraws > nInputs) throw new ValueError(`Cannot take a larger sample (size ${nDraws}) than population (size ${nInputs}) when 'replace=False'`);
  let result: Value;
  if (opts.p == null) {
    if (replace) {
      const ind = randint(key, shape, 0, nInputs);
      result = as.length === 0 ? ind : jnp.take(arr, ind, { axis });
    } else {
      const perm = permutation(key, as.length === 0 ? nInputs : arr, { axis });
      const ps = getAval(perm).shape;
      result = lax.slice(perm, ps.map(() => 0), ps.map((d, i) => (i === axis ? nDraws : d)));
    }
  } else {
    const [pArr] = promoteDtypesInexact(opts.p);
    if (getAval(pArr).ndim !== 1 || getAval(pArr).shape[0] !== nInputs) {
      throw new ValueError(`p must be None or a 1D vector with the same size as a.shape[axis]. p has shape ${shapeStr(getAval(pArr).shape)} and a.shape[axis] is ${nInputs}.`);
    }
    let ind: Value;
    if (replace) {
      const cuml = jnp.cumsum(pArr);
      const total = lax.slice(cuml, [nInputs - 1], [nInputs]);
      const u = uniform(key, { shape, dtype: getAval(cuml).dtype });
      const r = jnp.multiply(lax.reshape(total, []), jnp.subtract(1, u));
      ind = jnp.asarray(jnp.searchsorted(cuml, r), { dtype: "int" });
    } else {
      const g = jnp.add(gumbel(key, { shape: [nInputs], dtype: getAval(pArr).dtype, mode: opts.mode }), jnp.log(pArr));
      ind = topKIndices(g, nDraws);
    }
    result = as.length === 0 ? ind : jnp.take(arr, ind, { axis });
  }
  const outShape = as.length === 0 ? shape : [...as.slice(0, axis), ...shape, ...as.slice(axis + 1)];
  return jnp.reshape(result, outShape);
}
