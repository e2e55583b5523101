/**
 * @file Set operations on 1-D arrays: the array API's `unique_values`/`unique_counts`/
 * `unique_inverse`/`unique_all`, and `union1d`, `intersect1d`, `setdiff1d`, `setxor1d`, `in1d`.
 * Their output sizes depend on the values, so without `size=` the inputs must be concrete (a
 * ConcretizationTypeError under jit, as in JAX); with `size=` everything stages to sorts and
 * gathers: candidates are computed at their static maximum length, kept ones are sorted to the
 * front, and the tail is cut or padded with `fill_value`.
 */

import { type JaxValue } from "../ir/core.js";
import { concreteOrError } from "../ir/errors.js";
import { defaultInt } from "../ir/dtype.js";
import { type ArrayLike, J, asarray, promoteDtypes } from "./coerce.js";
import * as P from "./prims.js";
import * as np from "./index.js";

type Sized = { size?: number | null; fill_value?: ArrayLike | null };

/** Checks that `size` is a non-negative integer (JAX's operator.index on it). */
function sizeArg(name: string, size: number | null | undefined): number | null {
  if (size == null) return null;
  if (!Number.isInteger(size) || size < 0) throw new TypeError(`${name}: size must be a non-negative integer; got size=${size}`);
  return size;
}

/** The inputs must be concrete when no `size` is given: the result's length is their values'. */
function requireConcrete(name: string, ...xs: JaxValue[]): void {
  for (const x of xs) concreteOrError(x, `The error arose in ${name}(). When jit-compiling jnp.${name}, pass a static size argument (size=..., fill_value=...).`);
}

/**
 * The sorted unique values of `x` (flattened) at full length n, with a mask of the real ones
 * (the tail repeats padding), and the first index of each in `x`.
 */
function uniqueFull(x: JaxValue): { values: JaxValue; valid: JaxValue; index: JaxValue } {
  const n = x.size;
  const [values, index, counts] = np.unique(x, { size: n, return_index: true, return_counts: true, equal_nan: false }) as JaxValue[];
  return { values, valid: np.greater(counts, 0), index };
}

/**
 * The values of `cand` where `keep` holds, ascending (with `extras` permuted alike): all of them
 * when `size` is null (the count must then be concrete), else the first `size`, padded with
 * `fill` (`extraFill` for the extras).
 */
function compact(cand: JaxValue, keep: JaxValue, size: number | null, fill: ArrayLike | null, extras: JaxValue[] = [], extraFill: number[] = []): JaxValue[] {
  const n = cand.size;
  const it = defaultInt();
  const count = np.sum(keep.astype(it));
  const sorted = n ? P.sortMulti([J(P.not(keep)), cand, ...extras], 0, true, 2).slice(1).map((v) => J(v)) : [cand, ...extras];
  if (size === null) {
    const k = Number((concreteOrError(count) as { item(): number }).item());
    return sorted.map((s) => np.getitem(s, { slice: [0, k, null] }));
  }
  const valid = np.less(np.arange(size, { dtype: it }), count);
  return sorted.map((s, i) => {
    const padded = size <= n ? np.getitem(s, { slice: [0, size, null] }) : np.pad(s, [[0, size - n]]);
    // JAX's default padding: the smallest value of the result (0 when it is empty).
    const f = i === 0 ? (fill ?? (n ? np.where(np.greater(count, 0), np.getitem(s, 0), 0) : 0)) : extraFill[i - 1];
    return np.where(valid, padded, asarray(f, { dtype: s.dtype }));
  });
}

/** `jnp.unique_values(x, *, size=None, fill_value=None)`: the sorted unique values (NaNs kept apart). */
export function uniqueValues(x: ArrayLike, opts: Sized = {}): JaxValue {
  return np.unique(x, { equal_nan: false, size: sizeArg("unique_values", opts.size), fill_value: opts.fill_value as number | null }) as JaxValue;
}

/** `jnp.unique_counts(x, *, size=None, fill_value=None)`: (values, counts). */
export function uniqueCounts(x: ArrayLike, opts: Sized = {}): JaxValue[] {
  return np.unique(x, { return_counts: true, equal_nan: false, size: sizeArg("unique_counts", opts.size), fill_value: opts.fill_value as number | null }) as JaxValue[];
}

/** `jnp.unique_inverse(x, *, size=None, fill_value=None)`: (values, inverse_indices shaped like x). */
export function uniqueInverse(x: ArrayLike, opts: Sized = {}): JaxValue[] {
  return np.unique(x, { return_inverse: true, equal_nan: false, size: sizeArg("unique_inverse", opts.size), fill_value: opts.fill_value as number | null }) as JaxValue[];
}

/** `jnp.unique_all(x, *, size=None, fill_value=None)`: (values, indices, inverse_indices, counts). */
export function uniqueAll(x: ArrayLike, opts: Sized = {}): JaxValue[] {
  return np.unique(x, {
    return_index: true, return_inverse: true, return_counts: true, equal_nan: false, size: sizeArg("unique_all", opts.size), fill_value: opts.fill_value as number | null,
  }) as JaxValue[];
}

/** Both inputs flattened and promoted to one dtype. */
function pair(name: string, ar1: ArrayLike, ar2: ArrayLike, size: number | null): [JaxValue, JaxValue] {
  const [a, b] = promoteDtypes(ar1, ar2).map((v) => np.ravel(v));
  if (size === null) requireConcrete(name, a, b);
  return [a, b];
}

/** `jnp.union1d(ar1, ar2, *, size=None, fill_value=None)`: the sorted unique values of both. */
export function union1d(ar1: ArrayLike, ar2: ArrayLike, opts: Sized = {}): JaxValue {
  const size = sizeArg("union1d", opts.size);
  const [a, b] = pair("union1d", ar1, ar2, size);
  return np.unique(np.concatenate([a, b]), { size, fill_value: opts.fill_value as number | null }) as JaxValue;
}

/**
 * `jnp.intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
 * fill_value=None)`: the sorted values in both; with `return_indices`, also the index of each
 * value's first occurrence in ar1 and in ar2 (padding: the arrays' sizes, out of bounds).
 */
export function intersect1d(ar1: ArrayLike, ar2: ArrayLike, opts: { assume_unique?: boolean; return_indices?: boolean } & Sized = {}): JaxValue | JaxValue[] {
  const size = sizeArg("intersect1d", opts.size);
  const [a, b] = pair("intersect1d", ar1, ar2, size);
  const u1 = uniqueFull(a), u2 = uniqueFull(b);
  const keep = np.logicalAnd(u1.valid, np.isin(u1.values, b));
  if (!opts.return_indices) return compact(u1.values, keep, size, opts.fill_value ?? null)[0];
  // Where each value sits among b's sorted unique values, and so its first index in b.
  const it = defaultInt();
  const big = b.size ? np.max(np.where(u2.valid, u2.values, np.min(u2.values))) : 0;
  const sortedB = np.where(u2.valid, u2.values, big);
  const at = np.clip(np.searchsorted(sortedB, u1.values), { min: 0, max: Math.max(b.size - 1, 0) });
  const idx2 = b.size ? np.take(u2.index, at) : np.zeros([a.size], { dtype: it });
  return compact(u1.values, keep, size, opts.fill_value ?? null, [u1.index.astype(it), idx2.astype(it)], [a.size, b.size]);
}

/** `jnp.setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None)`: sorted unique values of ar1 not in ar2 (padding 0 by default, as JAX). */
export function setdiff1d(ar1: ArrayLike, ar2: ArrayLike, opts: { assume_unique?: boolean } & Sized = {}): JaxValue {
  const size = sizeArg("setdiff1d", opts.size);
  const [a, b] = pair("setdiff1d", ar1, ar2, size);
  const u1 = uniqueFull(a);
  const keep = np.logicalAnd(u1.valid, np.isin(u1.values, b, { invert: true }));
  return compact(u1.values, keep, size, opts.fill_value ?? 0)[0];
}

/** `jnp.setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None)`: sorted unique values in exactly one of the arrays. */
export function setxor1d(ar1: ArrayLike, ar2: ArrayLike, opts: { assume_unique?: boolean } & Sized = {}): JaxValue {
  const size = sizeArg("setxor1d", opts.size);
  const [a, b] = pair("setxor1d", ar1, ar2, size);
  const u1 = uniqueFull(a), u2 = uniqueFull(b);
  const keep1 = np.logicalAnd(u1.valid, np.isin(u1.values, b, { invert: true }));
  const keep2 = np.logicalAnd(u2.valid, np.isin(u2.values, a, { invert: true }));
  return compact(np.concatenate([u1.values, u2.values]), np.concatenate([keep1, keep2]), size, opts.fill_value ?? null)[0];
}

/** `jnp.in1d(ar1, ar2, assume_unique=False, invert=False)`: isin over the flattened ar1. */
export function in1d(ar1: ArrayLike, ar2: ArrayLike, opts: { assume_unique?: boolean; invert?: boolean } = {}): JaxValue {
  return np.isin(np.ravel(ar1), ar2, { invert: opts.invert ?? false });
}
