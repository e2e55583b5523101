/**
 * @file Products over lax.dot_general (jax/_src/numpy/tensor_contractions.py): dot, vdot, inner,
 * outer, matmul (batch dims broadcast), tensordot, einsum (pairwise contractions), kron, cross,
 * trace. Operands are promoted first; dot_general gets the result dtype as its
 * preferred_element_type, as JAX's jaxprs show.
 */

import { type Value, JaxValue, getAval } from "../ir/core.js";
import { shapeStr, broadcastShapes } from "../ir/shape.js";
import { type ArrayLike, J, asarray, broadcastTo, promoteDtypes, canonicalizeAxis, typedScalar } from "./coerce.js";
import { multiply, subtract } from "./elementwise.js";
import { sum } from "./reductions.js";
import { diagonal } from "./creation.js";
import { moveaxis, ravel, reshape, expandDims } from "./shape.js";
import { ValueError } from "../lax/errors.js";
import * as P from "./prims.js";

const range = (n: number, from = 0): number[] => [...globalThis.Array(n).keys()].map((i) => i + from);

function dg(a: Value, b: Value, contract: [number[], number[]], batch: [number[], number[]] = [[], []]): Value {
  return P.dotGeneral(a, b, [contract, batch], { preferredElementType: getAval(a).dtype });
}

/** `jnp.matmul(a, b)` (and `@`): matrix products over broadcast batch dimensions; 1-D operands are vectors. */
export function matmul(x: ArrayLike, y: ArrayLike): JaxValue {
  const [a0, b0] = promoteDtypes(x, y).map((v) => J(v));
  if (a0.ndim === 0 || b0.ndim === 0) throw new ValueError(`matmul: inputs must be at least 1-dimensional, got shapes ${shapeStr(a0.shape)} and ${shapeStr(b0.shape)}`);
  const aVec = a0.ndim === 1, bVec = b0.ndim === 1;
  const a = aVec ? reshape(a0, [1, a0.shape[0]]) : a0;
  const b = bVec ? reshape(b0, [b0.shape[0], 1]) : b0;
  const k = a.shape[a.ndim - 1];
  if (b.shape[b.ndim - 2] !== k) {
    throw new TypeError(`dot_general requires contracting dimensions to have the same shape, got (${k},) and (${b.shape[b.ndim - 2]},).`);
  }
  let batch: number[];
  try {
    batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw new ValueError(`matmul: incompatible batch shapes ${shapeStr(a0.shape)} and ${shapeStr(b0.shape)}`);
  }
  const nb = batch.length;
  const ab = broadcastTo(a, [...batch, ...a.shape.slice(-2)]);
  const bb = broadcastTo(b, [...batch, ...b.shape.slice(-2)]);
  let out = dg(ab, bb, [[nb + 1], [nb]], [range(nb), range(nb)]);
  const s = getAval(out).shape;
  if (aVec && bVec) out = P.reshape(out, s.slice(0, -2));
  else if (aVec) out = P.reshape(out, [...s.slice(0, -2), s[s.length - 1]]);
  else if (bVec) out = P.reshape(out, s.slice(0, -1));
  return J(out);
}

/** `jnp.dot(a, b)`: scalars multiply; otherwise a's last axis with b's second-to-last (or only) axis. */
export function dot(x: ArrayLike, y: ArrayLike): JaxValue {
  const [a, b] = promoteDtypes(x, y).map((v) => J(v));
  if (a.ndim === 0 || b.ndim === 0) return multiply(a, b);
  const bAxis = b.ndim === 1 ? 0 : b.ndim - 2;
  if (a.shape[a.ndim - 1] !== b.shape[bAxis]) {
    throw new TypeError(`dot_general requires contracting dimensions to have the same shape, got (${a.shape[a.ndim - 1]},) and (${b.shape[bAxis]},).`);
  }
  return J(dg(a, b, [[a.ndim - 1], [bAxis]]));
}

export const vdot = (x: ArrayLike, y: ArrayLike): JaxValue => dot(ravel(x), ravel(y));

/** `jnp.inner(a, b)`: contraction of both last axes. */
export function inner(x: ArrayLike, y: ArrayLike): JaxValue {
  const [a, b] = promoteDtypes(x, y).map((v) => J(v));
  if (a.ndim === 0 || b.ndim === 0) return multiply(a, b);
  if (a.shape[a.ndim - 1] !== b.shape[b.ndim - 1]) {
    throw new TypeError(`dot_general requires contracting dimensions to have the same shape, got (${a.shape[a.ndim - 1]},) and (${b.shape[b.ndim - 1]},).`);
  }
  return J(dg(a, b, [[a.ndim - 1], [b.ndim - 1]]));
}

/** `jnp.outer(a, b)`: ravel(a)[:, None] * ravel(b)[None, :]. */
export function outer(x: ArrayLike, y: ArrayLike): JaxValue {
  const a = ravel(x), b = ravel(y);
  return multiply(reshape(a, [a.size, 1]), reshape(b, [1, b.size]));
}

/** `jnp.tensordot(a, b, axes=2)`: axes as a count, or a pair of axis lists. */
export function tensordot(x: ArrayLike, y: ArrayLike, opts: { axes?: number | readonly [number | readonly number[], number | readonly number[]] } = {}): JaxValue {
  const [a, b] = promoteDtypes(x, y).map((v) => J(v));
  const axes = opts.axes ?? 2;
  let ca: number[], cb: number[];
  if (typeof axes === "number") {
    if (axes < 0 || axes > Math.min(a.ndim, b.ndim)) throw new ValueError(`tensordot: axes=${axes} out of range for shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
    ca = range(axes, a.ndim - axes);
    cb = range(axes);
  } else {
    const l = (v: number | readonly number[]): number[] => (typeof v === "number" ? [v] : [...v]);
    ca = l(axes[0]).map((i) => canonicalizeAxis(i, a.ndim));
    cb = l(axes[1]).map((i) => canonicalizeAxis(i, b.ndim));
    if (ca.length !== cb.length) throw new TypeError(`tensordot requires axes lists to have equal length, got ${JSON.stringify(axes)}.`);
  }
  ca.forEach((i, k) => {
    if (a.shape[i] !== b.shape[cb[k]]) throw new TypeError(`tensordot: shape mismatch on contracted axes ${i} of ${shapeStr(a.shape)} and ${cb[k]} of ${shapeStr(b.shape)}`);
  });
  return J(dg(a, b, [ca, cb]));
}

/**
 * `jnp.einsum(subscripts, *operands)`: letters repeated across operands contract, letters absent
 * from the output are summed; contractions go left to right, each one dot_general.
 */
export function einsum(subscripts: string, operands: readonly ArrayLike[]): JaxValue {
  const spec = subscripts.replace(/\s/g, "");
  const [lhs, rhsGiven] = spec.split("->");
  const rawIns = lhs.split(",");
  if (rawIns.length !== operands.length) throw new ValueError(`einsum: ${rawIns.length} operand subscripts for ${operands.length} operands`);
  const vals0 = promoteDtypes(...operands).map((v) => J(v));
  // "..." stands for the leading axes not named, broadcast across operands: spelled with capitals.
  const ell = Math.max(0, ...rawIns.map((s, k) => (s.includes("...") ? vals0[k].ndim - (s.length - 3) : 0)));
  const ellLetters = range(ell).map((i) => String.fromCharCode(65 + i)).join("");
  const ins = rawIns.map((s, k) => (s.includes("...") ? s.replace("...", ellLetters.slice(ell - (vals0[k].ndim - (s.length - 3)))) : s));
  const counts = new Map<string, number>();
  for (const s of ins) for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  const implicit = ellLetters + [...counts.keys()].filter((c) => counts.get(c) === 1 && !ellLetters.includes(c)).sort().join("");
  const out = rhsGiven === undefined ? implicit : rhsGiven.replace("...", ellLetters);
  // A letter repeated within one operand takes that operand's diagonal first.
  ins.forEach((s, k) => {
    let t = s;
    for (;;) {
      const c = [...t].find((ch, i) => t.indexOf(ch) !== i);
      if (c === undefined) break;
      const i = t.indexOf(c), j = t.indexOf(c, i + 1);
      vals0[k] = diagonal(vals0[k], { axis1: i, axis2: j });
      t = [...t].filter((_, q) => q !== i && q !== j).join("") + c;
    }
    ins[k] = t;
  });
  let vals = vals0;
  const sizes = new Map<string, number>();
  ins.forEach((s, k) => {
    if (s.length !== vals[k].ndim) throw new ValueError(`einsum: subscript '${s}' does not match operand of shape ${shapeStr(vals[k].shape)}`);
    [...s].forEach((c, i) => {
      const n = vals[k].shape[i];
      const m = sizes.get(c);
      if (m !== undefined && m !== n && m !== 1 && n !== 1) throw new ValueError(`einsum: size of label '${c}' is ${m} in one operand and ${n} in another`);
      sizes.set(c, Math.max(m ?? n, n));
    });
  });
  const terms = ins.map((s) => s);
  // Letters that appear in one operand only and not in the output are summed first.
  const needed = (k: number, c: string): boolean => out.includes(c) || terms.some((t, j) => j !== k && t.includes(c));
  vals = vals.map((v, k) => {
    const drop = [...terms[k]].map((c, i) => (needed(k, c) ? -1 : i)).filter((i) => i >= 0);
    if (!drop.length) return v;
    terms[k] = [...terms[k]].filter((_, i) => !drop.includes(i)).join("");
    return sum(v, { axis: drop });
  });
  let acc = vals[0], accT = terms[0];
  for (let k = 1; k < vals.length; k++) {
    const b = vals[k], bT = terms[k];
    const later = terms.slice(k + 1).join("") + out;
    const shared = [...accT].filter((c) => bT.includes(c));
    const batch = shared.filter((c) => later.includes(c));
    const contract = shared.filter((c) => !later.includes(c));
    const aFree = [...accT].filter((c) => !bT.includes(c));
    const bFree = [...bT].filter((c) => !accT.includes(c));
    const fit = (v: JaxValue, t: string): JaxValue => J(broadcastTo(v, [...t].map((c) => sizes.get(c)!)));
    const r = dg(fit(acc, accT), fit(b, bT), [contract.map((c) => accT.indexOf(c)), contract.map((c) => bT.indexOf(c))],
      [batch.map((c) => accT.indexOf(c)), batch.map((c) => bT.indexOf(c))]);
    acc = J(r);
    accT = [...batch, ...aFree, ...bFree].join("");
    const drop = [...accT].map((c, i) => (later.includes(c) ? -1 : i)).filter((i) => i >= 0);
    if (drop.length) {
      acc = sum(acc, { axis: drop });
      accT = [...accT].filter((_, i) => !drop.includes(i)).join("");
    }
  }
  for (const c of out) if (!accT.includes(c)) throw new ValueError(`einsum: output subscript '${c}' does not appear in the inputs`);
  const perm = [...out].map((c) => accT.indexOf(c));
  return perm.every((p, i) => p === i) ? acc : J(P.transpose(acc, perm));
}

/** `jnp.kron(a, b)`: the Kronecker product (interleaved broadcast, then reshape). */
export function kron(x: ArrayLike, y: ArrayLike): JaxValue {
  let [a, b] = promoteDtypes(x, y).map((v) => J(v));
  const nd = Math.max(a.ndim, b.ndim);
  a = reshape(a, [...globalThis.Array<number>(nd - a.ndim).fill(1), ...a.shape]);
  b = reshape(b, [...globalThis.Array<number>(nd - b.ndim).fill(1), ...b.shape]);
  const ae = expandDims(a, range(nd).map((i) => 2 * i + 1));
  const be = expandDims(b, range(nd).map((i) => 2 * i));
  return reshape(multiply(ae, be), a.shape.map((d, i) => d * b.shape[i]));
}

/** `jnp.cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None)` for 2- and 3-vectors. */
export function cross(x: ArrayLike, y: ArrayLike, opts: { axisa?: number; axisb?: number; axisc?: number; axis?: number | null } = {}): JaxValue {
  const axisa = opts.axis ?? opts.axisa ?? -1, axisb = opts.axis ?? opts.axisb ?? -1, axisc = opts.axis ?? opts.axisc ?? -1;
  const [a0, b0] = promoteDtypes(x, y).map((v) => J(v));
  const a = moveaxis(a0, axisa, -1), b = moveaxis(b0, axisb, -1);
  const na = a.shape[a.ndim - 1], nb = b.shape[b.ndim - 1];
  if (![2, 3].includes(na) || ![2, 3].includes(nb)) throw new ValueError("Dimension must be either 2 or 3 for cross product");
  const comp = (v: JaxValue, i: number, n: number): JaxValue => (i < n ? J(P.squeeze(P.slice(v, [...v.shape.slice(0, -1).map(() => 0), i], [...v.shape.slice(0, -1), i + 1], null), [v.ndim - 1])) : J(P.broadcastInDim(typedScalar(0, v.dtype, v.weakType), v.shape.slice(0, -1), [])));
  const [a1, a2, a3] = [0, 1, 2].map((i) => comp(a, i, na));
  const [b1, b2, b3] = [0, 1, 2].map((i) => comp(b, i, nb));
  const z = subtract(multiply(a1, b2), multiply(a2, b1));
  if (na === 2 && nb === 2) return z;
  const xs = subtract(multiply(a2, b3), multiply(a3, b2));
  const ys = subtract(multiply(a3, b1), multiply(a1, b3));
  const parts = [xs, ys, z].map((p) => expandDims(p, -1));
  const bshape = broadcastShapes(...parts.map((p) => p.shape));
  const c = J(P.concatenate(parts.map((p) => broadcastTo(p, bshape)), bshape.length - 1));
  return moveaxis(c, -1, axisc);
}

/** `jnp.trace(a, offset=0, axis1=0, axis2=1, dtype=None)`: the sum of a diagonal. */
export function trace(x: ArrayLike, opts: { offset?: number; axis1?: number; axis2?: number; dtype?: string | null } = {}): JaxValue {
  const d = diagonal(asarray(x), { offset: opts.offset, axis1: opts.axis1, axis2: opts.axis2 });
  return sum(d, { axis: -1, dtype: opts.dtype });
}
