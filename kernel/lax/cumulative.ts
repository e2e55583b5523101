/**
 * @file Cumulative reductions: cumsum, cumprod, cummax, cummin, cumlogsumexp (with `reverse`).
 * Computed by host code in one sequential pass per line (O(n), rounding to the dtype after each
 * step). cumsum is linear (its transpose is the reversed cumsum); the others differentiate, as in
 * JAX, through a parallel prefix scan of (value, tangent) pairs.
 */

import { type Value, TypedScalar, bind1, definePrimitive, getAval } from "../ir/core.js";
import { type DType, isBool, isFloat } from "../ir/dtype.js";
import { type JvpRule, UndefinedPrimal, Zero } from "../ir/rules.js";
import { linearJvp, tangentAval } from "./helpers.js";
import { broadcastInDim, rev } from "./structural.js";
import { concatenate, pad, sliceInDim } from "./slicing.js";
import { forEachLine, multiplier, nanMax, nanMin, readHost, rounder, writeHost } from "./host.js";
import { ValueError } from "./errors.js";
import { shardAlong } from "./shard.js";

/** The sequential step of each cumulative op on JS numbers, already rounded to `dtype`. */
const STEP: Record<string, (d: DType) => (acc: number, x: number) => number> = {
  cumsum: (d) => {
    const r = rounder(d);
    return (a, x) => r(a + x);
  },
  cumprod: multiplier,
  cummax: (d) => (isFloat(d) ? nanMax : Math.max),
  cummin: (d) => (isFloat(d) ? nanMin : Math.min),
  cumlogsumexp: (d) => {
    const r = rounder(d);
    return (a, x) => r(logaddexp(a, x));
  },
};

/** log(e^a + e^b) without overflow; equal infinities give themselves. */
function logaddexp(a: number, b: number): number {
  const m = Math.max(a, b);
  const delta = a - b;
  if (Number.isNaN(delta)) return a + b;
  return m + Math.log1p(Math.exp(-Math.abs(delta)));
}

// ---- the associative scan of (value, tangent) pairs used by the JVP rules -------------------------

type Pair = [Value, Value];
type Combine = (a: Pair, b: Pair) => Pair;

const mul = (a: Value, b: Value) => bind1("mul", [a, b]);
const add = (a: Value, b: Value) => bind1("add", [a, b]);
const select = (c: Value, onTrue: Value, onFalse: Value) => bind1("select_n", [c, onFalse, onTrue]);
const full = (like: Value, v: number) => broadcastInDim(new TypedScalar(v, getAval(like).dtype, false), getAval(like).shape, []);

/** Interleaves a and b along `axis` (a first): JAX's _interleave, by interior padding. */
function interleave(a: Value, b: Value, axis: number): Value {
  const na = getAval(a).shape[axis], nb = getAval(b).shape[axis];
  const cfg = (c: [number, number, number]) => getAval(a).shape.map((_, i) => (i === axis ? c : [0, 0, 0] as [number, number, number]));
  const pa = pad(a, 0, cfg([0, na === nb ? 1 : 0, 1]));
  const pb = pad(b, 0, cfg([1, na === nb ? 0 : 1, 1]));
  return bind1(isBool(getAval(a).dtype) ? "or" : "add", [pa, pb]);
}

/**
 * JAX's associative_scan on pairs: combine adjacent pairs, scan the half-size result recursively
 * (the odd positions), then combine back for the even ones; O(n log n) work in log n levels.
 */
function scanPairs(combine: Combine, elems: Pair, axis: number, reverse: boolean): Pair {
  const map2 = (p: Pair, f: (v: Value) => Value): Pair => [f(p[0]), f(p[1])];
  const scan = (es: Pair): Pair => {
    const n = getAval(es[0]).shape[axis];
    if (n < 2) return es;
    const reduced = combine(map2(es, (e) => sliceInDim(e, 0, n - 1, 2, axis)), map2(es, (e) => sliceInDim(e, 1, null, 2, axis)));
    const odd = scan(reduced);
    const rest = map2(es, (e) => sliceInDim(e, 2, null, 2, axis));
    const evenTail = combine(n % 2 === 0 ? map2(odd, (e) => sliceInDim(e, 0, getAval(e).shape[axis] - 1, 1, axis)) : odd, rest);
    const even: Pair = [0, 1].map((k) => concatenate([sliceInDim(es[k], 0, 1, 1, axis), evenTail[k]], axis)) as Pair;
    return [interleave(even[0], odd[0], axis), interleave(even[1], odd[1], axis)];
  };
  const flip = (p: Pair): Pair => (reverse ? map2(p, (e) => rev(e, [axis])) : p);
  return flip(scan(flip(elems)));
}

// d(a·b) = da·b + a·db
const mulPair: Combine = ([a, da], [b, db]) => [mul(a, b), add(mul(da, b), mul(a, db))];

/** d max(a, b) = da·[a = m]·(½ if a = b) + db·[b = m]·(½ if a = b): JAX's balanced tie rule. */
const chooserPair = (op: "max" | "min"): Combine => ([a, da], [b, db]) => {
  const m = bind1(op, [a, b]);
  const balanced = (x: Value, y: Value) => select(bind1("eq", [x, m]), select(bind1("eq", [y, m]), full(x, 0.5), full(x, 1)), full(x, 0));
  return [m, add(mul(da, balanced(a, b)), mul(db, balanced(b, a)))];
};

/** d logaddexp(a, b) = da·e^(a−m) + db·e^(b−m), m = logaddexp(a, b), infinities replaced by 0 (JAX's rule). */
const logaddexpPair: Combine = ([a, da], [b, db]) => {
  const amax = bind1("max", [a, b]);
  const delta = bind1("sub", [a, b]);
  const isnan = bind1("ne", [delta, delta]);
  const m = select(isnan, add(a, b), add(amax, bind1("log1p", [bind1("exp", [bind1("neg", [bind1("abs", [delta])])])])));
  const finite = (v: Value) => select(bind1("is_finite", [v]), v, full(v, 0));
  const w = (v: Value) => bind1("exp", [bind1("sub", [finite(v), finite(m)])]);
  return [m, add(mul(da, w(a)), mul(db, w(b)))];
};

const scanJvp = (prim: string, combine: Combine): JvpRule => ([x], [t], p) => {
  if (t instanceof Zero) {
    const out = bind1(prim, [x], p);
    return [[out], [new Zero(tangentAval(getAval(out)))]];
  }
  const [y, dy] = scanPairs(combine, [x, t], p.axis as number, p.reverse as boolean);
  return [[y], [dy]];
};

// ---- the primitives ---------------------------------------------------------------------------------

function defineCumulative(name: string, jvp: JvpRule, transpose: Parameters<typeof definePrimitive>[1]["transpose"], floatOnly = false): (x: Value, axis?: number, reverse?: boolean) => Value {
  const step = STEP[name];
  definePrimitive(name, {
    abstractEval: ([x], p) => {
      const axis = p.axis as number;
      if (axis < 0) throw new ValueError("XLA operations do not allow negative axes");
      if (axis >= x.ndim) throw new ValueError(`axis ${axis} is out of bounds for array of shape ${x.shape.length === 1 ? `(${x.shape[0]},)` : `(${x.shape.join(", ")})`}`);
      if (isBool(x.dtype) || (floatOnly && !isFloat(x.dtype))) {
        throw new TypeError(`${name} does not accept dtype ${x.dtype}. Accepted dtypes are subtypes of ${floatOnly ? "floating" : "number"}.`);
      }
      return [x];
    },
    jvp,
    transpose,
    batch: ([x], [d], p) => {
      const axis = p.axis as number;
      return [[bind1(name, [x], { ...p, axis: axis < (d as number) ? axis : axis + 1 })], [d]];
    },
    shard: shardAlong((p) => [p.axis as number]),
    lower: {
      kind: "host",
      run: ([x], p, [out]) => {
        const v = readHost(x);
        const f = step(x.dtype);
        forEachLine(x.shape, p.axis as number, (base, stride, n) => {
          const first = p.reverse ? base + (n - 1) * stride : base;
          const s = p.reverse ? -stride : stride;
          let acc = v[first];
          for (let i = 1; i < n; i++) {
            const j = first + i * s;
            acc = f(acc, v[j]);
            v[j] = acc;
          }
        });
        return [{ data: writeHost(v, x.dtype), shape: out.shape, dtype: x.dtype }];
      },
    },
  });
  return (x, axis = 0, reverse = false) => bind1(name, [x], { axis, reverse });
}

/** `lax.cumsum`. */
export const cumsum = defineCumulative("cumsum", linearJvp("cumsum"), ([ct], [x], p) => {
  const aval = (x as UndefinedPrimal).aval;
  // The transpose of a prefix sum is the suffix sum.
  return [ct instanceof Zero ? new Zero(aval) : bind1("cumsum", [ct], { ...p, reverse: !p.reverse })];
});
/** `lax.cumprod`. */
export const cumprod = defineCumulative("cumprod", scanJvp("cumprod", mulPair), null);
/** `lax.cummax`. */
export const cummax = defineCumulative("cummax", scanJvp("cummax", chooserPair("max")), null);
/** `lax.cummin`. */
export const cummin = defineCumulative("cummin", scanJvp("cummin", chooserPair("min")), null);
/** `lax.cumlogsumexp`. */
export const cumlogsumexp = defineCumulative("cumlogsumexp", scanJvp("cumlogsumexp", logaddexpPair), null, true);
