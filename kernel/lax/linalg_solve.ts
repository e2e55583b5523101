/**
 * @file Linear-algebra primitives, part 1: cholesky, triangular_solve, lu,
 * lu_pivots_to_permutation. Host lowerings over float32/float64 matrices with leading batch
 * dimensions (linalg_host.ts holds the algorithms), JAX's JVP rules (from jax/_src/lax/linalg.py)
 * written with lax primitives, and batching by moving batch dims to the front. qr, eigh and svd
 * are in linalg_decomp.ts.
 */

import { type Params, type Value, TypedScalar, bind, bind1, definePrimitive, getAval } from "../ir/core.js";
import { ShapedArray, shapeStr } from "../ir/shape.js";
import { type JvpRule, type MaybeZero, UndefinedPrimal, Zero } from "../ir/rules.js";
import { bdimAtFront, moveaxis, tangentAval } from "./helpers.js";
import { expandDims, reshape, squeeze } from "./structural.js";
import { GatherDimensionNumbers, gather } from "./gather.js";
import { readHost } from "./host.js";
import * as host from "./linalg_host.js";
import { ValueError } from "./errors.js";
import {
  add, block, div, dtypeOf, expandDimsBatcher, eye, full, jvpZeros, linalgInputs, matmul, mT, neg, perMatrix, shapeOf, symmetrize, tril, triu,
} from "./linalg_util.js";

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
export function permuteRows(x: Value, perm: Value): Value {
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
