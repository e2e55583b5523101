/**
 * @file JAX's threefry2x32 PRNG implementation (jax/_src/random/threefry2x32.py): keys as raw
 * uint32[2] arrays (`key()` typed keys carry the same bits), seeding, `split`, `fold_in` and
 * random bits, in both the partitionable key schedule (JAX's default since 0.5) and the legacy
 * one (`config.threefryPartitionable = false`).
 */

import { type Value, TypedScalar, JaxValue, getAval } from "../ir/core.js";
import { type DType, canonicalize, config, isInt, parseDType } from "../ir/dtype.js";
import { type Shape, prod, shapeStr } from "../ir/shape.js";
import { ValueError } from "../lax/errors.js";
import * as lax from "../lax/index.js";
import { iota2x32Shape, threefry2x32, threefry2x32P } from "./threefry.js";

// ---- keys ----------------------------------------------------------------------------------------

/** Raises JAX's errors for key data that is not a (batch of) uint32[2] threefry key. */
export function checkKeyData(key: Value): void {
  if (!(key instanceof JaxValue)) throw new TypeError(`unexpected PRNG key type ${typeof key}`);
  const a = getAval(key);
  if (a.ndim < 1) throw new TypeError(`JAX encountered invalid PRNG key data: expected key_data.ndim >= 1; got ndim=${a.ndim}`);
  if (a.shape[a.ndim - 1] !== 2) {
    throw new TypeError(`JAX encountered invalid PRNG key data: expected key_data.shape to end with (2,); got shape=${shapeStr(a.shape)} for impl=threefry2x32`);
  }
  if (a.dtype !== "uint32") throw new TypeError(`JAX encountered invalid PRNG key data: expected key_data.dtype = uint32; got dtype=${a.dtype}`);
}

/** A single key for the sampler `name` (JAX's _check_prng_key without allow_batched). */
export function checkKey(name: string, key: Value): Value {
  checkKeyData(key);
  const shape = getAval(key).shape;
  if (shape.length !== 1) {
    throw new ValueError(`${name} accepts a single key, but was given a key array of shape ${shapeStr(shape)} != (). Use jax.vmap for batching.`);
  }
  return key;
}

const u32 = (v: number): Value => new TypedScalar(v >>> 0, "uint32", false);

/**
 * The key of an integer seed (JAX's threefry_seed): the seed's 64 bits as two uint32 words,
 * high word first. Without x64 a Python-like int wraps to int32 first, as JAX's does (so the
 * high word is 0 for seeds in int32 range).
 */
export function seedKey(seed: Value | bigint): Value {
  if (typeof seed === "number" || typeof seed === "bigint") {
    if (typeof seed === "number" && !Number.isInteger(seed)) throw new TypeError(`PRNG key seed must be an integer; got ${seed}`);
    const s = BigInt.asIntN(64, BigInt(seed));
    // Without x64 the seed is an int32, and its logical shift right by 32 is 0.
    const hi = config.enableX64 ? Number(BigInt.asUintN(32, s >> 32n)) : 0;
    const lo = Number(BigInt.asUintN(32, s));
    return lax.concatenate([lax.broadcastInDim(u32(hi), [1], []), lax.broadcastInDim(u32(lo), [1], [])], 0);
  }
  if (typeof seed === "boolean") throw new TypeError(`PRNG key seed must be an integer; got ${seed}`);
  const a = getAval(seed);
  if (a.ndim) throw new TypeError(`PRNG key seed must be a scalar; got ${String(seed)}.`);
  if (!isInt(a.dtype)) throw new TypeError(`PRNG key seed must be an integer; got ${String(seed)}`);
  const toU32 = (x: Value) => lax.broadcastInDim(lax.convertElementType(x, "uint32"), [1], []);
  const hi = toU32(lax.shiftRightLogical(seed, new TypedScalar(32, a.dtype, false)));
  // seed & 0xFFFFFFFF in the seed's own type: its low 32 bits.
  const lo = toU32(a.dtype === "int64" || a.dtype === "uint64" ? lax.bitwiseAnd(seed, new TypedScalar(0xffffffff, a.dtype, false)) : seed);
  return lax.concatenate([hi, lo], 0);
}

/** JAX's resolve_prng_impl, for the one implementation there is. */
function checkImpl(impl: string | null | undefined): void {
  if (impl != null && impl !== "threefry2x32") throw new ValueError(`unrecognized PRNG implementation "${impl}". Did you mean one of: "threefry2x32"?`);
}

function scalarSeed(ctor: string, seed: Value | bigint): Value | bigint {
  if (seed instanceof JaxValue && getAval(seed).ndim) {
    throw new TypeError(`${ctor} accepts a scalar seed, but was given an array of shape ${shapeStr(getAval(seed).shape)} != (). Use jax.vmap for batching`);
  }
  return seed;
}

/** jax.random.PRNGKey: a legacy raw key, uint32[2]. */
export function PRNGKey(seed: Value | bigint, opts: { impl?: string | null } = {}): Value {
  checkImpl(opts.impl);
  return seedKey(scalarSeed("PRNGKey", seed));
}

/** jax.random.key: a new-style key; here it holds the same uint32[2] bits as PRNGKey. */
export function key(seed: Value | bigint, opts: { impl?: string | null } = {}): Value {
  checkImpl(opts.impl);
  return seedKey(scalarSeed("key", seed));
}

/** jax.random.key_data: the uint32 words of a key (array). */
export function keyData(keys: Value): Value {
  checkKeyData(keys);
  return keys;
}

/** jax.random.wrap_key_data: a key array from its uint32 words. */
export function wrapKeyData(data: Value, opts: { impl?: string | null } = {}): Value {
  checkImpl(opts.impl);
  checkKeyData(data);
  return data;
}

// ---- split, fold_in, bits ----------------------------------------------------------------------------

/** The partitionable split: hash the 64-bit position of each new key under the key. */
function splitFoldlike(k: Value, shape: Shape): Value {
  const [k0, k1] = keyWords(k);
  const [c0, c1] = shape.length ? iota2x32Shape(shape) : [u32(0), u32(0)];
  const [b0, b1] = threefry2x32P(k0, k1, c0, c1);
  const ex = (b: Value) => lax.reshape(b, [...shape, 1]);
  return lax.concatenate([ex(b0), ex(b1)], shape.length);
}

/** The legacy split: the hash of iota(2n), reshaped to n keys. */
function splitOriginal(k: Value, shape: Shape): Value {
  const n = prod(shape);
  return lax.reshape(threefry2x32(k, lax.iota("uint32", n * 2)), [...shape, 2]);
}

const keyWords = (k: Value): [Value, Value] => [lax.reshape(lax.slice(k, [0], [1]), []), lax.reshape(lax.slice(k, [1], [2]), [])];

/** Splits a key into keys of shape `shape` (no name checks: the samplers' own `_split`). */
export function splitKey(k: Value, shape: Shape): Value {
  return config.threefryPartitionable ? splitFoldlike(k, shape) : splitOriginal(k, shape);
}

/** jax.random.split: `num` new keys (or a shape of them), stacked on a leading axis. */
export function split(k: Value, opts: { num?: number | readonly number[] } = {}): Value {
  checkKey("split", k);
  const num = opts.num ?? 2;
  const shape = typeof num === "number" ? [num] : [...num];
  for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new TypeError(`split: num must be a non-negative integer or a shape, got ${String(num)}`);
  return splitKey(k, shape);
}

/** jax.random.fold_in: a new key from a key and 32-bit data (the hash of the data's seed key). */
export function foldIn(k: Value, data: Value): Value {
  checkKey("fold_in", k);
  if (data instanceof JaxValue && getAval(data).ndim) {
    throw new TypeError(`fold_in accepts a scalar, but was given an array ofshape ${shapeStr(getAval(data).shape)} != (). Use jax.vmap for batching.`);
  }
  const d = typeof data === "number" ? u32(data) : lax.convertElementType(data, "uint32");
  return threefry2x32(k, seedKey(d));
}

const UINT_OF_BITS: Record<number, DType> = { 8: "uint8", 16: "uint16", 32: "uint32", 64: "uint64" };

/** Random bits of a width (8, 16, 32 or 64) and shape from one key (JAX's threefry_random_bits). */
export function randomBits(k: Value, bitWidth: number, shape: Shape): Value {
  const dtype = UINT_OF_BITS[bitWidth];
  if (!dtype) throw new TypeError("requires 8-, 16-, 32- or 64-bit field width.");
  return config.threefryPartitionable ? bitsPartitionable(k, bitWidth, dtype, shape) : bitsOriginal(k, bitWidth, dtype, shape);
}

function bitsPartitionable(k: Value, bitWidth: number, dtype: DType, shape: Shape): Value {
  const [k0, k1] = keyWords(k);
  const [c0, c1] = shape.length ? iota2x32Shape(shape) : [u32(0), u32(0)];
  const [b0, b1] = threefry2x32P(k0, k1, c0, c1);
  if (bitWidth === 64) {
    const hi = lax.convertElementType(b0, dtype);
    const lo = lax.convertElementType(b1, dtype);
    return lax.bitwiseOr(lax.shiftLeft(hi, new TypedScalar(32, dtype, false)), lo);
  }
  const x = lax.bitwiseXor(b0, b1);
  return bitWidth === 32 ? x : lax.convertElementType(x, dtype);
}

function bitsOriginal(k: Value, bitWidth: number, dtype: DType, shape: Shape): Value {
  const size = prod(shape);
  const maxCount = Math.ceil((bitWidth * size) / 32);
  if (maxCount >= 2 ** 32 - 1) throw new Error("NotImplementedError: random bits beyond 2**32 - 1 words per key");
  let bits = threefry2x32(k, lax.iota("uint32", maxCount));
  if (bitWidth === 64) {
    const half = maxCount / 2;
    const hi = lax.convertElementType(lax.slice(bits, [0], [half]), dtype);
    const lo = lax.convertElementType(lax.slice(bits, [half], [maxCount]), dtype);
    bits = lax.bitwiseOr(lax.shiftLeft(hi, new TypedScalar(32, dtype, false)), lo);
  } else if (bitWidth < 32) {
    // bits.view(dtype)[:size]: each word split into its little-endian pieces.
    const per = 32 / bitWidth;
    const shifts = lax.mul(new TypedScalar(bitWidth, "uint32", false), lax.broadcastedIota("uint32", [per, 1], 0));
    let pieces = lax.bitwiseAnd(new TypedScalar(2 ** bitWidth - 1, "uint32", false), lax.shiftRightLogical(lax.broadcastInDim(bits, [per, maxCount], [1]), shifts));
    pieces = lax.reshape(lax.transpose(pieces, [1, 0]), [maxCount * per]);
    bits = lax.slice(lax.convertElementType(pieces, dtype), [0], [size]);
  }
  return lax.reshape(bits, shape);
}

/** jax.random.bits: uniform random unsigned integers (uint32, or uint64 with x64, by default). */
export function bits(k: Value, opts: { shape?: Shape; dtype?: string | null } = {}): Value {
  checkKey("bits", k);
  const d = canonicalize(parseDType(opts.dtype ?? "uint64"));
  const shape = opts.shape ?? [];
  const width = BITS_OF_UINT[d];
  if (!width) throw new ValueError(`dtype argument to \`bits\` must be an unsigned int dtype, got ${d}`);
  return randomBits(k, width, shape);
}

const BITS_OF_UINT: Partial<Record<DType, number>> = { uint8: 8, uint16: 16, uint32: 32, uint64: 64 };
