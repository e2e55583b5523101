/** @file Linalg primitives: numpy.linalg references and invariants (reconstructions, orthogonality), errors, jaxprs, derivatives, batching. */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as lax from "../../kernel/lax/index.js";
import { makeJaxpr, printJaxpr } from "../../kernel/index.js";
import { ShapedArray } from "../../kernel/ir/shape.js";
import type { DType } from "../../kernel/ir/dtype.js";
import type { Value } from "../../kernel/ir/core.js";
import type { Array as JArray } from "../../kernel/backend/array.js";
import { type FixtureArray, assertClose, fromFixture, loadFixture, testDevices } from "../util.js";
import { setDefaultDevice } from "../../kernel/backend/device.js";
import { arrayOf, checkBatch, checkGrads, f64, rng, uniform, withX64 } from "./helpers.js";

interface Fx {
  cholesky: { a: FixtureArray; l: FixtureArray }[];
  triangular_solve: { a: FixtureArray; b: FixtureArray; x: FixtureArray; left_side: boolean; lower: boolean; transpose_a: boolean; unit_diagonal: boolean }[];
  lu: { a: FixtureArray; square_dets: FixtureArray }[];
  qr: { a: FixtureArray; r_reduced: FixtureArray }[];
  eigh: { a: FixtureArray; w: FixtureArray }[];
  svd: { a: FixtureArray; s: FixtureArray }[];
}
const fx = loadFixture<Fx>("linalg");

// ---- host checks on the results -------------------------------------------------------------------

type M = number[][];
/** The matrices of a [..., m, n] array. */
function mats(x: Value): M[] {
  const a = x as JArray;
  const [m, n] = a.shape.slice(-2);
  const d = a.toNumbers();
  const count = m * n === 0 ? 0 : d.length / (m * n);
  return Array.from({ length: count }, (_, b) => Array.from({ length: m }, (_, i) => d.slice(b * m * n + i * n, b * m * n + (i + 1) * n)));
}
const vecs = (x: Value): number[][] => {
  const a = x as JArray;
  const n = a.shape[a.shape.length - 1];
  const d = a.toNumbers();
  return Array.from({ length: n === 0 ? 0 : d.length / n }, (_, b) => d.slice(b * n, (b + 1) * n));
};
const mm = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const tr = (a: M): M => a[0].map((_, j) => a.map((row) => row[j]));
const diagM = (v: number[], m: number, n: number): M => Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? v[i] : 0)));
const eyeM = (n: number): M => diagM(new globalThis.Array(n).fill(1), n, n);
function assertMatClose(got: M, want: M, tol: number, msg: string): void {
  assert.equal(got.length, want.length, `${msg}: rows`);
  got.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) <= tol * (1 + Math.abs(want[i][j])), `${msg}: [${i}][${j}] ${v} vs ${want[i][j]}`)));
}
const tolOf = (dtype: string) => (dtype === "float64" ? 1e-10 : 2e-4);

describe("lax.linalg", () => {
  for (const device of testDevices()) {
    // WGSL has no 64-bit floats: on WebGPU only the float32 cases run.
    const runs = <T extends { a: FixtureArray }>(cases: T[]) => cases.filter((c) => device.platform !== "webgpu" || c.a.dtype !== "float64");
    const x64 = device.platform === "webgpu" ? <R>(body: () => R): R => body() : withX64;
    describe(`numpy.linalg references and invariants on ${device.toString()}`, () => {
      // Constants made inside the factorizations' wrappers (symmetrize, tril) live on the default device.
      before(() => setDefaultDevice(device));
      after(() => setDefaultDevice(null));
      it("cholesky matches numpy (NaN when not positive definite)", () => x64(() => {
        for (const c of runs(fx.cholesky)) assertClose(lax.cholesky(fromFixture(c.a, device)), c.l, { rtol: tolOf(c.a.dtype), atol: tolOf(c.a.dtype), msg: `cholesky ${c.a.shape}` });
      }));
      it("triangular_solve matches numpy's solve on the triangle, every side/triangle/transpose/unit combination", () => x64(() => {
        for (const c of runs(fx.triangular_solve)) {
          const x = lax.triangularSolve(fromFixture(c.a, device), fromFixture(c.b, device), { leftSide: c.left_side, lower: c.lower, transposeA: c.transpose_a, unitDiagonal: c.unit_diagonal });
          assertClose(x, c.x, { rtol: tolOf(c.a.dtype), atol: tolOf(c.a.dtype), msg: JSON.stringify({ ...c, a: 0, b: 0, x: 0 }) });
        }
      }));
      it("lu: P·A = L·U, |L| ≤ 1, the permutation follows the pivots, det(A) = ±Π diag(U)", () => x64(() => {
        for (const c of runs(fx.lu)) {
          const a = fromFixture(c.a, device);
          const [luv, piv, perm] = lax.lu(a);
          const tol = tolOf(c.a.dtype);
          const [m, n] = a.shape.slice(-2);
          const k = Math.min(m, n);
          mats(luv).forEach((f, b) => {
            const l = Array.from({ length: m }, (_, i) => Array.from({ length: k }, (_, j) => (i === j ? 1 : i > j ? f[i][j] : 0)));
            const u = Array.from({ length: k }, (_, i) => Array.from({ length: n }, (_, j) => (j >= i ? f[i][j] : 0)));
            l.forEach((row) => row.forEach((v) => assert.ok(Math.abs(v) <= 1 + 1e-6, "partial pivoting bounds L")));
            const p = vecs(perm)[b];
            const pa = p.map((r) => mats(a)[b][r]);
            assertMatClose(mm(l, u), pa, tol * 10, "P·A = L·U");
            const swapped = [...Array(m).keys()];
            vecs(piv)[b].forEach((j, i) => ([swapped[i], swapped[j]] = [swapped[j], swapped[i]]));
            assert.deepEqual(p, swapped, "permutation from pivots");
            if (m === n) {
              let sign = 1;
              vecs(piv)[b].forEach((j, i) => (sign *= j === i ? 1 : -1));
              const det = sign * u.reduce((s, row, i) => s * row[i], 1);
              const want = (fromFixture(c.square_dets, device)).toNumbers()[b];
              assert.ok(Math.abs(det - want) <= tol * 10 * (1 + Math.abs(want)), `det ${det} vs ${want}`);
            }
          });
          assert.deepEqual(lax.luPivotsToPermutation(piv, m) instanceof Object && (lax.luPivotsToPermutation(piv, m) as JArray).toNumbers(), (perm as JArray).toNumbers());
        }
      }));
      it("qr: Q orthogonal, R upper triangular, Q·R = A, R equal to numpy's up to row signs (full and reduced)", () => x64(() => {
        for (const c of runs(fx.qr)) {
          const a = fromFixture(c.a, device);
          const tol = tolOf(c.a.dtype);
          for (const fullMatrices of [true, false]) {
            const [q, r] = lax.qr(a, { fullMatrices });
            const [m, n] = a.shape.slice(-2);
            const k = fullMatrices ? m : Math.min(m, n);
            assert.deepEqual([...(q as JArray).shape.slice(-2), ...(r as JArray).shape.slice(-2)], [m, k, k, n]);
            mats(q).forEach((qm, b) => {
              const rm = mats(r)[b];
              assertMatClose(mm(tr(qm), qm), eyeM(k), tol * 10, "QᵀQ = I");
              rm.forEach((row, i) => row.forEach((v, j) => j < i && assert.equal(v, 0, "R upper triangular")));
              assertMatClose(mm(qm, rm), mats(a)[b], tol * 10, "Q·R = A");
              const want = mats(fromFixture(c.r_reduced, device))[b];
              const norm = (x: M) => x.map((row, i) => row.map((v) => v * Math.sign(row[i] || 1)));
              assertMatClose(norm(rm.slice(0, Math.min(m, n))), norm(want), tol * 10, "R vs numpy");
            });
          }
        }
      }));
      it("eigh: eigenvalues match numpy (ascending), A·v = v·diag(w), vᵀv = I", () => x64(() => {
        for (const c of runs(fx.eigh)) {
          const a = fromFixture(c.a, device);
          const tol = tolOf(c.a.dtype);
          const [v, w] = lax.eigh(a);
          assertClose(w, c.w, { rtol: tol, atol: tol * 10, msg: "eigenvalues" });
          mats(v).forEach((vm, b) => {
            const n = vm.length;
            assertMatClose(mm(mats(a)[b], vm), mm(vm, diagM(vecs(w)[b], n, n)), tol * 10, "A·v = v·diag(w)");
            assertMatClose(mm(tr(vm), vm), eyeM(n), tol * 10, "vᵀv = I");
          });
        }
      }));
      it("svd: singular values match numpy (descending), U·diag(s)·Vᵀ = A, orthonormal U and V (full, reduced, values only)", () => x64(() => {
        for (const c of runs(fx.svd)) {
          const a = fromFixture(c.a, device);
          const tol = tolOf(c.a.dtype);
          const [m, n] = a.shape.slice(-2);
          assertClose(lax.svd(a, { computeUv: false })[0], c.s, { rtol: tol, atol: tol * 10, msg: "s only" });
          for (const fullMatrices of [true, false]) {
            const [u, s, vt] = lax.svd(a, { fullMatrices });
            assertClose(s, c.s, { rtol: tol, atol: tol * 10, msg: "singular values" });
            const k = Math.min(m, n);
            mats(u).forEach((um, b) => {
              const vm = mats(vt)[b];
              const ku = um[0].length, kv = vm.length;
              assert.deepEqual([ku, kv], fullMatrices ? [m, n] : [k, k]);
              assertMatClose(mm(tr(um), um), eyeM(ku), tol * 10, "UᵀU = I");
              assertMatClose(mm(vm, tr(vm)), eyeM(kv), tol * 10, "VᵀV = I");
              assertMatClose(mm(mm(um, diagM(vecs(s)[b], ku, kv)), vm), mats(a)[b], tol * 10, "U·S·Vᵀ = A");
            });
          }
        }
      }));
    });
  }

  describe("errors, as JAX raises them", () => {
    const x = (dtype: DType, ...shape: number[]) => arrayOf(uniform(shape.reduce((p, q) => p * q, 1), rng(1)), shape, dtype);
    const cases: [string, () => unknown, RegExp][] = [
      ["cholesky of a non-square matrix", () => lax.cholesky(x("float32", 2, 3), { symmetrizeInput: false }), /The input to cholesky must be a square matrix. Got shape \(2, 3\)/],
      ["cholesky of a vector", () => lax.cholesky(x("float32", 3), { symmetrizeInput: false }), /Input 0 to cholesky must have rank at least 2, but got shape=\(3,\)/],
      ["integer input", () => lax.qr(x("int32", 2, 2)), /qr does not accept dtype int32/],
      ["triangular_solve shapes", () => lax.triangularSolve(x("float32", 3, 3), x("float32", 2, 2), { leftSide: true }), /Incompatible shapes for arguments to triangular_solve: \(3, 3\) and \(2, 2\)/],
      ["eigh of a non-square matrix", () => lax.eigh(x("float32", 2, 3), { symmetrizeInput: false }), /Argument to symmetric eigendecomposition must have shape \[\.\.\., n, n\], got shape \(2, 3\)/],
      ["lu_pivots_to_permutation size", () => lax.luPivotsToPermutation(arrayOf([0, 1, 2], [3], "int32"), 2), /Output permutation size 2 has to exceed the trailing dimension of the pivots. Got pivots size 3/],
    ];
    for (const [what, fn, re] of cases) it(what, () => assert.throws(fn, re));
  });

  it("jaxprs print as JAX prints them", () => {
    const f32 = new ShapedArray([3, 3], "float32");
    const text = printJaxpr(makeJaxpr((a: Value) => [...lax.eigh(a, { symmetrizeInput: false }), ...lax.svd(a), ...lax.qr(a), ...lax.lu(a), lax.triangularSolve(a, a, { leftSide: true, lower: true })])(f32));
    assert.match(text, /b:f32\[3,3\] c:f32\[3\] = eigh\[\n {6}algorithm=None\n {6}lower=True\n {6}sort_eigenvalues=True\n {6}subset_by_index=None\n {4}\] a/);
    assert.match(text, /d:f32\[3\] e:f32\[3,3\] f:f32\[3,3\] = svd\[\n {6}algorithm=None\n {6}compute_uv=True\n {6}full_matrices=True\n {6}subset_by_index=None\n {4}\] a/);
    assert.match(text, /g:f32\[3,3\] h:f32\[3,3\] = qr\[full_matrices=True pivoting=False use_magma=None\] a/);
    assert.match(text, /i:f32\[3,3\] j:i32\[3\] k:i32\[3\] = lu a/);
    assert.match(text, /l:f32\[3,3\] = triangular_solve\[\n {6}conjugate_a=False\n {6}left_side=True\n {6}lower=True\n {6}transpose_a=False\n {6}unit_diagonal=False\n {4}\] a a/);
  });

  describe("derivatives (float64, finite differences and VJP consistency)", () => {
    const r = rng(21);
    const spd = (n: number) => {
      const g = uniform(n * n, r);
      const d = Array.from({ length: n * n }, (_, ij) => {
        const i = Math.floor(ij / n), j = ij % n;
        let s = i === j ? n : 0;
        for (let k = 0; k < n; k++) s += g[i * n + k] * g[j * n + k];
        return s;
      });
      return f64(d, [n, n]);
    };
    const opts = { rtol: 1e-5, atol: 1e-6 };
    it("cholesky", () => withX64(() => checkGrads((a) => lax.cholesky(a), [spd(4)], opts)));
    it("triangular_solve in a and b, every side and triangle", () => withX64(() => {
      const a = f64(uniform(9, r).map((v, i) => (i % 4 === 0 ? v + 4 : v)), [3, 3]);
      for (const leftSide of [true, false]) {
        for (const lower of [true, false]) {
          for (const transposeA of [false, true]) {
            const b = f64(uniform(6, r), leftSide ? [3, 2] : [2, 3]);
            checkGrads((x, y) => lax.triangularSolve(x, y, { leftSide, lower, transposeA }), [a, b], opts);
          }
        }
      }
      checkGrads((x, y) => lax.triangularSolve(x, y, { leftSide: true, lower: true, unitDiagonal: true }), [a, f64(uniform(3, r), [3])], opts);
    }));
    it("lu (square, tall and wide)", () => withX64(() => {
      for (const shape of [[4, 4], [5, 3], [3, 5]]) checkGrads((a) => lax.lu(a)[0], [f64(uniform(shape[0] * shape[1], r), shape)], opts);
    }));
    it("qr (reduced tall, wide, square, full tall, batched)", () => withX64(() => {
      checkGrads((a) => lax.qr(a, { fullMatrices: false }), [f64(uniform(15, r), [5, 3])], opts);
      checkGrads((a) => lax.qr(a), [f64(uniform(15, r), [3, 5])], opts);
      checkGrads((a) => lax.qr(a), [f64(uniform(16, r), [4, 4])], opts);
      checkGrads((a) => lax.qr(a), [f64(uniform(15, r), [5, 3])], opts);
      checkGrads((a) => lax.qr(a), [f64(uniform(24, r), [2, 4, 3])], opts);
    }));
    it("eigh: eigenvalues and sign-free functions of the eigenvectors", () => withX64(() => {
      const a = f64(uniform(16, r), [4, 4]);
      const c = f64([1, 2, 3, 4], [4]);
      checkGrads((x) => lax.eigh(x)[1], [a], opts);
      checkGrads((x) => {
        const [v] = lax.eigh(x);
        return lax.matmul(lax.mul(v, lax.broadcastInDim(c, [4, 4], [1])), lax.mT(v));
      }, [a], opts);
    }));
    it("svd: singular values and U·diag(c)·Vᵀ (tall, wide, square)", () => withX64(() => {
      for (const shape of [[5, 3], [3, 5], [3, 3]]) {
        const a = f64(uniform(shape[0] * shape[1], r), shape);
        const k = Math.min(shape[0], shape[1]);
        const c = f64([1.5, 2.5, 4].slice(0, k), [k]);
        checkGrads((x) => lax.svd(x, { computeUv: false })[0], [a], opts);
        checkGrads((x) => {
          const [u, , vt] = lax.svd(x, { fullMatrices: false });
          return lax.matmul(lax.mul(u, lax.broadcastInDim(c, [shape[0], k], [1])), vt);
        }, [a], opts);
      }
    }));
  });

  describe("batching equals a loop over the batch", () => {
    const r = rng(22);
    const A = (...s: number[]) => arrayOf(uniform(s.reduce((p, q) => p * q, 1), r), s, "float32");
    it("every primitive with the batch on a leading or trailing axis", () => {
      const sym = (x: Value) => lax.add(x, lax.mT(x));
      checkBatch((x) => lax.cholesky(lax.add(lax.matmul(x, lax.mT(x)), lax.broadcastInDim(arrayOf([3], [], "float32"), [3, 3], []))), [A(2, 3, 3)], [0]);
      checkBatch((x) => lax.lu(x), [A(3, 4, 2)], [1]);
      checkBatch((x) => lax.qr(x, { fullMatrices: false }), [A(4, 3, 2)], [2]);
      checkBatch((x) => lax.eigh(sym(x)), [A(2, 3, 3)], [0]);
      checkBatch((x) => lax.svd(x, { fullMatrices: false }), [A(2, 4, 3)], [0]);
      checkBatch((p) => lax.luPivotsToPermutation(p, 4), [arrayOf([1, 1, 3, 2, 2, 3], [2, 3], "int32")], [0]);
    });
    it("triangular_solve with a unbatched (JAX's reshaping rule) or batched", () => {
      const a = arrayOf(uniform(9, r).map((v, i) => (i % 4 === 0 ? v + 4 : v)), [3, 3], "float32");
      for (const leftSide of [true, false]) {
        checkBatch((x, y) => lax.triangularSolve(x, y, { leftSide, lower: true }), [a, A(2, 3, 3)], [null, 0]);
        checkBatch((x, y) => lax.triangularSolve(x, y, { leftSide, lower: false, transposeA: true }), [a, A(3, 3, 2)], [null, 2]);
        checkBatch((x, y) => lax.triangularSolve(x, y, { leftSide }), [lax.add(A(2, 3, 3), lax.broadcastInDim(arrayOf([4, 0, 0, 0, 4, 0, 0, 0, 4], [3, 3], "float32"), [2, 3, 3], [1, 2])) as JArray, A(3, 3)], [0, null]);
      }
    });
  });
});
