/**
 * @file `jnp.linalg` (jax/_src/numpy/linalg.py) over lax.linalg: cholesky, lu (→ det, slogdet,
 * solve, inv), qr, eigh, svd (→ pinv, lstsq, matrix norms), triangular_solve; plus norm and
 * matrix_power. Stacks of matrices
 * (leading batch axes) are accepted wherever NumPy accepts them.
 */

import { type Value, JaxValue, getAval } from "../ir/core.js";
import * as lax from "../lax/index.js";
import { defaultInt, finfo, toInexact } from "../ir/dtype.js";
import { type ArrayLike, J, asarray, convert, reductionAxes, typedScalar, promoteArgsInexact, promoteDtypesInexact, optNum } from "./coerce.js";
import { sum, max, min, prod } from "./reductions.js";
import { matmul } from "./products.js";
import { diagonal, eye } from "./creation.js";
import { swapaxes, reshape, expandDims } from "./shape.js";
import { abs as absE, sqrt as sqrtE, log as logE, sign as signE, power } from "./elementwise.js";
import { take } from "./indexing.js";
import { ValueError } from "../lax/errors.js";
import * as P from "./prims.js";

/** Python's numpy.linalg.LinAlgError. */
export class LinAlgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LinAlgError";
  }
}

/** The operand as an inexact array of at least two dims whose last two are square (when asked). */
function matrixArg(name: string, x: ArrayLike, square = true): JaxValue {
  const a = J(promoteArgsInexact(name, x)[0]);
  if (a.ndim < 2) throw new LinAlgError(`${a.ndim}-dimensional array given. Array must be at least two-dimensional`);
  if (square && a.shape[a.ndim - 1] !== a.shape[a.ndim - 2]) throw new LinAlgError("Last 2 dimensions of the array must be square");
  return a;
}

const mT = (x: JaxValue): JaxValue => swapaxes(x, -1, -2);
const lit = (x: Value, v: number): Value => typedScalar(v, getAval(x).dtype, true);
const fullLike = (x: Value, v: number): Value => P.broadcastInDim(lit(x, v), getAval(x).shape, []);

// ---- the lax.linalg functions, as JaxValues ---------------------------------------------------------

const laxCholesky = (a: JaxValue): JaxValue => J(lax.cholesky(a));
/** Packed LU factors, pivots and the row permutation. */
const laxLu = (a: JaxValue): [JaxValue, JaxValue, JaxValue] => lax.lu(a).map(J) as [JaxValue, JaxValue, JaxValue];
const laxQr = (a: JaxValue, fullMatrices: boolean): [JaxValue, JaxValue] => lax.qr(a, { fullMatrices }).map(J) as [JaxValue, JaxValue];
/** Eigenvectors (columns) and ascending eigenvalues of the symmetrized input. */
const laxEigh = (a: JaxValue, lower: boolean): [JaxValue, JaxValue] => lax.eigh(a, { lower }).map(J) as [JaxValue, JaxValue];
/** (u, s, vh), or [s] alone. */
const laxSvd = (a: JaxValue, fullMatrices: boolean, computeUv: boolean): JaxValue[] => lax.svd(a, { fullMatrices, computeUv }).map(J);
const triangularSolve = (a: JaxValue, b: JaxValue, o: { lower: boolean; unitDiagonal: boolean }): JaxValue =>
  J(lax.triangularSolve(a, b, { leftSide: true, lower: o.lower, unitDiagonal: o.unitDiagonal }));

// ---- jnp.linalg --------------------------------------------------------------------------------------

export const cholesky = (a: ArrayLike): JaxValue => laxCholesky(matrixArg("cholesky", a));

/** det(a) = ±∏ diag(U) from the LU factorization, the sign from the pivots' parity. */
export function det(x: ArrayLike): JaxValue {
  const a = matrixArg("det", x);
  const [s, logabs] = slogdet(a);
  return J(P.mul(s, P.exp(logabs)));
}

/** Sign of the row permutation: (-1)^(number of pivots that moved a row). */
function pivotSign(pivots: JaxValue, dtype: string): Value {
  const n = pivots.shape[pivots.ndim - 1];
  const moved = P.ne(pivots, P.broadcastInDim(P.iota(pivots.dtype, [n], 0), pivots.shape, [pivots.ndim - 1]));
  const count = sum(moved, { axis: -1, dtype: defaultInt() });
  const odd = P.eq(P.rem(count, typedScalar(2, defaultInt(), true)), typedScalar(1, defaultInt(), true));
  const one = P.broadcastInDim(typedScalar(1, dtype as never, false), count.shape, []);
  return P.select(odd, P.neg(one), one);
}

/** slogdet(a) = (sign, log|det|). */
export function slogdet(x: ArrayLike): [JaxValue, JaxValue] {
  const a = matrixArg("slogdet", x);
  if (a.shape[a.ndim - 1] === 0) {
    const bs = a.shape.slice(0, -2);
    return [J(P.broadcastInDim(typedScalar(1, a.dtype, false), bs, [])), J(P.broadcastInDim(typedScalar(0, a.dtype, false), bs, []))];
  }
  const [lu, pivots] = laxLu(a);
  const d = diagonal(lu, { axis1: -2, axis2: -1 });
  const isZero = P.eq(d, lit(d, 0));
  const anyZero = max(isZero, { axis: -1 });
  const sign = P.mul(pivotSign(pivots, a.dtype), prod(signE(d), { axis: -1 }));
  const logabs = sum(logE(absE(d)), { axis: -1 });
  return [J(P.select(anyZero, fullLike(sign, 0), sign)), J(P.select(anyZero, fullLike(logabs, -Infinity), logabs))];
}

/** solve(a, b): LU with partial pivoting, then two triangular solves. b is (..., M) or (..., M, K). */
export function solve(x: ArrayLike, y: ArrayLike): JaxValue {
  const [a0, b0] = promoteDtypesInexact(x, y).map(J);
  const a = matrixArg("solve", a0);
  const vec = b0.ndim === 1 || (b0.ndim === a.ndim - 1 && b0.shape.every((d, i) => d === a.shape[i]));
  let b = vec ? expandDims(b0, -1) : b0;
  if (b.shape[b.ndim - 2] !== a.shape[a.ndim - 1]) {
    throw new ValueError(`solve: a has shape ${JSON.stringify(a.shape)} and b has shape ${JSON.stringify(b0.shape)}; incompatible`);
  }
  const batch = a.shape.slice(0, -2);
  b = J(P.broadcastInDim(b, [...batch, ...b.shape.slice(-2)], b.shape.map((_, i) => batch.length - (b.ndim - 2) + i)));
  const [lu, , perm] = laxLu(a);
  const pb = batch.length ? batchedRows(b, perm) : take(b, perm, { axis: 0, mode: "clip" });
  const z = triangularSolve(lu, pb, { lower: true, unitDiagonal: true });
  const out = triangularSolve(lu, z, { lower: false, unitDiagonal: false });
  return vec ? J(P.squeeze(out, [out.ndim - 1])) : out;
}

/** Rows of each matrix in a batch permuted by that batch entry's permutation (one-hot product). */
function batchedRows(b: JaxValue, perm: JaxValue): JaxValue {
  const n = perm.shape[perm.ndim - 1];
  const oneHot = P.eq(P.broadcastInDim(perm, [...perm.shape, n], perm.shape.map((_, i) => i)), P.iota(perm.dtype, [...perm.shape, n], perm.ndim));
  return matmul(J(convert(oneHot, b.dtype, false)), b);
}

export function inv(x: ArrayLike): JaxValue {
  const a = matrixArg("inv", x);
  const n = a.shape[a.ndim - 1];
  const I = J(P.broadcastInDim(eye(n, { dtype: a.dtype }), a.shape, [a.ndim - 2, a.ndim - 1]));
  return solve(a, I);
}

/** qr(a, mode='reduced'): (q, r); 'complete' gives the full q; 'r' only r. */
export function qr(x: ArrayLike, opts: { mode?: "reduced" | "complete" | "r" } = {}): JaxValue | [JaxValue, JaxValue] {
  const a = matrixArg("qr", x, false);
  const mode = opts.mode ?? "reduced";
  if (!["reduced", "complete", "r"].includes(mode)) throw new ValueError(`Unsupported QR decomposition mode '${mode}'`);
  const [q, r] = laxQr(a, mode === "complete");
  return mode === "r" ? r : [q, r];
}

/** eigh(a, UPLO='L'): ascending eigenvalues w and eigenvectors v (columns), as (w, v). */
export function eigh(x: ArrayLike, opts: { UPLO?: "L" | "U"; symmetrize_input?: boolean } = {}): [JaxValue, JaxValue] {
  const a = matrixArg("eigh", x);
  const uplo = opts.UPLO ?? "L";
  if (uplo !== "L" && uplo !== "U") throw new ValueError(`UPLO must be 'L' or 'U', got ${String(uplo)}`);
  const [v, w] = laxEigh(a, uplo === "L");
  return [w, v];
}

export function eigvalsh(x: ArrayLike, opts: { UPLO?: "L" | "U" } = {}): JaxValue {
  return eigh(x, opts)[0];
}

/** svd(a, full_matrices=True, compute_uv=True): (u, s, vh), or s alone. */
export function svd(x: ArrayLike, opts: { full_matrices?: boolean; compute_uv?: boolean; hermitian?: boolean } = {}): JaxValue | [JaxValue, JaxValue, JaxValue] {
  const a = matrixArg("svd", x, false);
  const computeUv = opts.compute_uv ?? true;
  const outs = laxSvd(a, opts.full_matrices ?? true, computeUv);
  return computeUv ? (outs as [JaxValue, JaxValue, JaxValue]) : outs[0];
}

/** The default cutoff for small singular values: 10·max(M, N)·eps. */
const defaultRcond = (a: JaxValue): number => 10 * Math.max(a.shape[a.ndim - 1], a.shape[a.ndim - 2]) * finfo(a.dtype).eps;

/** pinv(a, rtol): V·diag(1/s)·Uᵀ over singular values above the cutoff. */
export function pinv(x: ArrayLike, opts: { rtol?: number | null; rcond?: number | null } = {}): JaxValue {
  const a = matrixArg("pinv", x, false);
  const [u, s, vh] = svd(a, { full_matrices: false }) as [JaxValue, JaxValue, JaxValue];
  const rc = Number(optNum(opts.rtol ?? opts.rcond ?? defaultRcond(a)));
  const cutoff = P.mul(expandDims(max(s, { axis: -1, initial: -Infinity }), -1), lit(s, rc));
  const big = P.gt(s, P.broadcastInDim(cutoff, s.shape, s.shape.map((_, i) => i)));
  const sInv = P.select(big, P.div(fullLike(s, 1), P.select(big, s, fullLike(s, 1))), fullLike(s, 0));
  const scaled = P.mul(mT(vh), P.broadcastInDim(sInv, [...s.shape.slice(0, -1), vh.shape[vh.ndim - 1], s.shape[s.ndim - 1]], [...s.shape.slice(0, -1).map((_, i) => i), s.ndim]));
  return matmul(J(scaled), mT(u));
}

/**
 * lstsq(a, b, rcond=None): (x, residuals, rank, s). x minimizes |a x - b|; residuals are the
 * squared norms of the residual columns when a has full column rank and more rows than columns.
 */
export function lstsq(x: ArrayLike, y: ArrayLike, opts: { rcond?: number | null } = {}): [JaxValue, JaxValue, JaxValue, JaxValue] {
  const [a, b0] = promoteDtypesInexact(x, y).map(J);
  if (a.ndim !== 2) throw new TypeError(`lstsq only supports 2D inputs, got a.ndim=${a.ndim}`);
  if (b0.ndim !== 1 && b0.ndim !== 2) throw new TypeError(`lstsq only supports 1D or 2D b, got b.ndim=${b0.ndim}`);
  const [m, n] = a.shape;
  if (b0.shape[0] !== m) throw new TypeError(`Leading dimensions of input arrays must match: ${m} != ${b0.shape[0]}`);
  const b = b0.ndim === 1 ? expandDims(b0, -1) : b0;
  const [u, s, vh] = svd(a, { full_matrices: false }) as [JaxValue, JaxValue, JaxValue];
  const rc = Number(optNum(opts.rcond ?? finfo(a.dtype).eps * Math.max(m, n)));
  const cutoff = P.mul(max(s, { initial: -Infinity }), lit(s, rc));
  const big = P.gt(s, P.broadcastInDim(cutoff, s.shape, []));
  const rank = sum(big, { dtype: defaultInt() });
  const sInv = P.select(big, P.div(fullLike(s, 1), P.select(big, s, fullLike(s, 1))), fullLike(s, 0));
  const uTb = matmul(mT(u), b);
  const scaled = J(P.mul(uTb, P.broadcastInDim(sInv, uTb.shape, [0])));
  const xs = matmul(mT(vh), scaled);
  const r = J(P.sub(matmul(a, xs), b));
  const full = m > n;
  const resid = full ? sum(P.mul(r, r), { axis: 0 }) : J(P.broadcastInDim(typedScalar(0, a.dtype, false), [0], []));
  const residOk = full ? J(P.select(P.broadcastInDim(P.eq(rank, typedScalar(n, defaultInt(), true)), resid.shape, []), resid, P.broadcastInDim(typedScalar(NaN, a.dtype, false), resid.shape, []))) : resid;
  return [b0.ndim === 1 ? reshape(xs, [n]) : xs, b0.ndim === 1 && full ? reshape(residOk, [1]) : residOk, rank, s];
}

/** matrix_power(a, n): repeated squaring; negative n inverts first. */
export function matrixPower(x: ArrayLike, n: number): JaxValue {
  const a = J(asarray(x));
  if (a.ndim < 2 || a.shape[a.ndim - 1] !== a.shape[a.ndim - 2]) throw new LinAlgError("Last 2 dimensions of the array must be square");
  if (!Number.isInteger(n)) throw new TypeError(`exponent must be an integer, got ${n}`);
  const k = a.shape[a.ndim - 1];
  if (n === 0) return J(P.broadcastInDim(eye(k, { dtype: a.dtype }), a.shape, [a.ndim - 2, a.ndim - 1]));
  let base = n < 0 ? inv(a) : a;
  let e = Math.abs(n);
  let result: JaxValue | null = null;
  while (e > 0) {
    if (e & 1) result = result === null ? base : matmul(result, base);
    e >>= 1;
    if (e) base = matmul(base, base);
  }
  return result!;
}

type Ord = number | "fro" | "nuc" | null;

/** norm(x, ord=None, axis=None, keepdims=False): vector norms over one axis, matrix norms over two. */
export function norm(x: ArrayLike, opts: { ord?: Ord; axis?: number | readonly number[] | null; keepdims?: boolean } = {}): JaxValue {
  let a = J(asarray(x));
  a = J(convert(a, toInexact(a.dtype), false));
  const ord = optNum(opts.ord ?? null);
  const keepdims = opts.keepdims ?? false;
  if (opts.axis == null && ord === null) {
    return sqrtE(sum(J(P.mul(a, a)), { keepdims }));
  }
  const axes = reductionAxes(opts.axis ?? null, a.ndim);
  if (axes.length === 1) {
    const axis = axes[0];
    const ab = absE(a);
    if (ord === null || ord === 2) return sqrtE(sum(J(P.mul(a, a)), { axis, keepdims }));
    if (ord === Infinity) return max(ab, { axis, keepdims });
    if (ord === -Infinity) return min(ab, { axis, keepdims });
    if (ord === 0) return J(convert(sum(J(P.ne(a, lit(a, 0))), { axis, keepdims, dtype: defaultInt() }), a.dtype, false));
    if (ord === 1) return sum(ab, { axis, keepdims });
    if (typeof ord === "number") return power(sum(power(ab, J(typedScalar(ord, a.dtype, true))), { axis, keepdims }), J(typedScalar(1 / ord, a.dtype, true)));
    throw new ValueError(`Invalid order '${ord}' for vector norm.`);
  }
  if (axes.length !== 2) throw new ValueError("Improper number of axes for norm");
  const [r, c] = axes;
  const ab = absE(a);
  let out: JaxValue;
  switch (ord) {
    case null: case "fro": out = sqrtE(sum(J(P.mul(a, a)), { axis: axes })); break;
    case 1: out = max(sum(ab, { axis: r }), { axis: c > r ? c - 1 : c }); break;
    case -1: out = min(sum(ab, { axis: r }), { axis: c > r ? c - 1 : c }); break;
    case Infinity: out = max(sum(ab, { axis: c }), { axis: r > c ? r - 1 : r }); break;
    case -Infinity: out = min(sum(ab, { axis: c }), { axis: r > c ? r - 1 : r }); break;
    case 2: case -2: case "nuc": {
      const moved = J(P.transpose(a, [...a.shape.map((_, i) => i).filter((i) => i !== r && i !== c), r, c]));
      const s = svd(moved, { compute_uv: false }) as JaxValue;
      out = ord === 2 ? max(s, { axis: -1 }) : ord === -2 ? min(s, { axis: -1 }) : sum(s, { axis: -1 });
      break;
    }
    default: throw new ValueError(`Invalid norm order '${String(ord)}' for matrices.`);
  }
  if (keepdims) out = reshape(out, a.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
  return out;
}

export const matrixNorm = (x: ArrayLike, opts: { ord?: Ord; keepdims?: boolean } = {}): JaxValue => norm(x, { ...opts, axis: [-2, -1], ord: opts.ord ?? "fro" });
export const vectorNorm = (x: ArrayLike, opts: { ord?: Ord; axis?: number | readonly number[] | null; keepdims?: boolean } = {}): JaxValue =>
  opts.axis == null ? norm(reshape(x, [-1]), { ord: opts.ord ?? 2 }) : norm(x, opts);
