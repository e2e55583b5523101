/**
 * @file The numerical algorithms behind the linalg primitives' host lowerings, on one row-major
 * float64 matrix at a time (LAPACK's conventions where JAX exposes them): Cholesky, triangular
 * solves, LU with partial pivoting, Householder QR, symmetric eigendecomposition by cyclic
 * Jacobi rotations, and SVD by one-sided (Hestenes) Jacobi.
 */

/** A row-major m×n matrix. */
export interface Mat {
  readonly m: number;
  readonly n: number;
  readonly d: Float64Array;
}

export const mat = (m: number, n: number, d = new Float64Array(m * n)): Mat => ({ m, n, d });
const eye = (n: number): Mat => {
  const e = mat(n, n);
  for (let i = 0; i < n; i++) e.d[i * n + i] = 1;
  return e;
};
const nanLike = (a: Mat): Mat => mat(a.m, a.n, new Float64Array(a.m * a.n).fill(NaN));

/** Lower Cholesky factor from the lower triangle of `a`; all NaN if `a` is not positive definite (as JAX). */
export function cholesky(a: Mat): Mat {
  const n = a.n;
  const l = mat(n, n);
  for (let j = 0; j < n; j++) {
    let s = a.d[j * n + j];
    for (let k = 0; k < j; k++) s -= l.d[j * n + k] ** 2;
    if (!(s > 0)) return nanLike(a);
    const djj = Math.sqrt(s);
    l.d[j * n + j] = djj;
    for (let i = j + 1; i < n; i++) {
      let t = a.d[i * n + j];
      for (let k = 0; k < j; k++) t -= l.d[i * n + k] * l.d[j * n + k];
      l.d[i * n + j] = t / djj;
    }
  }
  return l;
}

export interface TriSolveOpts {
  leftSide: boolean;
  lower: boolean;
  transposeA: boolean;
  unitDiagonal: boolean;
}

/**
 * Solves op(A)·X = B (left side) or X·op(A) = B, reading only the `lower` (or upper) triangle of
 * A (and not its diagonal when `unitDiagonal`). The right-side case is the left-side solve of
 * the transposed system: op(A)ᵀ·Xᵀ = Bᵀ.
 */
export function triangularSolve(a: Mat, b: Mat, o: TriSolveOpts): Mat {
  const m = a.n;
  const right = !o.leftSide;
  const trans = right ? !o.transposeA : o.transposeA;
  const rows = right ? b.n : b.m, cols = right ? b.m : b.n;
  const bAt = (i: number, j: number) => (right ? b.d[j * b.n + i] : b.d[i * b.n + j]);
  // op(A)[i][k], and whether op(A) is lower triangular.
  const at = (i: number, k: number) => (trans ? a.d[k * m + i] : a.d[i * m + k]);
  const lowerOp = o.lower !== trans;
  const x = new Float64Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    for (let step = 0; step < rows; step++) {
      const i = lowerOp ? step : rows - 1 - step;
      let s = bAt(i, c);
      if (lowerOp) for (let k = 0; k < i; k++) s -= at(i, k) * x[k * cols + c];
      else for (let k = i + 1; k < rows; k++) s -= at(i, k) * x[k * cols + c];
      x[i * cols + c] = o.unitDiagonal ? s : s / at(i, i);
    }
  }
  if (!right) return mat(rows, cols, x);
  const out = mat(b.m, b.n);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) out.d[c * b.n + i] = x[i * cols + c];
  return out;
}

/** LU with partial pivoting (LAPACK's getrf): unit-lower L and U packed in one matrix, 0-based row swaps, and the permutation. */
export function lu(a: Mat): { lu: Mat; pivots: Int32Array; perm: Int32Array } {
  const { m, n } = a;
  const d = Float64Array.from(a.d);
  const k = Math.min(m, n);
  const pivots = new Int32Array(k);
  for (let j = 0; j < k; j++) {
    let p = j;
    for (let i = j + 1; i < m; i++) if (Math.abs(d[i * n + j]) > Math.abs(d[p * n + j])) p = i;
    pivots[j] = p;
    if (p !== j) for (let c = 0; c < n; c++) [d[j * n + c], d[p * n + c]] = [d[p * n + c], d[j * n + c]];
    const piv = d[j * n + j];
    if (piv === 0) continue;
    for (let i = j + 1; i < m; i++) {
      const f = (d[i * n + j] /= piv);
      for (let c = j + 1; c < n; c++) d[i * n + c] -= f * d[j * n + c];
    }
  }
  return { lu: mat(m, n, d), pivots, perm: pivotsToPermutation(pivots, m) };
}

/** The permutation that applying the row swaps `pivots` in order makes of 0, 1, …, size-1. */
export function pivotsToPermutation(pivots: ArrayLike<number>, size: number): Int32Array {
  const perm = Int32Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < pivots.length; i++) {
    const j = pivots[i];
    if (j < 0 || j >= size) continue;
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

/**
 * Householder QR (LAPACK's geqrf + orgqr conventions: each reflector maps x to −sign(x₀)‖x‖e₀,
 * and is skipped when x is already zero below its first entry). Returns Q (m×m) and R (m×n).
 */
export function qr(a: Mat): { q: Mat; r: Mat } {
  const { m, n } = a;
  const r = mat(m, n, Float64Array.from(a.d));
  const q = eye(m);
  const v = new Float64Array(m);
  for (let j = 0; j < Math.min(m - 1, n); j++) {
    let tail = 0;
    for (let i = j + 1; i < m; i++) tail += r.d[i * n + j] ** 2;
    if (tail === 0) continue;
    const x0 = r.d[j * n + j];
    const norm = Math.sqrt(x0 * x0 + tail);
    const beta = x0 >= 0 ? -norm : norm;
    v[j] = x0 - beta;
    for (let i = j + 1; i < m; i++) v[i] = r.d[i * n + j];
    const vv = v[j] * v[j] + tail;
    // R ← (I − 2vvᵀ/vᵀv) R on rows j.., and Q ← Q (I − 2vvᵀ/vᵀv) on columns j..
    for (let c = j; c < n; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += v[i] * r.d[i * n + c];
      s = (2 * s) / vv;
      for (let i = j; i < m; i++) r.d[i * n + c] -= s * v[i];
    }
    for (let row = 0; row < m; row++) {
      let s = 0;
      for (let i = j; i < m; i++) s += q.d[row * m + i] * v[i];
      s = (2 * s) / vv;
      for (let i = j; i < m; i++) q.d[row * m + i] -= s * v[i];
    }
    r.d[j * n + j] = beta;
    for (let i = j + 1; i < m; i++) r.d[i * n + j] = 0;
  }
  return { q, r };
}

const SWEEPS = 60;

/**
 * Eigendecomposition of the symmetric matrix given by the `lower` (or upper) triangle of `a`, by
 * cyclic Jacobi rotations: eigenvalues ascending, eigenvectors as the columns of v.
 */
export function eigh(a: Mat, lower: boolean): { v: Mat; w: Float64Array } {
  const n = a.n;
  const s = mat(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) s.d[i * n + j] = lower === i >= j ? a.d[i * n + j] : a.d[j * n + i];
  }
  const v = eye(n);
  const A = s.d;
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    let off = 0, total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        total += A[i * n + j] ** 2;
        if (i !== j) off += A[i * n + j] ** 2;
      }
    }
    if (!(off > 1e-30 * total)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        // The rotation that zeroes A[p][q] (Golub & Van Loan, sym.schur2).
        const tau = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), sn = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = c * akp - sn * akq;
          A[k * n + q] = sn * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = c * apk - sn * aqk;
          A[q * n + k] = sn * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v.d[k * n + p], vkq = v.d[k * n + q];
          v.d[k * n + p] = c * vkp - sn * vkq;
          v.d[k * n + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  const order = [...Array(n).keys()].sort((i, j) => A[i * n + i] - A[j * n + j]);
  const w = Float64Array.from(order, (i) => A[i * n + i]);
  const vs = mat(n, n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vs.d[k * n + dst] = v.d[k * n + src];
  });
  return { v: vs, w };
}

/** Extends the orthonormal columns of u (m×r) to an orthonormal basis of m columns (Gram–Schmidt on unit vectors). */
function completeBasis(u: Mat, cols: number): Mat {
  const { m } = u;
  const out = mat(m, cols);
  for (let i = 0; i < m; i++) for (let j = 0; j < u.n; j++) out.d[i * cols + j] = u.d[i * u.n + j];
  let have = u.n;
  for (let e = 0; e < m && have < cols; e++) {
    const x = new Float64Array(m);
    x[e] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < have; j++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += out.d[i * cols + j] * x[i];
        for (let i = 0; i < m; i++) x[i] -= dot * out.d[i * cols + j];
      }
    }
    const norm = Math.hypot(...x);
    if (norm < 1e-8) continue;
    for (let i = 0; i < m; i++) out.d[i * cols + have] = x[i] / norm;
    have++;
  }
  return out;
}

/**
 * Singular value decomposition A = U·diag(s)·Vᵀ by one-sided Jacobi rotations of the columns
 * (on Aᵀ when A is wide). Singular values descending; `full` gives square U (m×m) and Vᵀ (n×n),
 * otherwise U is m×k and Vᵀ is k×n with k = min(m, n).
 */
export function svd(a: Mat, full: boolean): { s: Float64Array; u: Mat; vt: Mat } {
  if (a.m < a.n) {
    const at = mat(a.n, a.m);
    for (let i = 0; i < a.m; i++) for (let j = 0; j < a.n; j++) at.d[j * a.m + i] = a.d[i * a.n + j];
    const r = svd(at, full);
    return { s: r.s, u: transposeMat(r.vt), vt: transposeMat(r.u) };
  }
  const { m, n } = a;
  const U = Float64Array.from(a.d);
  const V = eye(n).d;
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < m; i++) {
          const up = U[i * n + p], uq = U[i * n + q];
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), sn = c * t;
        for (let i = 0; i < m; i++) {
          const up = U[i * n + p], uq = U[i * n + q];
          U[i * n + p] = c * up - sn * uq;
          U[i * n + q] = sn * up + c * uq;
        }
        for (let i = 0; i < n; i++) {
          const vp = V[i * n + p], vq = V[i * n + q];
          V[i * n + p] = c * vp - sn * vq;
          V[i * n + q] = sn * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = Float64Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let i = 0; i < m; i++) s += U[i * n + j] ** 2;
    return Math.sqrt(s);
  });
  const order = [...Array(n).keys()].sort((i, j) => norms[j] - norms[i]);
  const s = Float64Array.from(order, (j) => norms[j]);
  // Columns of U for nonzero singular values; the rest completed to an orthonormal set.
  const rank = s.filter((x) => x > 1e-300).length;
  const u0 = mat(m, rank);
  order.slice(0, rank).forEach((src, dst) => {
    for (let i = 0; i < m; i++) u0.d[i * rank + dst] = U[i * n + src] / norms[src];
  });
  const u = completeBasis(u0, full ? m : n);
  const vt = mat(n, n);
  order.forEach((src, dst) => {
    for (let i = 0; i < n; i++) vt.d[dst * n + i] = V[i * n + src];
  });
  return { s, u, vt };
}

export function transposeMat(a: Mat): Mat {
  const t = mat(a.n, a.m);
  for (let i = 0; i < a.m; i++) for (let j = 0; j < a.n; j++) t.d[j * a.m + i] = a.d[i * a.n + j];
  return t;
}
