/**
 * @file Linear-algebra primitives, part 2: qr (Householder), eigh (Jacobi), svd
 * (one-sided Jacobi): host lowerings over batched float32/float64 matrices and JAX's JVP rules.
 */

import { type Value, bind, bind1, definePrimitive } from "../ir/core.js";
import { ShapedArray, shapeStr } from "../ir/shape.js";
import { type JvpRule, Zero } from "../ir/rules.js";
import { broadcastInDim, broadcastedIota, convertElementType } from "./structural.js";
import { concatenate } from "./slicing.js";
import { sortKeyVal } from "./sort.js";
import * as host from "./linalg_host.js";
import { NotImplementedError, ValueError } from "./errors.js";
import {
  add, block, diagonal, div, dtypeOf, expandDimsBatcher, eye, full, jvpZeros, linalgInputs, matmul, mT, mul, perMatrix, shapeOf, sub, symmetrize, tril,
} from "./linalg_util.js";
import { lu, permuteRows, triangularSolve } from "./linalg_solve.js";

// ---- qr ----------------------------------------------------------------------------------------------

/** `lax.linalg.qr`: (q, r) with a = q·r, q orthogonal, r upper triangular; full or reduced. */
export function qr(x: Value, opts: { fullMatrices?: boolean } = {}): [Value, Value] {
  return bind("qr", [x], { full_matrices: opts.fullMatrices ?? true, pivoting: false, use_magma: null }) as [Value, Value];
}

/** JAX's _thin_qr_jvp for m ≥ n (j-towns.github.io/papers/qr-derivative.pdf). */
function thinQrJvp(q: Value, r: Value, dx: Value): [Value, Value] {
  const dxRinv = triangularSolve(r, dx);
  const qtDxRinv = matmul(mT(q), dxRinv);
  const low = tril(qtDxRinv, -1);
  const dOmega = sub(low, mT(low));
  return [add(matmul(q, sub(dOmega, qtDxRinv)), dxRinv), matmul(sub(qtDxRinv, dOmega), r)];
}

const qrJvp: JvpRule = ([x], [t], p) => {
  const outs = bind("qr", [x], p);
  if (t instanceof Zero) return [outs, jvpZeros(outs)];
  const [q, r] = outs;
  const s = shapeOf(x);
  const [m, n] = s.slice(-2);
  if (m < n) {
    // X = [X1 X2] = Q [R1 R2]: the square part is a thin QR; dR2 = dQᵀ·X2 + Qᵀ·dX2.
    const [dq, dr1] = thinQrJvp(q, block(r, 0, m, 0, m), block(t, 0, m, 0, m));
    const dr2 = add(matmul(mT(dq), block(x, 0, m, m, n)), matmul(mT(q), block(t, 0, m, m, n)));
    return [outs, [dq, concatenate([dr1, dr2], s.length - 1)]];
  }
  if (!p.full_matrices || m === n) return [outs, thinQrJvp(q, r, t)];
  // Full Q of a tall matrix (arXiv:2409.13374, eqs. 32–33): the thin part as above; for the
  // extra columns, with Z = Q_pn·(Q_nn − I)⁻¹ (a solve, by LU),
  // dQ_mp = dQ_mn·Zᵀ − (Q_mn + Q_mp·Z)·(dQ_pn − Z·dQ_nn)ᵀ, and dR gets zero rows.
  const qmn = block(q, 0, m, 0, n);
  const [dqmn, drnn] = thinQrJvp(qmn, block(r, 0, n, 0, n), t);
  const qnn = block(qmn, 0, n, 0, n), qpn = block(qmn, n, m, 0, n), qmp = block(q, 0, m, n, m);
  const batch = s.slice(0, -2);
  const zT = solveTransposed(sub(qnn, eye(n, dtypeOf(x), batch)), mT(qpn));
  const z = mT(zT);
  const dqmp = sub(matmul(dqmn, zT), matmul(add(qmn, matmul(qmp, z)), mT(sub(block(dqmn, n, m, 0, n), matmul(z, block(dqmn, 0, n, 0, n))))));
  const nd = s.length;
  return [outs, [concatenate([dqmn, dqmp], nd - 1), concatenate([drnn, full([...batch, m - n, n], 0, dtypeOf(x))], nd - 2)]];
};

/** Y with Aᵀ·Y = B, by A's LU factors: P·A = L·U, so Uᵀ·Lᵀ·(P·Y) = B. */
function solveTransposed(a: Value, b: Value): Value {
  const [luv, , perm] = lu(a);
  const w = triangularSolve(luv, b, { leftSide: true, lower: false, transposeA: true });
  const py = triangularSolve(luv, w, { leftSide: true, lower: true, transposeA: true, unitDiagonal: true });
  // (P·Y)[i] = Y[perm[i]]: undo the permutation with its inverse (perm sorted along with an iota).
  const nd = shapeOf(perm).length;
  const [, inverse] = sortKeyVal(perm, broadcastedIota("int32", shapeOf(perm), nd - 1), nd - 1);
  return permuteRows(py, inverse);
}

definePrimitive("qr", {
  abstractEval: ([x], p) => {
    const batch = linalgInputs("qr", [x], [2]);
    if (p.pivoting) throw new NotImplementedError("qr with pivoting=True is not supported");
    const [m, n] = x.shape.slice(-2);
    const k = p.full_matrices ? m : Math.min(m, n);
    return [new ShapedArray([...batch, m, k], x.dtype, x.weakType), new ShapedArray([...batch, k, n], x.dtype, x.weakType)];
  },
  jvp: qrJvp,
  transpose: null,
  batch: expandDimsBatcher("qr"),
  lower: {
    kind: "host",
    run: (ins, p, outs) => perMatrix(ins, outs, ([a]) => {
      const { q, r } = host.qr(a);
      const k = p.full_matrices ? a.m : Math.min(a.m, a.n);
      const qk = Float64Array.from({ length: a.m * k }, (_, i) => q.d[Math.floor(i / k) * a.m + (i % k)]);
      return [qk, r.d.subarray(0, k * a.n)];
    }),
  },
});

// ---- eigh --------------------------------------------------------------------------------------------

/** `lax.linalg.eigh`: (v, w) with eigenvalues w ascending and eigenvectors in the columns of v. */
export function eigh(x: Value, opts: { lower?: boolean; symmetrizeInput?: boolean; sortEigenvalues?: boolean } = {}): [Value, Value] {
  const a = opts.symmetrizeInput === false ? x : symmetrize(x);
  return bind("eigh", [a], { algorithm: null, lower: opts.lower ?? true, sort_eigenvalues: opts.sortEigenvalues ?? true, subset_by_index: null }) as [Value, Value];
}

/**
 * JAX's _eigh_jvp_rule (distinct eigenvalues): with F_ij = 1/(w_j − w_i) off the diagonal,
 * dv = v·(F ∘ vᵀ·dA·v) and dw = diag(vᵀ·dA·v).
 */
const eighJvp: JvpRule = ([a], [t], p) => {
  const outs = bind("eigh", [symmetrize(a)], p);
  if (t instanceof Zero) return [outs, jvpZeros(outs)];
  const [v, w] = outs;
  const s = shapeOf(a);
  const nb = s.length - 2;
  const n = s[nb + 1];
  const dtype = dtypeOf(a);
  const eyeN = eye(n, dtype, s.slice(0, nb));
  const wRow = broadcastInDim(w, s, [...Array(nb).keys(), nb + 1]);
  const wCol = broadcastInDim(w, s, [...Array(nb).keys(), nb]);
  const fmat = sub(bind1("integer_pow", [sub(add(eyeN, wRow), wCol)], { y: -1 }), eyeN);
  const vtav = matmul(matmul(mT(v), t), v);
  return [outs, [matmul(v, mul(fmat, vtav)), diagonal(vtav)]];
};

definePrimitive("eigh", {
  abstractEval: ([x], p) => {
    const batch = linalgInputs("eigh", [x], [2]);
    const [m, n] = x.shape.slice(-2);
    if (m !== n) throw new ValueError(`Argument to symmetric eigendecomposition must have shape [..., n, n], got shape ${shapeStr(x.shape)}`);
    if (p.subset_by_index !== null) throw new NotImplementedError("subset_by_index not supported on CPU and GPU");
    return [new ShapedArray(x.shape, x.dtype, x.weakType), new ShapedArray([...batch, n], x.dtype, x.weakType)];
  },
  jvp: eighJvp,
  transpose: null,
  batch: expandDimsBatcher("eigh"),
  lower: {
    kind: "host",
    run: (ins, p, outs) => perMatrix(ins, outs, ([a]) => {
      const r = host.eigh(a, p.lower as boolean);
      return [r.v.d, r.w];
    }),
  },
});

// ---- svd ---------------------------------------------------------------------------------------------

/** `lax.linalg.svd`: (u, s, vt) with a = u·diag(s)·vt, s descending; only s when computeUv is false. */
export function svd(x: Value, opts: { fullMatrices?: boolean; computeUv?: boolean } = {}): Value[] {
  const computeUv = opts.computeUv ?? true;
  const outs = bind("svd", [x], { algorithm: null, compute_uv: computeUv, full_matrices: opts.fullMatrices ?? true, subset_by_index: null });
  return computeUv ? [outs[1], outs[0], outs[2]] : [outs[0]];
}

/** JAX's _svd_jvp_rule (distinct singular values; not for full non-square U/V). */
const svdJvp: JvpRule = ([a], [t], p) => {
  const outs = bind("svd", [a], p);
  if (t instanceof Zero) return [outs, jvpZeros(outs)];
  const sh = shapeOf(a);
  const nb = sh.length - 2;
  const [m, n] = sh.slice(nb);
  if (p.compute_uv && p.full_matrices && m !== n) {
    throw new NotImplementedError("Singular value decomposition JVP not implemented for full matrices");
  }
  const [s, u, vt] = bind("svd", [a], { ...p, full_matrices: false, compute_uv: true });
  const dtype = dtypeOf(a);
  const k = Math.min(m, n);
  const batch = sh.slice(0, nb);
  const kk = [...batch, k, k];
  const bdims = [...Array(nb).keys()];
  const v = mT(vt);
  const dS = matmul(matmul(mT(u), t), v);
  const ds = diagonal(dS);
  if (!p.compute_uv) return [outs, [ds]];
  const sRow = broadcastInDim(s, kk, [...bdims, nb + 1]), sCol = broadcastInDim(s, kk, [...bdims, nb]);
  const sDiffs = mul(add(sRow, sCol), sub(sRow, sCol));
  const eyeK = eye(k, dtype, batch);
  const f = sub(div(full(kk, 1, dtype), add(sDiffs, eyeK)), eyeK);
  const dSS = mul(sRow, dS), SdS = mul(sCol, dS);
  const sZeros = convertElementType(bind1("eq", [s, full(shapeOf(s), 0, dtype)]), dtype);
  const sInv = sub(div(full(shapeOf(s), 1, dtype), add(s, sZeros)), sZeros);
  const sInvMat = mul(eyeK, broadcastInDim(sInv, kk, [...bdims, nb + 1]));
  const dUdVdiag = mul(mul(full(kk, 0.5, dtype), sub(dS, mT(dS))), sInvMat);
  let dU = matmul(u, add(mul(f, add(dSS, mT(dSS))), dUdVdiag));
  let dV = matmul(v, mul(f, add(SdS, mT(SdS))));
  if (m > n) {
    const dAV = matmul(t, v);
    dU = add(dU, div(sub(dAV, matmul(u, matmul(mT(u), dAV))), broadcastInDim(s, shapeOf(dAV), [...bdims, nb + 1])));
  }
  if (n > m) {
    const dAHU = matmul(mT(t), u);
    dV = add(dV, div(sub(dAHU, matmul(v, matmul(vt, dAHU))), broadcastInDim(s, shapeOf(dAHU), [...bdims, nb + 1])));
  }
  return [outs, [ds, dU, mT(dV)]];
};

definePrimitive("svd", {
  abstractEval: ([x], p) => {
    const batch = linalgInputs("svd", [x], [2]);
    if (p.subset_by_index !== null) throw new NotImplementedError("subset_by_index not implemented for CPU and GPU");
    const [m, n] = x.shape.slice(-2);
    const k = Math.min(m, n);
    const s = new ShapedArray([...batch, k], x.dtype, x.weakType);
    if (!p.compute_uv) return [s];
    const full = p.full_matrices as boolean;
    return [s, new ShapedArray([...batch, m, full ? m : k], x.dtype, x.weakType), new ShapedArray([...batch, full ? n : k, n], x.dtype, x.weakType)];
  },
  jvp: svdJvp,
  transpose: null,
  batch: expandDimsBatcher("svd"),
  lower: {
    kind: "host",
    run: (ins, p, outs) => perMatrix(ins, outs, ([a]) => {
      const full = p.full_matrices as boolean;
      const r = host.svd(a, full);
      if (!p.compute_uv) return [r.s];
      const k = Math.min(a.m, a.n);
      // Reduced: the first k columns of U and rows of Vᵀ.
      const u = full ? r.u.d : Float64Array.from({ length: a.m * k }, (_, i) => r.u.d[Math.floor(i / k) * r.u.n + (i % k)]);
      const vt = full ? r.vt.d : r.vt.d.subarray(0, k * a.n);
      return [r.s, u, vt];
    }),
  },
});
