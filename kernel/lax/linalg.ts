/**
 * @file Linear-algebra primitives (jax.lax.linalg): cholesky, triangular_solve, lu,
 * lu_pivots_to_permutation, qr, eigh, svd. Host lowerings over float32/float64 matrices with
 * leading batch dimensions (linalg_host.ts holds the algorithms), JAX's JVP rules (from
 * jax/_src/lax/linalg.py) written with lax primitives, and batching by moving batch dims to the front.
 */

import { type Params, type Value, TypedScalar, bind, bind1, definePrimitive, getAval } from "../ir/core.js";
import type { DType } from "../ir/dtype.js";
import { ShapedArray, type Shape, prod, shapeStr } from "../ir/shape.js";
import { type BatchRule, type HostArray, type JvpRule, type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { bdimAtFront, moveaxis, tangentAval } from "./helpers.js";
import { broadcastInDim, broadcastedIota, convertElementType, expandDims, reduceSum, reshape, squeeze, transpose } from "./structural.js";
import { concatenate, slice } from "./slicing.js";
import { GatherDimensionNumbers, gather } from "./gather.js";
import { dotGeneral } from "./dot.js";
import { sortKeyVal } from "./sort.js";
import { readHost, writeHost } from "./host.js";
import * as host from "./linalg_host.js";
import { NotImplementedError, ValueError } from "./errors.js";

// ---- batched matrix helpers (lax ops over the last two dims) -------------------------------------

const shapeOf = (x: Value): Shape => getAval(x).shape;
const dtypeOf = (x: Value): DType => getAval(x).dtype;
const add = (a: Value, b: Value) => bind1("add", [a, b]);
const sub = (a: Value, b: Value) => bind1("sub", [a, b]);
const mul = (a: Value, b: Value) => bind1("mul", [a, b]);
const div = (a: Value, b: Value) => bind1("div", [a, b]);
const neg = (a: Value) => bind1("neg", [a]);
const full = (shape: Shape, v: number, dtype: DType) => broadcastInDim(new TypedScalar(v, dtype, false), shape, []);

/** Swaps the last two axes (JAX's _T). */
export function mT(x: Value): Value {
  const nd = shapeOf(x).length;
  return transpose(x, [...Array(nd - 2).keys(), nd - 1, nd - 2]);
}

/** Batched matrix product over the last two axes (leading axes are batch dims of both). */
export function matmul(a: Value, b: Value): Value {
  const nd = shapeOf(a).length;
  const batch = [...Array(nd - 2).keys()];
  return dotGeneral(a, b, [[[nd - 1], [nd - 2]], [batch, batch]]);
}

/** A mask of the last two axes of `shape`: keep (row, col) where col − row ≤ k (tril) or ≥ k (triu). */
function triMask(shape: Shape, k: number, lower: boolean): Value {
  const nd = shape.length;
  const mn = shape.slice(nd - 2);
  const rows = broadcastedIota("int32", mn, 0), cols = broadcastedIota("int32", mn, 1);
  const diff = sub(cols, rows);
  const m = bind1(lower ? "le" : "ge", [diff, full([...mn], k, "int32")]);
  return broadcastInDim(m, shape, [nd - 2, nd - 1]);
}
const keep = (x: Value, mask: Value) => bind1("select_n", [mask, full(shapeOf(x), 0, dtypeOf(x)), x]);
/** The lower triangle from diagonal k down (JAX's _tril). */
export const tril = (x: Value, k = 0): Value => keep(x, triMask(shapeOf(x), k, true));
/** The upper triangle from diagonal k up (JAX's _triu). */
export const triu = (x: Value, k = 0): Value => keep(x, triMask(shapeOf(x), k, false));

/** The n×n identity, broadcast to a batch shape. */
function eye(n: number, dtype: DType, batch: Shape = []): Value {
  const e = convertElementType(bind1("eq", [broadcastedIota("int32", [n, n], 0), broadcastedIota("int32", [n, n], 1)]), dtype);
  return broadcastInDim(e, [...batch, n, n], [batch.length, batch.length + 1]);
}

/** The diagonal of square matrices [..., n, n] → [..., n]. */
function diagonal(x: Value): Value {
  const s = shapeOf(x);
  return reduceSum(mul(x, eye(s[s.length - 1], dtypeOf(x), s.slice(0, -2))), [s.length - 1]);
}

/** (x + xᵀ) / 2 (JAX's symmetrize). */
export const symmetrize = (x: Value): Value => div(add(x, mT(x)), full(shapeOf(x), 2, dtypeOf(x)));

/** `x[..., a:b, c:d]` on the last two axes. */
function block(x: Value, r0: number, r1: number, c0: number, c1: number): Value {
  const s = shapeOf(x);
  const nb = s.length - 2;
  return slice(x, [...Array(nb).fill(0), r0, c0], [...s.slice(0, nb), r1, c1], null);
}

// ---- shared rules ----------------------------------------------------------------------------------

/** Checks float dtype and rank ≥ `rank` of each input; returns the batch shape (equal for all inputs). */
function linalgInputs(name: string, avals: ShapedArray[], ranks: number[]): Shape {
  let batch: Shape | null = null;
  avals.forEach((a, i) => {
    if (a.ndim < ranks[i]) throw new TypeError(`Input ${i} to ${name} must have rank at least ${ranks[i]}, but got shape=${shapeStr(a.shape)}`);
    if (!(a.dtype === "float32" || a.dtype === "float64")) {
      throw new TypeError(`${name} does not accept dtype ${a.dtype}. Accepted dtypes are subtypes of floating (float32, float64).`);
    }
    const b = a.shape.slice(0, a.ndim - ranks[i]);
    if (batch && batch.length !== b.length) {
      throw new TypeError(`All inputs to ${name} must have the same number of batch dimensions, but got [${avals.map((x, k) => x.ndim - ranks[k]).join(", ")}] batch dimensions for the inputs.`);
    }
    batch = batch ?? b;
  });
  if (avals.length > 1 && avals.some((a) => a.dtype !== avals[0].dtype)) {
    throw new TypeError(`${name} requires arguments to have the same dtypes, got ${avals.map((a) => a.dtype).join(", ")}.`);
  }
  return batch ?? [];
}

/** JAX's expand_dims_batcher: every batch dim to the front (unbatched operands broadcast). */
const expandDimsBatcher = (prim: string): BatchRule => (args, dims, p, size) => {
  const outs = bind(prim, args.map((a, i) => bdimAtFront(a, dims[i], size)), p);
  return [outs, outs.map(() => 0)];
};

/** Runs `fn` on each matrix of a batch (the last two dims of every input), concatenating the outputs. */
function perMatrix(ins: HostArray[], outs: { shape: Shape; dtype: DType }[], fn: (mats: host.Mat[]) => ArrayLike<number>[]): HostArray[] {
  const vals = ins.map(readHost);
  const batch = prod(ins[0].shape.slice(0, -2));
  const inSizes = ins.map((h) => h.shape.slice(-2));
  const outVals = outs.map((o) => new Float64Array(prod(o.shape)));
  const outStride = outs.map((o) => (batch === 0 ? 0 : prod(o.shape) / batch));
  for (let b = 0; b < batch; b++) {
    const mats = ins.map((_, i) => {
      const [m, n] = inSizes[i];
      return host.mat(m, n, vals[i].slice(b * m * n, (b + 1) * m * n));
    });
    fn(mats).forEach((r, o) => outVals[o].set(r, b * outStride[o]));
  }
  return outs.map((o, i) => ({ data: writeHost(outVals[i], o.dtype), shape: o.shape, dtype: o.dtype }));
}

const jvpZeros = (outs: Value[]): MaybeZero[] => outs.map((o) => new Zero(tangentAval(getAval(o))));

// ---- cholesky ---------------------------------------------------------------------------------------

/** `lax.linalg.cholesky`: the lower Cholesky factor (NaN where the matrix is not positive definite). */
export function cholesky(x: Value, opts: { symmetrizeInput?: boolean } = {}): Value {
  const a = opts.symmetrizeInput === false ? x : symmetrize(x);
  return tril(bind1("cholesky", [a]));
}

definePrimitive("cholesky", {
  abstractEval: ([x]) => {
    linalgInputs("cholesky", [x], [2]);
    const [m, n] = x.shape.slice(-2);
    if (m !== n) throw new ValueError(`The input to cholesky must be a square matrix. Got shape ${shapeStr([m, n])}.`);
    return [new ShapedArray(x.shape, x.dtype, x.weakType)];
  },
  // dL = L·Φ(L⁻¹·dΣ·L⁻ᵀ), Φ = lower triangle with the diagonal halved (arXiv:1602.07527).
  jvp: ([x], [t]) => {
    const l = tril(bind1("cholesky", [x]));
    if (t instanceof Zero) return [[l], jvpZeros([l])];
    const tmp = triangularSolve(l, t, { leftSide: false, transposeA: true, lower: true });
    const inner = triangularSolve(l, tmp, { leftSide: true, transposeA: false, lower: true });
    const n = shapeOf(x)[shapeOf(x).length - 1];
    const phi = div(tril(inner), add(full(shapeOf(inner), 1, dtypeOf(x)), eye(n, dtypeOf(x), shapeOf(x).slice(0, -2))));
    return [[l], [matmul(l, phi)]];
  },
  transpose: null,
  batch: expandDimsBatcher("cholesky"),
  lower: { kind: "host", run: (ins, _p, [out]) => perMatrix(ins, [out], ([a]) => [host.cholesky(a).d]) },
});

// ---- triangular_solve -------------------------------------------------------------------------------

export interface TriangularSolveOptions {
  leftSide?: boolean;
  lower?: boolean;
  transposeA?: boolean;
  conjugateA?: boolean;
  unitDiagonal?: boolean;
}

const triParams = (o: TriangularSolveOptions): Params => ({
  conjugate_a: false, left_side: o.leftSide ?? false, lower: o.lower ?? false, transpose_a: o.transposeA ?? false, unit_diagonal: o.unitDiagonal ?? false,
});

/** `lax.linalg.triangular_solve`: op(a)·x = b (left side) or x·op(a) = b; a vector b is a single column/row. */
export function triangularSolve(a: Value, b: Value, opts: TriangularSolveOptions = {}): Value {
  const singleton = shapeOf(b).length === shapeOf(a).length - 1;
  const axis = opts.leftSide ? -1 : -2;
  const out = bind1("triangular_solve", [a, singleton ? expandDims(b, [axis]) : b], triParams(opts));
  return singleton ? squeeze(out, [axis]) : out;
}

const triOpts = (p: Params): host.TriSolveOpts => ({
  leftSide: p.left_side as boolean, lower: p.lower as boolean, transposeA: p.transpose_a as boolean, unitDiagonal: p.unit_diagonal as boolean,
});

definePrimitive("triangular_solve", {
  abstractEval: ([a, b], p) => {
    linalgInputs("triangular_solve", [a, b], [2, 2]);
    const [m, n] = a.shape.slice(-2);
    if (m !== n) throw new ValueError(`The first input to triangular_solve must be a square matrix. Got shape ${shapeStr([m, n])}.`);
    const common = p.left_side ? b.shape[b.ndim - 2] : b.shape[b.ndim - 1];
    if (n !== common || shapeStr(a.shape.slice(0, -2)) !== shapeStr(b.shape.slice(0, -2))) {
      throw new ValueError(`Incompatible shapes for arguments to triangular_solve: ${shapeStr(a.shape)} and ${shapeStr(b.shape)}.`);
    }
    return [new ShapedArray(b.shape, b.dtype, a.weakType && b.weakType)];
  },
  // Nonlinear in a: d(A⁻¹B) = −A⁻¹·dA·A⁻¹B (in the cheaper order); linear in b.
  jvp: ([a, b], [ta, tb], p) => {
    const ans = bind1("triangular_solve", [a, b], p);
    let t: MaybeZero = new Zero(tangentAval(getAval(ans)));
    const solve = (rhs: Value) => bind1("triangular_solve", [a, rhs], p);
    if (!(tb instanceof Zero)) t = solve(tb);
    if (!(ta instanceof Zero)) {
      const k = p.unit_diagonal ? 1 : 0;
      let g = p.lower ? tril(ta, -k) : triu(ta, k);
      g = neg(g);
      if (p.transpose_a) g = mT(g);
      const [m, n] = shapeOf(b).slice(-2);
      const da = p.left_side ? (m > n ? solve(matmul(g, ans)) : matmul(solve(g), ans)) : (m < n ? solve(matmul(ans, g)) : matmul(ans, solve(g)));
      t = t instanceof Zero ? da : bind1("add_any", [t, da]);
    }
    return [[ans], [t]];
  },
  // Linear in b: the transpose solves with op(a) transposed.
  transpose: ([ct], [a, b], p) => {
    if (a instanceof UndefinedPrimal) throw new Error("triangular_solve transpose: a must be known");
    const bAval = (b as UndefinedPrimal).aval;
    return [null, ct instanceof Zero ? new Zero(bAval) : bind1("triangular_solve", [a, ct], { ...p, transpose_a: !p.transpose_a })];
  },
  // JAX's rule: an unbatched `a` stays unbatched and the batch joins b's independent dimension
  // (its columns for a left-side solve, its rows for a right-side one).
  batch: ([a, b], [da, db], p, size) => {
    if (da !== null) return [[bind1("triangular_solve", [bdimAtFront(a, da, size), bdimAtFront(b, db, size)], p)], [0]];
    const nd = shapeOf(b).length;
    const left = p.left_side as boolean;
    const moved = moveaxis(b, db as number, left ? nd - 1 : nd - 2);
    const ms = shapeOf(moved);
    const flat = left ? [...ms.slice(0, -2), ms[nd - 2] * ms[nd - 1]] : [...ms.slice(0, -3), ms[nd - 3] * ms[nd - 2], ms[nd - 1]];
    const out = bind1("triangular_solve", [a, reshape(moved, flat)], p);
    return [[reshape(out, ms)], [left ? nd - 1 : nd - 2]];
  },
  lower: { kind: "host", run: (ins, p, [out]) => perMatrix(ins, [out], ([a, b]) => [host.triangularSolve(a, b, triOpts(p)).d]) },
});

// ---- lu and lu_pivots_to_permutation ----------------------------------------------------------------

/** `lax.linalg.lu`: (lu, pivots, permutation) with P·A = L·U, L unit lower (packed below U's diagonal). */
export const lu = (x: Value): [Value, Value, Value] => bind("lu", [x]) as [Value, Value, Value];

/** Rows of x[..., m, n] taken in the order `perm[..., m]` (x[perm] per batch element). */
function permuteRows(x: Value, perm: Value): Value {
  const s = shapeOf(x);
  const nb = s.length - 2;
  const batch = [...Array(nb).keys()];
  const dn = new GatherDimensionNumbers({
    offsetDims: [nb + 1], collapsedSliceDims: [nb], startIndexMap: [nb], operandBatchingDims: batch, startIndicesBatchingDims: batch,
  });
  return gather(x, expandDims(perm, [nb + 1]), dn, [...batch.map(() => 1), 1, s[nb + 1]]);
}

/**
 * JAX's _lu_jvp_rule (De Hoog, Anderssen & Lukas): with L, U from the packed factor,
 * M = L⁻¹·P·dA·U⁻¹, dL = L·tril(M, −1) and dU = triu(M)·U, packed as dLU = dL + dU.
 */
const luJvp: JvpRule = ([a], [t]) => {
  const outs = bind("lu", [a]);
  const [luv, , perm] = outs;
  if (t instanceof Zero) return [outs, jvpZeros(outs)];
  const s = shapeOf(a);
  const nb = s.length - 2;
  const [m, n] = s.slice(nb);
  const k = Math.min(m, n);
  const dtype = dtypeOf(a);
  const batch = s.slice(0, nb);
  const padLast2 = (x: Value, rows: number, cols: number) => {
    const xs = shapeOf(x);
    return bind1("pad", [x, new TypedScalar(0, dtype, false)], { padding_config: [...batch.map(() => [0, 0, 0]), [0, rows - xs[nb], 0], [0, cols - xs[nb + 1], 0]] });
  };
  const l = add(padLast2(tril(block(luv, 0, m, 0, k), -1), m, m), eye(m, dtype, batch));
  const uEye = bind1("pad", [eye(n - k, dtype, batch), new TypedScalar(0, dtype, false)], { padding_config: [...batch.map(() => [0, 0, 0]), [k, 0, 0], [k, 0, 0]] });
  const u = add(padLast2(triu(block(luv, 0, k, 0, n)), n, n), uEye);
  const la = triangularSolve(l, permuteRows(t, perm), { leftSide: true, lower: true, unitDiagonal: true });
  const lau = triangularSolve(u, la, { leftSide: false, lower: false });
  const dlu = add(matmul(l, tril(lau, -1)), matmul(triu(lau), u));
  return [outs, [dlu, ...jvpZeros(outs.slice(1))]];
};

definePrimitive("lu", {
  abstractEval: ([x]) => {
    const batch = linalgInputs("lu", [x], [2]);
    const [m, n] = x.shape.slice(-2);
    return [new ShapedArray(x.shape, x.dtype, x.weakType), new ShapedArray([...batch, Math.min(m, n)], "int32"), new ShapedArray([...batch, m], "int32")];
  },
  jvp: luJvp,
  transpose: null,
  batch: expandDimsBatcher("lu"),
  lower: {
    kind: "host",
    run: (ins, _p, outs) => perMatrix(ins, outs, ([a]) => {
      const r = host.lu(a);
      return [r.lu.d, r.pivots, r.perm];
    }),
  },
});

/** `lax.linalg.lu_pivots_to_permutation`. */
export const luPivotsToPermutation = (pivots: Value, permutationSize: number): Value =>
  bind1("lu_pivots_to_permutation", [pivots], { permutation_size: permutationSize });

definePrimitive("lu_pivots_to_permutation", {
  abstractEval: ([p], params) => {
    const size = params.permutation_size as number;
    if (p.ndim < 1) throw new TypeError(`Input 0 to lu_pivots_to_permutation must have rank at least 1, but got shape=${shapeStr(p.shape)}`);
    if (p.dtype !== "int32") throw new TypeError(`lu_pivots_to_permutation does not accept dtype ${p.dtype}. Accepted dtypes are int32.`);
    if (!(size >= p.shape[p.ndim - 1])) {
      throw new ValueError(`Output permutation size ${size} has to exceed the trailing dimension of the pivots. Got pivots size ${p.shape[p.ndim - 1]}`);
    }
    return [new ShapedArray([...p.shape.slice(0, -1), size], "int32")];
  },
  jvp: "nondiff",
  transpose: null,
  batch: expandDimsBatcher("lu_pivots_to_permutation"),
  lower: {
    kind: "host",
    run: ([piv], p, [out]) => {
      const k = piv.shape[piv.shape.length - 1];
      const size = p.permutation_size as number;
      const v = readHost(piv);
      const res = new Int32Array(out.size);
      for (let b = 0; b * size < out.size; b++) res.set(host.pivotsToPermutation(v.subarray(b * k, (b + 1) * k), size), b * size);
      return [{ data: res, shape: out.shape, dtype: "int32" }];
    },
  },
});

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
