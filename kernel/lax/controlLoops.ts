/**
 * @file Loops built on the primitives (jax/_src/lax/control_flow/loops.py): `fori_loop` (a scan
 * when the trip count is known at trace time, so reverse mode works; a while loop otherwise),
 * `map` (a scan without carry, or vmapped batches with `batchSize`), and `associative_scan`
 * (the parallel prefix scan of Blelloch, from slices, pads and concatenations).
 */

import { type Value, ConcreteArray, Tracer, TypedScalar, getAval } from "../ir/core.js";
import { isBool, isSignedInt } from "../ir/dtype.js";
import { treeFlatten, treeMap, treeUnflatten } from "../ir/pytree.js";
import { canonicalAxis, shapeStr } from "../ir/shape.js";
import { vmap } from "../batching/vmap.js";
import { ValueError } from "./errors.js";
import { add, bitwiseOr } from "./binary.js";
import { lt } from "./select.js";
import { convertElementType, reshape, rev } from "./structural.js";
import { concatenate, pad, sliceInDim } from "./slicing.js";
import { scan } from "./controlScan.js";
import { whileLoop } from "./controlWhile.js";

/** The host integer of a value known at trace time, or null for abstract tracers. */
function staticInt(x: Value): number | null {
  const c = x instanceof Tracer ? x.toConcrete() : x;
  if (c === null) return null;
  const v = c instanceof ConcreteArray ? c.item() : c;
  return typeof v === "number" && Number.isInteger(v) ? v : null;
}

/**
 * `lax.fori_loop(lower, upper, bodyFun, initVal)`: `val = bodyFun(i, val)` for i in
 * [lower, upper). With static bounds this is a scan of `upper - lower` iterations (reverse-mode
 * differentiable); with traced bounds a while loop (forward mode only), as in JAX.
 */
export function foriLoop<T>(lower: Value, upper: Value, bodyFun: (i: Value, val: T) => T, initVal: T, opts: { unroll?: number | boolean | null } = {}): T {
  if (typeof bodyFun !== "function") throw new TypeError("lax.fori_loop: body_fun argument should be callable.");
  const [la, ua] = [getAval(lower), getAval(upper)];
  let dtype = la.dtype;
  if (la.dtype !== ua.dtype) {
    const ok = isSignedInt(la.dtype) && isSignedInt(ua.dtype) && la.weakType !== ua.weakType;
    if (!ok) throw new TypeError(`lower and upper arguments to fori_loop must have equal types, got ${la.dtype} and ${ua.dtype}`);
    dtype = la.weakType ? ua.dtype : la.dtype;
  }
  const [lo, hi] = [staticInt(lower), staticInt(upper)];
  if (lo !== null && hi !== null) {
    const unroll = opts.unroll ?? false;
    const body = ([i, x]: [Value, T]): [[Value, T], null] => [[add(i, 1), bodyFun(i, x)], null];
    const [[, result]] = scan(body, [lower, initVal] as [Value, T], null, { length: Math.max(hi - lo, 0), unroll });
    return result;
  }
  if (opts.unroll !== null && opts.unroll !== undefined && opts.unroll !== false && opts.unroll !== 1) {
    throw new ValueError("Can only use `unroll` in `fori_loop` if the loop bounds are statically known.");
  }
  const lw = la.dtype === dtype ? lower : convertElementType(lower, dtype);
  const up = ua.dtype === dtype ? upper : convertElementType(upper, dtype);
  const [, , result] = whileLoop(
    ([i, u]: [Value, Value, T]) => lt(i, u),
    ([i, u, x]: [Value, Value, T]): [Value, Value, T] => [add(i, new TypedScalar(1, getAval(i).dtype, false)), u, bodyFun(i, x)],
    [lw, up, initVal] as [Value, Value, T],
  );
  return result;
}

/** The leading `n * size` rows of `x` as `[n, size, ...]`, and the rest. */
function batchAndRemainder(x: Value, batchSize: number): [Value | null, Value | null] {
  const s = getAval(x).shape;
  const n = batchSize === 0 ? 0 : Math.floor(s[0] / batchSize);
  const used = n * batchSize;
  const main = n ? reshape(sliceInDim(x, 0, used, 1, 0), [n, batchSize, ...s.slice(1)]) : null;
  const rest = used < s[0] ? sliceInDim(x, used, s[0], 1, 0) : null;
  return [main, rest];
}

/**
 * `lax.map(f, xs)`: `f` applied to each slice of the leading axis of `xs` (any pytree), results
 * stacked; traced once (a scan). With `batchSize`, slices run `batchSize` at a time under vmap.
 */
export function map<X, Y>(f: (x: X) => Y, xs: X, opts: { batchSize?: number | null } = {}): Y {
  const bs = opts.batchSize;
  if (bs === null || bs === undefined) return scan((c: null, x: X) => [c, f(x)], null, xs)[1] as Y;
  const [leaves, tree] = treeFlatten(xs);
  if (!leaves.length) return scan((c: null, x: X) => [c, f(x)], null, xs)[1] as Y;
  const parts = leaves.map((x) => batchAndRemainder(x as Value, bs));
  const mainXs = parts[0][0] === null ? null : treeUnflatten(tree, parts.map(([m]) => m)) as X;
  const restXs = parts[0][1] === null ? null : treeUnflatten(tree, parts.map(([, r]) => r)) as X;
  const vf = vmap(f);
  const flat = (y: unknown) => {
    const s = getAval(y as Value).shape;
    return reshape(y as Value, [s[0] * s[1], ...s.slice(2)]);
  };
  const mainYs = mainXs === null ? null : treeMap(flat, scan((c: null, x: X) => [c, vf(x)], null, mainXs)[1]);
  if (restXs === null) return mainYs as Y;
  const restYs = vf(restXs);
  if (mainYs === null) return restYs;
  return treeMap((a, b) => concatenate([a as Value, b as Value], 0), mainYs, restYs) as Y;
}

/** Interleaves `a` and `b` along `axis` (a first), by padding both with zeros and adding. */
function interleave(a: Value, b: Value, axis: number): Value {
  const [sa, sb] = [getAval(a).shape, getAval(b).shape];
  const same = sa[axis] === sb[axis];
  const aPad = sa.map((): [number, number, number] => [0, 0, 0]);
  const bPad = sb.map((): [number, number, number] => [0, 0, 0]);
  aPad[axis] = [0, same ? 1 : 0, 1];
  bPad[axis] = [1, same ? 0 : 1, 1];
  const zero = new TypedScalar(0, getAval(a).dtype, false);
  const pa = pad(a, zero, aPad);
  const pb = pad(b, zero, bPad);
  return isBool(getAval(a).dtype) ? bitwiseOr(pa, pb) : add(pa, pb);
}

/**
 * `lax.associative_scan(fn, elems, { reverse, axis })`: all prefix combinations
 * `[a, fn(a, b), fn(fn(a, b), c), …]` along `axis` for an associative `fn` (which must act
 * elementwise over that axis), in O(log n) rounds of whole-array work.
 */
export function associativeScan<T>(fn: (a: T, b: T) => T, elems: T, opts: { reverse?: boolean; axis?: number } = {}): T {
  if (typeof fn !== "function") throw new TypeError("lax.associative_scan: fn argument should be callable.");
  const [leaves, tree] = treeFlatten(elems);
  let flat = leaves as Value[];
  const axis = canonicalAxis(opts.axis ?? 0, getAval(flat[0]).ndim);
  if (opts.reverse) flat = flat.map((e) => rev(e, [axis]));
  const n = getAval(flat[0]).shape[axis];
  if (!flat.every((e) => getAval(e).shape[axis] === n)) {
    throw new ValueError(`Array inputs to associative_scan must have the same first dimension. (saw: [${flat.map((e) => shapeStr(getAval(e).shape)).join(", ")}])`);
  }
  const combine = (a: Value[], b: Value[]): Value[] => treeFlatten(fn(treeUnflatten(tree, a) as T, treeUnflatten(tree, b) as T))[0] as Value[];
  const slice = (e: Value, start: number, limit: number | null, stride = 1) => sliceInDim(e, start, limit, stride, axis);
  const go = (es: Value[]): Value[] => {
    const m = getAval(es[0]).shape[axis];
    if (m < 2) return es;
    const reduced = combine(es.map((e) => slice(e, 0, m - 1, 2)), es.map((e) => slice(e, 1, null, 2)));
    const odd = go(reduced);
    const evenTail = m % 2 === 0
      ? combine(odd.map((e) => slice(e, 0, getAval(e).shape[axis] - 1)), es.map((e) => slice(e, 2, null, 2)))
      : combine(odd, es.map((e) => slice(e, 2, null, 2)));
    const even = es.map((e, i) => concatenate([slice(e, 0, 1), evenTail[i]], axis));
    return even.map((e, i) => interleave(e, odd[i], axis));
  };
  let out = go(flat);
  if (opts.reverse) out = out.map((e) => rev(e, [axis]));
  return treeUnflatten(tree, out) as T;
}
